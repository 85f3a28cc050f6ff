"""Find the header of a district table and map its columns to canonical fields.

Headers sit under a few title rows, in one row, two (a merged group such as "Kinh phí (triệu
đồng)" over "Tổng số | KC hỗ trợ | Đối ứng") or three ("Kinh phí (đồng)" over "Tổng số | Trong đó",
"Trong đó" over "KC hỗ trợ | Đối ứng"). Each candidate row is scored by how many distinct canonical
fields its cells name through the alias table ``data/reference/columns.csv``; the best row wins, and
up to two rows of text below join it when that names more fields.

A column's heading over several rows is made of its cells top to bottom (a merged group counts for
every column under it; the lower part of a vertical merge does not repeat). It maps as the heading
made of all of them ("Kinh phí (đồng) Tổng số" is the total), else as the heading without its outer
groups, down to its lowest cell alone, else as one of its groups alone, nearest first. When that is a
generic total ("Kinh phí thực hiện" over "Trong đó" over "KC hỗ trợ"), a more specific part that
names another amount or count wins: the column holds that part of the total.

A heading names a field when, folded, it is one of the field's aliases, or else starts with one
(the longest that fits), whole words only. Two columns of ``columns.csv`` refine the prefix match:
``not_followed_by`` lists words that, right after an alias, make the heading name something else
("Mã số thuế" is a tax code, not "Mã số" the project code: left unknown), and a ``generic`` field
(the total: "Tổng số", "Tổng") gives way to another money or count field whose alias overlaps it
or follows it directly ("Tổng số học viên" is trainees; under a group "Kinh phí thực hiện", the
sub-heading "Đối ứng" is the counterpart amount).

A heading that says its column is a share (:data:`SHARE_SIGNS` or :data:`SHARE_WORDS` anywhere in
it, brackets included, or in a group over it) never names a money or count field: "Hỗ trợ (%)" and
"Kinh phí hỗ trợ (%)" hold percentages, not đồng, and stay unknown columns, kept in raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kc_pipeline.ingest.values import money_scale_from_text
from kc_pipeline.reference import QUANTITY_KINDS, Reference
from kc_pipeline.text import fold, nfc

HEADER_SCAN_ROWS = 40
MIN_HEADER_SCORE = 3
MAX_HEADER_ROWS = 3  # a top row and up to two rows of sub-headings under it
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")

# A heading holding one of these signs (not after a number: "tối đa 50%" caps an amount), or these
# words (accents and case ignored, whole words), says its column is a share ("Hỗ trợ (%)", "Tỷ lệ
# đối ứng"): it names no money or count field. Not reference data: the rule is about every amount
# and count alike, like the kinds in ``reference.QUANTITY_KINDS``.
SHARE_SIGNS = ("%", "\uff05")  # per cent, full-width per cent
SHARE_WORDS = ("tỷ lệ", "tỉ lệ", "phần trăm", "tỷ trọng", "tỉ trọng")
_SHARE_KEYS = tuple(f" {fold(w)} " for w in SHARE_WORDS)


@dataclass(slots=True)
class Header:
    rows: list[int]  # 0-based grid rows that make up the header
    fields: dict[int, str]  # column index -> canonical field
    headings: dict[int, str]  # column index -> heading text as written (group + sub)
    unknown: dict[int, str]  # column index -> heading text that maps to nothing
    duplicates: dict[int, str] = field(default_factory=dict)  # column index -> field already taken
    money_scale: dict[int, int] = field(default_factory=dict)  # column index -> scale named in heading

    @property
    def last_row(self) -> int:
        return self.rows[-1]


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True, slots=True)
class _Headings:
    """The column alias table arranged for matching headings word by word."""

    fields: dict[str, str]  # folded alias -> field
    longest: int  # words in the longest alias
    generic: frozenset[str]  # fields whose headings are totals of whatever they go on to name
    quantities: frozenset[str]  # money and count fields
    stops: dict[str, tuple[tuple[str, ...], ...]]  # field -> folded words that, after its alias, change it


@lru_cache(maxsize=8)
def _headings(reference: Reference) -> _Headings:
    fields = reference.column_names.exact_map
    return _Headings(
        fields=fields,
        longest=max((len(a.split(" ")) for a in fields), default=0),
        generic=frozenset(c.field for c in reference.columns if c.generic),
        quantities=frozenset(c.field for c in reference.columns if c.kind in QUANTITY_KINDS),
        stops={
            c.field: tuple(tuple(fold(s).split(" ")) for s in c.not_followed_by)
            for c in reference.columns
            if c.not_followed_by
        },
    )


def _alias(words: tuple[str, ...], start: int, end: int, table: _Headings) -> str | None:
    return table.fields.get(" ".join(words[start:end]))


def _stopped(words: tuple[str, ...], end: int, found: str, table: _Headings) -> bool:
    """True when the words after an alias of ``found`` ending at ``end`` make it name something else."""
    return any(words[end : end + len(stop)] == stop for stop in table.stops.get(found, ()))


def _head(words: tuple[str, ...], table: _Headings) -> tuple[int, str] | None:
    """(words used, field) of the longest alias the heading starts with. A field whose alias is
    followed by one of its ``not_followed_by`` words is out: "Mã số thuế" is no project code."""
    blocked: set[str] = set()
    for end in range(min(len(words) - 1, table.longest), 0, -1):
        found = _alias(words, 0, end, table)
        if found is None or found in blocked:
            continue
        if _stopped(words, end, found, table):
            blocked.add(found)
            continue
        return end, found
    return None


def _named_after(words: tuple[str, ...], head: tuple[int, str], table: _Headings) -> str | None:
    """The money or count field that a generic heading ("Tổng số") goes on to name: the longest
    alias of another such field that overlaps the head or starts right after it, and reaches past
    it ("Tổng số học viên", "Tổng số người"). Words further on ("Tổng kinh phí thực hiện năm 2021",
    "Tổng kinh phí bao gồm đối ứng") qualify the total; they do not name what it counts."""
    end, field_name = head
    best: str | None = None
    best_size = 0
    for start in range(1, end + 1):
        for stop in range(min(len(words), start + table.longest), end, -1):
            found = _alias(words, start, stop, table)
            if (
                found
                and found != field_name
                and found in table.quantities
                and stop - start > best_size
                and not _stopped(words, stop, found, table)
            ):
                best, best_size = found, stop - start
    return best


def _is_share(text: str) -> bool:
    """True when a heading says its column is a share: "Hỗ trợ (%)", "Tỷ lệ hỗ trợ", "Phần trăm".
    A sign after a number is a cap on the amount, not a share: "Kinh phí hỗ trợ (tối đa 50%)"."""
    for sign in SHARE_SIGNS:
        at = text.find(sign)
        while at >= 0:
            if not text[:at].rstrip()[-1:].isdigit():
                return True
            at = text.find(sign, at + 1)
    key = f" {fold(text)} "
    return any(word in key for word in _SHARE_KEYS)


def _field_of(key: str, table: _Headings) -> str | None:
    found = table.fields.get(key)
    if found:
        return found
    words = tuple(key.split(" "))
    head = _head(words, table)
    if head is None:
        return None
    if head[1] in table.generic:
        return _named_after(words, head, table) or head[1]
    return head[1]


@lru_cache(maxsize=4096)
def _match_heading(columns_key: int, text: str, reference: Reference) -> str | None:
    """Canonical field named by a heading: an exact alias, else the longest alias the heading starts
    with (unless a word after it changes its meaning), except that a generic total followed by the
    name of another amount is that amount, and that a share ("Hỗ trợ (%)") is no amount or count."""
    del columns_key  # part of the cache key only
    key = fold(_PARENS.sub(" ", text))
    if not key:
        return None
    table = _headings(reference)
    found = _field_of(key, table)
    if found in table.quantities and _is_share(text):
        return None
    return found


def match_heading(text: str, reference: Reference) -> str | None:
    return _match_heading(id(reference), text, reference)


def match_parts(parts: tuple[str, ...], reference: Reference) -> str | None:
    """Canonical field named by a column whose heading is written over several header rows, its
    cells top to bottom: see the module docstring. One part is :func:`match_heading`."""
    if len(parts) == 1:
        return match_heading(parts[0], reference)
    table = _headings(reference)
    share = any(_is_share(p) for p in parts)

    def field_of(text: str) -> str | None:
        found = match_heading(text, reference)
        return None if share and found in table.quantities else found

    # All the parts, then without the outer groups down to the lowest cell, then each group alone.
    narrowing = [" ".join(parts[i:]) for i in range(len(parts))]
    texts = narrowing + list(reversed(parts[:-1]))
    lowest = field_of(parts[-1])
    for i, text in enumerate(texts):
        found = field_of(text)
        if found is None:
            continue
        if found not in table.quantities and lowest in table.quantities:
            return lowest  # amounts under a group named like a text column: "Nguồn vốn" over "KC hỗ trợ"
        if found in table.generic:
            for specific in narrowing[i + 1 :]:
                part = field_of(specific)
                if part and part != found and part in table.quantities and part not in table.generic:
                    return part
        return found
    return None


def _cell_text(value: Any) -> str:
    return nfc(value) if isinstance(value, str) else ""


def _row_fields(cells: list[Any], reference: Reference) -> dict[int, str]:
    out: dict[int, str] = {}
    for c, value in enumerate(cells):
        text = _cell_text(value)
        if text and len(text) < 120:
            found = match_heading(text, reference)
            if found:
                out[c] = found
    return out


def _horizontal_fill(rows: list[list[Any]], merges: list[tuple[int, int, int, int]], r: int) -> list[Any]:
    """Row ``r`` with merged group cells copied across the columns they span."""
    cells = list(rows[r])
    for r1, c1, r2, c2 in merges:
        if r1 <= r <= r2 and c2 > c1:
            value = rows[r1][c1] if c1 < len(rows[r1]) else ""
            for c in range(c1, min(c2 + 1, len(cells))):
                cells[c] = value
    return cells


def _subgroup_fill(rows: list[list[Any]], merges: list[tuple[int, int, int, int]], r: int) -> list[Any]:
    """Header row ``r`` below the top one, with a merged cell copied across the columns it spans when
    it is a subgroup ("Trong đó" over "KC hỗ trợ | Đối ứng"): it lies under a group merged across the
    row above. A merged row of its own (a section line under a one-row header) is not copied."""
    cells = list(rows[r])
    group_end: dict[int, int] = {}  # column -> last column of the group merged over it in row r - 1
    for r1, c1, r2, c2 in merges:
        if r1 <= r - 1 <= r2 and c2 > c1:
            group_end.update(dict.fromkeys(range(c1, min(c2 + 1, len(cells))), c2))
    for r1, c1, _, c2 in merges:
        if r1 == r and c2 > c1 and group_end.get(c1, -1) >= c2:
            value = rows[r1][c1] if c1 < len(rows[r1]) else ""
            for c in range(c1, min(c2 + 1, len(cells))):
                cells[c] = value
    return cells


def _vertical_copy(merges: list[tuple[int, int, int, int]], r: int) -> set[int]:
    """Columns whose cell in row ``r`` is the lower part of a vertical merge (not a heading of its own)."""
    out: set[int] = set()
    for r1, c1, r2, c2 in merges:
        if r1 < r <= r2:
            out.update(range(c1, c2 + 1))
    return out


def _assign(candidates: dict[int, list[str]], reference: Reference) -> Header:
    """Fields of the columns whose heading parts, top to bottom, are ``candidates``; a field named
    twice goes to the first column that names it."""
    fields: dict[int, str] = {}
    headings: dict[int, str] = {}
    unknown: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    taken: set[str] = set()
    for c in sorted(candidates):
        parts = candidates[c]
        headings[c] = " ".join(parts)
        found = match_parts(tuple(parts), reference)
        if found is None:
            unknown[c] = headings[c]
        elif found in taken:
            duplicates[c] = found
        else:
            fields[c] = found
            taken.add(found)
    return Header([], fields, headings, unknown, duplicates)


def _looks_like_headings(cells: list[Any]) -> bool:
    """A lower header row holds text only; a data or numbering row holds numbers or dates."""
    return any(isinstance(v, str) and v.strip() for v in cells) and not any(
        v != "" and not isinstance(v, str) for v in cells
    )


def _score(fields: dict[int, str]) -> int:
    names = set(fields.values())
    bonus = 1 if "title" in names else 0
    return len(names) + bonus


def _header_from(
    rows: list[list[Any]], merges: list[tuple[int, int, int, int]], r: int, reference: Reference
) -> tuple[Header, int, dict[int, list[str]]]:
    """The best header whose top row is ``r``, its score and each column's heading parts: the row
    alone, or with the next row or two of text when that names more fields than fewer rows do (a
    middle row "Trong đó" may name nothing new; the row under it does)."""
    parts: dict[int, list[str]] = {}
    best: tuple[Header, int, dict[int, list[str]]] | None = None
    for k in range(MAX_HEADER_ROWS):
        row = r + k
        if k:
            if row >= len(rows) or not _looks_like_headings(rows[row]):
                break
            cells, repeated = _subgroup_fill(rows, merges, row), _vertical_copy(merges, row)
        else:
            cells, repeated = _horizontal_fill(rows, merges, row), set()
        parts = {c: list(p) for c, p in parts.items()}
        for c, value in enumerate(cells):
            if c not in repeated and (text := _cell_text(value)):
                parts.setdefault(c, []).append(text)
        header = _assign(parts, reference)
        header.rows = list(range(r, row + 1))
        score = _score(header.fields)
        if best is None or score > best[1]:
            best = header, score, parts
    assert best is not None
    return best


def find_header(
    rows: list[list[Any]], merges: list[tuple[int, int, int, int]], reference: Reference
) -> Header | None:
    """The header of the table in ``rows``, or None when no row names enough known columns."""
    best: Header | None = None
    best_parts: dict[int, list[str]] = {}
    best_score = 0
    limit = min(len(rows), HEADER_SCAN_ROWS)
    for r in range(limit):
        if best is not None and best_score >= MIN_HEADER_SCORE and r > best.last_row + 3:
            break  # a header was found and data rows follow it
        single = _row_fields(rows[r], reference)
        if len(set(single.values())) < 2:
            continue
        candidate, score, parts = _header_from(rows, merges, r, reference)
        if score > best_score:
            best, best_score, best_parts = candidate, score, parts
    if best is None or best_score < MIN_HEADER_SCORE:
        return None
    for c in best.fields:
        # The unit named in the heading, else in one of its cells, the lowest first: a merged group
        # "Kinh phí (triệu đồng)" names it for every amount under it.
        texts = [best.headings.get(c, ""), *reversed(best_parts.get(c, []))]
        scale = next((s for t in texts if (s := money_scale_from_text(t)) is not None), None)
        if scale is not None:
            best.money_scale[c] = scale
    return best
