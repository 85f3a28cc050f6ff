"""End to end through ``read_workbook``: whole district files as a clerk would send them."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from kc_pipeline.ingest.legacy_fonts import LegacyEncoding, decode, encode
from kc_pipeline.ingest.model import ReadResult
from kc_pipeline_tests.builders import HEADER, TITLES, Sheet, project, table_rows, write_table, write_workbook
from kc_pipeline_tests.checks import codes, ignored_rules, issue, read

MILLION = 1_000_000


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def one_project(path: Path, titles: list[str] | tuple[str, ...] = (), **kwargs: object) -> ReadResult:
    return read(write_table(path, rows=[project(1, "Đào tạo nghề mây tre đan")], titles=titles, **kwargs))


# ------------------------------------------------------------------------------------ a whole file


def test_a_district_plan(tmp_path: Path) -> None:
    rows = [
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)"],
        ["I", "KHUYẾN CÔNG QUỐC GIA"],
        ["1", "Chương trình đào tạo nghề, truyền nghề và nâng cao tay nghề"],
        project(
            1,
            "Đào tạo nghề mây tre đan cho 30 lao động",
            "HTX Mây tre Phú Xuyên",
            "Xã Phú Xuyên",
            150,
            100,
            50,
        ),
        project(2, "Hỗ trợ ứng dụng máy sao chè", "Cơ sở chè Hùng Sơn", "Thị trấn Hùng Sơn", 300, 120, 180),
        ["", "Cộng I", "", "", 450, 220, 230],
        ["II", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],
        project(
            1, "Xây dựng mô hình trình diễn kỹ thuật xưởng chế biến gỗ", "Xưởng gỗ An Khánh", "Xã An Khánh"
        ),
        ["", "Cộng II", "", "", 300, 200, 100],
        ["", "Tổng cộng", "", "", 750, 420, 330],
        [],
        ["", "NGƯỜI LẬP BIỂU", "", "", "", "TRƯỞNG PHÒNG"],
    ]
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "ke-hoach.xlsx", rows=rows, titles=TITLES, merge_titles=True
    )
    result = read(path)
    assert (result.status, result.unit_code, result.year, result.file_type) == ("read", "171", 2021, "xlsx")
    assert result.rows_read == 16
    assert [(r.source_row, r.funding_source, r.programme_code, r.activity_code) for r in result.rows] == [
        (8, "KCQG", "human_resources", "vocational_training"),
        (9, "KCQG", "human_resources", "machinery_transfer"),
        (12, "KCDP", "technology", "demo_model"),
    ]
    assert all(r.unit_code == "171" and r.year == 2021 for r in result.rows)
    assert [r.support_vnd for r in result.rows] == [100 * MILLION, 120 * MILLION, 200 * MILLION]
    assert [(t.kind, t.total_vnd) for t in result.totals] == [
        ("subtotal", 450 * MILLION),
        ("subtotal", 300 * MILLION),
        ("total", 750 * MILLION),
    ]
    # The activity outside its section's programme is read, and said.
    assert issue(result, "programme_activity_mismatch").source_row == 9
    assert codes(result, "ERROR") == []
    json.dumps(result.to_dict(), ensure_ascii=False)  # the inspect command prints it


def test_one_sheet_per_funding_source(tmp_path: Path) -> None:
    qg = table_rows([HEADER], [project(1, "Đào tạo nghề mây tre đan"), ["", "Cộng", "", "", 300, 200, 100]])
    dp = table_rows([HEADER], [project(1, "Hội chợ triển lãm"), project(2, "Hỗ trợ máy sao chè")])
    path = write_workbook(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [Sheet("KCQG", qg), Sheet("KCĐP", dp), Sheet(nfd("KCĐP 2"), dp)],
    )
    result = read(path)
    assert [s.name for s in result.sheets] == ["KCQG", "KCĐP", nfd("KCĐP 2")]
    assert [(r.source_sheet, r.source_row, r.funding_source) for r in result.rows] == [
        ("KCQG", 2, "KCQG"),
        ("KCĐP", 2, "KCDP"),
        ("KCĐP", 3, "KCDP"),
        (nfd("KCĐP 2"), 2, "KCDP"),
        (nfd("KCĐP 2"), 3, "KCDP"),
    ]
    assert all("funding_source" in r.inferred for r in result.rows)
    assert [(t.source_sheet, t.funding_source) for t in result.totals] == [("KCQG", "KCQG")]


def test_funding_named_only_in_the_title(tmp_path: Path) -> None:
    titles = ["UBND HUYỆN ĐẠI TỪ", "KẾ HOẠCH KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM 2021"]
    result = one_project(tmp_path / "x.xlsx", titles)
    assert (result.rows[0].funding_source, "funding_source" in result.rows[0].inferred) == ("KCDP", True)


# ------------------------------------------------------------------------------------- unit and year


def test_unit_and_year_from_the_folder(tmp_path: Path) -> None:
    result = one_project(tmp_path / "2021" / "dai-tu" / "x.xlsx")
    assert (result.unit_code, result.year) == ("171", 2021)
    assert codes(result) == []


def test_folder_named_in_vietnamese(tmp_path: Path) -> None:
    result = one_project(tmp_path / "2022" / "Phú Bình" / "x.xlsx")
    assert (result.unit_code, result.year) == ("173", 2022)


@pytest.mark.parametrize(
    ("title", "unit"),
    [
        ("UBND HUYỆN ĐẠI TỪ", "171"),
        ("Phòng Kinh tế & Hạ tầng TP Sông Công", "165"),
        ("TX. Phổ Yên", "172"),
        ("H. Phú Bình", "173"),
        ("UBND HUYỆN ĐÔNG HỶ", "169"),  # the typo of Đồng Hỷ seen in titles
        ("UBND HUYEN DINH HOA", "167"),
        (nfd("UBND huyện Võ Nhai"), "170"),
        ("PHÒNG KINH TẾ - HẠ TẦNG THÀNH PHỐ THÁI NGUYÊN", "164"),
        ("KẾ HOẠCH KHUYẾN CÔNG HUYỆN PHÚ LƯƠNG, TỈNH THÁI NGUYÊN", "168"),
        ("UBND TỈNH THÁI NGUYÊN\nUBND HUYỆN PHÚ LƯƠNG", "168"),
        ("SỞ CÔNG THƯƠNG THÁI NGUYÊN", "19"),
    ],
)
def test_unit_from_the_title_when_the_path_says_nothing(tmp_path: Path, title: str, unit: str) -> None:
    result = one_project(tmp_path / "x.xlsx", [title, "KẾ HOẠCH KHUYẾN CÔNG NĂM 2022"])
    assert (result.unit_code, result.year) == (unit, 2022)
    assert result.rows[0].unit_code == unit
    assert "unit_unknown" not in codes(result)


def test_disagreements_are_warned_and_the_folder_wins(tmp_path: Path) -> None:
    path = tmp_path / "2021" / "dai-tu" / "x.xlsx"
    result = one_project(path, ["UBND HUYỆN PHÚ BÌNH", "KẾ HOẠCH KHUYẾN CÔNG NĂM 2022"])
    assert (result.unit_code, result.year) == ("171", 2021)
    assert issue(result, "unit_mismatch").severity == "WARN"
    assert issue(result, "year_mismatch").severity == "WARN"


def test_a_title_naming_the_folder_unit_and_the_province_agrees(tmp_path: Path) -> None:
    path = tmp_path / "2021" / "dai-tu" / "x.xlsx"
    result = one_project(path, ["UBND TỈNH THÁI NGUYÊN", "UBND HUYỆN ĐẠI TỪ", "KẾ HOẠCH NĂM 2021"])
    assert "unit_mismatch" not in codes(result) and "year_mismatch" not in codes(result)


def test_nothing_names_unit_or_year(tmp_path: Path) -> None:
    result = one_project(tmp_path / "x.xlsx")
    assert result.status == "read"
    assert (result.unit_code, result.year) == (None, None)
    assert codes(result, "ERROR") == ["unit_unknown", "year_unknown"]


def test_year_from_a_year_column(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Tổng kinh phí (đồng)", "Năm thực hiện"]
    rows = [[1, "Lớp 1", 100, 2023], [2, "Lớp 2", 100, 2023], [3, "Lớp 3", 100, 2024]]
    result = read(write_table(tmp_path / "dai-tu" / "x.xlsx", [header], rows))
    assert (result.unit_code, result.year) == ("171", 2023)
    assert [r.year for r in result.rows] == [2023, 2023, 2024]
    assert issue(result, "row_year_mismatch").source_row == 4


# -------------------------------------------------------------------------------------------- text


def test_nfd_text_comes_out_nfc(tmp_path: Path) -> None:
    title, beneficiary = "Đào tạo nghề mây tre đan", "Hợp tác xã Bình Minh"
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [[nfd(h) for h in HEADER]],
        [project(1, nfd(title), nfd(beneficiary), nfd("Xã Hùng Sơn"))],
        titles=[nfd("UBND HUYỆN ĐẠI TỪ")],
    )
    result = read(path)
    (row,) = result.rows
    assert nfd(title) != title  # the file really holds NFD
    assert (row.title, row.beneficiary, row.commune) == (title, beneficiary, "Xã Hùng Sơn")
    assert all(is_nfc(t) for t in (row.title, row.beneficiary, row.commune))
    assert result.ignored[0].text == "UBND HUYỆN ĐẠI TỪ"
    assert row.activity_code == "vocational_training"  # classified on the normalised text


def test_tcvn3_cells_are_converted_by_font_only(tmp_path: Path) -> None:
    """.VnTime cells are decoded; a Unicode cell of the same workbook in Times New Roman is untouched."""
    title = "Đào tạo nghề mây tre đan xã Hùng Sơn"
    beneficiary = "Hợp tác xã Bình Minh"
    heading = "UBND HUYỆN ĐẠI TỪ"
    rows = [
        project(1, encode(title, "tcvn3"), encode(beneficiary, "tcvn3")),  # row 3, .VnTime
        project(2, "Hỗ trợ máy sao chè Bình Minh", "Cơ sở Bình An"),  # row 4, Times New Roman
        project(3, "Hội chợ triển lãm", "Hộ Lý Văn Bình"),  # row 5, default font
    ]
    fonts = {
        "A1": ".VnTimeH",
        "B3": ".VnTime",
        "C3": ".VnTime",
        "B4": "Times New Roman",
        "C4": "Times New Roman",
    }
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        rows=rows,
        titles=[encode(heading, "tcvn3", capital_font=True)],
        fonts=fonts,
    )
    result = read(path)
    assert [(r.title, r.beneficiary) for r in result.rows] == [
        (title, beneficiary),
        ("Hỗ trợ máy sao chè Bình Minh", "Cơ sở Bình An"),  # not "Bỡnh", not "mỏy"
        ("Hội chợ triển lãm", "Hộ Lý Văn Bình"),
    ]
    assert [r.converted for r in result.rows] == ["tcvn3", None, None]
    assert result.ignored[0].text == heading
    assert result.sheets[0].legacy_encoding == "tcvn3"
    found = issue(result, "legacy_text_converted")
    assert found.severity == "INFO" and found.message.startswith("3 cells")
    assert result.unit_code == "171"
    assert result.rows[0].activity_code == "vocational_training"


def test_tcvn3_header_in_a_capital_font(tmp_path: Path) -> None:
    header = [encode(h.upper(), "tcvn3", capital_font=True) for h in HEADER]
    assert header[1] != "TÊN ĐỀ ÁN"
    fonts = {f"{chr(65 + c)}1": ".VnTimeH" for c in range(len(header))}
    result = read(
        write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], [project(1, "Lớp 1")], fonts=fonts)
    )
    assert result.sheets[0].columns["B"] == "title"
    assert result.rows[0].title == "Lớp 1"


def test_vni_cells_are_converted_by_font_only(tmp_path: Path) -> None:
    title = "Đào tạo nghề mây tre đan"
    rows = [project(1, encode(title, "vni")), project(2, "Bình Minh chế biến chè")]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, fonts={"B2": "VNI-Times"})
    result = read(path)
    assert encode(title, "vni") != title
    assert [r.title for r in result.rows] == [title, "Bình Minh chế biến chè"]
    assert [r.converted for r in result.rows] == ["vni", None]
    assert issue(result, "legacy_text_converted").severity == "INFO"


def test_unicode_pasted_into_a_legacy_font_cell_is_left_alone(tmp_path: Path) -> None:
    """Clerks paste Unicode into old .VnTime templates; letters such as "ợ" show it is not TCVN3."""
    rows = [
        project(1, "Hợp tác xã Bình Minh sản xuất chè"),  # Unicode in a .VnTime cell
        project(2, encode("Hợp tác xã Bình Minh", "tcvn3")),  # real TCVN3 in a .VnTime cell
        project(3, nfd("Cơ sở Bình An")),  # NFD Unicode in a .VnTime cell
    ]
    fonts = {"B2": ".VnTime", "B3": ".VnTime", "B4": ".VnTime"}
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, fonts=fonts))
    assert [(r.title, r.converted) for r in result.rows] == [
        ("Hợp tác xã Bình Minh sản xuất chè", None),  # not "Hợp tỏc xó Bỡnh Minh sản xuất chố"
        ("Hợp tác xã Bình Minh", "tcvn3"),
        ("Cơ sở Bình An", None),
    ]


# Unicode of Latin-1 letters only: it reads differently as TCVN3 ("Quõn", "Bỡnh") or VNI ("Hịa", "Cơng").
EITHER_WAY = ["HTX Quân Chu", "Bình", "Hòa Bình", "Sông Công"]
LEGACY_FONTS = pytest.mark.parametrize(("font", "encoding"), [(".VnTime", "tcvn3"), ("VNI-Times", "vni")])


@LEGACY_FONTS
def test_unicode_typed_in_a_legacy_font_sheet_is_kept_as_typed(
    tmp_path: Path, font: str, encoding: LegacyEncoding
) -> None:
    """An old template with its font still set, typed in Unicode: most cells have letters the font
    cannot hold ("ỗ", "ơ"), so the cells that read either way are Unicode too and are not decoded."""
    rows = [
        project(1, "Hỗ trợ máy sấy chè", EITHER_WAY[0], "Xã Hùng Sơn"),
        project(2, "Hỗ trợ máy sao chè", EITHER_WAY[1], EITHER_WAY[2]),
        project(3, "Đào tạo nghề mây tre đan", "Cơ sở chè Bình Minh", EITHER_WAY[3]),
    ]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, titles=TITLES, default_font=font)
    result = read(path)
    assert [(r.title, r.beneficiary, r.raw["Địa điểm"], r.converted) for r in result.rows] == [
        ("Hỗ trợ máy sấy chè", "HTX Quân Chu", "Xã Hùng Sơn", None),
        ("Hỗ trợ máy sao chè", "Bình", "Hòa Bình", None),
        ("Đào tạo nghề mây tre đan", "Cơ sở chè Bình Minh", "Sông Công", None),
    ]
    assert result.sheets[0].legacy_encoding is None
    assert "legacy_text_converted" not in codes(result)
    found = issue(result, "legacy_font_holds_unicode")
    kept = {"tcvn3": 5, "vni": 2}[encoding]  # the texts decoding would change, and "Ghi chú" in TCVN3
    assert kept == sum(decode(t, encoding) != t for t in [*EITHER_WAY, "Ghi chú"])
    assert found.severity == "INFO" and f"0 look like {encoding} code; {kept} cells" in found.message


@LEGACY_FONTS
def test_legacy_sheet_with_a_pasted_unicode_cell_is_still_decoded(
    tmp_path: Path, font: str, encoding: LegacyEncoding
) -> None:
    """Text that reads either way ("Hé Vâ Dòng" in TCVN3) follows the sheet's legacy cells."""
    texts = [
        ("Đào tạo nghề mây tre đan", "Hợp tác xã Bình Minh", "Xã Hùng Sơn"),
        ("Hỗ trợ máy sao chè", "Hộ Võ Dũng", "Xã Hòa Bình"),
        ("Hội chợ triển lãm", "Hộ Lý Văn Bình", "Xã Tân Linh"),
    ]
    rows = [project(n, *(encode(t, encoding) for t in row)) for n, row in enumerate(texts, 1)]
    rows[1][2] = "Cơ sở chè Tân Cương"  # pasted Unicode
    header = [encode(h, encoding) for h in HEADER]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows, default_font=font)
    result = read(path)
    assert [(r.title, r.beneficiary, r.raw["Địa điểm"], r.converted) for r in result.rows] == [
        (*texts[0], encoding),
        (texts[1][0], "Cơ sở chè Tân Cương", texts[1][2], encoding),
        (*texts[2], encoding),
    ]
    converted = issue(result, "legacy_text_converted").message  # the header but "STT", 8 of the 9 row texts
    assert converted.startswith(f"15 cells in {encoding} font")
    assert "legacy_font_holds_unicode" not in codes(result)


