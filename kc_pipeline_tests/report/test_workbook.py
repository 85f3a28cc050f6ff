"""The staff workbook, reopened with openpyxl: layout, formats, totals, charts and hostile text.

The hand-made summary (support in triệu đồng) that every total below is checked against:

    year  unit  source  activity             projects  support  counterpart  trainees  models  clusters
    2021  164   KCDP    machinery_transfer   3         300      600          -         -       -
    2021  167   KCDP    workshop_training    2         40       -            -         -       -
    2021  19    KCQG    vocational_training  1         125      -            125       -       -
    2022  164   KCDP    machinery_transfer   4         450.5    900          -         -       -
    2022  171   KCDP    demo_model           1         200      100          -         1       -
    2022  171   KCQG    cluster_planning     2         500      -            -         -       2

The period is 2021-2023: 2023 has no projects and must still show as a row of zeros.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from kc_pipeline.aggregate.targets import OUTPUT_COLUMNS
from kc_pipeline.aggregate.yearly import yearly_trend_rows
from kc_pipeline.reference import load_reference
from kc_pipeline.report import workbook
from kc_pipeline.report.data import PROJECT_COLUMNS, ReportData
from kc_pipeline.report.workbook import SHEETS, _on_time_text, cell_value, write_workbook

M = 1_000_000
SUMMARY_COLUMNS = [
    "year", "unit_code", "funding_source", "programme_code", "activity_code", "projects", "support_vnd",
    "counterpart_vnd", "total_vnd", "trainees", "models", "clusters",
]  # fmt: skip
SUMMARY = [
    (2021, "164", "KCDP", "technology", "machinery_transfer", 3, 300 * M, 600 * M, 900 * M, 0, 0, 0),
    (2021, "167", "KCDP", "management_capacity", "workshop_training", 2, 40 * M, 0, 40 * M, 0, 0, 0),
    (2021, "19", "KCQG", "human_resources", "vocational_training", 1, 125 * M, 0, 125 * M, 125, 0, 0),
    (2022, "164", "KCDP", "technology", "machinery_transfer", 4, 450_500_000, 900 * M, 1_350_500_000,
     0, 0, 0),
    (2022, "171", "KCDP", "technology", "demo_model", 1, 200 * M, 100 * M, 300 * M, 0, 1, 0),
    (2022, "171", "KCQG", "linkage_clusters", "cluster_planning", 2, 500 * M, 0, 500 * M, 0, 0, 2),
]  # fmt: skip
COMPLETENESS_COLUMNS = [
    "year", "unit_code", "expected", "received", "on_time", "deadline", "first_received_at",
    "last_received_at",
]  # fmt: skip
QUARANTINE_COLUMNS = ["unit_code", "year", "path", "source_sheet", "source_row", "raw", "reasons"]
HOSTILE = {
    '=HYPERLINK("http://x","y")': '=HYPERLINK("http://x","y")',
    "+84912345678": "+84912345678",
    "-1": "-1",
    "@SUM(A1)": "@SUM(A1)",
    "#N/A": "#N/A",  # an error code to openpyxl's guess, text here
    "a\x0bb": "ab",
    "\x00x": "x",
}
ENGLISH = re.compile(
    r"\b(year|unit|code|total|support|project|status|funding|programme|activity|source|row|sheet|file|"
    r"vnd|target|actual|progress|expected|deadline|received|raw|reason|count|name)s?\b"
)


def project(
    year: int, unit: str, source: str, activity: str, title: str, support: int, **counts: Any
) -> dict:
    ref = load_reference()
    return {
        "year": year,
        "unit_code": unit,
        "funding_source": source,
        "programme_code": ref.activities[activity].programme_code,
        "activity_code": activity,
        "title": title,
        "beneficiary": f"Cơ sở {title}",
        "commune": "Xã Hùng Sơn",
        "sector_code": "agro_food_processing",
        "value_chain_code": "tea",
        "support_vnd": support,
        "counterpart_vnd": 2 * support,
        "total_vnd": 3 * support,
        "trainees": counts.get("trainees"),
        "models": counts.get("models"),
        "clusters": counts.get("clusters"),
        "project_code": None,
        "source_file_id": "ab" * 32,
        "source_sheet": "Sheet1",
        "source_row": 7,
    }


def report_data(
    titles: tuple[str, ...] = ("Hỗ trợ máy sao chè", "Lớp đào tạo nghề mây tre"), unit_code: str | None = None
) -> ReportData:
    summary = pd.DataFrame(SUMMARY, columns=SUMMARY_COLUMNS)
    if unit_code is not None:  # as load_report_data filters
        summary = summary[summary["unit_code"] == unit_code]
    projects = pd.DataFrame(
        [
            project(2021 + i % 2, "164", "KCDP", "machinery_transfer", title, (100 + i) * M)
            for i, title in enumerate(titles)
        ]
        + [
            project(
                2021, "19", "KCQG", "vocational_training", "Đào tạo nghề dệt thổ cẩm", 125 * M, trainees=125
            )
        ],
        columns=list(PROJECT_COLUMNS),
    )
    completeness = pd.DataFrame(
        [
            (2021, "164", 1, 1, 1, date(2021, 12, 20), datetime(2021, 12, 1, 2, 30, tzinfo=UTC),
             datetime(2021, 12, 19, 20, 0, tzinfo=UTC)),
            (2021, "167", 1, 0, None, date(2021, 12, 20), None, None),
        ],
        columns=COMPLETENESS_COLUMNS,
    )  # fmt: skip
    targets = pd.DataFrame(
        [
            # indicator, label, unit, year, target, actual, progress %, expected %, status, 2025, projected
            ("demo_models", "Số mô hình trình diễn", "mô hình", 2021, 50.0, 0.0, 0.0, 20.0, "behind", 0.0,
             "short"),
            ("demo_models", "Số mô hình trình diễn", "mô hình", 2022, 50.0, 1.0, 2.0, 40.0, "behind", 2.5,
             "short"),
            ("support_funding", "Tổng kinh phí khuyến công hỗ trợ", "triệu đồng", 2022, 110000.0, 1615.5,
             1.4686, 33.3, "behind", 4038.75, "short"),
            ("trainees", "Số lao động được đào tạo", "lao động", 2022, 100.0, 125.0, 125.0, 40.0, "achieved",
             312.5, "achieved"),
            ("priority", "Tỷ lệ ngành nghề ưu tiên", "%", 2022, 85.0, 80.0, 94.12, 100.0, "at_risk", 80.0,
             "short"),
        ],
        columns=[
            "indicator_code", "label_vi", "unit", "year", "target_value", "actual_value", "progress_pct",
            "expected_pct", "status", "projection_2025", "projected_status",
        ],
    )  # fmt: skip
    quarantine = pd.DataFrame(
        [
            ("171", 2022, "2022/dai-tu/a.xlsx", "Biểu 01", 12, {"Tên đề án": "=cmd|'/C calc'!A0", "Tổng": 5},
             "Tổng kinh phí phải bằng kinh phí khuyến công hỗ trợ cộng kinh phí đối ứng"),
        ],
        columns=QUARANTINE_COLUMNS,
    )  # fmt: skip
    return ReportData(
        year_from=2021,
        year_to=2023,
        unit_code=unit_code,
        reference=load_reference(),
        summary=summary,
        trend=pd.DataFrame(yearly_trend_rows(summary.to_dict(orient="records"))),
        projects=projects,
        completeness=completeness,
        targets=targets[list(OUTPUT_COLUMNS)],
        quarantine=quarantine,
    )


def empty_data() -> ReportData:
    return ReportData(
        year_from=2024,
        year_to=2024,
        unit_code=None,
        reference=load_reference(),
        summary=pd.DataFrame(columns=SUMMARY_COLUMNS),
        trend=pd.DataFrame(columns=["year", "funding_source", "projects", "support_vnd"]),
        projects=pd.DataFrame(columns=list(PROJECT_COLUMNS)),
        completeness=pd.DataFrame(columns=COMPLETENESS_COLUMNS),
        targets=pd.DataFrame(columns=list(OUTPUT_COLUMNS)),
        quarantine=pd.DataFrame(columns=QUARANTINE_COLUMNS),
    )


def reopen(data: ReportData, tmp_path: Path) -> openpyxl.Workbook:
    path = tmp_path / "bao_cao.xlsx"
    write_workbook(data, path)
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    return reopen(report_data(), tmp_path_factory.mktemp("workbook"))


def cells(wb: openpyxl.Workbook) -> Iterator[Cell]:
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from (c for c in row if c.value is not None)


def headers(ws: Worksheet) -> list[str]:
    return [c.value for c in ws[3] if c.value is not None]


def col(ws: Worksheet, header: str) -> int:
    return headers(ws).index(header) + 1


def row_where(ws: Worksheet, **match: Any) -> int:
    """The row whose cells under the given headers hold the given values (headers spelled with _)."""
    found = [
        r
        for r in range(4, ws.max_row + 1)
        if all(ws.cell(r, col(ws, h.replace("_", " "))).value == v for h, v in match.items())
    ]
    assert len(found) == 1, f"{match}: rows {found}"
    return found[0]


def value(ws: Worksheet, row: int, header: str) -> Any:
    return ws.cell(row, col(ws, header)).value


def frame_sum(column: str, **where: Any) -> float:
    frame = pd.DataFrame(SUMMARY, columns=SUMMARY_COLUMNS)
    for key, wanted in where.items():
        frame = frame[frame[key] == wanted]
    return float(frame[column].sum())


# ------------------------------------------------------------------------------------------ layout


def test_sheets_are_the_vietnamese_ones_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == list(SHEETS)
    assert SHEETS == (
        "Tổng hợp", "KC địa phương", "KC quốc gia", "Theo đơn vị", "Theo năm", "Mục tiêu 2021-2025",
        "Tình hình báo cáo", "Dòng bị loại", "Danh sách đề án",
    )  # fmt: skip


def test_title_names_period_and_unit(book: openpyxl.Workbook, tmp_path: Path) -> None:
    assert book["Tổng hợp"]["A1"].value == "BÁO CÁO KẾT QUẢ HOẠT ĐỘNG KHUYẾN CÔNG 2021-2023 – toàn tỉnh"
    district = reopen(report_data(unit_code="171"), tmp_path)
    assert district["Tổng hợp"]["A1"].value == "BÁO CÁO KẾT QUẢ HOẠT ĐỘNG KHUYẾN CÔNG 2021-2023 – Đại Từ"
    units = district["Theo đơn vị"]
    assert [units.cell(r, 1).value for r in range(4, units.max_row + 1) if units.cell(r, 1).value] == [
        "Đại Từ",
        "Tổng cộng",
    ]
    assert "toàn tỉnh" in district["Mục tiêu 2021-2025"]["A2"].value  # targets are provincial


def test_headers_are_vietnamese(book: openpyxl.Workbook) -> None:
    expected = {
        "Tổng hợp": ["Năm", "Nguồn kinh phí", "Số đề án", "Kinh phí KC hỗ trợ (triệu đồng)",
                     "Kinh phí đối ứng (triệu đồng)", "Tổng kinh phí (triệu đồng)",
                     "Lao động được đào tạo (người)", "Mô hình trình diễn", "Cụm công nghiệp"],
        "Mục tiêu 2021-2025": ["STT", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu 2021-2025", "Thực hiện (lũy kế)",
                               "% thực hiện", "% theo tiến độ", "Đánh giá", "Dự kiến đến năm 2025",
                               "Khả năng đạt mục tiêu 2025"],
        "Tình hình báo cáo": ["Năm", "Đơn vị", "Phải báo cáo", "Đã nhận (số tệp)", "Tệp bị từ chối",
                              "Đúng hạn", "Hạn nộp", "Ngày nhận đầu tiên", "Ngày nhận cuối"],
        "Dòng bị loại": ["Năm", "Đơn vị", "Tệp", "Trang tính", "Dòng", "Lý do", "Nội dung dòng gốc"],
    }  # fmt: skip
    for name, wanted in expected.items():
        assert headers(book[name]) == wanted, name
    assert headers(book["KC địa phương"])[:6] == [
        "STT", "Chương trình", "Hoạt động", "Số đề án 2021", "Số đề án 2022", "Số đề án 2023",
    ]  # fmt: skip
    assert "Số đề án KCĐP" in headers(book["Theo năm"]) and "Số đề án KCQG" in headers(book["Theo năm"])
    assert "Tên đề án" in headers(book["Danh sách đề án"])
    for ws in book.worksheets:
        assert headers(ws), ws.title
        for header in headers(ws):
            assert not ENGLISH.search(header.lower()), f"{ws.title}: {header!r}"


def test_every_sheet_freezes_filters_and_prints_landscape_to_width(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets:
        width = len(headers(ws))
        assert ws.freeze_panes == "A4", ws.title
        first, last = ws.auto_filter.ref.split(":")
        assert first == "A3", ws.title
        assert re.fullmatch(r"[A-Z]+\d+", last) and range_boundaries(ws.auto_filter.ref)[2] == width, ws.title
        assert ws.page_setup.orientation == "landscape", ws.title
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True, ws.title
        assert ws.print_title_rows == "$3:$3", ws.title  # the header row on every page


def test_filters_cover_exactly_the_data_rows(book: openpyxl.Workbook) -> None:
    # 3 years x 2 sources; 3 projects; 1 quarantined row; 2 completeness rows; 4 targets of 2022.
    expected_last = {"Tổng hợp": 9, "Danh sách đề án": 6, "Dòng bị loại": 4, "Tình hình báo cáo": 5}
    expected_last["Mục tiêu 2021-2025"] = 7
    expected_last["Theo năm"] = 6
    expected_last["KC địa phương"] = 6  # machinery_transfer, demo_model, workshop_training
    expected_last["KC quốc gia"] = 5
    for name, last in expected_last.items():
        assert range_boundaries(book[name].auto_filter.ref)[3] == last, name


def test_column_widths_follow_content_and_are_capped(tmp_path: Path) -> None:
    long_title = "Hỗ trợ ứng dụng máy móc thiết bị tiên tiến " * 6
    ws = reopen(report_data(titles=(long_title, "Ngắn")), tmp_path)["Danh sách đề án"]
    title_column = ws.column_dimensions[openpyxl.utils.get_column_letter(col(ws, "Tên đề án"))]
    year_column = ws.column_dimensions[openpyxl.utils.get_column_letter(col(ws, "Năm"))]
    assert title_column.width == 50  # capped: the rest wraps
    assert year_column.width < 12
    assert ws.cell(row_where(ws, STT=1), col(ws, "Tên đề án")).alignment.wrap_text is True


# ----------------------------------------------------------------------------------------- numbers


def test_number_formats(book: openpyxl.Workbook) -> None:
    summary = book["Tổng hợp"]
    row = row_where(summary, Năm=2021, Nguồn_kinh_phí="Khuyến công địa phương")
    assert summary.cell(row, col(summary, "Số đề án")).number_format == "#,##0"
    assert summary.cell(row, col(summary, "Kinh phí KC hỗ trợ (triệu đồng)")).number_format == "#,##0.0"
    assert summary.cell(row, col(summary, "Năm")).number_format == "0"  # never "2.021"
    projects = book["Danh sách đề án"]
    for header in ("Kinh phí KC hỗ trợ (đồng)", "Kinh phí đối ứng (đồng)", "Tổng kinh phí (đồng)"):
        assert projects.cell(4, col(projects, header)).number_format == "#,##0", header
    targets = book["Mục tiêu 2021-2025"]
    assert targets.cell(4, col(targets, "% thực hiện")).number_format == "0.0%"
    assert targets.cell(4, col(targets, "% theo tiến độ")).number_format == "0.0%"
    money_row = row_where(targets, Đơn_vị_tính="triệu đồng")
    assert targets.cell(money_row, col(targets, "Thực hiện (lũy kế)")).number_format == "#,##0.0"
    count_row = row_where(targets, Đơn_vị_tính="mô hình")
    assert targets.cell(count_row, col(targets, "Mục tiêu 2021-2025")).number_format == "#,##0"
    reports = book["Tình hình báo cáo"]
    assert reports.cell(4, col(reports, "Hạn nộp")).number_format == "dd/mm/yyyy"
    trend = book["Theo năm"]
    assert trend.cell(5, col(trend, "Kinh phí KC hỗ trợ tăng/giảm so với năm trước")).number_format == "0.0%"


def test_summary_totals_equal_the_frame(book: openpyxl.Workbook) -> None:
    ws = book["Tổng hợp"]
    local_2021 = row_where(ws, Năm=2021, Nguồn_kinh_phí="Khuyến công địa phương")
    assert value(ws, local_2021, "Số đề án") == frame_sum("projects", year=2021, funding_source="KCDP") == 5
    assert value(ws, local_2021, "Kinh phí KC hỗ trợ (triệu đồng)") == pytest.approx(340.0)
    national_2022 = row_where(ws, Năm=2022, Nguồn_kinh_phí="Khuyến công quốc gia")
    assert value(ws, national_2022, "Cụm công nghiệp") == 2
    empty_year = row_where(ws, Năm=2023, Nguồn_kinh_phí="Khuyến công địa phương")
    assert value(ws, empty_year, "Số đề án") == 0
    grand = row_where(ws, Năm="Tổng cộng")
    assert value(ws, grand, "Số đề án") == frame_sum("projects") == 13
    assert value(ws, grand, "Kinh phí KC hỗ trợ (triệu đồng)") == pytest.approx(frame_sum("support_vnd") / M)
    assert value(ws, grand, "Tổng kinh phí (triệu đồng)") == pytest.approx(frame_sum("total_vnd") / M)
    assert value(ws, grand, "Lao động được đào tạo (người)") == 125
    local = row_where(ws, Năm="Cộng 2021-2023", Nguồn_kinh_phí="Khuyến công địa phương")
    assert value(ws, local, "Số đề án") == frame_sum("projects", funding_source="KCDP") == 10


def test_source_sheets_list_programmes_and_activities_by_name(book: openpyxl.Workbook) -> None:
    ref = load_reference()
    ws = book["KC địa phương"]
    machinery = row_where(ws, Hoạt_động=ref.activities["machinery_transfer"].name_vi)
    assert value(ws, machinery, "Chương trình") == ref.programmes["technology"].name_vi
    assert value(ws, machinery, "Số đề án 2021") == 3 and value(ws, machinery, "Số đề án 2022") == 4
    assert value(ws, machinery, "Tổng số đề án") == 7
    assert value(ws, machinery, "Kinh phí KC hỗ trợ 2022 (triệu đồng)") == pytest.approx(450.5)
    total = row_where(ws, Chương_trình="Tổng cộng")
    assert value(ws, total, "Tổng số đề án") == frame_sum("projects", funding_source="KCDP")
    assert value(ws, total, "Tổng kinh phí KC hỗ trợ (triệu đồng)") == pytest.approx(
        frame_sum("support_vnd", funding_source="KCDP") / M
    )
    # The programme table below: technology has machinery (7) and demo model (1).
    technology = [
        r
        for r in range(total + 1, ws.max_row + 1)
        if ws.cell(r, 2).value == ref.programmes["technology"].name_vi
        and ws.cell(r, 3).value == "Cả chương trình"
    ]
    assert [value(ws, r, "Tổng số đề án") for r in technology] == [8]
    national = book["KC quốc gia"]
    assert value(national, row_where(national, Chương_trình="Tổng cộng"), "Tổng số đề án") == 3


def test_unit_and_year_sheets(book: openpyxl.Workbook) -> None:
    units = book["Theo đơn vị"]
    city = row_where(units, Đơn_vị="Thành phố Thái Nguyên")
    assert value(units, city, "Tổng số đề án") == 7
    assert value(units, city, "Kinh phí KC hỗ trợ KCĐP (triệu đồng)") == pytest.approx(750.5)
    assert value(units, row_where(units, Đơn_vị="Võ Nhai"), "Tổng số đề án") == 0  # existed, no projects
    assert value(units, row_where(units, Đơn_vị="Tổng cộng"), "Số đề án KCQG") == 3
    years = book["Theo năm"]
    row_2022 = row_where(years, Năm=2022)
    assert value(years, row_2022, "Số đề án KCĐP") == 5 and value(years, row_2022, "Tổng số đề án") == 7
    assert value(years, row_2022, "Kinh phí KC hỗ trợ tăng/giảm so với năm trước") == pytest.approx(
        (1150.5 - 465) / 465, abs=1e-4
    )
    assert value(years, row_2022, "Cả số đề án và kinh phí cao hơn năm trước") == "Có"
    assert value(years, row_where(years, Năm=2023), "Tổng số đề án") == 0


def test_targets_show_the_last_year_with_statuses_in_vietnamese(book: openpyxl.Workbook) -> None:
    ws = book["Mục tiêu 2021-2025"]
    assert [value(ws, r, "Đánh giá") for r in range(4, 8)] == [
        "Chậm tiến độ", "Chậm tiến độ", "Đã đạt", "Có nguy cơ chậm",
    ]  # fmt: skip
    models = row_where(ws, Chỉ_tiêu="Số mô hình trình diễn")  # 2022 only, not 2021 as well
    assert value(ws, models, "% thực hiện") == pytest.approx(0.02)
    assert value(ws, models, "% theo tiến độ") == pytest.approx(0.40)
    assert value(ws, models, "Thực hiện (lũy kế)") == 1
    assert value(ws, models, "Khả năng đạt mục tiêu 2025") == "Không đạt mục tiêu"


def test_completeness_and_quarantine(book: openpyxl.Workbook) -> None:
    ws = book["Tình hình báo cáo"]
    city = row_where(ws, Đơn_vị="Thành phố Thái Nguyên")
    assert value(ws, city, "Đúng hạn") == "Có"
    assert value(ws, city, "Hạn nộp") == datetime(2021, 12, 20)
    assert value(ws, city, "Ngày nhận cuối") == datetime(2021, 12, 20, 3, 0)  # 20:00 UTC is 03:00 in Việt Nam
    assert value(ws, row_where(ws, Đơn_vị="Định Hóa"), "Đúng hạn") == "Chưa nộp"
    assert value(ws, city, "Tệp bị từ chối") == 0
    assert "năm 2021: 1/2 đơn vị, 1 đúng hạn" in ws["A2"].value
    rejected = book["Dòng bị loại"]
    assert value(rejected, 4, "Tệp") == "2022/dai-tu/a.xlsx" and value(rejected, 4, "Dòng") == 12
    assert value(rejected, 4, "Nội dung dòng gốc") == "Tên đề án: =cmd|'/C calc'!A0 | Tổng: 5"
    assert value(rejected, 4, "Lý do").startswith("Tổng kinh phí phải bằng")


def test_project_list_keeps_dong_and_names(book: openpyxl.Workbook) -> None:
    ws = book["Danh sách đề án"]
    tea = row_where(ws, Tên_đề_án="Hỗ trợ máy sao chè")
    assert value(ws, tea, "Kinh phí KC hỗ trợ (đồng)") == 100 * M
    assert value(ws, tea, "Đơn vị") == "Thành phố Thái Nguyên"
    assert value(ws, tea, "Ngành nghề") == "Chế biến nông, lâm sản, thực phẩm, đồ uống"
    assert value(ws, tea, "Chuỗi giá trị") == "Chè"
    total = row_where(ws, Tên_đề_án="Tổng cộng (3 đề án)")
    assert value(ws, total, "Tổng kinh phí (đồng)") == 3 * (100 + 101 + 125) * M
    assert value(ws, total, "Lao động được đào tạo (người)") == 125


# ------------------------------------------------------------------------------------------ charts


def chart_values(wb: openpyxl.Workbook, formula: str) -> list[Any]:
    sheet, cells_ref = formula.rsplit("!", 1)
    ws = wb[sheet.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells_ref.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def test_charts_are_native_and_read_the_table_cells(book: openpyxl.Workbook) -> None:
    for name in ("Theo năm", "KC địa phương", "KC quốc gia", "Mục tiêu 2021-2025"):
        assert len(book[name]._charts) == 1, name
    assert not book["Danh sách đề án"]._charts
    funding = book["Theo năm"]._charts[0]
    by_title = {
        chart_values(book, s.tx.strRef.f)[0]: chart_values(book, s.val.numRef.f) for s in funding.series
    }
    assert by_title["Kinh phí KC hỗ trợ KCĐP (triệu đồng)"] == pytest.approx([340.0, 650.5, 0.0])
    assert by_title["Kinh phí KC hỗ trợ KCQG (triệu đồng)"] == pytest.approx([125.0, 500.0, 0.0])
    assert chart_values(book, funding.series[0].cat.numRef.f) == [2021, 2022, 2023]
    targets = book["Mục tiêu 2021-2025"]._charts[0]
    titles = [chart_values(book, s.tx.strRef.f)[0] for s in targets.series]
    assert titles == ["% thực hiện", "% theo tiến độ"]
    assert chart_values(book, targets.series[1].val.numRef.f) == pytest.approx([0.4, 0.333, 0.4, 1.0])
    programmes = book["KC địa phương"]._charts[0]
    ref = load_reference()
    names = chart_values(book, programmes.series[0].cat.strRef.f)
    counts = dict(zip(names, chart_values(book, programmes.series[0].val.numRef.f), strict=True))
    assert counts == {
        ref.programmes["management_capacity"].name_vi: 2,
        ref.programmes["technology"].name_vi: 8,
    }


# ------------------------------------------------------------------------------------------ safety


def test_no_cell_is_a_formula(book: openpyxl.Workbook) -> None:
    found = list(cells(book))
    assert len(found) > 200
    assert not [c.coordinate for c in found if c.data_type in ("f", "e")]


def test_hostile_text_is_kept_as_text_and_control_characters_are_dropped(tmp_path: Path) -> None:
    wb = reopen(report_data(titles=tuple(HOSTILE)), tmp_path)
    ws = wb["Danh sách đề án"]
    column = col(ws, "Tên đề án")
    stored = {ws.cell(r, column).value: ws.cell(r, column) for r in range(4, 4 + len(HOSTILE))}
    assert set(stored) == set(HOSTILE.values())
    for original, kept in HOSTILE.items():
        cell = stored[kept]
        assert cell.data_type == "s", repr(original)
        if original[0] in "=+-@":
            assert cell.value == original and cell.quotePrefix is True
    beneficiary = ws.cell(row_where(ws, Tên_đề_án="ab"), col(ws, "Đơn vị thụ hưởng"))
    assert beneficiary.value == "Cơ sở ab"
    assert not [c.coordinate for c in cells(wb) if c.data_type in ("f", "e")]
    assert wb["Dòng bị loại"]["G4"].data_type == "s"


def test_cell_value_makes_values_excel_can_hold() -> None:
    assert cell_value(np.int64(7)) == 7 and type(cell_value(np.int64(7))) is int
    assert cell_value(float("nan")) is None and cell_value(pd.NA) is None and cell_value(pd.NaT) is None
    assert cell_value(float("inf")) is None
    assert cell_value(pd.Timestamp("2021-12-19T20:00:00Z")) == datetime(2021, 12, 20, 3, 0)
    assert cell_value(np.datetime64("2021-01-02T03:04:05")) == datetime(2021, 1, 2, 3, 4, 5)
    assert cell_value("a\r\nb\rc\x0c\ufffe") == "a\nb\nc"
    assert cell_value(np.bool_(True)) is True
    assert len(cell_value("x" * 40_000)) == 32_767  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- empty


def test_empty_data_still_gives_every_sheet_with_a_note(tmp_path: Path) -> None:
    wb = reopen(empty_data(), tmp_path)
    assert wb.sheetnames == list(SHEETS)
    for ws in wb.worksheets:
        assert re.search(r"Không có|Chưa có", ws["A2"].value), ws.title
        assert headers(ws), ws.title
        assert ws.freeze_panes == "A4" and ws.auto_filter.ref.startswith("A3:"), ws.title
        assert not ws._charts, ws.title
    assert wb["Tổng hợp"]["A1"].value == "BÁO CÁO KẾT QUẢ HOẠT ĐỘNG KHUYẾN CÔNG 2024 – toàn tỉnh"
    projects = wb["Danh sách đề án"]
    assert projects.auto_filter.ref == f"A3:{openpyxl.utils.get_column_letter(len(headers(projects)))}3"
    assert not [c.coordinate for c in cells(wb) if c.data_type in ("f", "e")]


# ------------------------------------------------------------------------------------------- scale


def national_data(n: int, hostile: tuple[str, ...] = ()) -> ReportData:
    """``n`` projects shaped like a national load: unique titles and beneficiaries, sparse counts.

    Built column by column (a list of row dicts would dominate the memory a benchmark measures), with
    the summary aggregated from the projects so that every sheet has content. ``hostile`` titles first.
    """
    ref = load_reference()
    units, activities = list(ref.units), list(ref.activities)
    communes = ["Hùng Sơn", "Phú Xuyên", "Tân Linh", "Yên Lãng", "Quân Chu", "La Bằng", "Minh Tiến"]
    sectors, chains = list(ref.sectors), [*ref.value_chains, None]
    rows = range(n)
    activity = [activities[i % len(activities)] for i in rows]
    support = [50 * M + (i * 7_919 % 1_950) * M for i in rows]
    columns: dict[str, list[Any]] = {
        "year": [2021 + i % 5 for i in rows],
        "unit_code": [units[i % len(units)] for i in rows],
        "funding_source": ["KCQG" if i % 4 == 0 else "KCDP" for i in rows],
        "programme_code": [ref.activities[a].programme_code for a in activity],
        "activity_code": activity,
        "title": [
            hostile[i]
            if i < len(hostile)
            else f"{ref.activities[activity[i]].name_vi} cho cơ sở sản xuất số {i} tại xã {communes[i % 7]}"
            for i in rows
        ],
        "beneficiary": [f"Công ty TNHH chế biến nông sản {i}" for i in rows],
        "commune": [f"Xã {communes[i % 7]}" for i in rows],
        "sector_code": [sectors[i % len(sectors)] for i in rows],
        "value_chain_code": [chains[i % len(chains)] for i in rows],
        "support_vnd": support,
        "counterpart_vnd": [2 * s if i % 3 else 0 for i, s in enumerate(support)],
        "total_vnd": [(3 if i % 3 else 1) * s for i, s in enumerate(support)],
        "trainees": [30 + i % 40 if a == "vocational_training" else None for i, a in enumerate(activity)],
        "models": [1 if a == "demo_model" else None for a in activity],
        "clusters": [1 if a == "cluster_planning" else None for a in activity],
        "project_code": [f"KC-{2021 + i % 5}-{i:06d}" if i % 2 else None for i in rows],
        "source_file_id": [f"{i % 997:064x}" for i in rows],
        "source_sheet": ["Biểu 01"] * n,
        "source_row": [7 + i % 400 for i in rows],
    }
    projects = pd.DataFrame(columns)[list(PROJECT_COLUMNS)]
    del columns, activity, support
    measures = ["support_vnd", "counterpart_vnd", "total_vnd", "trainees", "models", "clusters"]
    keys = ["year", "unit_code", "funding_source", "programme_code", "activity_code"]
    summary = projects.groupby(keys, as_index=False).agg(
        projects=("title", "size"), **{m: (m, "sum") for m in measures}
    )
    summary[measures] = summary[measures].astype("int64")
    summary = summary[SUMMARY_COLUMNS]
    base = report_data()
    return ReportData(
        year_from=2021,
        year_to=2025,
        unit_code=None,
        reference=ref,
        summary=summary,
        trend=pd.DataFrame(yearly_trend_rows(summary.to_dict(orient="records"))),
        projects=projects,
        completeness=base.completeness,
        targets=base.targets,
        quarantine=base.quarantine,
    )


def test_a_long_project_list_is_whole_formatted_and_formula_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3,000 projects with the layout sample cut to 500 rows: the path a national list takes.

    Row 2998 is left out of the sample (every 6th row is in it) and holds the widest number and the
    only place name too long for its column: the width still fits the number, and that cell wraps.
    """
    monkeypatch.setattr(workbook, "SAMPLE_ROWS", 500)
    n, outlier = 3_000, 2_998
    data = national_data(n, hostile=tuple(HOSTILE))
    data.projects.loc[outlier, "support_vnd"] = 987_654_321_012_345
    data.projects.loc[outlier, "commune"] = "Xã có một cái tên rất dài để thử ngắt dòng trong ô"
    ws = reopen(data, tmp_path)["Danh sách đề án"]
    index = {header: i for i, header in enumerate(headers(ws))}
    rows = list(ws.iter_rows(min_row=4))
    projects, total = rows[:n], rows[n]

    assert len(rows) == n + 1 and ws.max_row == 3 + n + 1  # title, note, header, projects, total
    assert ws.auto_filter.ref == f"A3:T{3 + n}"
    assert [row[0].value for row in projects] == list(range(1, n + 1))
    for header, number_format in {
        "Năm": "0",
        "Kinh phí KC hỗ trợ (đồng)": "#,##0",
        "Kinh phí đối ứng (đồng)": "#,##0",
        "Tổng kinh phí (đồng)": "#,##0",
        "Lao động được đào tạo (người)": "#,##0",
        "Dòng gốc": "#,##0",
    }.items():
        found = {row[index[header]].number_format for row in projects if row[index[header]].value is not None}
        assert found == {number_format}, header
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type in ("f", "e")]
    for row, original in zip(projects, HOSTILE, strict=False):
        title = row[index["Tên đề án"]]
        assert title.value == HOSTILE[original] and title.data_type == "s", original
        assert title.quotePrefix is (original[0] in "=+-@"), original

    assert total[index["Tên đề án"]].value == f"Tổng cộng ({n} đề án)"
    assert total[index["Kinh phí KC hỗ trợ (đồng)"]].value == data.projects["support_vnd"].sum()
    assert total[index["Lao động được đào tạo (người)"]].value == data.projects["trainees"].sum()

    letter = openpyxl.utils.get_column_letter
    support = ws.column_dimensions[letter(index["Kinh phí KC hỗ trợ (đồng)"] + 1)].width
    assert support >= len("987,654,321,012,345") + 2  # measured on every row, not on the sample
    place = index["Địa điểm"]
    assert ws.column_dimensions[letter(place + 1)].width == 25
    assert projects[outlier][place].alignment.wrap_text is True
    assert not projects[0][place].alignment.wrap_text  # the short names in that column do not wrap


