"""Tests for kc_pipeline.ingest.legacy_fonts (TCVN3/ABC and VNI fonts in xlsx cells)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from kc_pipeline.ingest.legacy_fonts import LegacyEncoding, decode, encode, encoding_for_font, looks_legacy

# Typed out independently of the module's tables: the 67 non-ASCII lower-case Vietnamese letters.
LOWER = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
UPPER = LOWER.upper()
TCVN3_OWN_CAPITALS = "ĂÂÊÔƠƯĐ"
# Expected codes for LOWER, copied from the public tables the module was checked against (glibc
# TCVN5712-1, xvnkb tcvn.h/vni.h, duydev/vietnamese-conversion), so a typo in the module fails here.
TCVN3_LOWER = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉËÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ®"
# fmt: off
VNI_LOWER = [
    "aø", "aù", "aû", "aõ", "aï", "aê", "aè", "aé", "aú", "aü", "aë", "aâ", "aà", "aá", "aå", "aã", "aä",
    "eø", "eù", "eû", "eõ", "eï", "eâ", "eà", "eá", "eå", "eã", "eä",
    "ì", "í", "æ", "ó", "ò",
    "oø", "où", "oû", "oõ", "oï", "oâ", "oà", "oá", "oå", "oã", "oä", "ô", "ôø", "ôù", "ôû", "ôõ", "ôï",
    "uø", "uù", "uû", "uõ", "uï", "ö", "öø", "öù", "öû", "öõ", "öï",
    "yø", "yù", "yû", "yõ", "î",
    "ñ",
]
# fmt: on


def test_letter_inventory() -> None:
    assert len(set(LOWER)) == len(LOWER) == 67
    assert len(set(UPPER)) == len(UPPER) == 67
    assert set(LOWER).isdisjoint(UPPER)


def test_codes_match_the_published_tables() -> None:
    assert len(TCVN3_LOWER) == len(VNI_LOWER) == 67
    assert [encode(ch, "tcvn3") for ch in LOWER] == list(TCVN3_LOWER)
    assert [encode(ch, "tcvn3") for ch in TCVN3_OWN_CAPITALS] == list("¡¢£¤¥¦§")
    assert [encode(ch, "vni") for ch in LOWER] == VNI_LOWER
    assert [decode(code, "tcvn3") for code in TCVN3_LOWER] == list(LOWER)
    assert [decode(code, "vni") for code in VNI_LOWER] == list(LOWER)


def test_tcvn3_round_trips_every_letter_of_the_normal_font() -> None:
    bad = []
    for ch in LOWER + TCVN3_OWN_CAPITALS:
        stored = encode(ch, "tcvn3")
        if len(stored) != 1 or not 0xA1 <= ord(stored) <= 0xFE or decode(stored, "tcvn3") != ch:
            bad.append((ch, stored))
    assert bad == []
    assert len({encode(ch, "tcvn3") for ch in LOWER + TCVN3_OWN_CAPITALS}) == 74


def test_tcvn3_round_trips_every_capital_in_a_capital_font() -> None:
    bad = []
    for lower, upper in zip(LOWER, UPPER, strict=True):
        stored = encode(upper, "tcvn3", capital_font=True)
        if stored != encode(lower, "tcvn3") or decode(stored, "tcvn3", capital_font=True) != upper:
            bad.append((upper, stored))
    assert bad == []


def test_tcvn3_normal_font_cannot_hold_toned_capitals() -> None:
    with pytest.raises(ValueError, match="À"):
        encode("ĐÀO", "tcvn3")
    with pytest.raises(ValueError, match="Ế"):
        encode("Ế", "tcvn3")
    with pytest.raises(ValueError, match="©"):  # 0xA9 is the code of "â": it would decode wrongly
        encode("© 2024", "tcvn3")
    assert encode("ĐÔ", "tcvn3") == "§¤"  # the capitals the normal font does have


def test_vni_round_trips_every_letter() -> None:
    bad = [ch for ch in LOWER + UPPER if decode(encode(ch, "vni"), "vni") != ch]
    assert bad == []
    # The same letters run together, so greedy matching cannot swallow a neighbour's accent.
    assert decode(encode(LOWER + UPPER, "vni"), "vni") == LOWER + UPPER
    assert decode(encode("ngưỡng cửa " + LOWER, "vni"), "vni") == "ngưỡng cửa " + LOWER


def test_vni_capitals_are_latin1_capitals_of_the_lower_case_bytes() -> None:
    assert [encode(ch, "vni").upper() for ch in LOWER] == [encode(ch, "vni") for ch in UPPER]


@pytest.mark.skipif(shutil.which("iconv") is None, reason="no iconv binary")
def test_tcvn3_codes_agree_with_iconv_tcvn5712() -> None:
    """glibc's TCVN5712-1 (VN1) shares every VN3 position used by the ABC fonts."""
    letters = LOWER + TCVN3_OWN_CAPITALS
    raw = "\n".join(encode(ch, "tcvn3") for ch in letters).encode("latin-1")
    done = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=raw, capture_output=True)
    if done.returncode != 0:
        pytest.skip("iconv has no TCVN5712-1")
    assert unicodedata.normalize("NFC", done.stdout.decode()).split("\n") == list(letters)