@LEGACY_FONTS
def test_legacy_cell_pasted_into_a_unicode_sheet_in_a_legacy_font(
    tmp_path: Path, font: str, encoding: LegacyEncoding
) -> None:
    """The legacy cell is decoded, and the cells that read either way are still kept as typed."""
    rows = [
        project(1, "Hỗ trợ máy sấy chè", "HTX Quân Chu", "Hòa Bình"),
        project(2, encode("Đào tạo nghề mây tre đan", encoding), "Cơ sở chè Bình Minh", "Sông Công"),
    ]
    path = write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows, titles=TITLES, default_font=font)
    result = read(path)
    assert [(r.title, r.beneficiary, r.raw["Địa điểm"], r.converted) for r in result.rows] == [
        ("Hỗ trợ máy sấy chè", "HTX Quân Chu", "Hòa Bình", None),
        ("Đào tạo nghề mây tre đan", "Cơ sở chè Bình Minh", "Sông Công", encoding),
    ]
    assert issue(result, "legacy_text_converted").message.startswith("1 cells")
    assert issue(result, "legacy_font_holds_unicode").severity == "INFO"


def test_legacy_looking_text_in_a_unicode_font_is_left_alone(tmp_path: Path) -> None:
    text = encode("Đào tạo nghề", "tcvn3")  # mojibake, but the font does not say TCVN3
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=[project(1, text)]))
    assert result.rows[0].title == text
    assert result.rows[0].converted is None
    assert "legacy_text_converted" not in codes(result)