def test_project_totals_add_up_as_row_by_row_sums() -> None:
    """Column sums give what adding the records one by one gives, whatever the column's dtype."""
    frame = pd.DataFrame(
        {
            "support_vnd": [10**15, 7, 3],  # int64
            "counterpart_vnd": pd.array([1, None, 2], dtype="Int64"),
            "total_vnd": [0.1, float("inf"), 0.2],  # float64: inf counts as missing
            "trainees": [None, "12", 5],  # object: text is not a number
            "models": [True, False, True],  # bool
            "clusters": [np.nan, np.nan, np.nan],
        }
    )
    one_by_one = workbook._sum(frame.to_dict(orient="records"))
    summed = {m: workbook._column_total(frame, m) for m in frame.columns}
    assert summed == {m: one_by_one[m] for m in frame.columns}
    assert [type(v) for v in summed.values()] == [type(one_by_one[m]) for m in frame.columns]
    assert workbook._column_total(frame, "projects") == 0  # a column the frame lacks adds nothing


def test_a_unit_whose_files_were_all_rejected_is_not_said_to_have_sent_nothing() -> None:
    assert [_on_time_text(None, 0), _on_time_text(None, 2), _on_time_text(1, 1), _on_time_text(0, 0)] == [
        "Chưa nộp", "Tệp lỗi, chưa đọc được", "Có", "Không",
    ]  # fmt: skip
