"""The sample corpus is only useful if it is deterministic and its expected rows are true to the files."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from kc_pipeline.ingest.legacy_fonts import decode, encode, encoding_for_font
from kc_pipeline.reference import Reference, load_reference
from kc_pipeline.samples import GeneratedFile, generate_corpus
from kc_pipeline.samples import vocabulary as vocab
from kc_pipeline.samples.generator import (
    EXPECTED_KEYS,
    LAYOUTS,
    MILLION,
    choose_layout,
    parse_years,
    plan_corpus,
)
from kc_pipeline.text import fold, nfc

YEARS = range(2020, 2022)  # even year: a TCVN3 file; 2021: a VNI file; every Unicode layout twice a year
_PARENS = re.compile(r"\([^)]*\)")


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="module")
def corpus(corpus_dir: Path) -> list[GeneratedFile]:
    return generate_corpus(corpus_dir, YEARS)


def _text(cell: Cell) -> str | None:
    """A cell's text as a reader must see it: legacy fonts decoded, NFC."""
    if not isinstance(cell.value, str):
        return None
    legacy = encoding_for_font(cell.font.name if cell.font else None)
    value = decode(cell.value, legacy[0], capital_font=legacy[1]) if legacy else cell.value
    return nfc(value)


def _amount(value: Any, scale: int) -> int:
    """Đồng from a number in the sheet's unit, a "1.234.567" string or a "152,5 triệu" string."""
    if isinstance(value, int | float):
        return round(value * scale)
    text = nfc(value)
    if text.endswith("triệu"):
        whole, _, tenth = text.removesuffix(" triệu").partition(",")
        return int(whole) * MILLION + int(tenth or 0) * 100_000
    return int(text.replace(".", ""))


def _header_row(ws: Worksheet) -> int:
    return next(r for r in range(1, 20) if fold(_text(ws.cell(r, 1)) or "") == "stt")


def _money_columns(ws: Worksheet, ref: Reference) -> dict[str, int]:
    """Column index of total/support/counterpart from the header (one or two rows) under "STT"."""
    header = _header_row(ws)
    found: dict[str, int] = {}
    for row in (header, header + 1):
        for col in range(1, ws.max_column + 1):
            heading = _text(ws.cell(row, col))
            field = ref.column_names.exact(_PARENS.sub(" ", heading)) if heading else None
            if field in ("total_vnd", "support_vnd", "counterpart_vnd"):
                found[field] = col
    assert len(found) == 3, found
    return found


def _row_labels(ws: Worksheet, row: int) -> list[str]:
    return [fold(t) for c in ws[row] if (t := _text(c))]


# --------------------------------------------------------------------------------------- determinism


def test_same_call_writes_identical_bytes(
    corpus: list[GeneratedFile], corpus_dir: Path, tmp_path: Path
) -> None:
    again = generate_corpus(tmp_path, YEARS)
    assert [f.path.relative_to(tmp_path) for f in again] == [f.path.relative_to(corpus_dir) for f in corpus]
    for first, second in zip(corpus, again, strict=True):
        assert first.path.read_bytes() == second.path.read_bytes(), first.path
        assert first.expected == second.expected


def test_folder_layout_has_one_file_per_valid_unit_and_year(
    corpus: list[GeneratedFile], corpus_dir: Path, ref: Reference
) -> None:
    for generated in corpus:
        year, slug, name = generated.path.relative_to(corpus_dir).parts
        assert int(year) == generated.year
        assert ref.units_by_slug[slug].unit_code == generated.unit_code
        assert name.endswith(".xlsx")
    files = Counter((f.year, f.unit_code) for f in corpus)
    wanted = {(y, u.unit_code) for y in YEARS for u in ref.units.values() if u.valid_in(y)}
    assert set(files) == wanted
    assert set(files.values()) == {1}


def test_every_layout_appears_several_times_in_default_years(ref: Reference) -> None:
    years = range(2014, 2026)
    chosen = {
        (y, u.slug): choose_layout(u.slug, y) for y in years for u in ref.units.values() if u.valid_in(y)
    }
    counts = Counter(chosen.values())
    assert set(counts) == set(LAYOUTS)
    assert min(counts.values()) >= 3
    for start in years[:-1]:  # a TCVN3 workbook in every two consecutive years
        assert "legacy_tcvn3" in {chosen.get((y, s)) for y in (start, start + 1) for s in vocab.UNIT_ORDER}


