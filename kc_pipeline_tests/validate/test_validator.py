"""The whole validation of a batch, on real workbooks: verdicts, reasons and counts that add up."""

import re
from pathlib import Path

import pytest

from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.samples import generate_corpus
from kc_pipeline.validate.validator import BatchVerdict, validate_documents
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING, WORKSHOP, row, write


def validate(*paths: Path) -> BatchVerdict:
    verdict = validate_documents([read_workbook(p).to_dict() for p in paths])
    for f in verdict.files:
        assert f.adds_up, f
    return verdict


def reasons_by_row(verdict: BatchVerdict) -> dict[int, set[str]]:
    return {int(r["source_row"]): {x["check"] for x in r["reasons"]} for _, r in verdict.rows.iterrows()}


def test_each_kind_of_finding_lands_on_its_row(tmp_path: Path) -> None:
    rows = [
        row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000),  # 5: valid
        row(2, MACHINE, 300_000_000, 100_000_000, 100_000_000),  # 6: total != parts (rule, ERROR)
        row(3, MACHINE, 100_000_000, 100_000_000, 0),  # 7: machinery without counterpart (rule, ERROR)
        row(4, TRAINING, 50_000_000, 50_000_000, 0),  # 8: training without trainees (GX + rule, ERROR)
        row(5, WORKSHOP, 20_000_000, 20_000_000, 0),  # 9: workshop: no trainees needed, valid
        row(6, MACHINE, 300_000_000, "abc", 200_000_000),  # 10: unreadable amount (reader, ERROR)
        row(7, "", 300_000_000, 100_000_000, 200_000_000),  # 11: no title (GX not null, ERROR)
        row(8, MACHINE, 300_000_000, 100_000_000, 200_000_000, funding="Ngân hàng"),  # 12: unknown funding
        row(9, MACHINE, 200_000_500, 200, 200_000_300),  # 13: support under 1 triệu (WARN only)
        row(10, MACHINE, -5, -5, 0),  # 14: negative amounts (GX between, ERROR)
    ]
    verdict = validate(write(tmp_path / "2021" / "dai-tu" / "mixed.xlsx", rows))
    by_row = reasons_by_row(verdict)
    status = dict(zip(verdict.rows["source_row"].astype(int), verdict.rows["status"], strict=True))
    assert status[5] == "valid" and by_row[5] == set()
    assert "total_is_support_plus_counterpart" in by_row[6] and status[6] == "quarantined"
    assert "counterpart_for_machinery" in by_row[7] and status[7] == "quarantined"
    assert "trainees_for_training" in by_row[8] and status[8] == "quarantined"
    assert status[9] == "valid"
    assert "bad_amount" in by_row[10] and status[10] == "quarantined"
    assert any("title" in check for check in by_row[11]) and status[11] == "quarantined"
    assert status[12] == "quarantined"
    assert by_row[13] == {"support_at_least_one_million"} and status[13] == "warned"
    assert status[14] == "quarantined"
    [summary] = verdict.files
    assert (summary.rows_valid, summary.rows_warned, summary.rows_quarantined) == (2, 1, 7)
    assert summary.rows_read == 14 and summary.rows_ignored == 4


def test_one_amount_in_trieu_among_dong_is_warned_as_an_outlier(tmp_path: Path) -> None:
    rows = [
        row(i, MACHINE, 300_000_000 + i * 1_000_000, 100_000_000 + i * 1_000_000, 200_000_000)
        for i in range(1, 12)
    ]
    rows.append(row(12, MACHINE, 350, 150, 200))  # written in triệu đồng in a file in đồng
    verdict = validate(write(tmp_path / "2021" / "dai-tu" / "units.xlsx", rows))
    flagged = verdict.rows[verdict.rows["status"] != "valid"]
    assert flagged["source_row"].astype(int).tolist() == [16]
    checks = {r["check"] for r in flagged.iloc[0]["reasons"]}
    assert {"outlier_support_vnd", "support_at_least_one_million"} <= checks
    assert flagged.iloc[0]["status"] == "warned"  # loaded, with warnings: a big project can be real


def test_duplicate_project_codes_in_one_file_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "2021" / "dai-tu" / "codes.xlsx"
    import openpyxl

    path.parent.mkdir(parents=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UBND HUYỆN ĐẠI TỪ"])
    ws.append(
        [
            "STT",
            "Mã đề án",
            "Tên đề án",
            "Đơn vị thụ hưởng",
            "Nguồn kinh phí",
            "Tổng kinh phí (đồng)",
            "Kinh phí khuyến công hỗ trợ (đồng)",
            "Kinh phí đối ứng (đồng)",
        ]
    )
    ws.append([1, "DT-01", MACHINE, "Cơ sở A", "KCĐP", 300_000_000, 100_000_000, 200_000_000])
    ws.append([2, "DT-01", MACHINE + " B", "Cơ sở B", "KCĐP", 300_000_000, 100_000_000, 200_000_000])
    ws.append([3, "DT-02", MACHINE + " C", "Cơ sở C", "KCĐP", 300_000_000, 100_000_000, 200_000_000])
    wb.save(path)
    verdict = validate(path)
    assert verdict.rows["status"].tolist() == ["quarantined", "quarantined", "valid"]


def test_a_file_without_unit_or_year_quarantines_every_row(tmp_path: Path) -> None:
    path = write(
        tmp_path / "nowhere.xlsx", [row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000)], title="DANH SÁCH"
    )
    verdict = validate(path)
    assert verdict.rows["status"].tolist() == ["quarantined"]
    assert {r["check"] for r in verdict.rows.iloc[0]["reasons"]} >= {"unit_unknown"}


