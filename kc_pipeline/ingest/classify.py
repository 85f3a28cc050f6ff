"""Name a row's funding source, programme, activity, sector and value chain.

Columns win when present; then the section the row sits in; then keywords in the title and
beneficiary. Whatever did not come from the row's own columns is recorded as inferred.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kc_pipeline.reference import Reference
from kc_pipeline.text import fold

_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|[A-Za-z]|\d+(?:\.\d+)*)\s*[.)/:-]\s*|^\s*[-+*•]\s*")
_ROMAN = re.compile(r"^[IVXLC]+$", re.IGNORECASE)


def strip_numbering(text: str) -> str:
    """ "II. KHUYẾN CÔNG ĐỊA PHƯƠNG" -> "KHUYẾN CÔNG ĐỊA PHƯƠNG"; "1.2) Đào tạo" -> "Đào tạo"."""
    return _NUMBERING.sub("", text, count=1).strip()


def is_roman(text: str) -> bool:
    return bool(_ROMAN.match(text.strip().rstrip(".)"))) if text.strip() else False


def funding_from_cell(text: str, reference: Reference) -> str | None:
    """A funding-source cell: short codes ("ĐP", "TW") are fine here, the column says what it is."""
    return reference.funding_names.exact(text) or reference.funding_names.search(text)


@lru_cache(maxsize=4096)
def _funding_section(folded: str, reference_id: int, reference: Reference) -> str | None:
    del reference_id
    # In free text only names of two words or more, or the codes, are taken: "tỉnh" alone is not a section.
    for alias, code in sorted(reference.funding_names.exact_map.items(), key=lambda kv: -len(kv[0])):
        if (" " in alias or alias in {"kcqg", "kcdp"}) and re.search(
            rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])", folded
        ):
            return code
    return None


def funding_from_text(text: str, reference: Reference) -> str | None:
    """Funding source named in a section row, sheet name or title ("I. KHUYẾN CÔNG QUỐC GIA")."""
    return _funding_section(fold(text), id(reference), reference)


def programme_from_text(text: str, reference: Reference) -> str | None:
    return reference.programme_names.exact(text) or reference.programme_names.search(text)


def activity_from_text(text: str, reference: Reference, programme: str | None = None) -> str | None:
    """Activity named in a cell or section label (aliases), else found by keywords."""
    found = reference.activity_names.exact(text)
    if found:
        return found
    return activity_from_keywords(text, reference, programme)


def activity_from_keywords(text: str, reference: Reference, programme: str | None = None) -> str | None:
    """Keyword match on free text; when the programme is known, its own activities win."""
    if programme is not None:
        allowed = reference.activities_by_programme.get(programme)
        if allowed:
            found = reference.activity_keywords.classify(text, allowed)
            if found:
                return found
            if len(allowed) == 1:
                return next(iter(allowed))
    return reference.activity_keywords.classify(text)


def sector_from_cell(text: str, reference: Reference) -> str | None:
    return (
        reference.sector_names.exact(text)
        or reference.sector_names.search(text)
        or (reference.sector_keywords.classify(text))
    )


def value_chain_from_cell(text: str, reference: Reference) -> str | None:
    return reference.value_chain_names.exact(text) or reference.value_chain_keywords.classify(text)
