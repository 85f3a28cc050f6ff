"""A finding: one reason a row or a file is not as it should be, wherever it was found."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["ERROR", "WARN"]
CONFLICT_CHECK = "project_key_conflict"  # one project in two files of a unit-year


def conflict_message(others: Sequence[tuple[str, str | None, int]]) -> str:
    """Why a project in two current files of one unit-year is quarantined, naming the other copies
    (file name, sheet, row) so that the clerk can find them; validation and the loader say the same."""
    where = "; ".join(f"{name} (sheet '{sheet}', row {row})" for name, sheet, row in others[:3])
    more = "; ..." if len(others) > 3 else ""
    return f"the same project is also in {where}{more} of this unit-year; correct one of them"


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
