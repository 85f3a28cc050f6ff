"""The drop folder's scan: what a run takes, and every workbook it does not take, with the reason."""

from pathlib import Path

from kc_pipeline.ingest import dropfolder
from kc_pipeline.ingest.dropfolder import NotTaken
from kc_pipeline.reference import load_reference
from kc_pipeline_tests.defs.test_raw import write_district_file


def _workbook(path: Path) -> Path:
    write_district_file(path, "UBND HUYỆN ĐẠI TỪ", 2025, 1)
    return path


def test_every_workbook_the_scan_does_not_take_is_named_with_its_reason(tmp_path: Path) -> None:
    root = tmp_path / "incoming"
    _workbook(root / "2025" / "dai-tu" / "good.xlsx")
    _workbook(root / "2025" / "bac-kan" / "bk.xlsx")  # a folder that is no unit
    _workbook(root / "2025" / "bac-kan" / "deeper" / "bk2.xlsx")
    _workbook(root / "2025" / "loose.xlsx")  # directly in the year folder
    _workbook(root / "loose_root.xlsx")  # directly in the drop folder
    _workbook(root / "nam 2025" / "dai-tu" / "x.xlsx")  # a year folder that is no year
    _workbook(root / "2025" / "dai-tu" / "cu" / "old.xlsx")  # a subfolder of a unit folder
    # Not submissions anywhere: lock and temporary files, hidden folders, other kinds of file.
    (root / "2025" / "bac-kan" / "~$bk.xlsx").write_bytes(b"lock")
    (root / "2025" / "bac-kan" / "ghi_chu.txt").write_text("notes", encoding="utf-8")
    (root / "2025" / "~$loose.xlsx").write_bytes(b"lock")
    (root / ".trash" / "2025").mkdir(parents=True)
    _workbook(root / ".trash" / "2025" / "gone.xlsx")

    refused: list[NotTaken] = []
    files = dropfolder.scan(root, load_reference(), refused=refused)

    assert [f.relative for f in files] == ["2025/dai-tu/good.xlsx"]
    assert [(n.relative, n.code) for n in refused] == [
        ("2025/bac-kan/bk.xlsx", "unknown_unit_folder"),
        ("2025/bac-kan/deeper/bk2.xlsx", "unknown_unit_folder"),
        ("2025/dai-tu/cu/old.xlsx", "in_unit_subfolder"),
        ("2025/loose.xlsx", "not_in_unit_folder"),
        ("loose_root.xlsx", "not_in_year_folder"),
        ("nam 2025/dai-tu/x.xlsx", "not_a_year_folder"),
    ]
    reasons = {n.relative: n.reason for n in refused}
    assert reasons["2025/bac-kan/bk.xlsx"].startswith("unknown unit folder 'bac-kan'")
    assert (
        reasons["2025/loose.xlsx"].startswith("not in a unit folder")
        and "2025/<unit>/" in reasons["2025/loose.xlsx"]
    )
    assert reasons["nam 2025/dai-tu/x.xlsx"].startswith("year folder 'nam 2025' is not a year")
    assert reasons["loose_root.xlsx"].startswith("not in a year folder")
    assert "2025/dai-tu/" in reasons["2025/dai-tu/cu/old.xlsx"]
    # Without a list to fill, the scan takes the same files.
    assert dropfolder.scan(root, load_reference()) == files


def test_a_unit_folder_named_in_other_words_says_which_folder_name_to_use(tmp_path: Path) -> None:
    root = tmp_path / "incoming"
    _workbook(root / "2025" / "Huyện Đại Từ" / "a.xlsx")
    refused: list[NotTaken] = []
    assert dropfolder.scan(root, load_reference(), refused=refused) == []
    [item] = refused
    assert item.code == "unknown_unit_folder" and "(did you mean dai-tu?)" in item.reason


def test_a_symlink_out_of_the_drop_folder_is_not_taken(tmp_path: Path) -> None:
    root = tmp_path / "incoming"
    outside = _workbook(tmp_path / "secret.xlsx")
    (root / "2025" / "dai-tu").mkdir(parents=True)
    (root / "2025" / "dai-tu" / "link.xlsx").symlink_to(outside)
    refused: list[NotTaken] = []
    assert dropfolder.scan(root, load_reference(), refused=refused) == []
    assert refused == [
        NotTaken("2025/dai-tu/link.xlsx", "outside_drop_folder", "resolves outside the drop folder")
    ]