def test_volumes_and_funding_grow(ref: Reference) -> None:
    def totals(year: int) -> tuple[int, int, int]:
        plans = plan_corpus(range(year, year + 1), reference=ref)
        province = next(len(p.projects) for p in plans if p.unit.slug == "tinh")
        return (
            sum(len(p.projects) for p in plans),
            sum(x["support_vnd"] for p in plans for x in p.projects),
            province,
        )

    (count_2014, support_2014, province_2014), (count_2025, support_2025, province_2025) = (
        totals(2014),
        totals(2025),
    )
    assert count_2025 > 2 * count_2014
    assert support_2025 > 3 * support_2014
    assert 12 <= province_2014 <= 18 and 38 <= province_2025 <= 52


def test_expected_values_are_consistent(corpus: list[GeneratedFile], ref: Reference) -> None:
    for generated in corpus:
        assert len(generated.expected) >= 2
        for row in generated.expected:
            assert tuple(row) == EXPECTED_KEYS
            activity = ref.activities[row["activity_code"]]
            assert row["programme_code"] == activity.programme_code
            assert row["funding_source"] in ("KCQG", "KCDP")
            assert row["total_vnd"] == row["support_vnd"] + row["counterpart_vnd"]
            assert 20 * MILLION <= row["support_vnd"] <= 400 * MILLION
            assert (row["trainees"] is not None) == ("trainees" in activity.counts)
            if row["activity_code"] == "machinery_transfer":
                assert row["counterpart_vnd"] >= row["support_vnd"]
            if row["activity_code"] in ("information", "workshop_training"):
                assert row["counterpart_vnd"] == 0
            if generated.money_scale == MILLION:
                assert row["total_vnd"] % 500_000 == 0 and row["counterpart_vnd"] % 500_000 == 0
            assert row["title"] == nfc(row["title"])


# ------------------------------------------------------------------------------------ file contents


def test_expected_rows_point_at_the_project_rows(corpus: list[GeneratedFile]) -> None:
    for generated in corpus:
        wb = openpyxl.load_workbook(generated.path)
        for row in generated.expected:
            ws = wb[row["source_sheet"]]
            texts = [_text(c) for c in ws[row["source_row"]]]
            assert row["title"] in texts, (generated.path, row["source_row"])
            assert row["beneficiary"] in texts and row["commune"] in texts
            codes = [t for t in texts if t and re.fullmatch(r"KC(QG|ĐP)-\d{4}-[A-Z]+-\d+", t)]
            assert codes == ([row["project_code"]] if row["project_code"] else [])
            money = _money_columns(ws, load_reference())
            for field, col in money.items():
                cell = ws.cell(row["source_row"], col).value
                assert _amount(cell, generated.money_scale) == row[field], (generated.path, field)


def test_total_rows_equal_the_sums(corpus: list[GeneratedFile], ref: Reference) -> None:
    checked = Counter[str]()
    for generated in corpus:
        wb = openpyxl.load_workbook(generated.path)
        for sheet in dict.fromkeys(r["source_sheet"] for r in generated.expected):
            ws = wb[sheet]
            rows = [r for r in generated.expected if r["source_sheet"] == sheet]
            sources = list(dict.fromkeys(r["funding_source"] for r in rows))
            money = _money_columns(ws, ref)
            for number in range(1, ws.max_row + 1):
                labels = _row_labels(ws, number)
                if any(label.startswith("tong cong") for label in labels):
                    scope = rows
                elif "cong i" in labels or "cong ii" in labels:
                    source = sources[0 if "cong i" in labels else 1]
                    scope = [r for r in rows if r["funding_source"] == source]
                else:
                    continue
                for field, col in money.items():
                    got = _amount(ws.cell(number, col).value, generated.money_scale)
                    assert got == sum(r[field] for r in scope), (generated.path, number, field)
                checked[generated.layout] += 1
    assert set(checked) == set(LAYOUTS)


def test_hidden_and_empty_sheets(corpus: list[GeneratedFile]) -> None:
    hidden = empty = 0
    for generated in corpus:
        wb = openpyxl.load_workbook(generated.path)
        project_sheets = {r["source_sheet"] for r in generated.expected}
        for ws in wb.worksheets:
            if ws.title in project_sheets:
                assert ws.sheet_state == "visible"
            elif ws.title in vocab.JUNK_SHEET_NAMES:
                assert ws.sheet_state == "hidden"
                hidden += 1
            else:
                assert ws.max_row == 1 and ws["A1"].value is None
                empty += 1
    assert hidden and empty


