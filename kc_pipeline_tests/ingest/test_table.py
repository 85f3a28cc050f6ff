"""Rows of one table: sections, subtotals and totals, ignored-row rules, merges, amounts and periods."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kc_pipeline.ingest.cells import read_grids
from kc_pipeline.ingest.model import ReadResult, TotalRow
from kc_pipeline.ingest.table import SheetContext, read_sheet
from kc_pipeline.reference import load_reference
from kc_pipeline_tests.builders import HEADER, TITLES, Sheet, project, write_table, write_workbook
from kc_pipeline_tests.checks import codes, ignored_rules, issue, read

MILLION = 1_000_000


def scope(total: TotalRow) -> tuple[Any, ...]:
    return (total.source_row, total.kind, total.funding_source, total.programme_code, total.first_row)


def amounts(total: TotalRow) -> tuple[int | None, int | None, int | None]:
    return (total.total_vnd, total.support_vnd, total.counterpart_vnd)


def by_title(result: ReadResult) -> dict[str | None, Any]:
    return {r.title: r for r in result.rows}


@pytest.fixture
def sectioned(tmp_path: Path) -> ReadResult:
    """Roman funding sections, numbered programme sections, programme and funding subtotals, a total."""
    rows = [
        ["I", "KHUYẾN CÔNG QUỐC GIA", "", "", 450, 300, 150],  # row 5, with the section's sums
        ["1", "Chương trình đào tạo nghề, truyền nghề và nâng cao tay nghề"],  # 6
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 7
        project(2, "Truyền nghề đan nón lá", total=100, support=80, counterpart=20),  # 8
        ["", "Cộng", "", "", 250, 180, 70],  # 9
        ["2", "Chương trình mô hình trình diễn kỹ thuật, chuyển giao công nghệ"],  # 10
        project(1, "Hỗ trợ ứng dụng máy sao chè", total=200, support=120, counterpart=80),  # 11
        ["", "Cộng", "", "", 200, 120, 80],  # 12
        ["", "Cộng I", "", "", 450, 300, 150],  # 13
        ["II", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],  # 14
        ["1", "Chương trình công nhận làng nghề, làng nghề truyền thống"],  # 15
        project(1, "Công nhận làng nghề chè Tân Cương", total=100, support=100, counterpart=0),  # 16
        ["", "Cộng II", "", "", 100, 100, 0],  # 17
        ["", "Tổng cộng", "", "", 550, 400, 150],  # 18
    ]
    return read(write_table(tmp_path / "2021" / "dai-tu" / "kh.xlsx", rows=rows, titles=TITLES))


def test_sections_give_funding_and_programme(sectioned: ReadResult) -> None:
    rows = by_title(sectioned)
    assert len(rows) == 4
    expected = {
        "Đào tạo nghề mây tre đan": ("KCQG", "human_resources", "vocational_training"),
        "Truyền nghề đan nón lá": ("KCQG", "human_resources", "vocational_training"),
        "Hỗ trợ ứng dụng máy sao chè": ("KCQG", "technology", "machinery_transfer"),
        "Công nhận làng nghề chè Tân Cương": ("KCDP", "craft_villages", "craft_village"),
    }
    assert {t: (r.funding_source, r.programme_code, r.activity_code) for t, r in rows.items()} == expected
    for row in rows.values():
        assert {"funding_source", "programme_code"} <= set(row.inferred)


def test_subtotals_and_totals_keep_their_amounts_and_scope(sectioned: ReadResult) -> None:
    totals = sectioned.totals
    assert [scope(t) for t in totals] == [
        (5, "section", "KCQG", None, 6),
        (9, "subtotal", "KCQG", "human_resources", 6),
        (12, "subtotal", "KCQG", "technology", 10),
        (13, "subtotal", "KCQG", None, 5),
        (17, "subtotal", "KCDP", None, 14),
        (18, "total", None, None, 5),
    ]
    assert [amounts(t) for t in totals] == [
        (450 * MILLION, 300 * MILLION, 150 * MILLION),
        (250 * MILLION, 180 * MILLION, 70 * MILLION),
        (200 * MILLION, 120 * MILLION, 80 * MILLION),
        (450 * MILLION, 300 * MILLION, 150 * MILLION),
        (100 * MILLION, 100 * MILLION, 0),
        (550 * MILLION, 400 * MILLION, 150 * MILLION),
    ]
    # The file reconciles with itself: each subtotal equals the sum of the project rows it covers.
    for total in totals[1:]:
        covered = [r for r in sectioned.rows if total.first_row <= r.source_row < total.source_row]
        assert sum(r.total_vnd or 0 for r in covered) == total.total_vnd, total.label


def test_section_and_total_rows_are_ignored_with_their_rule(sectioned: ReadResult) -> None:
    assert ignored_rules(sectioned) == {
        1: "title",
        2: "title",
        3: "title",
        4: "header",
        5: "section",
        6: "section",
        9: "subtotal",
        10: "section",
        12: "subtotal",
        13: "subtotal",
        14: "section",
        15: "section",
        17: "subtotal",
        18: "total",
    }


@pytest.mark.parametrize(
    "title",
    [
        "Công nhận làng nghề chè Tân Cương",
        "Cộng đồng làng nghề mây tre đan Phú Lương",
        "Cộng tác viên khuyến công cấp xã",
        "Tổng kết, đánh giá mô hình trình diễn",
        "Tổng hợp thông tin làng nghề",
    ],
)
def test_projects_whose_titles_look_like_total_rows(tmp_path: Path, title: str) -> None:
    rows = [project(1, title, total=100, support=60, counterpart=40), ["", "Cộng", "", "", 100, 60, 40]]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert [r.title for r in result.rows] == [title]
    assert [(t.kind, t.source_row) for t in result.totals] == [("subtotal", 3)]


def test_lettered_funding_sections_are_closed_by_their_letter(tmp_path: Path) -> None:
    rows = [
        ["A", "KHUYẾN CÔNG QUỐC GIA"],  # 2
        ["1", "Chương trình đào tạo nghề"],  # 3
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 4
        ["2", "Chương trình mô hình trình diễn kỹ thuật"],  # 5
        project(1, "Hỗ trợ ứng dụng máy sao chè", total=200, support=120, counterpart=80),  # 6
        ["", "Cộng A", "", "", 350, 220, 130],  # 7: closes funding section A, not programme 2
        ["B", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],  # 8
        project(1, "Hội chợ triển lãm hàng công nghiệp nông thôn", total=90, support=90, counterpart=0),  # 9
        ["", "Cộng B", "", "", 90, 90, 0],  # 10
        ["", "TỔNG CỘNG (A+B)", "", "", 440, 310, 130],  # 11
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert [scope(t) for t in result.totals] == [
        (7, "subtotal", "KCQG", None, 2),
        (10, "subtotal", "KCDP", None, 8),
        (11, "total", None, None, 2),
    ]


def test_roman_programme_sections_on_a_funding_sheet(tmp_path: Path) -> None:
    """One sheet per funding source, programmes numbered I, II: "Cộng I" closes programme I."""
    table = [
        HEADER,  # 1
        ["I", "Chương trình đào tạo nghề, truyền nghề và nâng cao tay nghề"],  # 2
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 3
        ["", "Cộng I", "", "", 150, 100, 50],  # 4
        ["II", "Chương trình phát triển sản phẩm công nghiệp nông thôn tiêu biểu"],  # 5
        project(1, "Hội chợ triển lãm", total=90, support=90, counterpart=0),  # 6
        ["", "Cộng II", "", "", 90, 90, 0],  # 7
        ["", "Tổng cộng", "", "", 240, 190, 50],  # 8
    ]
    path = write_workbook(tmp_path / "2021" / "dai-tu" / "x.xlsx", [Sheet("KCĐP", table)])
    result = read(path)
    assert [scope(t) for t in result.totals] == [
        (4, "subtotal", "KCDP", "human_resources", 2),
        (7, "subtotal", "KCDP", "rural_products", 5),
        (8, "total", None, None, 2),
    ]
    assert {(r.funding_source, r.programme_code) for r in result.rows} == {
        ("KCDP", "human_resources"),
        ("KCDP", "rural_products"),
    }


def test_grand_total_above_the_projects_heads_the_table(tmp_path: Path) -> None:
    """Budget tables often put "TỔNG CỘNG" right under the header, then the sections with their sums."""
    rows = [
        ["", "TỔNG CỘNG", "", "", 350, 220, 130],  # 2
        ["I", "KHUYẾN CÔNG QUỐC GIA", "", "", 350, 220, 130],  # 3
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 4
        project(2, "Hỗ trợ ứng dụng máy sao chè", total=200, support=120, counterpart=80),  # 5
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert ignored_rules(result) == {1: "header", 2: "total", 3: "section"}
    top, section = result.totals
    assert (top.kind, top.funding_source, top.first_row, top.total_vnd) == ("section", None, 3, 350 * MILLION)
    # It covers the rows below it, not the empty stretch between the header and itself.
    below = [r for r in result.rows if r.source_row >= top.first_row]
    assert sum(r.total_vnd or 0 for r in below) == top.total_vnd
    assert (section.kind, section.funding_source, section.first_row) == ("section", "KCQG", 4)


@pytest.mark.parametrize("label", ["Cộng (I+II)", "Cộng I + II", "CỘNG I, II"])
def test_subtotal_of_several_sections(tmp_path: Path, label: str) -> None:
    rows = [
        ["I", "KHUYẾN CÔNG QUỐC GIA"],  # 2
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 3
        ["", "Cộng I", "", "", 150, 100, 50],  # 4
        ["II", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],  # 5
        project(1, "Hỗ trợ ứng dụng máy sao chè", total=200, support=120, counterpart=80),  # 6
        ["", "Cộng II", "", "", 200, 120, 80],  # 7
        ["", label, "", "", 350, 220, 130],  # 8: never a project, whose amounts would count twice
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert [r.source_row for r in result.rows] == [3, 6]
    assert [scope(t) for t in result.totals] == [
        (4, "subtotal", "KCQG", None, 2),
        (7, "subtotal", "KCDP", None, 5),
        (8, "subtotal", None, None, 2),
    ]


def test_subtotal_naming_its_funding_source(tmp_path: Path) -> None:
    rows = [
        ["1", "Chương trình đào tạo nghề"],
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),
        ["", "Tổng KCQG", "", "", 150, 100, 50],
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert [scope(t) for t in result.totals] == [(4, "subtotal", "KCQG", None, 2)]


def test_sections_written_in_one_merged_cell(tmp_path: Path) -> None:
    rows = [
        ["I. KHUYẾN CÔNG QUỐC GIA"],  # 2, merged A:H
        ["1. Chương trình đào tạo nghề ..."],  # 3, merged A:H
        project(1, "Mở lớp dạy nghề mây tre đan"),  # 4
        ["II. KHUYẾN CÔNG ĐỊA PHƯƠNG"],  # 5, merged A:H
        project(1, "Hỗ trợ ứng dụng máy sao chè"),  # 6
    ]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, merges=["A2:H2", "A3:H3", "A5:H5"])
    result = read(path)
    assert [(r.source_row, r.funding_source, r.programme_code) for r in result.rows] == [
        (4, "KCQG", "human_resources"),
        (6, "KCDP", "technology"),
    ]
    assert ignored_rules(result) == {1: "header", 2: "section", 3: "section", 5: "section"}


def test_a_project_number_typed_as_text_is_still_a_project(tmp_path: Path) -> None:
    """A project titled like a catalogue entry stays a project whether its STT is 2 or "2"."""
    header = ["STT", "Tên đề án", "Tổng kinh phí (triệu đồng)"]
    rows = [
        [1, "Hội chợ triển lãm", 100],  # 2
        ["2", "Hội chợ triển lãm", 100],  # 3
        ["3.", "Tư vấn", 100],  # 4
        ["4", "Đào tạo nghề"],  # 5: numbered, no amount: a section heading
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert [(r.source_row, r.activity_code) for r in result.rows] == [
        (2, "trade_fair"),
        (3, "trade_fair"),
        (4, "advisory"),
    ]
    assert result.totals == []
    assert ignored_rules(result) == {1: "header", 5: "section"}


def test_every_ignore_rule_is_named(tmp_path: Path) -> None:
    rows = [
        ["I", "KHUYẾN CÔNG QUỐC GIA"],  # 6 section
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 7
        [],  # 8 blank
        [2],  # 9 numbered but empty: blank
        ["STT", "Tên đề án", "Đơn vị thụ hưởng"],  # 10 header repeated on a new page
        project(3, "Hỗ trợ ứng dụng máy sao chè", total=200, support=120, counterpart=80),  # 11
        ["", "Cộng I", "", "", 350, 220, 130],  # 12 subtotal
        ["", "Tổng cộng", "", "", 350, 220, 130],  # 13 total
        ["", "Trong đó: KCQG 220 triệu đồng"],  # 14 note
        ["", "Ghi chú: kinh phí đối ứng do cơ sở tự bố trí"],  # 15 note
        ["", "* Số liệu tạm tính đến 30/6"],  # 16 note
        ["", "Đại Từ, ngày 10 tháng 01 năm 2021"],  # 17 signature
        ["", "NGƯỜI LẬP BIỂU", "", "", "", "TRƯỞNG PHÒNG"],  # 18 signature
        [],  # 19 blank
        ["", "Nguyễn Văn Bình", "", "", "", "Trần Thị Hoa"],  # 20: names under the signatures
    ]
    titles = [*TITLES, ""]  # rows 1-3 titles, 4 blank
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, titles=titles))
    assert [r.source_row for r in result.rows] == [7, 11]
    assert ignored_rules(result) == {
        1: "title",
        2: "title",
        3: "title",
        4: "blank",
        5: "header",
        6: "section",
        8: "blank",
        9: "blank",
        10: "header",
        12: "subtotal",
        13: "total",
        14: "note",
        15: "note",
        16: "note",
        17: "signature",
        18: "signature",
        19: "blank",
        20: "signature",
    }
    texts = {i.source_row: i.text for i in result.ignored}
    assert texts[1] == "UBND HUYỆN ĐẠI TỪ" and texts[13] == "Tổng cộng" and texts[18].startswith("NGƯỜI LẬP")


def test_vertically_merged_text_is_copied_down(tmp_path: Path) -> None:
    rows = [
        project(1, "Đào tạo nghề mây tre đan", beneficiary="HTX Bình Minh", commune="Xã Hùng Sơn"),  # 2
        project(2, "Đào tạo nghề đan nón lá", beneficiary="", commune=""),  # 3
        project(3, "Hỗ trợ máy sao chè", beneficiary="", commune="Xã La Bằng"),  # 4
    ]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, merges=["C2:C4", "D2:D3"])
    result = read(path)
    assert [(r.beneficiary, r.commune) for r in result.rows] == [
        ("HTX Bình Minh", "Xã Hùng Sơn"),
        ("HTX Bình Minh", "Xã Hùng Sơn"),
        ("HTX Bình Minh", "Xã La Bằng"),
    ]
    assert "merged_amount" not in codes(result)


def test_merged_amount_goes_to_its_first_row_and_is_flagged(tmp_path: Path) -> None:
    rows = [
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 2
        project(2, "Đào tạo nghề đan nón lá", total=150, support=100, counterpart=""),  # 3
    ]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, merges=["G2:G3"])
    result = read(path)
    assert [r.counterpart_vnd for r in result.rows] == [50 * MILLION, None]  # never counted twice
    found = issue(result, "merged_amount")
    assert (found.severity, found.source_row, found.column) == ("WARN", 2, "G")


@pytest.mark.parametrize("merged", ["ABCDEFGH", "B"], ids=["every-cell", "title-only"])
def test_a_project_drawn_over_two_rows_is_one_project(tmp_path: Path, merged: str) -> None:
    """Its cells merged down over a second row, which holds nothing of its own: no copy of it."""
    rows = [
        project(1, "Hỗ trợ ứng dụng máy sao chè cho cơ sở chè Tân Cương (giai đoạn 1)"),  # 2
        [],  # 3: under the merges
        project(2, "Đào tạo nghề đan nón lá", beneficiary="HTX Bình Minh"),  # 4
    ]
    merges = [f"{c}2:{c}3" for c in merged]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, merges=merges))
    assert [r.source_row for r in result.rows] == [2, 4]
    assert ignored_rules(result)[3] == "blank"
    assert "merged_amount" not in codes(result)


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("(triệu đồng)", (150 * MILLION, 100_250_000, 49_750_000)),
        ("(đồng)", (150, 100, 50)),  # đồng have no fraction: rounded half up
        ("(1000đ)", (150_000, 100_250, 49_750)),
        ("(nghìn đồng)", (150_000, 100_250, 49_750)),
        ("(Tr.đ)", (150 * MILLION, 100_250_000, 49_750_000)),
    ],
)
def test_amounts_scaled_by_the_unit_in_the_headings(
    tmp_path: Path, unit: str, expected: tuple[int, int, int]
) -> None:
    header = ["STT", "Tên đề án", f"Tổng kinh phí {unit}", f"Kinh phí hỗ trợ {unit}", f"Đối ứng {unit}"]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], [[1, "Đào tạo nghề", 150, 100.25, 49.75]]
    )
    result = read(path)
    assert result.sheets[0].money_scale_source == "header"
    (row,) = result.rows
    assert (row.total_vnd, row.support_vnd, row.counterpart_vnd) == expected
    assert all(isinstance(v, int) for v in expected)
    assert "money_unit_inferred" not in codes(result)


def test_amounts_scaled_by_a_unit_line(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí", "Kinh phí hỗ trợ", "Đối ứng"]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [header],
        [[1, "Đào tạo nghề", 150, 100, 50]],
        titles=[
            "UBND HUYỆN ĐẠI TỪ",
            "KẾ HOẠCH KHUYẾN CÔNG NĂM 2021",
            ["", "", "", "Đơn vị tính: triệu đồng"],
        ],
    )
    result = read(path)
    assert result.sheets[0].money_scale_source == "unit line"
    (row,) = result.rows
    assert (row.total_vnd, row.support_vnd, row.counterpart_vnd) == (
        150 * MILLION,
        100 * MILLION,
        50 * MILLION,
    )
    assert ignored_rules(result)[3] == "title"


def test_vietnamese_number_text(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí (đồng)", "Kinh phí hỗ trợ (triệu đồng)", "Đối ứng (đồng)"]
    rows = [
        [1, "Đào tạo nghề", "1.234.567", "1,5", "150 triệu"],
        [2, "Hội chợ triển lãm", "2.000.000 đ", "0,25", "1.000.000"],
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert [(r.total_vnd, r.support_vnd, r.counterpart_vnd) for r in result.rows] == [
        (1_234_567, 1_500_000, 150_000_000),
        (2_000_000, 250_000, 1_000_000),
    ]
    assert "bad_amount" not in codes(result)


def test_unreadable_amount_is_an_error_on_its_cell(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí (đồng)"]
    rows = [[1, "Đào tạo nghề", "khoảng một trăm"], [2, "Hội chợ", 5_000_000]]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert [r.total_vnd for r in result.rows] == [None, 5_000_000]
    found = issue(result, "bad_amount")
    assert (found.severity, found.source_row, found.column) == ("ERROR", 2, "C")


@pytest.mark.parametrize(
    ("written", "scale"),
    [((150_000_000, 100_000_000), 1), ((150_000, 100_000), 1000), ((150, 100), MILLION)],
    ids=["dong", "thousands", "millions"],
)
def test_no_unit_anywhere_is_inferred_and_warned(
    tmp_path: Path, written: tuple[int, int], scale: int
) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí", "Kinh phí hỗ trợ"]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], [[1, "Đào tạo nghề", *written]])
    result = read(path)
    assert issue(result, "money_unit_inferred").severity == "WARN"
    assert result.sheets[0].money_scale_source == "magnitude"
    assert result.sheets[0].money_scale == {"total_vnd": scale, "support_vnd": scale}
    assert (result.rows[0].total_vnd, result.rows[0].support_vnd) == (150_000_000, 100_000_000)


def test_periods_in_the_time_column(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí (đồng)", "Thời gian thực hiện"]
    rows = [
        [1, "Lớp 1", 100, "15/03/2021"],
        [2, "Lớp 2", 100, 44300],  # an Excel serial typed as a number
        [3, "Lớp 3", 100, dt.datetime(2021, 6, 30)],  # a real date cell
        [4, "Lớp 4", 100, "Quý III/2021"],
        [5, "Lớp 5", 100, "01/03/2021 - 30/06/2021"],
        [6, "Lớp 6", 100, "2021-2022"],
        [7, "Lớp 7", 100, "Tháng 5/2021"],
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert [(r.period_start, r.period_end) for r in result.rows] == [
        ("2021-03-15", "2021-03-15"),
        ("2021-04-14", "2021-04-14"),
        ("2021-06-30", "2021-06-30"),
        ("2021-07-01", "2021-09-30"),
        ("2021-03-01", "2021-06-30"),
        ("2021-01-01", "2022-12-31"),
        ("2021-05-01", "2021-05-31"),
    ]
    assert "bad_period" not in codes(result)


def test_unreadable_period_is_warned(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí (đồng)", "Thời gian thực hiện"]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], [[1, "Lớp 1", 100, "sớm"]]))
    assert (result.rows[0].period_start, issue(result, "bad_period").source_row) == (None, 2)


def test_trainee_counts(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Số học viên", "Tổng kinh phí (đồng)"]
    rows = [
        [1, "Đào tạo nghề", "35 người", 100],
        [2, "Đào tạo nghề", 1200, 100],
        [3, "Đào tạo nghề", "ba", 1],
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert [r.trainees for r in result.rows] == [35, 1200, None]
    assert issue(result, "bad_count").source_row == 4


@pytest.mark.parametrize("font", [None, ".VnTime"], ids=["calamine", "openpyxl"])
def test_row_numbers_are_the_sheets_own_when_the_table_starts_low_and_right(
    tmp_path: Path, font: str | None
) -> None:
    """Empty rows and columns before the table must not shift source_row: it points a clerk at a cell."""
    pad = ["", ""]
    rows = [[], [], [*pad, "UBND HUYỆN ĐẠI TỪ"], [], [*pad, *HEADER], [*pad, *project(1, "Lớp 1")]]
    fonts = {"C3": font} if font else {}
    result = read(write_workbook(tmp_path / "2021" / "x.xlsx", [Sheet("S", rows, fonts=fonts)]))
    assert result.sheets[0].header_rows == [5]
    assert result.sheets[0].columns["D"] == "title"
    assert [(r.source_row, r.title) for r in result.rows] == [(6, "Lớp 1")]
    assert ignored_rules(result) == {1: "blank", 2: "blank", 3: "title", 4: "blank", 5: "header"}
    assert result.unit_code == "171"


def test_read_sheet_on_its_own(tmp_path: Path) -> None:
    """The table reader works on a grid without the file-level steps, and says None without a header."""
    path = write_workbook(
        tmp_path / "x.xlsx",
        [
            Sheet("KCQG", [HEADER, project(1, "Đào tạo nghề mây tre đan")]),
            Sheet("Thuyết minh", [["Thuyết minh kế hoạch"], ["Nội dung chi tiết xem biểu kèm theo"]]),
        ],
    )
    grids = read_grids(path.read_bytes())
    reference = load_reference()
    outcome = read_sheet(grids[0], reference, SheetContext())
    assert outcome is not None
    assert [(r.title, r.funding_source) for r in outcome.rows] == [("Đào tạo nghề mây tre đan", "KCQG")]
    assert outcome.layout.rows_read == 2
    assert read_sheet(grids[1], reference, SheetContext()) is None


@pytest.mark.parametrize(
    "title",
    [
        "Kế toán và quản trị doanh nghiệp cho cơ sở công nghiệp nông thôn",
        "Giám đốc điều hành: đào tạo kỹ năng quản trị",
        "Xác nhận nguồn gốc sản phẩm chè Tân Cương",
        "Ghi chú sản phẩm công nghiệp nông thôn tiêu biểu",
    ],
)
def test_a_project_titled_like_a_signature_or_note_stays_a_project(tmp_path: Path, title: str) -> None:
    rows = [
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 2
        project(2, title, total=100, support=60, counterpart=40),  # 3
        project(3, "Công nhận làng nghề chè Khuôn Gà", total=50, support=50, counterpart=0),  # 4
        ["", "Tổng cộng", "", "", 300, 210, 90],  # 5
        ["", "NGƯỜI LẬP BIỂU", "", "", "", "TRƯỞNG PHÒNG"],  # 6
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert [r.source_row for r in result.rows] == [2, 3, 4]
    assert [(t.kind, t.source_row) for t in result.totals] == [("total", 5)]
    assert ignored_rules(result)[6] == "signature"
    assert "table_resumes_after_footer" not in codes(result)


def test_a_footnote_inside_the_table_does_not_hide_the_projects_below_it(tmp_path: Path) -> None:
    rows = [
        project(1, "Đào tạo nghề mây tre đan", total=150, support=100, counterpart=50),  # 2
        ["", "* Các đề án bổ sung theo Quyết định số 12/QĐ-UBND"],  # 3
        project(2, "Hỗ trợ ứng dụng máy sao chè", total=200, support=120, counterpart=80),  # 4
        project(3, "Công nhận làng nghề chè Khuôn Gà", total=50, support=50, counterpart=0),  # 5
        ["", "Tổng cộng", "", "", 400, 270, 130],  # 6
        ["", "(*) Số liệu tạm tính"],  # 7
        ["", "Đại Từ, ngày 10 tháng 01 năm 2021"],  # 8
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows))
    assert [r.source_row for r in result.rows] == [2, 4, 5]
    assert [(t.kind, t.source_row) for t in result.totals] == [("total", 6)]
    rules = ignored_rules(result)
    assert (rules[3], rules[7], rules[8]) == ("note", "note", "signature")
    resumed = issue(result, "table_resumes_after_footer")
    assert resumed.severity == "WARN" and resumed.source_row == 4


def test_a_funding_column_that_contradicts_its_section_is_warned(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Nguồn kinh phí", "Tổng kinh phí (triệu đồng)"]
    rows = [
        ["I", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],  # 2
        [1, "Đào tạo nghề mây tre đan", "Tỉnh", 100],  # 3
        [2, "Hỗ trợ ứng dụng máy sao chè", "TW", 200],  # 4: says national under the provincial section
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", header_rows=[header], rows=rows))
    assert [r.funding_source for r in result.rows] == ["KCDP", "KCQG"]
    mismatch = issue(result, "funding_source_mismatch")
    assert (mismatch.severity, mismatch.source_row, mismatch.value) == ("WARN", 4, "TW")
    assert "KCQG" in mismatch.message and "KCDP section" in mismatch.message


@pytest.mark.parametrize(
    ("header", "row", "derived", "value"),
    [
        (["Tổng kinh phí", "KC hỗ trợ"], [300, 200], "counterpart_vnd", 100),
        (["Tổng kinh phí", "Đối ứng"], [300, 100], "support_vnd", 200),
        (["KC hỗ trợ", "Đối ứng"], [200, 100], "total_vnd", 300),
    ],
)
def test_the_money_column_a_table_leaves_out_is_derived_from_the_other_two(
    tmp_path: Path, header: list[str], row: list[int], derived: str, value: int
) -> None:
    headings = ["STT", "Tên đề án", *(f"{h} (triệu đồng)" for h in header)]
    rows = [
        [1, "Hỗ trợ ứng dụng máy sao chè", *row],
        [2, "Hỗ trợ máy sấy chè", 100, ""],  # one amount missing: nothing to derive from
        [3, "Hỗ trợ máy vò chè", *reversed(row)] if derived != "total_vnd" else [3, "Máy vò chè", 1, 2],
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", header_rows=[headings], rows=rows))
    first, second, third = result.rows
    assert getattr(first, derived) == value * MILLION and derived in first.inferred
    assert getattr(second, derived) is None and derived not in second.inferred
    if derived == "total_vnd":
        assert (third.total_vnd, third.inferred.count("total_vnd")) == (3 * MILLION, 1)
    else:  # the part above the total is left for validation to report, not made negative
        assert getattr(third, derived) is None


def test_no_amount_is_derived_when_all_three_columns_are_there(tmp_path: Path) -> None:
    rows = [project(1, "Hỗ trợ ứng dụng máy sao chè", total=300, support=200, counterpart="")]
    (row,) = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows)).rows
    assert row.counterpart_vnd is None and "counterpart_vnd" not in row.inferred


def test_invisible_characters_pasted_into_cells_are_dropped(tmp_path: Path) -> None:
    header = ["STT", "Mã đề án", "Tên đề án", "Kinh phí hỗ trợ (đồng)"]
    rows = [[1, "DA-002\u200b", "\u200bĐào tạo nghề mây tre đan", "\ufeff100.000.000"]]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", header_rows=[header], rows=rows))
    (row,) = result.rows
    assert (row.project_code, row.title, row.support_vnd) == (
        "DA-002",
        "Đào tạo nghề mây tre đan",
        100_000_000,
    )
    assert codes(result, "ERROR") == []


def test_a_model_or_cluster_plan_is_one_per_project_unless_the_file_counts_them(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Số mô hình", "Kinh phí hỗ trợ (triệu đồng)"]
    rows = [
        [1, "Xây dựng mô hình trình diễn kỹ thuật sấy chè", "", 300],
        [2, "Xây dựng mô hình trình diễn kỹ thuật chế biến gỗ", 3, 400],
        [3, "Lập quy hoạch chi tiết cụm công nghiệp Sơn Cẩm", "", 500],
        [4, "Hỗ trợ ứng dụng máy sao chè", "", 200],
        [5, "Đào tạo nghề mây tre đan", "", 100],
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", header_rows=[header], rows=rows))
    counts = [(r.activity_code, r.models, r.clusters, r.trainees) for r in result.rows]
    assert counts == [
        ("demo_model", 1, None, None),
        ("demo_model", 3, None, None),
        ("cluster_planning", None, 1, None),
        ("machinery_transfer", None, None, None),
        ("vocational_training", None, None, None),  # trainees are never guessed
    ]
    assert ["models" in r.inferred for r in result.rows] == [True, False, False, False, False]
    assert "clusters" in result.rows[2].inferred


def test_a_unit_line_written_in_a_cell_of_the_header_row(tmp_path: Path) -> None:
    header = [
        "STT",
        "Tên đề án",
        "Tổng kinh phí",
        "Kinh phí hỗ trợ",
        "Đối ứng",
        "",
        "Đơn vị tính: triệu đồng",
    ]
    rows = [[1, "Hỗ trợ máy sao chè", 40_000, 15_000, 25_000], [2, "Hỗ trợ máy sấy chè", 400, 150, 250]]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert result.sheets[0].money_scale_source == "unit line"
    assert [r.support_vnd for r in result.rows] == [15_000 * MILLION, 150 * MILLION]
    assert "money_unit_inferred" not in codes(result) and "unknown_column" not in codes(result)


def test_money_columns_without_a_unit_share_one_guess(tmp_path: Path) -> None:
    """Guessed column by column, a small support would be read in another unit than its total."""
    header = ["STT", "Tên đề án", "Tổng kinh phí", "Kinh phí hỗ trợ", "Đối ứng"]
    rows = [[1, "Hỗ trợ máy sao chè", 12_000, 2_000, 10_000], [2, "Hỗ trợ máy sấy chè", 9_000, 3_000, 6_000]]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows))
    assert len(set(result.sheets[0].money_scale.values())) == 1
    assert [(r.total_vnd, r.support_vnd + r.counterpart_vnd) for r in result.rows] == [
        (12_000_000, 12_000_000),
        (9_000_000, 9_000_000),
    ]
