"""fold's fast path must give exactly the key of its definition, for any text."""

from __future__ import annotations

import unicodedata

import pytest

from kc_pipeline.text import _fold_slow, fold, nfc, slugify


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Đại Từ (H.)", "dai tu h"),
        ("ĐẠI TỪ", "dai tu"),
        ("Hỗ trợ ứng dụng máy sao chè", "ho tro ung dung may sao che"),
        ("  Phú   Bình--", "phu binh"),
        ("Sông Công", "song cong"),
        ("", ""),
        ("Ø Ærø straße", "r stra e"),  # letters with no ASCII base separate, as in the definition
    ],
)
def test_fold_examples(text: str, key: str) -> None:
    assert fold.__wrapped__(text) == key


def test_fold_is_its_definition_for_every_character_in_context() -> None:
    """Every BMP character alone, between letters and beside Vietnamese marks: the fast path (ASCII,
    then Vietnamese through NFD) and the definition agree; decomposed input folds like composed."""
    differ = []
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        for text in (ch, f"Đa{ch}\u0301b Ố"):
            if fold.__wrapped__(text) != _fold_slow(text.lower()):
                differ.append(hex(cp))
    assert differ == []


def test_decomposed_and_composed_text_fold_alike() -> None:
    text = "Nguyễn Văn Đức, xã Tân Cương"
    assert fold.__wrapped__(unicodedata.normalize("NFD", text)) == fold.__wrapped__(text)
    assert fold.__wrapped__(text) == "nguyen van duc xa tan cuong"


def test_slugify_and_nfc() -> None:
    assert slugify("Định Hóa") == "dinh-hoa"
    assert nfc(unicodedata.normalize("NFD", " Đại\x07  Từ ")) == "Đại Từ"
    assert nfc("\u200bDA-002\u200b") == "DA-002"  # zero-width space
    assert nfc("\ufeffĐại\u00adTừ\u2060 Bình") == "ĐạiTừ Bình"  # BOM, soft hyphen, word joiner: nothing
