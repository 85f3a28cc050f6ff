"""Find the header of a district table and map its columns to canonical fields.

Headers sit under a few title rows, in one row or two (a merged group such as "Kinh phí (triệu
đồng)" over "Tổng số | KC hỗ trợ | Đối ứng"). Each candidate row is scored by how many distinct
canonical fields its cells name through the alias table ``data/reference/columns.csv``; the best
row wins, and the row below joins it when that names more fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kc_pipeline.ingest.values import money_scale_from_text
from kc_pipeline.reference import Reference
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


@lru_cache(maxsize=4096)
def _match_heading(columns_key: int, text: str, reference: Reference) -> str | None:
    """Canonical field named by a heading: exact alias, else the longest alias the heading starts with."""
    del columns_key  # part of the cache key only
    key = fold(_PARENS.sub(" ", text))
    if not key:
        return None
    index = reference.column_names.exact_map
    found = index.get(key)
    if found:
        return found
    words = key.split(" ")
    for n in range(len(words) - 1, 0, -1):
        found = index.get(" ".join(words[:n]))
        if found:
            return found
    return None


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