# ----------------------------------------------------------------------------------- classification


def test_columns_win_over_inference(tmp_path: Path) -> None:
    header = [
        "STT",
        "Tên đề án",
        "Đơn vị thụ hưởng",
        "Chương trình",
        "Nguồn kinh phí",
        "Ngành nghề",
        "Hoạt động",
    ]
    rows = [
        # Everything in the title points elsewhere; the columns say otherwise and win.
        [
            1,
            "Đào tạo nghề mây tre đan",
            "HTX A",
            "Ứng dụng máy móc thiết bị",
            "ĐP",
            "Cơ khí",
            "Chuyển giao công nghệ",
        ],
        [2, "Đào tạo nghề mây tre đan", "HTX A", "", "TW", "", ""],
    ]
    titles = ["UBND HUYỆN ĐẠI TỪ", "I. KHUYẾN CÔNG QUỐC GIA"]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], rows, titles=titles))
    first, second = result.rows
    assert (first.funding_source, first.programme_code, first.activity_code, first.sector_code) == (
        "KCDP",
        "technology",
        "machinery_transfer",
        "agri_machinery",
    )
    assert first.inferred == []
    assert (second.funding_source, second.programme_code, second.activity_code, second.sector_code) == (
        "KCQG",
        "human_resources",
        "vocational_training",
        "handicraft",
    )
    assert set(second.inferred) == {"programme_code", "activity_code", "sector_code"}


