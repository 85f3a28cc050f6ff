"""A finding: one reason a row or a file is not as it should be, wherever it was found."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["ERROR", "WARN"]


@dataclass(frozen=True, slots=True)
class Finding:
    check: (
        str  # stable name: a GX expectation, a rule_id, "reconcile_...", "outlier_...", a reader issue code
    )
    severity: Severity
    message: str
    file_id: str
    source_sheet: str | None = None
    source_row: int | None = None  # None: a finding about the whole file
    column: str | None = None
    value: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
