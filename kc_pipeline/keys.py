"""The stable identity of a project across resubmissions, and the identity of its contents.

A unit's own project code wins (scoped to unit and year, since codes repeat across units);
otherwise the key is derived from unit, year, funding source and the folded title and beneficiary,
so a corrected resubmission of the same project updates it instead of duplicating it. The
beneficiary is part of it because districts give many projects the same title ("Hỗ trợ ứng dụng
máy sao chè") for different establishments.

The content hash tells two versions of the same project apart. Both are computed in the reader's
worker processes, so the single process that validates and loads a run need not.
"""

from __future__ import annotations

import hashlib
import json
from operator import itemgetter
from typing import Any

from kc_pipeline.text import fold

# The columns whose values make a project's version; core_projects stores them as they are.
CONTENT_COLUMNS = (
    "commune",
    "funding_source",
    "programme_code",
    "activity_code",
    "title",
    "beneficiary",
    "sector_code",
    "value_chain_code",
    "support_vnd",
    "counterpart_vnd",
    "total_vnd",
    "trainees",
    "models",
    "clusters",
    "project_code",
    "implementer",
    "district",
    "period_start",
    "period_end",
    "note",
)
# One encoder, reused: ``json.dumps`` with options builds a new encoder on every call. The text is
# exactly ``json.dumps(value, ensure_ascii=False, default=str)``'s, so stored hashes stay valid.
JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)
_HASHED = ("year", "unit_code", *CONTENT_COLUMNS)
_hashed_values = itemgetter(*_HASHED)  # one C call for a row that has every column


def content_hash(row: dict[str, Any]) -> str:
    """What makes two versions of a project different (not where or when they were read)."""
    try:
        values = _hashed_values(row)  # a tuple encodes as the same JSON array as a list
    except KeyError:
        values = [row.get(c) for c in _HASHED]
    return hashlib.sha256(JSON_ENCODER.encode(values).encode()).hexdigest()


def project_key(
    unit_code: str | None,
    year: int | None,
    funding_source: str | None,
    title: str | None,
    project_code: str | None = None,
    beneficiary: str | None = None,
) -> str:
    unit = unit_code or "unknown"
    when = str(year) if year is not None else "unknown"
    if project_code and fold(project_code):
        return f"{unit}-{when}-code-{fold(project_code).replace(' ', '-')}"
    identity = f"{fold(title or '')}|{fold(beneficiary or '')}"
    digest = hashlib.sha1(identity.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"{unit}-{when}-{funding_source or 'unknown'}-{digest}"
