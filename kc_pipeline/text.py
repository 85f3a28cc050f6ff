"""Vietnamese text helpers shared by every stage.

Names arrive in NFC, NFD, upper case, with or without diacritics and with stray punctuation, so
everything that is *matched* goes through :func:`fold`, and everything that is *kept* through
:func:`nfc`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def nfc(text: str) -> str:
    """Unicode NFC with control characters removed and runs of white space collapsed."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not text.isprintable():
        text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive key: "Đại Từ (H.)" -> "dai tu h"."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text).strip()


def slugify(text: str) -> str:
    """Folder-name form of a Vietnamese name: "Định Hóa" -> "dinh-hoa"."""
    return fold(text).replace(" ", "-")