@pytest.mark.parametrize(
    ("text", "encoding", "capital", "stored"),
    [
        ("Khuyến công địa phương", "tcvn3", False, "KhuyÕn c«ng ®Þa ph\xad¬ng"),
        ("ĐÀO TẠO NGHỀ", "tcvn3", True, "®µO T¹O NGHÒ"),
        ("Huyện Đại Từ", "tcvn3", False, "HuyÖn §¹i Tõ"),
        ("Chế biến chè", "tcvn3", False, "ChÕ biÕn chÌ"),
        ("Xã Hùng Sơn", "tcvn3", False, "X· Hïng S¬n"),
        ("Việt Nam", "vni", False, "Vieät Nam"),
        ("Đồng Hỷ", "vni", False, "Ñoàng Hyû"),
        ("Thái Nguyên", "vni", False, "Thaùi Nguyeân"),
        ("TRƯỜNG", "vni", False, "TRÖÔØNG"),
    ],
)
def test_known_phrases(text: str, encoding: LegacyEncoding, capital: bool, stored: str) -> None:
    assert encode(text, encoding, capital) == stored
    assert decode(stored, encoding, capital) == text


@pytest.mark.parametrize(
    ("stored", "encoding", "capital", "text"),
    [
        ("§µO T¹O NGHÒ", "tcvn3", True, "ĐÀO TẠO NGHỀ"),  # capital typed with the Đ code (0xA7)
        ("®µo t¹o nghÒ", "tcvn3", True, "ĐÀO TẠO NGHỀ"),  # the font shows ASCII lower case as capitals
        ("VIEÄT NAM", "vni", False, "VIỆT NAM"),
        ("AÙp Baéc", "vni", False, "Áp Bắc"),
        ("Aùp", "vni", False, "Áp"),  # accent byte in the wrong case: the base letter decides
    ],
)
def test_decodes_other_real_world_spellings(
    stored: str, encoding: LegacyEncoding, capital: bool, text: str
) -> None:
    assert decode(stored, encoding, capital) == text


@pytest.mark.parametrize(
    ("font", "expected"),
    [
        (".VnTime", ("tcvn3", False)),
        (".VnTimeH", ("tcvn3", True)),
        (".VnArialH", ("tcvn3", True)),
        (".VnArial", ("tcvn3", False)),
        (".vnavant", ("tcvn3", False)),
        (" .VNTIMEH ", ("tcvn3", True)),
        ("VNI-Times", ("vni", False)),
        ("vni-helve", ("vni", False)),
        ("Times New Roman", None),
        ("Arial", None),
        ("", None),
        (None, None),
    ],
)
def test_encoding_for_font(font: str | None, expected: tuple[str, bool] | None) -> None:
    assert encoding_for_font(font) == expected


def test_decoding_unicode_as_legacy_corrupts_it() -> None:
    """Genuine Unicode is also valid legacy text, which is why only the font may trigger decoding."""
    assert decode("Bình", "tcvn3") == "Bỡnh"
    assert decode("Bình", "tcvn3") != "Bình"
    assert decode("Ô tô", "vni") == "Ơ tơ"


def test_ascii_passes_through() -> None:
    text = "Du an 2024: 15 ho, 3.5 ty dong (QD-123/UBND)"
    assert decode(text, "tcvn3") is text
    assert decode(text, "vni") is text
    assert decode(text, "tcvn3", capital_font=True) == text.upper()


def test_characters_outside_the_tables_pass_through() -> None:
    text = "50 m² – €100 \x81\x9d ¿"
    assert decode(text, "tcvn3") == text
    assert decode(text, "vni") == text


def test_decode_returns_nfc() -> None:
    stored = encode(LOWER, "tcvn3") + " cafe\u0301"
    out = decode(stored, "tcvn3")
    assert unicodedata.is_normalized("NFC", out)
    assert out == LOWER + " café"


def test_unknown_encoding_is_rejected() -> None:
    with pytest.raises(ValueError):
        decode("X· Hïng", "viscii")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode("Xã", "viscii")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "KhuyÕn c«ng ®Þa ph\xad¬ng",
        "ChÕ biÕn chÌ",
        "Hµ Néi",
        "®µO T¹O NGHÒ",
        "Vieät Nam",
        "Ñoàng Hyû",
        "Thaùi Nguyeân",
    ],
)
def test_looks_legacy_flags_mojibake(text: str) -> None:
    assert looks_legacy(text)


@pytest.mark.parametrize(
    "text",
    [
        "Khuyến công địa phương",
        "Huyện Đại Từ",
        "Bình",
        "Hoà Bình",
        "Thôn Quân Chu",
        "NGUYÊN",
        "Hello world",
        "© 2024, 1½ ha",
        "",
        "Đội ®¹i",  # a genuine letter wins: never flag mixed text
    ],
)
def test_looks_legacy_leaves_genuine_text_alone(text: str) -> None:
    assert not looks_legacy(text)


def test_xlsx_stores_the_cp1252_reading_and_decodes_by_font(tmp_path: Path) -> None:
    """A .VnTime cell round-trips through a real xlsx as plain Unicode code points."""
    stored = encode("Xã Hùng Sơn", "tcvn3")
    wb = Workbook()
    ws = wb.active
    ws["A1"] = stored
    ws["A1"].font = Font(name=".VnTime")
    ws["A2"] = "Xã Hùng Sơn"
    ws["A2"].font = Font(name="Times New Roman")
    path = tmp_path / "legacy.xlsx"
    wb.save(path)

    with zipfile.ZipFile(path) as z:  # inline or shared string, the text is UTF-8 XML either way
        xml = "".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/") and n.endswith(".xml")
        )
    assert "X· Hïng S¬n" in xml

    ws = load_workbook(path).active
    decoded = []
    for cell in (ws["A1"], ws["A2"]):
        assert isinstance(cell.value, str)
        legacy = encoding_for_font(cell.font.name)
        decoded.append(decode(cell.value, *legacy) if legacy else cell.value)
    assert ws["A1"].value == "X· Hïng S¬n"
    assert decoded == ["Xã Hùng Sơn", "Xã Hùng Sơn"]
