"""Legacy 8-bit Vietnamese fonts (TCVN3/ABC and VNI) in district spreadsheets.

Before Unicode, Vietnamese was typed in fonts that draw Vietnamese glyphs at the code points of
Windows-1252 characters. An xlsx stores those cells as the cp1252 reading of the legacy bytes, so
"Xã Hùng Sơn" typed in ``.VnTime`` arrives as "X· Hïng S¬n". Only the cell's font says which
encoding (if any) was used, so conversion is always gated on the font name by the caller: the
same characters are also ordinary Latin-1 text ("Bình" read as TCVN3 is "Bỡnh").

Tables
------
TCVN3 (TCVN 5712:1993 VN3, the "ABC" fonts): one byte per letter. The normal fonts hold the 67
lower-case letters and the capitals Ă Â Ê Ô Ơ Ư Đ; the capital fonts (``.VnTimeH``...) draw the
lower-case codes as capitals. Positions cross-checked against glibc iconv ``TCVN5712-1`` (bytes
0xA1-0xFE, identical in VN1 and VN3), xvnkb ``tcvn.h`` and duydev/vietnamese-conversion.
VN1-only positions (upper-case toned letters at 0x01-0x17, 0x80-0x9F, 0xC0-0xC5 ...) are not
decoded: the ABC fonts do not draw them there.

VNI (VNI-Windows fonts): a base letter followed by an accent byte; capitals use the Latin-1
upper-case form of the same bytes. Cross-checked against xvnkb ``vni.h`` and
duydev/vietnamese-conversion.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

LegacyEncoding = Literal["tcvn3", "vni"]

__all__ = ["LegacyEncoding", "decode", "encode", "encoding_for_font", "looks_legacy"]

# Tone order of every row below: none, grave (huyền), acute (sắc), hook (hỏi), tilde (ngã), dot (nặng).
_TONE_MARKS = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")

# TCVN3 code of each lower-case vowel with each tone (bytes, in _TONE_MARKS order).
_TCVN3_ROWS: dict[str, bytes] = {
    "a": b"a\xb5\xb8\xb6\xb7\xb9",
    "ă": b"\xa8\xbb\xbe\xbc\xbd\xc6",
    "â": b"\xa9\xc7\xca\xc8\xc9\xcb",
    "e": b"e\xcc\xd0\xce\xcf\xd1",
    "ê": b"\xaa\xd2\xd5\xd3\xd4\xd6",
    "i": b"i\xd7\xdd\xd8\xdc\xde",
    "o": b"o\xdf\xe3\xe1\xe2\xe4",
    "ô": b"\xab\xe5\xe8\xe6\xe7\xe9",
    "ơ": b"\xac\xea\xed\xeb\xec\xee",
    "u": b"u\xef\xf3\xf1\xf2\xf4",
    "ư": b"\xad\xf5\xf8\xf6\xf7\xf9",
    "y": b"y\xfa\xfd\xfb\xfc\xfe",
}
_TCVN3_EXTRA: dict[str, bytes] = {
    "đ": b"\xae",
    "Ă": b"\xa1",
    "Â": b"\xa2",
    "Ê": b"\xa3",
    "Ô": b"\xa4",
    "Ơ": b"\xa5",
    "Ư": b"\xa6",
    "Đ": b"\xa7",
}

# VNI accent bytes, in _TONE_MARKS order; circumflex and breve carry the tone in one byte.
_VNI_TONE = (b"", b"\xf8", b"\xf9", b"\xfb", b"\xf5", b"\xef")
_VNI_CIRCUMFLEX = (b"\xe2", b"\xe0", b"\xe1", b"\xe5", b"\xe3", b"\xe4")
_VNI_BREVE = (b"\xea", b"\xe8", b"\xe9", b"\xfa", b"\xfc", b"\xeb")
_VNI_ROWS: dict[str, tuple[bytes, ...]] = {
    "a": tuple(b"a" + t for t in _VNI_TONE),
    "ă": tuple(b"a" + t for t in _VNI_BREVE),
    "â": tuple(b"a" + t for t in _VNI_CIRCUMFLEX),
    "e": tuple(b"e" + t for t in _VNI_TONE),
    "ê": tuple(b"e" + t for t in _VNI_CIRCUMFLEX),
    "i": (b"i", b"\xec", b"\xed", b"\xe6", b"\xf3", b"\xf2"),
    "o": tuple(b"o" + t for t in _VNI_TONE),
    "ô": tuple(b"o" + t for t in _VNI_CIRCUMFLEX),
    "ơ": tuple(b"\xf4" + t for t in _VNI_TONE),
    "u": tuple(b"u" + t for t in _VNI_TONE),
    "ư": tuple(b"\xf6" + t for t in _VNI_TONE),
    "y": (b"y", b"y\xf8", b"y\xf9", b"y\xfb", b"y\xf5", b"\xee"),
}
_VNI_D_BAR = b"\xf1"


def _as_stored(code: bytes) -> str:
    """Legacy bytes as the xlsx stores them: cp1252, with its five undefined bytes kept as U+0080+b."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252") for b in code
    )