def test_legacy_files_use_legacy_fonts(corpus: list[GeneratedFile]) -> None:
    fonts = {"tcvn3": {".VnTime", ".VnTimeH"}, "vni": {"VNI-Times"}}
    seen = set()
    for generated in corpus:
        if generated.legacy_encoding is None:
            continue
        seen.add(generated.legacy_encoding)
        wb = openpyxl.load_workbook(generated.path)
        for row in generated.expected:
            ws = wb[row["source_sheet"]]
            used = {c.font.name for r in ws.iter_rows() for c in r if isinstance(c.value, str)}
            assert used <= fonts[generated.legacy_encoding]
            title = next(c for c in ws[row["source_row"]] if _text(c) == row["title"])
            assert title.value != row["title"]  # stored encoded, not as Unicode
            if generated.legacy_encoding == "tcvn3":
                assert title.font.name == ".VnTime"
                assert {c.font.name for c in ws[_header_row(ws)] if c.value} == {".VnTimeH"}
    assert seen == {"tcvn3", "vni"}


def test_text_amount_files_store_nfd_text_and_string_amounts(corpus: list[GeneratedFile]) -> None:
    files = [f for f in corpus if f.layout == "text_amounts"]
    assert files
    for generated in files:
        ws = openpyxl.load_workbook(generated.path)[generated.expected[0]["source_sheet"]]
        money = _money_columns(ws, load_reference())
        for row in generated.expected:
            cells = ws[row["source_row"]]
            title = next(c.value for c in cells if isinstance(c.value, str) and nfc(c.value) == row["title"])
            assert title == unicodedata.normalize("NFD", row["title"]) != row["title"]
            assert all(isinstance(ws.cell(row["source_row"], col).value, str) for col in money.values())


# ----------------------------------------------------------------------------------------- vocabulary


def test_every_title_template_names_its_own_activity(ref: Reference) -> None:
    assert set(vocab.TITLE_TEMPLATES) == set(ref.activities)
    fills = {
        "beneficiary": "Hộ kinh doanh Nguyễn Văn Hùng",
        "commune": "xã Tân Cương",
        "commune_name": "Tân Cương",
        "place": "huyện Đại Từ",
        "year": 2021,
        "province": "Phú Thọ",
    }
    for code, templates in vocab.TITLE_TEMPLATES.items():
        for template in templates:
            for sector in vocab.SECTORS.values():
                for machine, skill, demo in zip(
                    sector.machines, sector.skills * 4, sector.demos * 4, strict=False
                ):
                    title = template.format(
                        product=sector.product, machine=machine, skill=skill, demo=demo, **fills
                    )
                    assert ref.activity_keywords.classify(title) == code, title
                    encode(title, "tcvn3")  # writable in a normal TCVN3 font as it stands


def test_names_do_not_trigger_activity_keywords_and_fit_tcvn3(ref: Reference) -> None:
    names = [name for pool in vocab.COMMUNES.values() for _, name in pool]
    names += [*vocab.FAMILY_NAMES, *vocab.GIVEN_NAMES, *vocab.BRAND_NAMES, *vocab.COOP_NAMES]
    for sector in vocab.SECTORS.values():
        names += [
            p.format(
                person="Lê Văn Hùng",
                person_short="Hùng Cường",
                brand="Hà Thái",
                coop="Tân Hương",
                trade=sector.trade,
                company_trade=sector.company_trade,
                commune="xã La Bằng",
                place="huyện Đại Từ",
            )
            for p in (*vocab.FIRM_PATTERNS, *vocab.GROUP_PATTERNS)
        ]
    for name in names:
        assert ref.activity_keywords.classify(name) is None, name
        encode(name, "tcvn3")
    for slug, pool in vocab.COMMUNES.items():
        assert slug in ref.units_by_slug and 4 <= len(pool) <= 8


def test_labels_and_headings_map_through_reference_aliases(ref: Reference) -> None:
    for code, labels in vocab.PROGRAMME_SHORT.items():
        for label in labels:
            assert ref.programme_names.exact(label) == code, label
    for pair in (*vocab.FUNDING_LABELS, *vocab.FUNDING_SECTIONS):
        assert [ref.funding_names.exact(label) for label in pair] == ["KCQG", "KCDP"]
    for plan in plan_corpus(range(2014, 2026), reference=ref):
        for key, heading in plan.document.columns:
            field = ref.column_names.exact(heading) or ref.column_names.exact(_PARENS.sub(" ", heading))
            expected = {"seq": "seq", "funding": "funding_source", "programme": "programme"}
            expected |= {"total": "total_vnd", "support": "support_vnd", "counterpart": "counterpart_vnd"}
            assert field == expected.get(key, key), heading


def test_parse_years() -> None:
    assert parse_years("2014-2025") == range(2014, 2026)
    assert parse_years("2021") == range(2021, 2022)
    for bad in ("21", "2025-2014", "2014..2025"):
        with pytest.raises(ValueError):
            parse_years(bad)
