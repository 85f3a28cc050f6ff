"""Small summaries of reader documents for terminals and the Dagster UI (no Dagster here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PREVIEW_COLUMNS = (
    "source_row",
    "funding_source",
    "activity_code",
    "title",
    "beneficiary",
    "support_vnd",
    "counterpart_vnd",
    "trainees",
)


def file_line(doc: dict[str, Any]) -> dict[str, Any]:
    """One row per file: what an import summary shows first."""
    counts = {"ERROR": 0, "WARN": 0, "INFO": 0}
    for issue in doc.get("issues", []):
        counts[issue["severity"]] += 1
    return {
        "path": doc["path"],
        "file_id": doc["file_id"][:12],
        "status": doc["status"],
        "unit_code": doc.get("unit_code"),
        "year": doc.get("year"),
        "rows_read": doc.get("rows_read", 0),
        "projects": len(doc.get("rows", [])),
        "ignored": len(doc.get("ignored", [])),
        "errors": counts["ERROR"],
        "warnings": counts["WARN"],
        "error": doc.get("error"),
    }


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:,}"  # amounts; years and counts stay as written
    return str(value).replace("|", "/").replace("\n", " ")[:60]


def markdown_table(rows: Iterable[dict[str, Any]], columns: Iterable[str], limit: int = 20) -> str:
    columns = list(columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for i, row in enumerate(rows):
        if i >= limit:
            lines.append(f"| … | {' | '.join('' for _ in columns[1:])} |")
            break
        lines.append("| " + " | ".join(_cell(row.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def issues_markdown(docs: Iterable[dict[str, Any]], limit: int = 50) -> str:
    rows = [
        {"file": d["path"].rsplit("/", 1)[-1], **issue}
        for d in docs
        for issue in d.get("issues", [])
        if issue["severity"] != "INFO"
    ]
    if not rows:
        return "No errors or warnings."
    return markdown_table(rows, ("file", "severity", "code", "source_sheet", "source_row", "message"), limit)
