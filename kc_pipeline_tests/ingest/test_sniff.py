"""File-type sniffing and the zip guard, on real workbooks and on files broken as districts break them."""

from __future__ import annotations

import random
import re
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.ingest.sniff import DEFAULT_LIMITS, UnreadableWorkbook, sniff
from kc_pipeline_tests.builders import (
    TITLES,
    declare_entry_size,
    first_sheet_part,
    ole2_file,
    project,
    read_part,
    rewrite_zip,
    shared_strings_xml,
    truncate,
    use_shared_strings,
    write_table,
)
from kc_pipeline_tests.checks import codes, read

BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
)


@pytest.fixture
def good(tmp_path: Path) -> Path:
    rows = [project(i, f"Đào tạo nghề mây tre đan lớp {i}") for i in range(1, 21)]
    return write_table(tmp_path / "2021" / "dai-tu" / "good.xlsx", rows=rows, titles=TITLES)


def sniff_code(path: Path) -> str:
    with pytest.raises(UnreadableWorkbook) as caught:
        sniff(path.read_bytes())
    return caught.value.code


def assert_rejected(path: Path, code: str) -> None:
    """Rejected with ``code`` by read_workbook (no exception), and by sniff with the same code."""
    result = read(path)
    assert result.status == "rejected"
    assert codes(result, "ERROR") == [code]
    assert result.error is not None and result.error.startswith(f"{code}:")
    assert "BadZipFile" not in result.error
    assert result.file_id  # the bytes were hashed, so the rejection can be tracked
    assert sniff_code(path) == code


def test_defusedxml_protects_openpyxl() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_a_real_xlsx_is_read(good: Path) -> None:
    assert sniff(good.read_bytes()) == "xlsx"
    result = read(good)
    assert result.status == "read" and result.file_type == "xlsx"
    assert len(result.rows) == 20


def test_a_macro_enabled_workbook_is_read_as_xlsm(good: Path, tmp_path: Path) -> None:
    def macro_enabled(xml: bytes) -> bytes:
        return xml.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )

    path = rewrite_zip(good, tmp_path / "macro.xlsm", replace={"[Content_Types].xml": macro_enabled})
    assert b"macroEnabled" in read_part(path, "[Content_Types].xml")
    result = read(path)
    assert (result.status, result.file_type) == ("read", "xlsm")
    assert len(result.rows) == 20


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(ole2_file(["EncryptionInfo", "EncryptedPackage"]))
    assert_rejected(path, "encrypted_workbook")


def test_encrypted_package_stream_alone_is_enough(tmp_path: Path) -> None:
    path = tmp_path / "locked.xlsx"
    path.write_bytes(ole2_file(["EncryptedPackage"]))
    assert_rejected(path, "encrypted_workbook")


def test_old_xls_renamed(tmp_path: Path) -> None:
    path = tmp_path / "old.xlsx"
    path.write_bytes(ole2_file(["Workbook", "\x05SummaryInformation"]))
    assert_rejected(path, "legacy_xls")


def test_ole2_that_is_no_workbook(tmp_path: Path) -> None:
    path = tmp_path / "letter.xlsx"
    path.write_bytes(ole2_file(["WordDocument"]))
    assert_rejected(path, "ole2_not_workbook")


@pytest.mark.parametrize(
    "text",
    [
        "STT,Tên đề án,Tổng kinh phí\n1,Đào tạo nghề,150\n",
        "STT;Tên đề án;Tổng kinh phí\r\n1;Đào tạo nghề;150\r\n",
        "\ufeffSTT\tTên đề án\n1\tĐào tạo nghề\n",
    ],
    ids=["comma", "semicolon-crlf", "tab-bom"],
)
def test_csv_renamed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text(text, encoding="utf-8")
    assert_rejected(path, "csv_renamed")


