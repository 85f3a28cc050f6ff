"""Header detection and column mapping, on grids read from real workbooks."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import pytest

from kc_pipeline.ingest.cells import read_grids
from kc_pipeline.ingest.header import Header, column_letter, find_header, match_heading
from kc_pipeline.reference import Reference, load_reference
from kc_pipeline_tests.builders import HEADER, TITLES, project, write_table
from kc_pipeline_tests.checks import codes, issue, read


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def header_of(path: Path, ref: Reference) -> Header:
    grid = read_grids(path.read_bytes())[0]
    header = find_header(grid.rows, grid.merges, ref)
    assert header is not None
    return header


def mapped(header: Header) -> dict[str, str]:
    return {column_letter(c): f for c, f in sorted(header.fields.items())}


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 7, 25, 26, 27, 701, 702)] == [
        "A",
        "H",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_header_under_title_rows(tmp_path: Path, ref: Reference) -> None:
    titles = [*TITLES, "", "Đơn vị tính: triệu đồng"]
    path = write_table(
        tmp_path / "x.xlsx", rows=[project(1, "Đào tạo nghề")], titles=titles, merge_titles=True
    )
    header = header_of(path, ref)
    assert header.rows == [5]  # 0-based: the sixth row, under three titles, a blank and a unit line
    assert mapped(header) == {
        "A": "seq",
        "B": "title",
        "C": "beneficiary",
        "D": "commune",
        "E": "total_vnd",
        "F": "support_vnd",
        "G": "counterpart_vnd",
        "H": "note",
    }
    assert header.money_scale == {4: 1_000_000, 5: 1_000_000, 6: 1_000_000}


def test_two_row_header_with_merged_group(tmp_path: Path, ref: Reference) -> None:
    top = ["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí (triệu đồng)", None, None, "Thời gian thực hiện"]
    sub = [None, None, None, "Tổng số", "KC hỗ trợ", "Đối ứng", None]
    path = write_table(
        tmp_path / "x.xlsx",
        [top, sub],
        [[1, "Đào tạo nghề", "HTX Bình Minh", 150, 100, 50, "03/2021"]],
        titles=TITLES,
        merges=["D4:F4", "A4:A5", "B4:B5", "C4:C5", "G4:G5"],
    )
    header = header_of(path, ref)
    assert header.rows == [3, 4]
    assert mapped(header) == {
        "A": "seq",
        "B": "title",
        "C": "beneficiary",
        "D": "total_vnd",
        "E": "support_vnd",
        "F": "counterpart_vnd",
        "G": "period",
    }
    # The unit is named once, in the merged group cell; all three amounts take it.
    assert header.money_scale == {3: 1_000_000, 4: 1_000_000, 5: 1_000_000}
    assert header.unknown == {}


def test_two_row_header_reads_its_data(tmp_path: Path) -> None:
    top = ["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí (triệu đồng)", None, None]
    sub = [None, None, None, "Tổng số", "KC hỗ trợ", "Đối ứng"]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [top, sub],
        [[1, "Đào tạo nghề", "HTX Bình Minh", 150, 100, 50]],
        merges=["D1:F1", "A1:A2", "B1:B2", "C1:C2"],
    )
    result = read(path)
    assert result.sheets[0].header_rows == [1, 2]
    (row,) = result.rows
    assert (row.total_vnd, row.support_vnd, row.counterpart_vnd) == (150_000_000, 100_000_000, 50_000_000)
    assert row.source_row == 3


@pytest.mark.parametrize(
    "heading",
    [
        "Tên đề án",
        "TÊN ĐỀ ÁN",
        nfd("Tên đề án"),
        nfd("TÊN ĐỀ ÁN"),
        "Tên  đề án:",
        "Tên\nđề án",
        " tên đề án ",
        "Ten de an",
        "- Tên đề án -",
        "Tên đề án (ghi rõ nội dung hỗ trợ)",
        "Tên đề án, dự án",
        "Nội dung đề án",
    ],
)
def test_heading_spellings_map_to_the_same_field(heading: str, tmp_path: Path, ref: Reference) -> None:
    assert match_heading(heading, ref) == "title"
    path = write_table(tmp_path / "x.xlsx", [["STT", heading, "Tổng kinh phí"]], [[1, "Đào tạo nghề", 100]])
    assert mapped(header_of(path, ref)) == {"A": "seq", "B": "title", "C": "total_vnd"}


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Tổng kinh phí thực hiện năm 2021 (đồng)", "total_vnd"),
        ("Kinh phí KC hỗ trợ (triệu đồng)", "support_vnd"),
        ("Kinh phí đối ứng của cơ sở", "counterpart_vnd"),
        ("Đơn vị (cơ sở) thụ hưởng", "beneficiary"),
        ("Địa điểm / Xã", "commune"),
        ("Nguồn vốn", "funding_source"),
        ("Nhóm nội dung", "programme"),
        ("Số lao động / học viên", "trainees"),
        ("Thời gian thực hiện (từ - đến)", "period"),
        ("Ghi chú:", "note"),
        ("Mã đề án", "project_code"),
        ("Số TT", "seq"),
    ],
)
def test_headings_with_trailing_text(heading: str, field: str, ref: Reference) -> None:
    assert match_heading(heading, ref) == field


@pytest.mark.parametrize("heading", ["Tên", "Kinh phí", "Số lượng", "Cột lạ XYZ", ""])
def test_headings_that_name_nothing(heading: str, ref: Reference) -> None:
    assert match_heading(heading, ref) is None


def test_reordered_columns(tmp_path: Path) -> None:
    header = ["Ghi chú", "Kinh phí đối ứng", "Tên đề án", "Tổng kinh phí", "Số TT", "Đơn vị thụ hưởng"]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [header],
        [["ghi chú 1", 50_000_000, "Đào tạo nghề mây tre đan", 150_000_000, 1, "HTX Bình Minh"]],
    )
    result = read(path)
    assert result.sheets[0].columns == {
        "A": "note",
        "B": "counterpart_vnd",
        "C": "title",
        "D": "total_vnd",
        "E": "seq",
        "F": "beneficiary",
    }
    (row,) = result.rows
    assert (row.title, row.beneficiary, row.note) == (
        "Đào tạo nghề mây tre đan",
        "HTX Bình Minh",
        "ghi chú 1",
    )
    assert (row.total_vnd, row.counterpart_vnd) == (150_000_000, 50_000_000)


def test_unknown_column_is_info_not_fatal(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Cột lạ XYZ", "Tổng kinh phí (đồng)", "Số điện thoại"]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [header],
        [[1, "Đào tạo nghề", "giá trị lạ", 100_000_000, "0208 3824 567"]],
    )
    result = read(path)
    assert result.status == "read"
    assert result.sheets[0].unknown_columns == {"C": "Cột lạ XYZ", "E": "Số điện thoại"}
    found = [i for i in result.issues if i.code == "unknown_column"]
    assert [(i.severity, i.column, i.value) for i in found] == [
        ("INFO", "C", "Cột lạ XYZ"),
        ("INFO", "E", "Số điện thoại"),
    ]
    (row,) = result.rows
    assert row.total_vnd == 100_000_000
    assert row.raw["Cột lạ XYZ"] == "giá trị lạ"  # kept, not lost


def test_a_heading_twice_keeps_the_first(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [["STT", "Tên đề án", "Nội dung đề án", "Tổng kinh phí (đồng)"]],
        [[1, "Đào tạo nghề", "Mở lớp đào tạo", 100_000_000]],
    )
    result = read(path)
    assert result.sheets[0].columns == {"A": "seq", "B": "title", "D": "total_vnd"}
    assert issue(result, "duplicate_column").column == "C"
    assert result.rows[0].title == "Đào tạo nghề"


def test_numbered_column_row_under_the_header(tmp_path: Path) -> None:
    numbers: list[Any] = [f"({i})" for i in range(1, len(HEADER) + 1)]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [HEADER],
        [numbers, list(range(1, len(HEADER) + 1)), project(1, "Đào tạo nghề")],
    )
    result = read(path)
    assert result.sheets[0].header_rows == [1]
    assert {i.source_row: i.rule for i in result.ignored} == {1: "header", 2: "header", 3: "header"}
    assert [r.source_row for r in result.rows] == [4]


def test_no_header_in_a_sheet_of_prose(tmp_path: Path, ref: Reference) -> None:
    path = write_table(
        tmp_path / "x.xlsx",
        [["Báo cáo tình hình thực hiện"]],
        [["Năm 2021 huyện đã triển khai 5 đề án"], ["Tên đề án và kinh phí xem phụ lục"]],
    )
    grid = read_grids(path.read_bytes())[0]
    assert find_header(grid.rows, grid.merges, ref) is None
    assert "no_table" in codes(read(path), "ERROR")
