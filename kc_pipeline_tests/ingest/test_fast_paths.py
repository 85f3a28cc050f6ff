"""The reader's fast paths give exactly what the plain code they shortcut gives.

Keyword classification through a trie-shaped regex, the inlined empty-cell test, the whole-number
amount and count shortcuts, the sheet extent scan, the remembered lookups (never shared between two
reference data sets), ``to_dict`` without ``asdict``, and the paused garbage collector (restored).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from kc_pipeline.ingest import classify, values
from kc_pipeline.ingest.cells import sheet_extent
from kc_pipeline.ingest.model import IgnoredRow, Issue, TotalRow
from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.ingest.table import _filled, _is_empty
from kc_pipeline.reference import KeywordIndex, load_reference
from kc_pipeline.text import nfc
from kc_pipeline_tests.builders import TITLES, project, write_table
from kc_pipeline_tests.checks import read

MILLION = 1_000_000


# ------------------------------------------------------------------------------------ keywords


def _texts(keywords: list[str], rng: random.Random, count: int) -> list[str]:
    """Texts built from keywords, their prefixes and suffixes, glued with and without spaces."""
    pieces = [*keywords, *(k[: len(k) // 2] for k in keywords), *(k[len(k) // 2 :] for k in keywords)]
    pieces += ["", " ", "-", "x", "9", "Hộ", "(", ")", "  "]
    out = list(keywords)
    for _ in range(count):
        glue = rng.choice(["", " ", ", ", "-", "x"])
        out.append(glue.join(rng.choice(pieces) for _ in range(rng.randint(1, 5))))
    out += [t.upper() for t in out[:200]]
    return out


def _same_as_index(index: KeywordIndex, texts: list[str], allowed: list[frozenset[str] | None]) -> None:
    fast = classify.keyword_classifier(index)
    assert fast is not index, "the trie classifier was not used"
    for text in texts:
        for codes in allowed:
            assert fast.classify(text, codes) == index.classify(text, codes), (text, codes)


def test_trie_keywords_match_the_index_on_the_reference_data() -> None:
    reference = load_reference()
    rng = random.Random(7)
    for index in (reference.activity_keywords, reference.sector_keywords, reference.value_chain_keywords):
        keywords = [*index._by_lower, *index._by_folded]
        codes = sorted({code for code, _ in index._by_lower.values()})
        allowed = [None, frozenset(codes[:1]), frozenset(codes[1::2])]
        _same_as_index(index, _texts(keywords, rng, 3000), allowed)


def test_trie_keywords_take_the_longest_keyword_on_a_word_boundary() -> None:
    # Keywords that are prefixes of one another, with spaces and punctuation, in both scripts.
    index = KeywordIndex(
        [
            ("chè", "tea"),
            ("chè xanh", "green"),
            ("chè xanh tân cương", "tancuong"),
            ("che", "ascii"),
            ("gạch", "brick"),
            ("gạch nung", "fired"),
            ("c++", "plus"),
            ("a.b", "dot"),
            ("may", "may"),
            ("may tre", "bamboo"),
            ("may tre dan", "weaving"),
        ]
    )
    texts = [
        "chè xanh tân cương",
        "chè xanh tân",  # the longest keyword does not fit: the next longest wins
        "chè xanhx",  # "chè xanh" does not end on a word boundary here, "chè" does
        "trà chè",
        "gạch nungx gạch",
        "may tre dan, may tre",
        "may tre danh",
        "c++ a.b a.bc",
        "xmay tre",
    ]
    _same_as_index(index, [*texts, *_texts([*index._by_lower], random.Random(3), 2000)], [None])
    fast = classify.keyword_classifier(index)
    assert fast.classify("chè xanh tân") == "green"
    assert fast.classify("may tre danh") == "bamboo"


def test_an_index_whose_pattern_is_not_the_expected_one_keeps_its_own_classify() -> None:
    index = KeywordIndex([("chè", "tea"), ("gạch", "brick")])
    index._lower_rx = index._compile({"chè": 0}, r"\w")  # no longer what its keyword table gives
    assert classify.keyword_classifier(index) is index


def test_lookups_are_not_shared_between_reference_data_sets(tmp_path: Path) -> None:
    base = load_reference()
    changed_dir = tmp_path / "reference"
    shutil.copytree(base.directory, changed_dir)
    sectors = changed_dir / "sectors.csv"
    # "máy xúc lật" names no sector in the shipped data; here it names supporting industry.
    sectors.write_text(
        sectors.read_text(encoding="utf-8").replace("|phụ kiện", "|phụ kiện|máy xúc lật", 1), encoding="utf-8"
    )
    changed = load_reference(changed_dir)
    text = "Hỗ trợ máy xúc lật cho hộ kinh doanh"
    assert classify.sector_from_keywords(text, base) is None
    assert classify.sector_from_keywords(text, changed) == "supporting_industry"
    assert classify.sector_from_keywords(text, base) is None  # still, after the other was remembered


# ------------------------------------------------------------------------------------ cells


class _Str(str):
    pass


def test_filled_is_the_columns_that_are_not_empty() -> None:
    cells: list[Any] = [
        "",
        " ",
        "\t\n",
        "\u00a0",
        "x",
        " x ",
        "\x01",
        None,
        0,
        0.0,
        -1.5,
        False,
        True,
        dt.date(2021, 1, 1),
        dt.datetime(2021, 1, 1, 8),
        dt.time(8),
        dt.timedelta(0),
        _Str(""),
        _Str("  "),
        _Str("y"),
    ]
    assert _filled(cells) == [c for c, v in enumerate(cells) if not _is_empty(v)]
    assert _filled(cells) == [4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 19]


# ------------------------------------------------------------------------------ amounts, counts


AMOUNTS: list[Any] = [
    0,
    7,
    -3,
    150,
    2.0,
    -2.0,
    1.5,
    0.1234,
    "",
    " ",
    "150",
    "1.500",
    "1,5 tỷ",
    "-",
    "abc",
    10**9,  # x 1e6 = 1e15: the largest amount allowed
    10**9 + 1,  # above it: refused
    1e10,
    -1e10,
    True,
]


def test_amounts_read_from_a_file_are_what_the_parser_says(tmp_path: Path) -> None:
    rows = [
        project(i + 1, f"Đề án {i}", total=value, support="", counterpart="")
        for i, value in enumerate(AMOUNTS)
    ]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "amounts.xlsx", rows=rows, titles=TITLES))
    by_row = {row.source_row: row for row in result.rows}
    errors = {i.source_row for i in result.issues if i.code == "bad_amount"}
    first = min(by_row)
    for offset, value in enumerate(AMOUNTS):
        row = first + offset
        expected = values.parse_amount_vnd(value, MILLION)
        got = by_row[row].total_vnd if row in by_row else None
        assert (got, row in errors) == (expected.value, not expected.ok), (value, got)
        assert (by_row[row].support_vnd, by_row[row].counterpart_vnd) == (None, None)


COUNTS: list[Any] = [0, 12, -4, 3.0, 2.5, "125 người", "1.200", 10**9, 10**9 + 1, 1e12, "x"]


def test_counts_read_from_a_file_are_what_the_parser_says(tmp_path: Path) -> None:
    header = ["STT", "Tên đề án", "Đơn vị thụ hưởng", "Tổng kinh phí (đồng)", "Số lao động"]
    rows = [[i + 1, f"Đề án {i}", "Hộ ông A", 1000, value] for i, value in enumerate(COUNTS)]
    path = write_table(tmp_path / "2021" / "dai-tu" / "counts.xlsx", header_rows=[header], rows=rows)
    result = read(path)
    by_row = {row.source_row: row for row in result.rows}
    errors = {i.source_row for i in result.issues if i.code == "bad_count"}
    first = min(by_row)
    for offset, value in enumerate(COUNTS):
        expected = values.parse_int_count(value)
        row = by_row[first + offset]
        assert (row.trainees, row.source_row in errors) == (expected.value, not expected.ok), value


# ------------------------------------------------------------------------------------ documents


def test_to_dict_is_asdict() -> None:
    issue = Issue("WARN", "bad_year", "cannot read", "Sheet1", 7, "C", None)
    assert issue.to_dict() == {k: v for k, v in dataclasses.asdict(issue).items() if v is not None}
    assert list(issue.to_dict()) == ["severity", "code", "message", "source_sheet", "source_row", "column"]
    ignored = IgnoredRow("Sheet1", 3, "title", "UBND")
    total = TotalRow("Sheet1", 9, "subtotal", "Cộng", "KCQG", None, None, 1, 2, 3, None, first_row=5)
    for record in (ignored, total):
        assert record.to_dict() == dataclasses.asdict(record)
        assert list(record.to_dict()) == list(dataclasses.asdict(record))


# ------------------------------------------------------------------------------------ collector


@pytest.mark.parametrize("enabled", [True, False])
def test_reading_leaves_the_collector_as_it_found_it(tmp_path: Path, enabled: bool) -> None:
    path = write_table(tmp_path / "2021" / "dai-tu" / "a.xlsx", rows=[project(1, "Đào tạo nghề mây tre đan")])
    bad = tmp_path / "2021" / "dai-tu" / "b.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert read_workbook(path).status == "read"
        assert read_workbook(bad).status == "rejected"
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_text_of_a_cell_is_nfc_whatever_was_read_before(tmp_path: Path) -> None:
    # The same text typed NFD and NFC in one file, twice each: one remembered answer for both.
    nfd = "Xa\u0303 Hu\u0300ng So\u031bn"
    rows = [project(i + 1, f"Đề án {i}", commune=c) for i, c in enumerate([nfd, nfc(nfd), nfd, " " + nfd])]
    result = read(write_table(tmp_path / "2021" / "dai-tu" / "nfd.xlsx", rows=rows, titles=TITLES))
    assert [r.commune for r in result.rows] == ["Xã Hùng Sơn"] * 4


# ------------------------------------------------------------------------------------ extent


@pytest.mark.parametrize(
    ("xml", "extent"),
    [
        (b'<c r="A1"><v>1</v></c><c r="XFD1048576" s="1"/>', (1, 1)),  # a formatted empty cell: not counted
        (b'<c r="A1"/><c r="AB10000" t="n"><v>2</v></c>', (10000, 28)),
        (b'<x:c r="ZZ1" t="s"><v>1</v></x:c><c r="B2" />', (1, 702)),
        (b'<c r="AA10" s="2"><v>1</v></c><c r="C99999" s="1" />', (10, 27)),
        (b'<c r="A1"/><c r="B2"/>', (0, 0)),
    ],
)
def test_sheet_extent_counts_only_cells_that_are_not_self_closing(
    xml: bytes, extent: tuple[int, int]
) -> None:
    sheet = b'<worksheet><dimension ref="A1"/><sheetData>' + xml + b"</sheetData></worksheet>"
    assert sheet_extent(sheet) == extent
