"""The stable identity of a project across resubmissions.

A unit's own project code wins (scoped to unit and year, since codes repeat across units);
otherwise the key is derived from unit, year, funding source and the folded title and beneficiary,
so a corrected resubmission of the same project updates it instead of duplicating it. The
beneficiary is part of it because districts give many projects the same title ("Hỗ trợ ứng dụng
máy sao chè") for different establishments.
"""

from __future__ import annotations

import hashlib

from kc_pipeline.text import fold


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
