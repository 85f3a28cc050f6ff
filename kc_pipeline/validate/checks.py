"""Turn the validator (GX suite, rules, reconciliation, P1) into named checks with results.

Pure code: a list of :class:`CheckDefinition` (name, severity, blocking, description) derived from
the reference data and the rules file, and a function that evaluates them all on a
:class:`BatchVerdict`. The Dagster layer turns these into asset checks one-to-one, so a rule added
by staff in ``validation_rules.csv`` appears in the UI as a check of its own.

Semantics: a check of a rule or expectation passes when no row breaks it, and carries the rule's
severity; it does not block, because the rows that break an ERROR rule are quarantined and the
rest of the batch must still load. Two invariants do block, since a failure means something would
be lost or a bad row would reach the warehouse: ``rows_add_up`` (P1) and ``error_rows_quarantined``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kc_pipeline.reference import Reference
from kc_pipeline.validate import gx_suite
from kc_pipeline.validate.rules import Rule
from kc_pipeline.validate.validator import BatchVerdict

ROWS_ADD_UP = "rows_add_up"
ERROR_ROWS_QUARANTINED = "error_rows_quarantined"
RECONCILES_WITH_FILE_TOTALS = "reconciles_with_file_totals"
FILES_READABLE = "files_readable"
OUTLIERS = "outlier_support_vnd"
READER_CELLS = "cells_readable"
LOADABLE = ("valid", "warned")


@dataclass(frozen=True, slots=True)
class CheckDefinition:
    name: str
    severity: str  # "ERROR" or "WARN"
    blocking: bool
    description: str
    finding_checks: frozenset[str] = frozenset()  # finding.check values this check is about


@dataclass
class CheckOutcome:
    name: str
    passed: bool
    severity: str
    rows_failing: int
    rows_quarantined: int
    examples: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""


def check_definitions(reference: Reference, rules: tuple[Rule, ...]) -> list[CheckDefinition]:
    out = [
        CheckDefinition(
            ROWS_ADD_UP,
            "ERROR",
            True,
            "Promise P1: per file, rows read = valid + warned + quarantined + ignored.",
        ),
        CheckDefinition(
            ERROR_ROWS_QUARANTINED,
            "ERROR",
            True,
            "No row with an ERROR finding is marked for loading: every one is quarantined.",
        ),
        CheckDefinition(
            FILES_READABLE, "WARN", False, "Every file in the partitions could be read as a workbook."
        ),
        CheckDefinition(
            READER_CELLS,
            "ERROR",
            False,
            "Cells the reader could not interpret (amounts, counts, funding source, unit, year) "
            "keep their rows out of the warehouse.",
            frozenset({"bad_amount", "bad_count", "unknown_funding_source", "unit_unknown", "year_unknown"}),
        ),
        CheckDefinition(
            RECONCILES_WITH_FILE_TOTALS,
            "WARN",
            False,
            "The project rows add up to the file's own subtotal and total rows.",
        ),
        CheckDefinition(
            OUTLIERS,
            "WARN",
            False,
            "Support amounts are not far from what the same activity usually costs (robust z-score).",
        ),
    ]
    for spec in gx_suite.build_expectations(reference):
        out.append(
            CheckDefinition(
                f"gx_{spec.check_name}",
                spec.severity,
                False,
                f"Great Expectations: {spec.description}",
                frozenset({spec.check_name}),
            )
        )
    for rule in rules:
        out.append(
            CheckDefinition(
                f"rule_{rule.rule_id}",
                rule.severity,
                False,
                f"{rule.description} ({rule.expression})",
                frozenset({rule.rule_id}),
            )
        )
    return out


def _example(row: Any, finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "file": str(row["file_id"])[:12],
        "sheet": row["source_sheet"],
        "row": int(row["source_row"]),
        "column": finding.get("column") or "",
        "value": "" if finding.get("value") is None else str(finding.get("value"))[:60],
        "status": row["status"],
        "reason": str(finding.get("message", ""))[:160],
    }


def evaluate_checks(
    definitions: list[CheckDefinition], verdict: BatchVerdict, limit: int = 20
) -> list[CheckOutcome]:
    """One outcome per definition, with up to ``limit`` failing rows as examples."""
    failing: dict[str, list[tuple[Any, dict[str, Any]]]] = defaultdict(list)
    by_finding = {check: d.name for d in definitions for check in d.finding_checks}
    for _, row in verdict.rows[verdict.rows["reasons"].map(bool)].iterrows() if len(verdict.rows) else []:
        for finding in row["reasons"]:
            name = by_finding.get(finding["check"])
            if name is not None:
                failing[name].append((row, finding))
    outcomes: list[CheckOutcome] = []
    for d in definitions:
        if d.name == ROWS_ADD_UP:
            broken = [f for f in verdict.files if not f.adds_up]
            outcomes.append(
                CheckOutcome(
                    d.name,
                    not broken,
                    d.severity,
                    len(broken),
                    0,
                    [{"file": f.path, "reason": "counts do not add up"} for f in broken[:limit]],
                    d.description,
                )
            )
            continue
        if d.name == ERROR_ROWS_QUARANTINED:
            slipped = [
                (r, f)
                for r, f in _all_findings(verdict)
                if f["severity"] == "ERROR" and r["status"] in LOADABLE
            ]
            outcomes.append(
                CheckOutcome(
                    d.name,
                    not slipped,
                    d.severity,
                    len(slipped),
                    0,
                    [_example(r, f) for r, f in slipped[:limit]],
                    d.description,
                )
            )
            continue
        if d.name == FILES_READABLE:
            rejected = [f for f in verdict.files if f.status == "rejected"]
            outcomes.append(
                CheckOutcome(
                    d.name,
                    not rejected,
                    d.severity,
                    len(rejected),
                    0,
                    [{"file": f.path, "reason": f.error or ""} for f in rejected[:limit]],
                    d.description,
                )
            )
            continue
        if d.name == RECONCILES_WITH_FILE_TOTALS:
            found = [
                (f, x) for f in verdict.files for x in f.file_findings if x.check.startswith("reconcile_")
            ]
            outcomes.append(
                CheckOutcome(
                    d.name,
                    not found,
                    d.severity,
                    len(found),
                    0,
                    [{"file": f.path, "reason": x.message} for f, x in found[:limit]],
                    d.description,
                )
            )
            continue
        rows = failing.get(d.name, [])
        if d.name == OUTLIERS:
            rows = [(r, f) for r, f in _all_findings(verdict) if f["check"] == OUTLIERS]
        unique_rows = {(str(r["file_id"]), r["source_sheet"], int(r["source_row"])): r for r, _ in rows}
        quarantined = sum(1 for r in unique_rows.values() if r["status"] == "quarantined")
        outcomes.append(
            CheckOutcome(
                d.name,
                not unique_rows,
                d.severity,
                len(unique_rows),
                quarantined,
                [_example(r, f) for r, f in rows[:limit]],
                d.description,
            )
        )
    return outcomes


def _all_findings(verdict: BatchVerdict) -> list[tuple[Any, dict[str, Any]]]:
    if not len(verdict.rows):
        return []
    return [
        (row, f)
        for _, row in verdict.rows[verdict.rows["reasons"].map(bool)].iterrows()
        for f in row["reasons"]
    ]
