"""Which reporting unit and year a workbook speaks for.

Three witnesses: the drop-folder path (``<year>/<unit slug>/file.xlsx``), the title rows
("UBND HUYỆN ĐẠI TỪ ... NĂM 2021") and the year column. The path is the source of truth for
where a file belongs; the others confirm it, and a disagreement is reported, never silently
resolved. Units are matched through their aliases, never by raw spelling.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import PurePath

from kc_pipeline.reference import Reference
from kc_pipeline.text import fold, slugify

_YEAR_IN_TITLE = re.compile(r"\bnam\s+((?:19|20)\d\d)\b")
_ANY_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


@dataclass(frozen=True, slots=True)
class Origin:
    unit_code: str | None
    year: int | None
    unit_source: str  # "path", "title", "none"
    year_source: str  # "path", "title", "column", "none"


def unit_from_path(path: PurePath, reference: Reference) -> str | None:
    """Unit named by the folder a file sits in (slug, or any alias of the unit)."""
    for part in reversed(path.parts[:-1]):
        slug = slugify(part)
        unit = reference.units_by_slug.get(slug)
        if unit is not None:
            return unit.unit_code
        code = reference.unit_names.exact(part)
        if code is not None:
            return code
    return None


def year_from_path(path: PurePath) -> int | None:
    for part in reversed(path.parts[:-1]):
        if re.fullmatch(r"(19|20)\d\d", part):
            return int(part)
    return None


def units_in_titles(titles: list[str], reference: Reference) -> list[str]:
    """Units named in title rows, most specific first (a district before the province above it)."""
    found: list[str] = []
    for text in titles:  # "... HUYỆN PHÚ LƯƠNG, TỈNH THÁI NGUYÊN" names both units
        for code in reference.unit_names.search_all(text):
            if code not in found:
                found.append(code)
    found.sort(key=lambda code: reference.units[code].parent_code is None)
    return found


def year_in_titles(titles: list[str]) -> int | None:
    for text in titles:
        match = _YEAR_IN_TITLE.search(fold(text))
        if match:
            return int(match.group(1))
    for text in titles:
        folded = fold(text)
        if "ke hoach" in folded or "danh muc" in folded or "de an" in folded or "khuyen cong" in folded:
            match = _ANY_YEAR.search(folded)
            if match:
                return int(match.group(1))
    return None


def most_common_year(years: list[int]) -> int | None:
    return Counter(years).most_common(1)[0][0] if years else None
