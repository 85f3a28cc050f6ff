"""Reading a test workbook with the reader's promises checked on every result."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kc_pipeline.ingest.model import ReadResult
from kc_pipeline.ingest.reader import read_workbook


def assert_rows_accounted(result: ReadResult) -> None:
    """Every row 1..rows_read of every read sheet is exactly one project row or one ignored row."""
    assert result.rows_read == len(result.rows) + len(result.ignored)
    seen = Counter((r.source_sheet, r.source_row) for r in [*result.rows, *result.ignored])
    expected = Counter((s.name, n) for s in result.sheets for n in range(1, s.rows_read + 1))
    assert seen == expected, {
        "missing": sorted(expected - seen),
        "twice or unknown": sorted(seen - expected),
    }


# Every result read through :func:`read` in this session; conftest validates them all in one batch
# at the end and checks that each file adds up (rows read = valid + warned + quarantined + ignored).
READ_DOCUMENTS: list[dict] = []


def read(path: Path, **kwargs: object) -> ReadResult:
    """``read_workbook`` plus the row-accounting promise, which must hold for every file."""
    result = read_workbook(path, **kwargs)  # type: ignore[arg-type]
    assert_rows_accounted(result)
    if "reference" not in kwargs:
        READ_DOCUMENTS.append(result.to_dict())
    if result.status == "rejected":
        assert result.rows == [] and result.error
        assert any(i.severity == "ERROR" for i in result.issues)
    return result


def codes(result: ReadResult, severity: str | None = None) -> list[str]:
    """Issue codes of a result, optionally of one severity, in order."""
    return [i.code for i in result.issues if severity is None or i.severity == severity]


def issue(result: ReadResult, code: str):
    """The single issue with ``code``."""
    found = [i for i in result.issues if i.code == code]
    assert len(found) == 1, (code, [i.to_dict() for i in result.issues])
    return found[0]


def ignored_rules(result: ReadResult, sheet: str | None = None) -> dict[int, str]:
    """Row number -> rule of the ignored rows (of one sheet when given)."""
    return {i.source_row: i.rule for i in result.ignored if sheet is None or i.source_sheet == sheet}
