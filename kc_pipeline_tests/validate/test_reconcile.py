"""Files reconciled with their own total rows, on real workbooks."""

from pathlib import Path

from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.validate.reconcile import reconcile
from kc_pipeline_tests.validate.workbooks import MACHINE, row, write


def test_a_total_row_that_agrees_gives_no_finding(tmp_path: Path) -> None:
    rows = [
        row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000),
        row(2, MACHINE, 50_000_000, 20_000_000, 30_000_000),
    ]
    path = write(
        tmp_path / "2021" / "dai-tu" / "ok.xlsx",
        rows,
        total_row=["", "Tổng cộng", "", "", 350_000_000, 120_000_000, 230_000_000],
    )
    assert reconcile(read_workbook(path).to_dict()) == []


def test_a_total_row_that_disagrees_is_a_file_finding_with_both_numbers(tmp_path: Path) -> None:
    rows = [
        row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000),
        row(2, MACHINE, 50_000_000, 20_000_000, 30_000_000),
    ]
    path = write(
        tmp_path / "2021" / "dai-tu" / "bad.xlsx",
        rows,
        total_row=["", "Tổng cộng", "", "", 350_000_000, 125_000_000, 230_000_000],
    )
    findings = reconcile(read_workbook(path).to_dict())
    assert [f.check for f in findings] == ["reconcile_support_vnd"]
    [finding] = findings
    assert finding.severity == "WARN" and finding.source_row is None
    assert finding.value == {"stated": 125_000_000, "rows": 120_000_000, "row": 7}
    assert "125,000,000" in finding.message and "120,000,000" in finding.message


def test_section_subtotals_reconcile_per_funding_source(tmp_path: Path) -> None:
    rows = [
        ["I", "KHUYẾN CÔNG QUỐC GIA"],
        row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000, funding=""),
        ["", "Cộng I", "", "", 300_000_000, 100_000_000, 200_000_000],
        ["II", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],
        row(1, MACHINE, 60_000_000, 20_000_000, 40_000_000, funding=""),
        row(2, MACHINE, 60_000_000, 20_000_000, 40_000_000, funding=""),
        ["", "Cộng II", "", "", 60_000_000, 20_000_000, 40_000_000],  # one row left out of the sum
    ]
    path = write(tmp_path / "2021" / "dai-tu" / "sections.xlsx", rows)
    doc = read_workbook(path).to_dict()
    assert [r["funding_source"] for r in doc["rows"]] == ["KCQG", "KCDP", "KCDP"]
    findings = reconcile(doc)
    assert {f.check for f in findings} == {
        "reconcile_total_vnd",
        "reconcile_support_vnd",
        "reconcile_counterpart_vnd",
    }
    assert all(f.value["row"] == 11 for f in findings)
    assert {f.value["rows"] for f in findings} == {120_000_000, 40_000_000, 80_000_000}