def _lower_table(rows: dict[str, tuple[bytes, ...]]) -> dict[str, str]:
    """Unicode lower-case letter -> stored legacy text, for every vowel/tone cell of ``rows``.

    Letters are composed from base + combining tone (NFC) so that no table cell is typed by hand twice.
    """
    table: dict[str, str] = {}
    for vowel, codes in rows.items():
        for mark, code in zip(_TONE_MARKS, codes, strict=True):
            table[unicodedata.normalize("NFC", vowel + mark)] = _as_stored(code)
    return table


def _drop_ascii(table: dict[str, str]) -> dict[str, str]:
    """Without the plain ASCII vowels; non-ASCII identities such as TCVN3 "ý" (0xFD) must stay."""
    return {k: v for k, v in table.items() if not k.isascii()}


# --- TCVN3 -------------------------------------------------------------------------------------
_TCVN3_ENC = _drop_ascii(_lower_table({v: tuple(bytes([b]) for b in c) for v, c in _TCVN3_ROWS.items()}))
_TCVN3_ENC.update({k: _as_stored(v) for k, v in _TCVN3_EXTRA.items()})
_TCVN3_DEC = str.maketrans({v: k for k, v in _TCVN3_ENC.items()})
_TCVN3_ENC_TRANS = str.maketrans(_TCVN3_ENC)
# Capital fonts: every letter, whatever its case, is typed with the lower-case code.
_TCVN3_CAP_ENC = {k: v for k, v in _TCVN3_ENC.items() if k.islower()}
_TCVN3_CAP_ENC.update({k.upper(): v for k, v in _TCVN3_CAP_ENC.items()})
_TCVN3_CAP_ENC_TRANS = str.maketrans(_TCVN3_CAP_ENC)
# Toned capitals ("À") have no code in the normal fonts; they would be stored as-is and drawn wrongly.
_TCVN3_NORMAL_FONT_LACKS = frozenset(_TCVN3_CAP_ENC) - frozenset(_TCVN3_ENC)

# --- VNI ---------------------------------------------------------------------------------------
_VNI_LOWER = _lower_table(_VNI_ROWS)
_VNI_LOWER["đ"] = _as_stored(_VNI_D_BAR)
_VNI_ENC: dict[str, str] = {}
for _letter, _code in _VNI_LOWER.items():
    _VNI_ENC[_letter] = _code
    _VNI_ENC[_letter.upper()] = _code.upper()  # capitals: Latin-1 upper case of the same bytes
_VNI_ENC = _drop_ascii(_VNI_ENC)
_VNI_ENC_TRANS = str.maketrans(_VNI_ENC)
_VNI_DEC: dict[str, str] = {v: k for k, v in _VNI_ENC.items() if k != v}
# Tolerate an accent byte whose case disagrees with its base letter ("Aù"); the base decides.
for _seq, _letter in list(_VNI_DEC.items()):
    if len(_seq) == 2:
        _swapped = _seq[0] + _seq[1].swapcase()
        _VNI_DEC.setdefault(_swapped, _letter)
_VNI_RE = re.compile("|".join(re.escape(s) for s in sorted(_VNI_DEC, key=len, reverse=True)))
del _letter, _code, _seq, _swapped

