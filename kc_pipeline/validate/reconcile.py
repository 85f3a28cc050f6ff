"""Reconcile a file with its own subtotal and total rows (money, trainees, per section).

District files carry their own sums ("Cộng I", "Tổng cộng", amounts on section rows). When the
rows read do not add up to them, a row was lost, doubled or mistyped: the file gets a finding
with both numbers, never a silent pass.
"""

from __future__ import annotations

from typing import Any

from kc_pipeline.validate.findings import Finding

MEASURES = ("total_vnd", "support_vnd", "counterpart_vnd", "trainees")
SCOPE = ("funding_source", "programme_code", "activity_code")


def _covered(
    total: dict[str, Any], rows: list[dict[str, Any]], totals: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    sheet = total["source_sheet"]
    if total["kind"] == "section":
        later = [
            t["source_row"]
            for t in totals
            if t["source_sheet"] == sheet
            and t["source_row"] > total["source_row"]
            and t["kind"] in ("total",)
        ]
        low, high = total["source_row"] + 1, min(later, default=10**9)
    else:
        low, high = total.get("first_row") or 1, total["source_row"]
    out = []
    for row in rows:
        if row["source_sheet"] != sheet or not low <= row["source_row"] < high:
            continue
        if any(total.get(k) is not None and row.get(k) != total.get(k) for k in SCOPE):
            continue
        out.append(row)
    return out


def reconcile(document: dict[str, Any]) -> list[Finding]:
    """File-level findings for every stated sum that the file's own rows do not reach."""
    rows = document.get("rows", [])
    totals = document.get("totals", [])
    findings: list[Finding] = []
    for total in totals:
        covered = _covered(total, rows, totals)
        for measure in MEASURES:
            stated = total.get(measure)
            if stated is None:
                continue
            values = [r.get(measure) for r in covered]
            actual = sum(v for v in values if v is not None)
            if actual == stated:
                continue
            unit = "đồng" if measure.endswith("_vnd") else "người"
            findings.append(
                Finding(
                    check=f"reconcile_{measure}",
                    severity="WARN",
                    message=(
                        f"'{total['label']}' (row {total['source_row']}) says {measure} = {stated:,} {unit}; "
                        f"the {len(covered)} project rows it covers add up to {actual:,} {unit} "
                        f"(difference {stated - actual:+,})"
                    ),
                    file_id=document["file_id"],
                    source_sheet=total["source_sheet"],
                    source_row=None,
                    column=measure,
                    value={"stated": stated, "rows": actual, "row": total["source_row"]},
                )
            )
    return findings
