"""Unit-year batches for load tests, made the way the pipeline makes them: write, read, validate."""

from pathlib import Path
from typing import Any

from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.validate.validator import validate_documents
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING, row, write

Batch = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def project(
    seq: int,
    title: str,
    support: int,
    *,
    beneficiary: str | None = None,
    trainees: int | None = None,
    funding: str = "KCĐP",
) -> list[Any]:
    counterpart = 0 if trainees else support
    return row(
        seq,
        title,
        support + counterpart,
        support,
        counterpart,
        trainees,
        funding,
        beneficiary or f"Cơ sở {title[-12:]}",
    )


def batch(*paths: Path) -> Batch:
    """Files and rows of one unit-year, as ``load_unit_year`` takes them."""
    verdict = validate_documents([read_workbook(p).to_dict() for p in paths])
    rows = [r for rs in verdict.rows_by_path().values() for r in rs]
    return [f.to_dict() for f in verdict.files], rows


def district_file(path: Path, projects: list[list[Any]], title: str = "UBND HUYỆN ĐẠI TỪ") -> Path:
    return write(path, projects, title=title)


A = project(1, MACHINE + " A", 100_000_000)
B = project(2, MACHINE + " B", 120_000_000)
C = project(3, TRAINING + " C", 50_000_000, trainees=30)
D = project(4, MACHINE + " D", 90_000_000)