# --- looks_legacy ------------------------------------------------------------------------------
# Genuine Vietnamese letters that no legacy reading can produce (outside Latin-1).
_GENUINE_VI = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9]")
# Legacy code characters that are not themselves Vietnamese letters, e.g. "®" (đ), "¬" (ơ), "ä".
_MARKERS = re.escape(
    "".join(
        sorted(
            {c for v in (*_TCVN3_ENC.values(), *_VNI_ENC.values()) for c in v}
            - {c for k in _VNI_ENC for c in k}
            - {chr(i) for i in range(128)}
        )
    )
)
_VNI_ACCENTS = _as_stored(b"".join((*_VNI_TONE, *_VNI_CIRCUMFLEX, *_VNI_BREVE)))
_VNI_ACCENTS = re.escape(_VNI_ACCENTS + _VNI_ACCENTS.upper())
_SUSPICIOUS = re.compile(
    "|".join(
        (
            f"(?<=[^\\W\\d_])[{_MARKERS}]|[{_MARKERS}](?=[^\\W\\d_])",  # code char inside a word: "®Þa"
            "[a-z][\u00c0-\u00d6\u00d8-\u00de]",  # TCVN3 lower-case codes drawn from Latin-1 capitals: "chÌ"
            f"[aeAE][{_VNI_ACCENTS}]|[oO][âÂ]",  # VNI base + accent that Vietnamese never spells: "Thaùi"
        )
    )
)


def encoding_for_font(font_name: str | None) -> tuple[LegacyEncoding, bool] | None:
    """(encoding, is_capital_font) for a legacy font name, None for a Unicode font.

    Case-insensitive; '.VnTimeH' -> ('tcvn3', True). The font is the only reliable signal, because
    legacy text is indistinguishable from Latin-1 text by its characters alone.
    """
    if not font_name:
        return None
    name = font_name.strip().casefold()
    if name.startswith(".vn"):
        return "tcvn3", name.endswith("h")
    if name.startswith("vni-"):
        return "vni", False
    return None


def decode(text: str, encoding: LegacyEncoding, capital_font: bool = False) -> str:
    """Legacy text (as stored in the xlsx) -> Unicode NFC.

    Only call it for cells whose font is legacy: applied to genuine Unicode it corrupts the text.
    A capital font draws everything upper case, so its text is decoded as lower case and upper-cased.
    """
    if text.isascii():
        return text.upper() if capital_font else text
    if encoding == "tcvn3":
        out = text.translate(_TCVN3_DEC)
    elif encoding == "vni":
        out = _VNI_RE.sub(lambda m: _VNI_DEC[m.group()], text)
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}")
    if capital_font:
        out = out.upper()
    return unicodedata.normalize("NFC", out)


def _encode_unchecked(text: str, encoding: LegacyEncoding, capital_font: bool) -> str:
    if encoding == "tcvn3":
        return text.translate(_TCVN3_CAP_ENC_TRANS if capital_font else _TCVN3_ENC_TRANS)
    if encoding == "vni":
        return text.translate(_VNI_ENC_TRANS)
    raise ValueError(f"unknown legacy encoding {encoding!r}")


def encode(text: str, encoding: LegacyEncoding, capital_font: bool = False) -> str:
    """Unicode -> legacy text as it would be stored in the xlsx (the inverse of decode).

    Used by the sample generator and tests. For capital_font=True, input is expected upper case and
    is encoded with the lower-case codes. Raises ValueError for text the font cannot show, such as
    "À" in a normal TCVN3 font, rather than produce a cell that would not decode back.
    """
    nfc = unicodedata.normalize("NFC", text)

    def round_trips(s: str) -> bool:
        if encoding == "tcvn3" and not capital_font and not _TCVN3_NORMAL_FONT_LACKS.isdisjoint(s):
            return False
        back = decode(_encode_unchecked(s, encoding, capital_font), encoding, capital_font)
        return back == (s.upper() if capital_font else s)

    if not round_trips(nfc):
        bad = sorted({c for c in nfc if not round_trips(c)})
        raise ValueError(f"{text!r} cannot be written in {encoding} (capital_font={capital_font}): {bad}")
    return _encode_unchecked(nfc, encoding, capital_font)


def looks_legacy(text: str) -> bool:
    """Cheap heuristic: True when a string contains characters typical of TCVN3/VNI mojibake.

    Looks for legacy code characters inside words ("®Þa"), lower-case letters followed by Latin-1
    capitals ("chÌ") and VNI letter pairs ("Vieät", "Thaùi"), and requires that no genuine
    Vietnamese Unicode letter is present. Used only to flag suspicious text, never to convert it:
    a German "ü" also matches, and legacy strings made only of Latin-1 Vietnamese letters ("Bình")
    cannot be told apart from Unicode and do not match.
    """
    if text.isascii() or _GENUINE_VI.search(text):
        return False
    return _SUSPICIOUS.search(text) is not None