def test_csv_in_a_windows_code_page(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    data = b"STT,T\xean \xf0\xea\xcc \xe1n\n1,\xd0\xe0o ta\xf2o ngh\xea\xcc\n"  # not valid UTF-8
    assert unicodedata.normalize("NFC", data.decode("cp1258")) == "STT,Tên đề án\n1,Đào tạo nghề\n"
    path.write_bytes(data)
    assert_rejected(path, "csv_renamed")


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><body><table><tr><td>STT</td></tr></table></body></html>",
        "\n  <html xmlns:o='urn:schemas-microsoft-com:office:office'><table><tr><td>1</td></tr></table>",
        "<table border=1><tr><td>STT</td><td>Tên đề án</td></tr></table>",
    ],
    ids=["doctype", "excel-html-export", "bare-table"],
)
def test_html_renamed(tmp_path: Path, text: str) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text(text, encoding="utf-8")
    assert_rejected(path, "html_renamed")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert_rejected(path, "empty_file")


def test_truncated_file(good: Path, tmp_path: Path) -> None:
    path = truncate(good, tmp_path / "half.xlsx")
    assert 0 < path.stat().st_size < good.stat().st_size
    with pytest.raises(zipfile.BadZipFile):  # what any parser would have said
        zipfile.ZipFile(path)
    assert_rejected(path, "truncated_file")


def test_missing_file_is_a_rejection_not_an_exception(tmp_path: Path) -> None:
    result = read_workbook(tmp_path / "nowhere.xlsx")
    assert result.status == "rejected"
    assert codes(result) == ["unreadable_file"]


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "photos.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("photo.txt", "not a workbook")
    assert_rejected(path, "not_a_workbook")


def test_too_many_entries(good: Path, tmp_path: Path) -> None:
    extra = {f"xl/media/image{i}.png": b"x" for i in range(DEFAULT_LIMITS.max_entries)}
    path = rewrite_zip(good, tmp_path / "many.xlsx", add=extra)
    assert_rejected(path, "zip_bomb")


def test_entries_up_to_the_limit_are_fine(good: Path, tmp_path: Path) -> None:
    extra = {f"xl/media/image{i}.png": b"x" for i in range(DEFAULT_LIMITS.max_entries - 20)}
    path = rewrite_zip(good, tmp_path / "pictures.xlsx", add=extra)
    assert read(path).status == "read"


def test_zip_bomb_by_compression_ratio(good: Path, tmp_path: Path) -> None:
    row = b'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = b"<worksheet><sheetData>" + row * (40_000_000 // len(row)) + b"</sheetData></worksheet>"
    path = rewrite_zip(good, tmp_path / "bomb.xlsx", replace={first_sheet_part(good): sheet})
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(first_sheet_part(good))
    assert info.file_size >= 40_000_000 and info.file_size / info.compress_size > 150
    assert info.file_size < DEFAULT_LIMITS.max_entry_uncompressed  # only the ratio can catch it
    assert_rejected(path, "zip_bomb")