def test_a_rejected_file_is_counted_and_explained(tmp_path: Path) -> None:
    bad = tmp_path / "2021" / "dai-tu" / "old.xlsx"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"")
    verdict = validate(bad)
    [summary] = verdict.files
    assert summary.status == "rejected" and summary.rows_read == 0
    assert summary.conflicts[-1]["reason"].startswith("empty_file")


@pytest.fixture(scope="module")
def sample_documents(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    files = generate_corpus(tmp_path_factory.mktemp("corpus"))
    return [read_workbook(f.path).to_dict() for f in files]


def test_the_sample_corpus_validates_clean_and_adds_up(sample_documents: list[dict]) -> None:
    verdict = validate_documents(sample_documents)
    assert all(f.adds_up for f in verdict.files)
    totals = verdict.totals()
    assert totals["rows_quarantined"] == 0, [c for f in verdict.files for c in f.conflicts][:5]
    assert totals["rows_valid"] + totals["rows_warned"] == sum(len(d["rows"]) for d in sample_documents)
    assert all(not f.file_findings for f in verdict.files), [
        f.file_findings for f in verdict.files if f.file_findings
    ][:3]


def test_the_same_bytes_at_two_paths_are_two_files(tmp_path: Path) -> None:
    first = write(
        tmp_path / "2021" / "dai-tu" / "a.xlsx", [row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000)]
    )
    second = tmp_path / "2021" / "vo-nhai" / "a.xlsx"
    second.parent.mkdir(parents=True)
    second.write_bytes(first.read_bytes())
    verdict = validate(first, second)
    assert [f.file_id for f in verdict.files] == [verdict.files[0].file_id] * 2
    assert [f.rows_valid for f in verdict.files] == [1, 1]
    assert verdict.rows["unit_code"].tolist() == ["171", "170"]


def test_a_project_in_two_files_of_one_unit_year_is_quarantined_in_both(tmp_path: Path) -> None:
    folder = tmp_path / "2021" / "dai-tu"
    shared = row(1, MACHINE + " chung", 150_000_000, 100_000_000, 50_000_000)
    one = write(
        folder / "kcdp.xlsx", [shared, row(2, MACHINE + " riêng 1", 120_000_000, 80_000_000, 40_000_000)]
    )
    two = write(
        folder / "kcqg.xlsx", [row(1, MACHINE + " riêng 2", 90_000_000, 60_000_000, 30_000_000), shared]
    )
    copy = folder / "kcdp (1).xlsx"  # the same bytes dropped twice: one file, no conflict with itself
    copy.write_bytes(one.read_bytes())
    verdict = validate_documents([read_workbook(p).to_dict() for p in (one, two, copy)])
    named = {
        Path(f.path).name: sorted(
            re.findall(r"(k[^;(]*?\.xlsx|kcdp \(1\)\.xlsx)", c["reason"])
            for c in f.conflicts
            if c["check"] == "project_key_conflict"
        )
        for f in verdict.files
    }
    assert named == {
        "kcdp.xlsx": [["kcqg.xlsx"]],
        "kcqg.xlsx": [["kcdp.xlsx", "kcdp (1).xlsx"]],
        "kcdp (1).xlsx": [["kcqg.xlsx"]],
    }
    assert [f.rows_quarantined for f in verdict.files] == [1, 1, 1]


def test_reasons_a_clerk_reads_are_in_vietnamese(tmp_path: Path) -> None:
    path = write(
        tmp_path / "2021" / "dai-tu" / "a.xlsx",
        [row(1, "", 150_000_000, 100_000_000, 50_000_000), row(2, MACHINE, 9e13, 100_000_000, 50_000_000)],
    )
    verdict = validate_documents([read_workbook(path).to_dict()])
    reasons = {c["check"]: c["reason"] for c in verdict.files[0].conflicts}
    assert (
        reasons["title_not_null"]
        == "Tên đề án (trống): mỗi đề án phải có Tên đề án (ở cột, hoặc ở dòng mục phía trên đề án)."
    )
    assert reasons["amounts_within_bounds_total_vnd"].startswith(
        "Tổng kinh phí = 90.000.000.000.000: Tổng kinh phí phải từ 0 đến 50.000.000.000 đồng"
    )
