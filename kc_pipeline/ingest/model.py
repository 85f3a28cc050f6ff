"""What the reader produces from one workbook: canonical rows, ignored rows, totals and issues.

Field names follow the warehouse contract (``core_projects``) so that later stages, the JSON of
``kc-pipeline inspect`` and the warehouse all speak the same language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import Any, Literal

from kc_pipeline.keys import content_hash, project_key

Severity = Literal["ERROR", "WARN", "INFO"]
IgnoreRule = Literal["title", "header", "section", "subtotal", "total", "blank", "note", "signature"]

# Canonical project fields, in the order the warehouse contract lists them, then extras.
PROJECT_FIELDS: tuple[str, ...] = (
    "year",
    "unit_code",
    "commune",
    "funding_source",
    "programme_code",
    "activity_code",
    "title",
    "beneficiary",
    "sector_code",
    "support_vnd",
    "counterpart_vnd",
    "trainees",
    "source_sheet",
    "source_row",
    "project_code",
    "total_vnd",
    "implementer",
    "district",
    "value_chain_code",
    "models",
    "clusters",
    "period_start",
    "period_end",
    "note",
)

# The fields validation holds as whole numbers (nullable integers in its frame).
INTEGER_FIELDS: tuple[str, ...] = (
    "year",
    "source_row",
    "support_vnd",
    "counterpart_vnd",
    "total_vnd",
    "trainees",
    "models",
    "clusters",
)


@dataclass(slots=True)
class Issue:
    severity: Severity
    code: str
    message: str
    source_sheet: str | None = None
    source_row: int | None = None
    column: str | None = None
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in zip(_ISSUE_FIELDS, _issue_values(self), strict=True) if v is not None}


@dataclass(slots=True)
class IgnoredRow:
    source_sheet: str
    source_row: int
    rule: IgnoreRule
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(zip(_IGNORED_FIELDS, _ignored_values(self), strict=True))


@dataclass(slots=True)
class ProjectRow:
    """One project as read; ``None`` means the cell was empty or unusable (see the issues)."""

    source_sheet: str
    source_row: int
    year: int | None = None
    unit_code: str | None = None
    commune: str | None = None
    funding_source: str | None = None
    programme_code: str | None = None
    activity_code: str | None = None
    title: str | None = None
    beneficiary: str | None = None
    sector_code: str | None = None
    support_vnd: int | None = None
    counterpart_vnd: int | None = None
    trainees: int | None = None
    project_code: str | None = None
    total_vnd: int | None = None
    implementer: str | None = None
    district: str | None = None
    value_chain_code: str | None = None
    models: int | None = None
    clusters: int | None = None
    period_start: str | None = None
    period_end: str | None = None
    note: str | None = None
    inferred: list[str] = field(default_factory=list)
    converted: str | None = None  # legacy encoding converted on this row ("tcvn3"/"vni"), if any
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = dict(zip(PROJECT_FIELDS, _project_values(self), strict=True))
        out["inferred"] = list(self.inferred)
        out["converted"] = self.converted
        out["raw"] = dict(self.raw)
        # Computed here, in the reader's worker process, so validation and loading need not.
        out["project_key"] = project_key(
            self.unit_code, self.year, self.funding_source, self.title, self.project_code, self.beneficiary
        )
        if all(type(v) is int or v is None for v in _integer_values(self)):  # as validation makes them
            out["content_hash"] = content_hash(out)
        return out


@dataclass(slots=True)
class TotalRow:
    """A subtotal, total or section row with amounts, kept to reconcile the file with itself."""

    source_sheet: str
    source_row: int
    kind: Literal["subtotal", "total", "section"]
    label: str
    funding_source: str | None
    programme_code: str | None
    activity_code: str | None
    total_vnd: int | None = None
    support_vnd: int | None = None
    counterpart_vnd: int | None = None
    trainees: int | None = None
    # Rows of the sheet this total covers: from the previous total of the same scope up to here.
    first_row: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(zip(_TOTAL_FIELDS, _total_values(self), strict=True))


# The ``to_dict`` of the row-level records above, one per row of a file: field values in one C call
# rather than through ``asdict`` (which deep-copies each value; these values are all atomic).
_ISSUE_FIELDS = tuple(f.name for f in fields(Issue))
_IGNORED_FIELDS = tuple(f.name for f in fields(IgnoredRow))
_TOTAL_FIELDS = tuple(f.name for f in fields(TotalRow))
_issue_values = attrgetter(*_ISSUE_FIELDS)
_ignored_values = attrgetter(*_IGNORED_FIELDS)
_total_values = attrgetter(*_TOTAL_FIELDS)
_project_values = attrgetter(*PROJECT_FIELDS)
# Validation makes these ints (a float would hash differently once stored), so the reader hashes
# a row's contents only when they already are.
_integer_values = attrgetter(*INTEGER_FIELDS)


@dataclass(slots=True)
class SheetLayout:
    name: str
    header_rows: list[int]
    columns: dict[str, str]  # column letter -> canonical field
    unknown_columns: dict[str, str]  # column letter -> heading text
    money_scale: dict[str, int]  # canonical money field -> multiplier to đồng
    money_scale_source: str  # "header", "unit line", "magnitude", "default"
    legacy_encoding: str | None = None
    rows_read: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ReadResult:
    path: str
    file_id: str  # sha256 of the bytes
    status: Literal["read", "rejected"]
    file_type: str
    unit_code: str | None = None
    year: int | None = None
    sheets: list[SheetLayout] = field(default_factory=list)
    rows: list[ProjectRow] = field(default_factory=list)
    ignored: list[IgnoredRow] = field(default_factory=list)
    totals: list[TotalRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None

    @property
    def rows_read(self) -> int:
        """Every row of every sheet read: each is a project row or an ignored row (promise P1)."""
        return sum(s.rows_read for s in self.sheets)

    def issue_counts(self) -> dict[str, int]:
        counts = {"ERROR": 0, "WARN": 0, "INFO": 0}
        for issue in self.issues:
            counts[issue.severity] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "file_id": self.file_id,
            "status": self.status,
            "file_type": self.file_type,
            "unit_code": self.unit_code,
            "year": self.year,
            "error": self.error,
            "rows_read": self.rows_read,
            "sheets": [s.to_dict() for s in self.sheets],
            "rows": [r.to_dict() for r in self.rows],
            "ignored": [i.to_dict() for i in self.ignored],
            "totals": [t.to_dict() for t in self.totals],
            "issues": [i.to_dict() for i in self.issues],
        }