def test_zip_bomb_by_declared_size(good: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.xlsx"
    path.write_bytes(good.read_bytes())
    declare_entry_size(path, first_sheet_part(good), 3_000_000_000)
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(first_sheet_part(good)).file_size == 3_000_000_000
    assert_rejected(path, "zip_bomb")


def test_plain_shared_strings_are_read(good: Path, tmp_path: Path) -> None:
    """Control for the entity tests: the same surgery without a DTD gives a readable workbook."""
    path = use_shared_strings(good, tmp_path / "sst.xlsx", shared_strings_xml("UBND HUYỆN PHÚ BÌNH"))
    result = read(path)
    assert result.status == "read"
    assert result.ignored[0].text == "UBND HUYỆN PHÚ BÌNH"


@pytest.mark.parametrize(
    "before",
    ["", "\n", "<!-- " + "x" * 10_000 + " -->", " " * 20_000, "<?pi data?><!-- a --> "],
    ids=["none", "newline", "long-comment", "long-whitespace", "pi-and-comment"],
)
def test_billion_laughs_in_shared_strings(good: Path, tmp_path: Path, before: str) -> None:
    sst = shared_strings_xml("&lol4;", prolog=before + BILLION_LAUGHS)
    path = use_shared_strings(good, tmp_path / "lol.xlsx", sst)
    assert_rejected(path, "xml_entities")


def test_external_entity_in_a_sheet(good: Path, tmp_path: Path) -> None:
    part = first_sheet_part(good)
    xxe = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    path = rewrite_zip(good, tmp_path / "xxe.xlsx", replace={part: lambda xml: xxe + xml})
    assert_rejected(path, "xml_entities")


def test_utf16_part_with_a_dtd(good: Path, tmp_path: Path) -> None:
    xml = '<?xml version="1.0" encoding="UTF-16"?>' + BILLION_LAUGHS + "<sst/>"
    path = use_shared_strings(good, tmp_path / "lol16.xlsx", "\ufeff".encode() + xml.encode("utf-16-le"))
    assert_rejected(path, "xml_entities")


def test_declared_dimension_is_not_trusted(good: Path, tmp_path: Path) -> None:
    part = first_sheet_part(good)
    declared = re.search(rb'<dimension ref="([^"]*)"\s*/>', read_part(good, part))
    assert declared is not None and declared.group(1) != b"A1"
    path = rewrite_zip(
        good,
        tmp_path / "dim.xlsx",
        replace={part: lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', xml)},
    )
    assert b'<dimension ref="A1"/>' in read_part(path, part)
    result = read(path)
    assert result.sheets[0].rows_read == 24
    assert [r.source_row for r in result.rows] == list(range(5, 25))
    assert result.rows[-1].title == "Đào tạo nghề mây tre đan lớp 20"


def test_declared_dimension_is_not_trusted_in_legacy_font_workbooks(tmp_path: Path) -> None:
    """Legacy-font workbooks go through openpyxl, whose read-only mode believes the dimension."""
    rows = [project(i, f"Lớp {i}") for i in range(1, 11)]
    good = write_table(tmp_path / "vn.xlsx", rows=rows, fonts={"H2": ".VnTime"})
    part = first_sheet_part(good)
    path = rewrite_zip(
        good,
        tmp_path / "dim.xlsx",
        replace={part: lambda xml: re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', xml)},
    )
    result = read(path)
    assert result.sheets[0].rows_read == 11
    assert [r.title for r in result.rows] == [f"Lớp {i}" for i in range(1, 11)]


def test_damaged_files_never_raise(good: Path, tmp_path: Path) -> None:
    """Truncations, flipped bytes and cut-out chunks: every one ends as a result, mostly a rejection."""
    legacy = write_table(tmp_path / "vn.xlsx", rows=[project(1, "Lớp 1")], fonts={"B2": ".VnTime"})
    rng = random.Random(20210315)
    statuses: set[str] = set()
    for original in (good.read_bytes(), legacy.read_bytes()):
        for i in range(150):
            data = bytearray(original)
            if i % 3 == 0:
                data = data[: rng.randrange(1, len(data))]
            elif i % 3 == 1:
                for _ in range(rng.randrange(1, 5)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            else:
                at = rng.randrange(len(data))
                del data[at : at + rng.randrange(1, 64)]
            result = read_workbook(tmp_path / "damaged.xlsx", data=bytes(data))
            statuses.add(result.status)
            assert "reader_error" not in codes(result), result.error
            if result.status == "rejected":
                assert result.error and "BadZipFile" not in result.error.split(":")[0]
    assert "rejected" in statuses


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_excel_unicode_text_export_renamed(tmp_path: Path, encoding: str) -> None:
    """Excel's "Save as Unicode Text" writes tab-separated UTF-16 with a byte-order mark."""
    path = tmp_path / "export.xlsx"
    text = "STT\tTên đề án\tTổng kinh phí\r\n1\tĐào tạo nghề\t150\r\n"
    path.write_bytes(("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding))
    assert path.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")
    assert_rejected(path, "csv_renamed")


def test_utf16_html_renamed(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes("<html><body><table><tr><td>STT</td></tr></table></body></html>".encode("utf-16"))
    assert_rejected(path, "html_renamed")
