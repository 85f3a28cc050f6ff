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


# Characters Excel shows as nothing (zero-width spaces and joiners, the byte-order mark, the soft
# hyphen), pasted in from web pages and Word: deleted wherever text is read.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def visible(text: str) -> str:
    """``text`` without the characters that show as nothing."""
    return text.translate(_INVISIBLE)


def nfc(text: str) -> str:
    """Unicode NFC with invisible and control characters removed and runs of white space collapsed."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if not text.isprintable():
        text = _CONTROL.sub(" ", text.translate(_INVISIBLE))
    return " ".join(text.split())


def _ascii_foldable() -> re.Pattern[str]:
    """A character that is neither ASCII nor folds to ASCII (a Latin letter whose canonical
    decomposition is an ASCII letter and combining marks, "đ", or a combining mark itself)."""
    foldable = ["đ"]
    for cp in (*range(0x80, 0x250), *range(0x300, 0x370), *range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if unicodedata.combining(ch) or (base != ch and base.isascii()):
            foldable.append(ch)
    return re.compile(f"[^\\x00-\\x7f{re.escape(''.join(foldable))}]")


_NOT_ASCII_FOLDABLE = _ascii_foldable()
# Every byte that is not a digit or a lowercase ASCII letter becomes a space.
_SPACES = bytes(b if 0x30 <= b <= 0x39 or 0x61 <= b <= 0x7A else 0x20 for b in range(256))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Accent-, case-, space- and punctuation-insensitive key: "Đại Từ (H.)" -> "dai tu h"."""
    text = text.lower()
    if not text.isascii():
        if _NOT_ASCII_FOLDABLE.search(text):
            return _fold_slow(text)
        # Vietnamese text: once decomposed, every character left that is not ASCII is a mark.
        text = unicodedata.normalize("NFD", text.replace("đ", "d")).encode("ascii", "ignore").decode()
    return " ".join(text.encode().translate(_SPACES).decode().split())


def _fold_slow(text: str) -> str:
    """The definition of :func:`fold` (on lowered text), for text the fast path does not cover."""
    text = unicodedata.normalize("NFD", text).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text).strip()


def slugify(text: str) -> str:
    """Folder-name form of a Vietnamese name: "Định Hóa" -> "dinh-hoa"."""
    return fold(text).replace(" ", "-")
