"""Find the header of a district table and map its columns to canonical fields.

Headers sit under a few title rows, in one row or two (a merged group such as "Kinh phí (triệu
đồng)" over "Tổng số | KC hỗ trợ | Đối ứng"). Each candidate row is scored by how many distinct
canonical fields its cells name through the alias table ``data/reference/columns.csv``; the best
row wins, and the row below joins it when that names more fields.

A heading names a field when, folded, it is one of the field's aliases, or else starts with one
(the longest that fits), whole words only. Two columns of ``columns.csv`` refine the prefix match:
``not_followed_by`` lists words that, right after an alias, make the heading name something else
("Mã số thuế" is a tax code, not "Mã số" the project code: left unknown), and a ``generic`` field
(the total: "Tổng số", "Tổng") gives way to another money or count field whose alias overlaps it
or follows it directly ("Tổng số học viên" is trainees; under a group "Kinh phí thực hiện", the
sub-heading "Đối ứng" is the counterpart amount).
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
_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


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


@lru_cache(maxsize=4096)
def _match_heading(columns_key: int, text: str, reference: Reference) -> str | None:
    """Canonical field named by a heading: an exact alias, else the longest alias the heading starts
    with (unless a word after it changes its meaning), except that a generic total followed by the
    name of another amount is that amount."""
    del columns_key  # part of the cache key only
    key = fold(_PARENS.sub(" ", text))
    if not key:
        return None
    table = _headings(reference)
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


def match_heading(text: str, reference: Reference) -> str | None:
    return _match_heading(id(reference), text, reference)


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


def _vertical_copy(merges: list[tuple[int, int, int, int]], r: int) -> set[int]:
    """Columns whose cell in row ``r`` is the lower part of a vertical merge (not a heading of its own)."""
    out: set[int] = set()
    for r1, c1, r2, c2 in merges:
        if r1 < r <= r2:
            out.update(range(c1, c2 + 1))
    return out


def _assign(candidates: dict[int, list[str]], reference: Reference) -> Header:
    fields: dict[int, str] = {}
    headings: dict[int, str] = {}
    unknown: dict[int, str] = {}
    duplicates: dict[int, str] = {}
    taken: set[str] = set()
    for c in sorted(candidates):
        texts = candidates[c]
        headings[c] = texts[0]
        found = next((f for f in (match_heading(t, reference) for t in texts) if f), None)
        if found is None:
            unknown[c] = headings[c]
        elif found in taken:
            duplicates[c] = found
        else:
            fields[c] = found
            taken.add(found)
    return Header([], fields, headings, unknown, duplicates)


def _looks_like_headings(cells: list[Any]) -> bool:
    """A second header row holds text only; a data or numbering row holds numbers or dates."""
    return any(isinstance(v, str) and v.strip() for v in cells) and not any(
        v != "" and not isinstance(v, str) for v in cells
    )


def _score(fields: dict[int, str]) -> int:
    names = set(fields.values())
    bonus = 1 if "title" in names else 0
    return len(names) + bonus


def find_header(
    rows: list[list[Any]], merges: list[tuple[int, int, int, int]], reference: Reference
) -> Header | None:
    """The header of the table in ``rows``, or None when no row names enough known columns."""
    best: Header | None = None
    best_score = 0
    limit = min(len(rows), HEADER_SCAN_ROWS)
    for r in range(limit):
        if best is not None and best_score >= MIN_HEADER_SCORE and r > best.last_row + 3:
            break  # a header was found and data rows follow it
        single = _row_fields(rows[r], reference)
        if len(set(single.values())) < 2:
            continue
        top = _horizontal_fill(rows, merges, r)
        one = _assign({c: [t] for c, v in enumerate(top) if (t := _cell_text(v))}, reference)
        one.rows = [r]
        candidate, score = one, _score(one.fields)
        if r + 1 < len(rows) and _looks_like_headings(rows[r + 1]):
            below = rows[r + 1]
            lower_merged = _vertical_copy(merges, r + 1)
            combined: dict[int, list[str]] = {}
            for c in range(max(len(top), len(below))):
                upper = _cell_text(top[c]) if c < len(top) else ""
                lower = _cell_text(below[c]) if c < len(below) and c not in lower_merged else ""
                texts = [t for t in ((f"{upper} {lower}" if upper and lower else ""), lower, upper) if t]
                if texts:
                    combined[c] = texts
            two = _assign(combined, reference)
            two.rows = [r, r + 1]
            if _score(two.fields) > score:
                candidate, score = two, _score(two.fields)
        if score > best_score:
            best, best_score = candidate, score
    if best is None or best_score < MIN_HEADER_SCORE:
        return None
    for c in best.fields:
        heading = best.headings.get(c, "")
        scale = money_scale_from_text(heading)
        if scale is None and len(best.rows) == 2:
            group = _horizontal_fill(rows, merges, best.rows[0])
            scale = money_scale_from_text(_cell_text(group[c]) if c < len(group) else "")
        if scale is not None:
            best.money_scale[c] = scale
    return best
