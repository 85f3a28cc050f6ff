"""The report from a small warehouse: both files, reopened; and a failure midway leaves no half report."""

import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine

from kc_pipeline.report import writer
from kc_pipeline.report.writer import write_report
from kc_pipeline_tests.report.test_narrative import load, report
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING
from kc_pipeline_tests.warehouse.batches import project

# "_x000B_" is how a workbook stores a vertical tab; the reader gets a real control character from it.
HOSTILE = [
    '=HYPERLINK("http://x","máy sao chè")',
    "+84912345678 máy sao chè",
    "@SUM(A1) máy sao chè",
    "a_x000B_b máy sao chè",
]


def build(engine: Engine, tmp_path: Path) -> None:
    load(
        engine,
        tmp_path,
        2021,
        [project(1, MACHINE + " 1", 100_000_000), project(2, TRAINING + " 2", 40_000_000, trainees=30)],
    )
    load(
        engine,
        tmp_path,
        2022,
        [project(i, f"{MACHINE} {i}", 90_000_000 + i) for i in range(1, 4)]
        + [project(9, title, 10_000_000, beneficiary=f"Cơ sở {k}") for k, title in enumerate(HOSTILE)],
    )


def test_workbook_and_narrative_from_the_warehouse(warehouse_engine: Engine, tmp_path: Path) -> None:
    build(warehouse_engine, tmp_path)
    data = report(warehouse_engine, 2021, 2022)
    files = write_report(data, tmp_path / "reports")
    assert files.workbook.name == "bao_cao_khuyen_cong_2021-2022.xlsx"
    assert files.narrative.read_text(encoding="utf-8") == files.text
    assert files.workbook.stat().st_mode & 0o044  # readable by others, like a normal file
    book = openpyxl.load_workbook(files.workbook)
    assert book.sheetnames[0] == "Tổng hợp" and "Danh sách đề án" in book.sheetnames
    charts = {ws.title: len(ws._charts) for ws in book.worksheets}
    assert charts["Theo năm"] >= 1 and charts["KC địa phương"] >= 1  # funding by year, projects by programme
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
    listing = book["Danh sách đề án"]
    texts = {c.value for row in listing.iter_rows() for c in row if isinstance(c.value, str)}
    expected = {
        '=HYPERLINK("http://x","máy sao chè")',
        "+84912345678 máy sao chè",
        "@SUM(A1) máy sao chè",
        "a b máy sao chè",
    }
    assert expected <= texts
    # The narrative's totals are the aggregates'.
    total = int(data.summary["projects"].sum())
    assert total == 9
    assert f"thực hiện {total:02d} đề án" in files.text
    years = dict(re.findall(r"năm (\d{4}): (\d+) đề án", files.text))
    assert years == {"2021": "02", "2022": "07"}


def test_a_failure_midway_leaves_the_previous_report_whole(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(warehouse_engine, tmp_path)
    data = report(warehouse_engine, 2021, 2022)
    out = tmp_path / "reports"
    first = write_report(data, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(data: object, path: Path) -> None:
        path.write_bytes(b"PK half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_workbook", broken)
    with pytest.raises(OSError):
        write_report(data, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary left, nothing replaced
    assert openpyxl.load_workbook(first.workbook).sheetnames
