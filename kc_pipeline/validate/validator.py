"""Validate a batch of read files: every row ends valid, warned or quarantined, with its reasons.

Four witnesses, each producing :class:`Finding` s: the reader's own row issues (an amount it
could not read), the Great Expectations suite (run once over the whole batch), the rules kept as
data, and the outlier test; plus file-level reconciliation with the file's own totals. A row with
any ERROR finding is quarantined; with only WARN findings it is loaded and the warnings kept.
Promise P1 holds per file: rows read = valid + warned + quarantined + ignored.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pandas as pd

from kc_pipeline.ingest.model import PROJECT_FIELDS
from kc_pipeline.reference import Reference, load_reference
from kc_pipeline.validate import gx_suite
from kc_pipeline.validate.findings import CONFLICT_CHECK, Finding, conflict_message
from kc_pipeline.validate.frame import INTEGER_FIELDS, build_records, frame_from_records
from kc_pipeline.validate.outliers import outlier_mask
from kc_pipeline.validate.reconcile import reconcile
from kc_pipeline.validate.rules import Rule, load_rules, violations

RowKey = tuple[str, str, int]
ROW_COLUMNS = (
    "path",
    "file_id",
    "project_key",
    *PROJECT_FIELDS,
    "inferred",
    "converted",
    "raw",
    "status",
    "reasons",
)


@dataclass
class FileVerdict:
    path: str
    file_id: str
    status: str  # "read" or "rejected"
    rows_read: int = 0
    rows_valid: int = 0
    rows_warned: int = 0
    rows_quarantined: int = 0
    rows_ignored: int = 0
    error: str | None = None
    file_findings: list[Finding] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def adds_up(self) -> bool:
        return (
            self.rows_read == self.rows_valid + self.rows_warned + self.rows_quarantined + self.rows_ignored
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "file_id": self.file_id,
            "status": self.status,
            "error": self.error,
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_warned": self.rows_warned,
            "rows_quarantined": self.rows_quarantined,
            "rows_ignored": self.rows_ignored,
            "file_findings": [f.to_dict() for f in self.file_findings],
            "conflicts": self.conflicts,
        }


@dataclass
class BatchVerdict:
    files: list[FileVerdict]
    rows: pd.DataFrame  # one line per project row, with "status" and "reasons"
    findings: list[Finding]
    # The dicts ``rows`` was built from, in its order: row_records builds on them, which is many
    # times faster than converting the frame back to dicts.
    records: list[dict[str, Any]] | None = field(default=None, repr=False)

    def totals(self) -> dict[str, int]:
        keys = ("rows_read", "rows_valid", "rows_warned", "rows_quarantined", "rows_ignored")
        out = {k: sum(getattr(f, k) for f in self.files) for k in keys}
        out["files"] = len(self.files)
        out["files_rejected"] = sum(1 for f in self.files if f.status == "rejected")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"files": [f.to_dict() for f in self.files], "totals": self.totals()}

    def row_records(self) -> list[dict[str, Any]]:
        """Every row as a JSON-ready dict (missing values as None), with its status and reasons."""
        if not len(self.rows):
            return []
        if self.records is None:
            columns = [c for c in ROW_COLUMNS if c in self.rows.columns]
            frame = self.rows[columns].astype(object)
            return frame.where(frame.notna(), None).to_dict(orient="records")
        # The records become the row dicts in place: they are this verdict's own, built for the frame.
        for record, file_id, status, reasons in zip(
            self.records, self.rows["file_id"], self.rows["status"], self.rows["reasons"], strict=True
        ):
            record.pop("unit_year", None)
            for name in INTEGER_FIELDS:
                value = record.get(name)
                if value is not None and type(value) is not int:
                    record[name] = None if isinstance(value, float) and value != value else int(value)
            record["file_id"], record["status"], record["reasons"] = file_id, status, reasons
        return self.records

    def rows_by_path(self) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.row_records():
            out[row["path"]].append(row)
        return out


def _reader_findings(doc: dict[str, Any], row_keys: set[RowKey]) -> list[Finding]:
    out: list[Finding] = []
    file_wide: list[dict[str, Any]] = []
    for issue in doc.get("issues", []):
        if issue["severity"] == "INFO":
            continue
        row = issue.get("source_row")
        key = (doc["file_id"], issue.get("source_sheet"), row)
        if row is not None and key in row_keys:
            out.append(
                Finding(
                    issue["code"],
                    issue["severity"],
                    issue["message"],
                    doc["file_id"],
                    issue.get("source_sheet"),
                    row,
                    issue.get("column"),
                    issue.get("value"),
                )
            )
        elif issue["severity"] == "ERROR":
            file_wide.append(issue)
        else:
            out.append(
                Finding(issue["code"], "WARN", issue["message"], doc["file_id"], issue.get("source_sheet"))
            )
    # A file-wide ERROR (no unit, no year) makes every row of the file unloadable.
    for issue in file_wide:
        for file_id, sheet, row in row_keys:
            if file_id == doc["file_id"]:
                out.append(Finding(issue["code"], "ERROR", issue["message"], file_id, sheet, row))
    return out


def _rule_findings(rules: Sequence[Rule], frame: pd.DataFrame, reference: Reference) -> list[Finding]:
    out: list[Finding] = []
    for rule in rules:
        mask = violations(rule, frame, reference)
        if not mask.any():
            continue
        columns = sorted(rule.left.fields | rule.right.fields)
        for _, row in frame.loc[mask, ["file_id", "source_sheet", "source_row", *columns]].iterrows():
            values = {c: (None if pd.isna(row[c]) else int(row[c])) for c in columns}
            out.append(
                Finding(
                    rule.rule_id,
                    rule.severity,  # type: ignore[arg-type]
                    f"{rule.description} ({rule.expression}; {values})",
                    row["file_id"],
                    row["source_sheet"],
                    int(row["source_row"]),
                    columns[0] if columns else None,
                    values,
                )
            )
    return out


def _outlier_findings(frame: pd.DataFrame, history: pd.DataFrame | None) -> list[Finding]:
    mask = outlier_mask(frame, "support_vnd", history)
    out: list[Finding] = []
    for _, row in frame.loc[
        mask, ["file_id", "source_sheet", "source_row", "activity_code", "support_vnd"]
    ].iterrows():
        amount = int(row["support_vnd"])
        out.append(
            Finding(
                "outlier_support_vnd",
                "WARN",
                f"support of {amount:,} đồng is far from what {row['activity_code']} usually costs "
                "(đồng / triệu đồng mix-up?)",
                row["file_id"],
                row["source_sheet"],
                int(row["source_row"]),
                "support_vnd",
                amount,
            )
        )
    return out


def _conflict(f: Finding) -> dict[str, Any]:
    return {
        "sheet": f.source_sheet,
        "row": f.source_row,
        "column": f.column,
        "value": f.value,
        "severity": f.severity,
        "check": f.check,
        "reason": f.message,
    }


def _conflict_findings(frame: pd.DataFrame) -> list[Finding]:
    """Each copy of a project found in two different files of one unit-year (its key holds the unit
    and the year): both are quarantined, each naming the other, for the clerk to correct one. The
    same bytes at two paths are one file, loaded once (the loader keeps one copy)."""
    if not len(frame):
        return []
    repeated = frame[frame["project_key"].duplicated(keep=False) & frame["project_key"].notna()]
    findings: list[Finding] = []
    for key, group in repeated.groupby("project_key", sort=False):
        copies = list(
            zip(group["file_id"], group["path"], group["source_sheet"], group["source_row"], strict=True)
        )
        for file_id, _, sheet, row in copies:
            base = file_id.split("#", 1)[0]
            others = [(PurePath(p).name, s, int(r)) for f, p, s, r in copies if f.split("#", 1)[0] != base]
            if others:
                findings.append(
                    Finding(
                        CONFLICT_CHECK,
                        "ERROR",
                        conflict_message(others),
                        file_id,
                        sheet,
                        int(row),
                        "project_key",
                        key,
                    )
                )
    return findings


def validate_documents(
    documents: Sequence[dict[str, Any]],
    reference: Reference | None = None,
    *,
    history: pd.DataFrame | None = None,
    rules: Sequence[Rule] | None = None,
) -> BatchVerdict:
    """Validate every row of every document in one batch; never raises for bad data."""
    reference = reference or load_reference()
    rules = load_rules(reference.directory) if rules is None else rules
    # The same bytes may sit at two paths (two folders, NFC/NFD twin names): each is its own file here.
    seen_ids = Counter(doc["file_id"] for doc in documents)
    documents = [
        dict(doc, file_id=f"{doc['file_id']}#{i}") if seen_ids[doc["file_id"]] > 1 else doc
        for i, doc in enumerate(documents)
    ]
    records = build_records(documents)
    frame = frame_from_records(records)
    gx_failures = gx_suite.start_suite(frame, gx_suite.build_expectations(reference))
    # While GX runs (in the GX service, on the other core), everything that does not need its
    # failures runs here: the reader's findings, the rules, the outliers and reconciliation.
    keys = list(zip(frame["file_id"], frame["source_sheet"], frame["source_row"].astype(int), strict=True))
    row_keys = set(keys)
    findings: list[Finding] = []
    for doc in documents:
        if doc.get("status") == "read":
            findings.extend(_reader_findings(doc, row_keys))
    rule_findings = _rule_findings(rules, frame, reference) + _conflict_findings(frame)
    outlier_findings = _outlier_findings(frame, history)
    file_findings: dict[str, list[Finding]] = defaultdict(list)
    for doc in documents:
        if doc.get("status") == "read":
            file_findings[doc["file_id"]].extend(reconcile(doc))
    for failure in gx_failures():
        findings.append(
            Finding(
                failure.check_name,
                failure.severity,
                failure.message,  # type: ignore[arg-type]
                failure.file_id,
                failure.source_sheet,
                failure.source_row,
                failure.column,
                failure.value,
            )
        )
    findings.extend(rule_findings)
    findings.extend(outlier_findings)

    by_row: dict[RowKey, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.source_row is not None:
            by_row[(finding.file_id, finding.source_sheet or "", finding.source_row)].append(finding)
        else:
            file_findings[finding.file_id].append(finding)
    statuses: list[str] = []
    reasons: list[list[dict[str, Any]]] = []
    for key in keys:
        found = by_row.get(key, [])
        statuses.append(
            "quarantined" if any(f.severity == "ERROR" for f in found) else "warned" if found else "valid"
        )
        reasons.append([f.to_dict() for f in found])
    frame["status"] = statuses
    frame["reasons"] = reasons

    row_findings_by_file: dict[str, list[Finding]] = defaultdict(list)
    for (file_id, _, _), found in by_row.items():
        row_findings_by_file[file_id].extend(found)
    verdicts = []
    status_by_file = (
        frame.groupby("file_id")["status"].value_counts().unstack(fill_value=0) if len(frame) else None
    )
    for doc in documents:
        verdict = FileVerdict(
            doc["path"],
            doc["file_id"],
            doc["status"],
            rows_read=doc.get("rows_read", 0),
            rows_ignored=len(doc.get("ignored", [])),
            error=doc.get("error"),
        )
        if doc["status"] == "read" and status_by_file is not None and doc["file_id"] in status_by_file.index:
            counts = status_by_file.loc[doc["file_id"]]
            verdict.rows_valid = int(counts.get("valid", 0))
            verdict.rows_warned = int(counts.get("warned", 0))
            verdict.rows_quarantined = int(counts.get("quarantined", 0))
        verdict.file_findings = file_findings.get(doc["file_id"], [])
        verdict.conflicts = [_conflict(f) for f in row_findings_by_file.get(doc["file_id"], [])]
        verdict.conflicts += [_conflict(f) for f in verdict.file_findings]
        if doc["status"] == "rejected":
            verdict.conflicts.append(
                {
                    "sheet": None,
                    "row": None,
                    "column": None,
                    "value": None,
                    "severity": "ERROR",
                    "check": "rejected",
                    "reason": doc.get("error"),
                }
            )
        verdicts.append(verdict)
    for verdict in verdicts:
        verdict.file_id = verdict.file_id.split("#", 1)[0]
    frame["batch_file"] = frame["file_id"]
    frame["file_id"] = frame["file_id"].str.split("#", n=1).str[0]
    return BatchVerdict(verdicts, frame, findings, records)