@pytest.mark.parametrize(
    ("title", "beneficiary", "sector", "chain"),
    [
        ("Hỗ trợ ứng dụng máy sao chè", "Cơ sở sản xuất chè Tân Cương", "agro_food_processing", "tea"),
        ("Hỗ trợ máy chế biến gỗ", "Xưởng chế biến gỗ Minh Đức", "agro_food_processing", "forest_products"),
        ("Hỗ trợ máy chế biến gạo", "Cơ sở xay xát Hòa Bình", "agro_food_processing", None),  # chế is not chè
        ("HỖ TRỢ MÁY VÒ CHÈ", "", "agro_food_processing", "tea"),
        ("Ho tro may sao che", "", "agro_food_processing", "tea"),
        ("Đào tạo nghề mây tre đan", "", "handicraft", None),
    ],
)
def test_sector_and_value_chain_inferred_from_title_and_beneficiary(
    tmp_path: Path, title: str, beneficiary: str, sector: str, chain: str | None
) -> None:
    rows = [project(1, title, beneficiary)]
    (row,) = read(write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", rows=rows)).rows
    assert (row.sector_code, row.value_chain_code) == (sector, chain)
    assert "sector_code" in row.inferred
    assert ("value_chain_code" in row.inferred) == (chain is not None)


def test_unknown_funding_source_in_its_column_is_an_error(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Nguồn vốn", "Tổng kinh phí (đồng)"]
    result = read(
        write_table(tmp_path / "2021" / "dai-tu" / "x.xlsx", [header], [[1, "Lớp 1", "Quỹ ABC", 1]])
    )
    assert result.rows[0].funding_source is None
    assert issue(result, "unknown_funding_source").severity == "ERROR"


# --------------------------------------------------------------------------------- sheets and tables


def test_hidden_sheets_are_not_read(tmp_path: Path) -> None:
    other = table_rows([HEADER], [project(1, "Dự thảo cũ"), project(2, "Dự thảo cũ 2")])
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        rows=[project(1, "Đào tạo nghề mây tre đan")],
        hidden_sheets={"Nháp": other, "Trống ẩn": []},
        very_hidden_sheets={"Dữ liệu": other},
        extra_sheets=[Sheet("Trống")],
    )
    result = read(path)
    assert [s.name for s in result.sheets] == ["Sheet1"]
    assert [r.title for r in result.rows] == ["Đào tạo nghề mây tre đan"]
    skipped = [i for i in result.issues if i.code == "hidden_sheet_skipped"]
    assert [(i.severity, i.source_sheet) for i in skipped] == [("INFO", "Nháp"), ("INFO", "Dữ liệu")]
    assert "no_table" not in codes(result)  # an empty visible sheet is fine


def test_a_visible_sheet_without_a_table_is_warned(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        rows=[project(1, "Đào tạo nghề mây tre đan")],
        extra_sheets=[Sheet("Thuyết minh", [["Thuyết minh kế hoạch năm 2021"], ["Xem biểu kèm theo"]])],
    )
    result = read(path)
    assert result.status == "read"
    found = issue(result, "no_table")
    assert (found.severity, found.source_sheet) == ("WARN", "Thuyết minh")
    assert len(result.rows) == 1


@pytest.mark.parametrize(
    "sheets",
    [
        [Sheet("Thuyết minh", [["Báo cáo kết quả thực hiện"], ["Năm 2021 không có đề án"]])],
        [Sheet("Sheet1"), Sheet("Sheet2")],
        [Sheet("Trống"), Sheet("Ẩn", table_rows([HEADER], [project(1, "Lớp 1")]), state="hidden")],
    ],
    ids=["prose", "empty", "only-hidden-table"],
)
def test_a_file_without_any_table_is_rejected(tmp_path: Path, sheets: list[Sheet]) -> None:
    result = read(write_workbook(tmp_path / "2021" / "dai-tu" / "x.xlsx", sheets))
    assert result.status == "rejected"
    assert codes(result, "ERROR") == ["no_table"]
    assert result.error is not None and result.error.startswith("no_table")


def test_every_row_of_every_sheet_is_accounted_for(tmp_path: Path) -> None:
    first = table_rows(
        [HEADER],
        [["I", "KHUYẾN CÔNG QUỐC GIA"], project(1, "Lớp 1"), [], ["", "Cộng I", "", "", 300, 200, 100]],
        [*TITLES, ""],
    )
    second = table_rows([HEADER], [project(1, "Lớp 2"), ["", "Ghi chú: tạm tính"], ["", "Người lập biểu"]])
    path = write_workbook(
        tmp_path / "2021" / "dai-tu" / "x.xlsx",
        [Sheet("KCQG", first), Sheet("Trống"), Sheet("KCĐP", second), Sheet("Ẩn", first, state="hidden")],
    )
    result = read(path)  # read() checks every row number of every read sheet appears exactly once
    assert [(s.name, s.rows_read) for s in result.sheets] == [("KCQG", 9), ("KCĐP", 4)]
    assert result.rows_read == 13 == len(result.rows) + len(result.ignored)
    assert ignored_rules(result, "KCĐP") == {1: "header", 3: "note", 4: "signature"}
