"""Header detection and column mapping, on grids read from real workbooks."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from kc_pipeline.ingest.cells import read_grids
from kc_pipeline.ingest.header import Header, column_letter, find_header, match_heading, match_parts
from kc_pipeline.paths import reference_dir
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


# ------------------------------------------------------------- prefixes that name another column


@pytest.mark.parametrize(
    "heading",
    [
        "Mã số thuế",
        "MÃ SỐ THUẾ",
        nfd("Mã số thuế"),
        "Ma so thue",
        "Mã số thuế của cơ sở",
        "Mã số thuế (MST)",
        "Mã thuế",
        "Mã số doanh nghiệp",
    ],
)
def test_a_word_after_an_alias_that_changes_its_meaning(heading: str, ref: Reference) -> None:
    # "Mã số" is a project code, but "Mã số thuế" is the beneficiary's tax code: left unmapped.
    assert match_heading(heading, ref) is None


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Tổng số học viên", "trainees"),
        ("TỔNG SỐ HỌC VIÊN", "trainees"),
        ("Tổng số lao động được đào tạo", "trainees"),
        ("Tổng số người", "trainees"),  # "Số người" overlaps the total's "số"
        ("Tổng số mô hình", "models"),
        ("Tổng số cụm", "clusters"),
        ("Tổng kinh phí KC hỗ trợ (triệu đồng)", "support_vnd"),  # as the reports write it
        ("Tổng vốn đối ứng", "counterpart_vnd"),
        ("Kinh phí thực hiện Đối ứng", "counterpart_vnd"),  # a group over a sub-heading
    ],
)
def test_a_total_that_goes_on_to_name_another_amount(heading: str, field: str, ref: Reference) -> None:
    assert match_heading(heading, ref) == field


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        # Words further on qualify the total, they do not name what it counts.
        ("Tổng kinh phí thực hiện năm 2021", "total_vnd"),
        ("Tổng kinh phí bao gồm đối ứng", "total_vnd"),
        ("Tổng số (triệu đồng)", "total_vnd"),
        ("Kinh phí (triệu đồng) Tổng số", "total_vnd"),
        # Only a generic total defers to what follows; other headings keep their first words.
        ("Học viên Tổng số", "trainees"),
        ("Kinh phí hỗ trợ Tổng số", "support_vnd"),
        ("Kinh phí hỗ trợ học viên", "support_vnd"),
        ("Nguồn vốn hỗ trợ", "funding_source"),
        ("Lĩnh vực hỗ trợ", "sector"),
        ("Mã số dự án", "project_code"),
        ("Mã số", "project_code"),
    ],
)
def test_headings_that_keep_their_first_alias(heading: str, field: str, ref: Reference) -> None:
    assert match_heading(heading, ref) == field


# The common headings of district files (FACTS.md), each spelling in turn.
COMMON_HEADINGS = [
    ("STT", "seq", "STT"),
    ("Mã đề án", "project_code", "Mã đề án"),
    ("Tên đề án", "title", "Nội dung đề án"),
    ("Chương trình", "programme", "Nhóm nội dung"),
    ("Nguồn kinh phí", "funding_source", "Nguồn vốn"),
    ("Đơn vị thực hiện", "implementer", "Đơn vị thực hiện"),
    ("Đơn vị (cơ sở) thụ hưởng", "beneficiary", "Đơn vị thụ hưởng"),
    ("Địa điểm", "commune", "Xã"),
    ("Ngành nghề", "sector", "Ngành nghề"),
    ("Tổng kinh phí", "total_vnd", "Tổng kinh phí"),
    ("Kinh phí khuyến công hỗ trợ", "support_vnd", "Kinh phí khuyến công hỗ trợ"),
    ("Kinh phí đối ứng", "counterpart_vnd", "Kinh phí đối ứng"),
    ("Số lao động", "trainees", "Số lao động / học viên"),
    ("Thời gian thực hiện", "period", "Thời gian thực hiện"),
    ("Năm", "year", "Năm"),
    ("Ghi chú", "note", "Ghi chú"),
]


@pytest.mark.parametrize("spelling", [0, 2])
def test_common_headings_still_map(spelling: int, tmp_path: Path, ref: Reference) -> None:
    headings = [h[spelling] for h in COMMON_HEADINGS]
    path = write_table(tmp_path / "x.xlsx", [headings], [list(range(1, len(headings) + 1))])
    header = header_of(path, ref)
    assert [header.fields.get(c) for c in range(len(headings))] == [h[1] for h in COMMON_HEADINGS]
    assert header.unknown == {}
    assert header.duplicates == {}


def test_tax_code_and_trainee_total_columns(tmp_path: Path) -> None:
    # Two projects of one company share its tax code; the code must not become their project key.
    header = [
        "Kinh phí hỗ trợ",
        "Tổng kinh phí",
        "Tên đề án",
        "STT",
        "Mã số thuế",
        "Tổng số học viên",
        "Nguồn vốn",
    ]
    path = write_table(
        tmp_path / "2022" / "phu-luong" / "x.xlsx",
        [header],
        [
            [80_000_000, 200_000_000, "Đào tạo nghề may công nghiệp", 1, "4600123456", 30, "Địa phương"],
            [60_000_000, 90_000_000, "Hỗ trợ máy ép gạch không nung", 2, "4600123456", None, "Địa phương"],
        ],
    )
    result = read(path)
    assert result.sheets[0].columns == {
        "A": "support_vnd",
        "B": "total_vnd",
        "C": "title",
        "D": "seq",
        "F": "trainees",
        "G": "funding_source",
    }
    assert result.sheets[0].unknown_columns == {"E": "Mã số thuế"}
    assert "duplicate_column" not in codes(result)
    first, second = result.rows
    assert (first.project_code, second.project_code) == (None, None)
    assert (first.trainees, first.total_vnd) == (30, 200_000_000)
    assert first.raw["Mã số thuế"] == "4600123456"  # kept, not lost


def test_two_row_header_under_a_total_group(tmp_path: Path, ref: Reference) -> None:
    # The group is itself a total heading; each sub-heading names which amount its column holds.
    top = ["STT", "Tên đề án", "Kinh phí thực hiện (triệu đồng)", None, None, "Tổng số học viên"]
    sub = [None, None, "Tổng số", "KC hỗ trợ", "Đối ứng", None]
    path = write_table(
        tmp_path / "x.xlsx",
        [top, sub],
        [[1, "Đào tạo nghề", 150, 100, 50, 30]],
        merges=["C1:E1", "A1:A2", "B1:B2", "F1:F2"],
    )
    header = header_of(path, ref)
    assert header.rows == [0, 1]
    assert mapped(header) == {
        "A": "seq",
        "B": "title",
        "C": "total_vnd",
        "D": "support_vnd",
        "E": "counterpart_vnd",
        "F": "trainees",
    }
    assert header.duplicates == {}


def test_amounts_under_a_group_named_like_a_funding_source(tmp_path: Path, ref: Reference) -> None:
    # "Nguồn vốn" names the funding-source column alone; over amounts, each column holds its amount.
    top = ["STT", "Tên đề án", "Nguồn vốn (triệu đồng)", None, None]
    sub = [None, None, "Tổng", "Ngân sách khuyến công", "Cơ sở đối ứng"]
    path = write_table(
        tmp_path / "x.xlsx",
        [top, sub],
        [[1, "Đào tạo nghề", 150, 100, 50]],
        merges=["C1:E1", "A1:A2", "B1:B2"],
    )
    header = header_of(path, ref)
    assert mapped(header) == {
        "A": "seq",
        "B": "title",
        "C": "total_vnd",
        "D": "support_vnd",
        "E": "counterpart_vnd",
    }
    assert header.duplicates == {} and header.money_scale == {2: 1_000_000, 3: 1_000_000, 4: 1_000_000}


def test_stop_words_and_generic_totals_are_reference_data(tmp_path: Path) -> None:
    directory = shutil.copytree(reference_dir(), tmp_path / "reference")
    path = directory / "columns.csv"
    shipped = path.read_text(encoding="utf-8")
    text = shipped.replace(",,thuế|", ",,", 1)  # project_code: "thuế" no longer changes "Mã số"
    text = text.replace("Tổng dự toán,yes,", "Tổng dự toán,,", 1)  # total_vnd no longer generic
    assert len(text) == len(shipped) - len("thuế|yes")
    path.write_text(text, encoding="utf-8")
    edited = load_reference(directory)
    assert match_heading("Mã số thuế", edited) == "project_code"
    assert match_heading("Tổng số học viên", edited) == "total_vnd"


# ------------------------------------------------------------------ shares are not amounts or counts


@pytest.mark.parametrize(
    "heading",
    [
        "Hỗ trợ (%)",
        "Kinh phí hỗ trợ (%)",
        "Kinh phí khuyến công hỗ trợ %",
        "Hỗ trợ [%]",
        "Hỗ trợ (％)",  # full-width per cent sign
        nfd("Kinh phí hỗ trợ (%)"),
        "Tỷ lệ hỗ trợ (%)",
        "TỶ LỆ HỖ TRỢ",
        "Tỉ lệ đối ứng",
        "Ty le ho tro",
        "Kinh phí hỗ trợ (tỷ lệ)",
        "Đối ứng (phần trăm)",
        "Phần trăm hỗ trợ",
        "Tỷ trọng vốn đối ứng",
        "Tổng số (%)",
        "Số lao động (%)",
    ],
)
def test_a_share_names_no_amount_or_count(heading: str, ref: Reference) -> None:
    assert match_heading(heading, ref) is None


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Tổng kinh phí (tỷ đồng)", "total_vnd"),  # "tỷ" alone is a billion, not "tỷ lệ"
        ("Kinh phí hỗ trợ", "support_vnd"),
        ("Ghi chú (tỷ lệ hỗ trợ)", "note"),  # only amounts and counts are ruled out
        ("Kinh phí hỗ trợ (tối đa 50%)", "support_vnd"),  # a cap on the amount, not a share
        ("KC hỗ trợ (≤ 70 %)", "support_vnd"),
    ],
)
def test_headings_that_are_not_shares(heading: str, field: str, ref: Reference) -> None:
    assert match_heading(heading, ref) == field


def test_a_share_column_before_the_support_amount(tmp_path: Path) -> None:
    # The percentage column used to take support_vnd, and the real amount became a duplicate.
    header = [
        "STT",
        "Mã đề án",
        "Tên đề án",
        "Nguồn kinh phí",
        "Đơn vị thụ hưởng",
        "Địa điểm",
        "Hỗ trợ (%)",
        "Kinh phí khuyến công hỗ trợ",
        "Kinh phí đối ứng",
    ]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [header],
        [
            [
                1,
                "DA-001",
                "Tổ chức hội chợ triển lãm",
                "KCĐP",
                "Cơ sở 1",
                "Xã Phúc Xuân",
                100,
                100_000_000,
                0,
            ],
            [
                2,
                "DA-002",
                "Tổ chức hội chợ triển lãm",
                "KCĐP",
                "Cơ sở 2",
                "Xã Phúc Xuân",
                100,
                120_000_000,
                0,
            ],
        ],
    )
    result = read(path)
    assert result.sheets[0].columns == {
        "A": "seq",
        "B": "project_code",
        "C": "title",
        "D": "funding_source",
        "E": "beneficiary",
        "F": "commune",
        "H": "support_vnd",
        "I": "counterpart_vnd",
    }
    assert result.sheets[0].unknown_columns == {"G": "Hỗ trợ (%)"}
    assert "duplicate_column" not in codes(result)
    assert [r.support_vnd for r in result.rows] == [100_000_000, 120_000_000]
    assert result.rows[0].raw["Hỗ trợ (%)"] == 100  # kept, not lost


def test_a_share_group_over_amount_sub_headings(tmp_path: Path, ref: Reference) -> None:
    # "Tỷ lệ (%)" over "KC hỗ trợ | Đối ứng": the sub-headings name amounts, the group says shares.
    top = ["STT", "Tên đề án", "Tỷ lệ (%)", None, "Kinh phí (triệu đồng)", None]
    sub = [None, None, "KC hỗ trợ", "Đối ứng", "KC hỗ trợ", "Đối ứng"]
    path = write_table(
        tmp_path / "x.xlsx",
        [top, sub],
        [[1, "Đào tạo nghề", 70, 30, 100, 50]],
        merges=["C1:D1", "E1:F1", "A1:A2", "B1:B2"],
    )
    header = header_of(path, ref)
    assert header.rows == [0, 1]
    assert mapped(header) == {"A": "seq", "B": "title", "E": "support_vnd", "F": "counterpart_vnd"}
    assert header.unknown == {2: "Tỷ lệ (%) KC hỗ trợ", 3: "Tỷ lệ (%) Đối ứng"}
    assert header.duplicates == {}


# ------------------------------------------------------------------------ headers over three rows


def test_three_row_header_reads_its_data(tmp_path: Path) -> None:
    # "Kinh phí (đồng)" over "Tổng số | Trong đó", "Trong đó" over "KC hỗ trợ | Đối ứng".
    top = ["STT", "Mã đề án", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí (đồng)", None, None, "Số lao động"]
    mid = [None, None, None, None, "Tổng số", "Trong đó", None, None]
    low = [None, None, None, None, None, "KC hỗ trợ", "Đối ứng", None]
    merges = ["A5:A7", "B5:B7", "C5:C7", "D5:D7", "E5:G5", "E6:E7", "F6:G6", "H5:H7"]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [top, mid, low],
        [
            [1, "DA-001", "Hỗ trợ ứng dụng máy sao chè", "Cơ sở 1", 150_000_000, 100_000_000, 50_000_000, 12],
            [2, "DA-002", "Hỗ trợ máy ép gạch", "Cơ sở 2", 160_000_000, 110_000_000, 50_000_000, 8],
        ],
        titles=[*TITLES, ""],
        merges=merges,
    )
    result = read(path)
    sheet = result.sheets[0]
    assert sheet.header_rows == [5, 6, 7]
    assert sheet.columns == {
        "A": "seq",
        "B": "project_code",
        "C": "title",
        "D": "beneficiary",
        "E": "total_vnd",
        "F": "support_vnd",
        "G": "counterpart_vnd",
        "H": "trainees",
    }
    assert sheet.unknown_columns == {}
    assert sheet.money_scale == {"total_vnd": 1, "support_vnd": 1, "counterpart_vnd": 1}
    assert [i.source_row for i in result.ignored if i.rule == "header"] == [5, 6, 7]
    assert [r.source_row for r in result.rows] == [8, 9]
    assert [(r.total_vnd, r.support_vnd, r.counterpart_vnd) for r in result.rows] == [
        (150_000_000, 100_000_000, 50_000_000),
        (160_000_000, 110_000_000, 50_000_000),
    ]
    assert result.rows[0].raw["Kinh phí (đồng) Trong đó KC hỗ trợ"] == 100_000_000


def test_three_row_header_under_a_total_group(tmp_path: Path, ref: Reference) -> None:
    # "Kinh phí thực hiện" is itself a total heading: the sub-headings under "Trong đó" name its parts.
    # The middle row names nothing new ("Tổng kinh phí" spans all three rows); the third row does.
    top = ["STT", "Tên đề án", "Tổng kinh phí", "Kinh phí thực hiện (triệu đồng)", None]
    mid = [None, None, None, "Trong đó", None]
    low = [None, None, None, "KC hỗ trợ", "Đối ứng"]
    path = write_table(
        tmp_path / "x.xlsx",
        [top, mid, low],
        [[1, "Đào tạo nghề", 150, 100, 50]],
        merges=["A1:A3", "B1:B3", "C1:C3", "D1:E1", "D2:E2"],
    )
    header = header_of(path, ref)
    assert header.rows == [0, 1, 2]
    assert mapped(header) == {
        "A": "seq",
        "B": "title",
        "C": "total_vnd",
        "D": "support_vnd",
        "E": "counterpart_vnd",
    }
    assert header.headings[4] == "Kinh phí thực hiện (triệu đồng) Trong đó Đối ứng"
    assert header.money_scale == {3: 1_000_000, 4: 1_000_000}
    assert header.duplicates == {}


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        (("Kinh phí (đồng)", "Trong đó", "KC hỗ trợ"), "support_vnd"),
        (("Kinh phí thực hiện", "Trong đó", "Đối ứng"), "counterpart_vnd"),
        (("Kinh phí (đồng)", "Tổng số"), "total_vnd"),
        (("Kinh phí thực hiện", "Tổng số"), "total_vnd"),
        (("Số lao động", "Tổng số"), "trainees"),  # the group names what the total counts
        (("Kinh phí hỗ trợ", "Tổng số"), "support_vnd"),
        (("Kinh phí thực hiện", "Năm 2021"), "total_vnd"),  # only an amount or count is a part of a total
        (("Đơn vị", "thụ hưởng"), "beneficiary"),  # a heading broken over two rows
        (("Kinh phí (đồng)", "Trong đó", "Hỗ trợ (%)"), None),
        (("Tỷ lệ (%)", "Trong đó", "KC hỗ trợ"), None),
    ],
)
def test_headings_over_several_rows(parts: tuple[str, ...], field: str | None, ref: Reference) -> None:
    assert match_parts(parts, ref) == field


def test_a_text_row_under_a_two_row_header_does_not_join_it(tmp_path: Path, ref: Reference) -> None:
    top = ["STT", "Tên đề án", "Đơn vị thụ hưởng", "Kinh phí (triệu đồng)", None, None]
    sub = [None, None, None, "Tổng số", "KC hỗ trợ", "Đối ứng"]
    path = write_table(
        tmp_path / "x.xlsx",
        [top, sub],
        [
            ["1", "Hỗ trợ máy sao chè", "HTX Bình Minh", "150", "100", "50"],
            [2, "Đào tạo nghề", "HTX An", 90, 60, 30],
        ],
        merges=["D1:F1", "A1:A2", "B1:B2", "C1:C2"],
    )
    header = header_of(path, ref)
    assert header.rows == [0, 1]
    assert mapped(header) == {
        "A": "seq",
        "B": "title",
        "C": "beneficiary",
        "D": "total_vnd",
        "E": "support_vnd",
        "F": "counterpart_vnd",
    }


def test_a_merged_section_line_under_a_one_row_header_does_not_join_it(
    tmp_path: Path, ref: Reference
) -> None:
    # Copied across the table, "Chương trình ..." would name a programme in the unknown column C.
    path = write_table(
        tmp_path / "x.xlsx",
        [["STT", "Tên đề án", "Cột lạ XYZ", "Tổng kinh phí"]],
        [["Chương trình đào tạo nghề"], [1, "Đào tạo nghề", "x", 100]],
        merges=["A2:D2"],
    )
    header = header_of(path, ref)
    assert header.rows == [0]
    assert header.unknown == {2: "Cột lạ XYZ"}


@pytest.mark.parametrize(
    ("heading", "field"),
    [("Tên ĐA", "title"), ("KP KC hỗ trợ", "support_vnd"), ("KP ĐƯ", "counterpart_vnd"), ("TT", "seq")],
)
def test_abbreviated_headings(heading: str, field: str, ref: Reference) -> None:
    assert match_heading(heading, ref) == field
