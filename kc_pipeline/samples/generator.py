"""Deterministic corpus of district workbooks, with the values a reader must recover from each.

The corpus stands in for real submissions (which we may not share) in tests, demos and benchmarks:
every reporting unit valid in a year gets one workbook in one of several real-world layouts, and
:class:`GeneratedFile` records, project by project, where it sits and its canonical values. Each
file draws from its own ``random.Random(f"{seed}-{year}-{slug}")`` so that files do not depend on
each other or on the year range asked for.
"""

from __future__ import annotations

import os
import random
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kc_pipeline.ingest.legacy_fonts import LegacyEncoding
from kc_pipeline.reference import Activity, OrgUnit, Reference, load_reference
from kc_pipeline.samples import vocabulary as vocab
from kc_pipeline.samples.layouts import WRITERS, Document, fit_legacy

BASE_LAYOUTS: tuple[str, ...] = (
    "one_row_header",
    "two_row_header",
    "sections",
    "sheet_per_source",
    "text_amounts",
)
LAYOUTS: tuple[str, ...] = (*BASE_LAYOUTS, "legacy_tcvn3", "legacy_vni")
LEGACY_ENCODINGS: dict[str, LegacyEncoding] = {"legacy_tcvn3": "tcvn3", "legacy_vni": "vni"}
MILLION = 1_000_000

EXPECTED_KEYS: tuple[str, ...] = (
    "source_sheet",
    "source_row",
    "year",
    "unit_code",
    "funding_source",
    "programme_code",
    "activity_code",
    "title",
    "beneficiary",
    "commune",
    "support_vnd",
    "counterpart_vnd",
    "total_vnd",
    "trainees",
    "project_code",
)


@dataclass(frozen=True)
class GeneratedFile:
    """One written workbook and the canonical rows a correct reader returns for it."""

    path: Path
    unit_code: str
    year: int
    layout: str
    money_scale: int  # multiplier from the sheet's amounts to đồng (1 or 1_000_000)
    legacy_encoding: str | None  # "tcvn3", "vni" or None
    expected: tuple[dict[str, Any], ...]  # one dict per project, keys EXPECTED_KEYS, in sheet/row order


@dataclass(frozen=True)
class FilePlan:
    """A workbook decided but not yet written: lets tests check volumes without touching disk."""

    unit: OrgUnit
    year: int
    layout: str
    relative_path: Path
    projects: tuple[dict[str, Any], ...]
    document: Document


def parse_years(text: str) -> range:
    """Years from the command line: "2014-2025" -> range(2014, 2026), "2021" -> range(2021, 2022)."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4})\s*)?", text)
    if not match:
        raise ValueError(f"years must look like 2021 or 2014-2025, got {text!r}")
    start, end = int(match[1]), int(match[2] or match[1])
    if end < start:
        raise ValueError(f"year range runs backwards: {text!r}")
    return range(start, end + 1)


def choose_layout(unit: str, year: int) -> str:
    """Layout of the workbook of unit ``unit`` (slug) for ``year``; no randomness, so tests can enumerate.

    Units rotate through the five Unicode layouts year by year (each layout appears twice a year
    among ten units); in every even year one district still types in TCVN3, and every fourth year
    (2017, 2021, 2025) another one in VNI.
    """
    districts = vocab.DISTRICT_ORDER
    if year % 2 == 0 and unit == districts[(year // 2) % len(districts)]:
        return "legacy_tcvn3"
    if year % 4 == 1 and unit == districts[(year // 4 + 4) % len(districts)]:
        return "legacy_vni"
    index = vocab.UNIT_ORDER.index(unit) if unit in vocab.UNIT_ORDER else zlib.crc32(unit.encode())
    return BASE_LAYOUTS[(index * 2 + year) % len(BASE_LAYOUTS)]


# ----------------------------------------------------------------------------------------- projects


def _round_to(value: float, step: int) -> int:
    return max(step, round(value / step) * step)


def _person(rng: random.Random) -> str:
    return (
        f"{rng.choice(vocab.FAMILY_NAMES)} {rng.choice(vocab.MIDDLE_NAMES)} {rng.choice(vocab.GIVEN_NAMES)}"
    )


def _office(slug: str, year: int) -> str:
    """The implementing office, named as a beneficiary of information and organisation đề án."""
    if slug == "tinh":
        return "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp"
    office = "Phòng Kinh tế" if vocab.unit_kind(slug, year) == "thành phố" else "Phòng Kinh tế và Hạ tầng"
    return f"{office} {vocab.place_phrase(slug, year)}"


class _ProjectMaker:
    """Draws the projects of one unit-year from the file's own random stream."""

    def __init__(
        self, rng: random.Random, ref: Reference, unit: OrgUnit, year: int, half_millions: bool
    ) -> None:
        self.rng, self.ref, self.unit, self.year = rng, ref, unit, year
        self.slug = unit.slug
        self.step = 500_000 if half_millions else 1_000
        self.place = vocab.place_phrase(self.slug, year) if self.slug in vocab.UNIT_PLACE else unit.name
        district = self.slug in vocab.COMMUNES
        weights = vocab.DISTRICT_ACTIVITY_WEIGHTS if district else vocab.PROVINCE_ACTIVITY_WEIGHTS
        self.activities = [
            (ref.activities[code], weight)
            for code, weight in weights.items()
            if code in ref.activities and _valid(ref.activities[code], year)
        ]
        self.kcqg_share = 0.3 if self.slug not in vocab.COMMUNES else 0.08

    def count(self) -> int:
        share = (self.year - 2014) / 11
        base = 15 + 30 * share if self.slug not in vocab.COMMUNES else 3 + 11 * share
        return max(2, round(base * self.rng.uniform(0.85, 1.15)))

    def commune(self) -> tuple[str, str]:
        pool = vocab.COMMUNES.get(self.slug)
        if pool is None:
            pool = vocab.COMMUNES[self.rng.choice(sorted(vocab.COMMUNES))]
        return self.rng.choice(pool)

    def beneficiary(self, activity: str, sector: vocab.SectorWords, commune: str, firm: bool) -> str:
        rng = self.rng
        if activity in ("information", "organisation_capacity", "cluster_planning") and not firm:
            return _office(self.slug, self.year) if self.slug in vocab.UNIT_PLACE else self.unit.name
        patterns = (
            vocab.FIRM_PATTERNS
            if firm
            else vocab.GROUP_PATTERNS_BY_ACTIVITY.get(activity, vocab.GROUP_PATTERNS)
        )
        return rng.choice(patterns).format(
            person=_person(rng),
            person_short=f"{rng.choice(vocab.GIVEN_NAMES)} {rng.choice(vocab.GIVEN_NAMES)}",
            brand=rng.choice(vocab.BRAND_NAMES),
            coop=rng.choice(vocab.COOP_NAMES),
            trade=sector.trade,
            company_trade=sector.company_trade,
            commune=commune,
            place=self.place,
        )

    def amounts(self, activity: str) -> tuple[int, int]:
        low, high = vocab.SUPPORT_RANGE_2014[activity]
        growth = 1 + 0.05 * (self.year - 2014)
        support = _round_to(min(400.0, max(20.0, self.rng.uniform(low, high) * growth)) * MILLION, self.step)
        r_low, r_high = vocab.COUNTERPART_RATIO[activity]
        if r_high == 0 or (r_low == 0 and self.rng.random() < 0.5):
            return support, 0
        counterpart = _round_to(support * self.rng.uniform(r_low, r_high), self.step)
        if activity == "machinery_transfer":
            counterpart = max(counterpart, support)
        return support, counterpart

    def project(self) -> dict[str, Any]:
        rng = self.rng
        acts, weights = zip(*self.activities, strict=True)
        activity: Activity = rng.choices(acts, weights=weights)[0]
        code = activity.activity_code
        sectors = vocab.SECTOR_WEIGHTS
        sector = vocab.SECTORS[rng.choices(list(sectors), weights=list(sectors.values()))[0]]
        kind, commune = self.commune()
        template = rng.choice(vocab.TITLE_TEMPLATES[code])
        firm = "{beneficiary}" in template or (code not in vocab.GROUP_ACTIVITIES)
        beneficiary = self.beneficiary(code, sector, f"{kind} {commune}", firm)
        title = template.format(
            beneficiary=beneficiary,
            commune=f"{kind} {commune}",
            commune_name=commune,
            place=self.place,
            year=self.year,
            product=sector.product,
            machine=rng.choice(sector.machines),
            skill=rng.choice(sector.skills),
            demo=rng.choice(sector.demos),
            province=rng.choice(vocab.PROVINCES_TOURED),
        )
        support, counterpart = self.amounts(code)
        trainees = None
        if "trainees" in activity.counts:
            trainees = rng.randint(*vocab.TRAINEES_RANGE.get(code, (20, 60)))
        return {
            "funding_source": "KCQG" if rng.random() < self.kcqg_share else "KCDP",
            "programme_code": activity.programme_code,
            "activity_code": code,
            "title": title,
            "beneficiary": beneficiary,
            "commune": commune,
            "support_vnd": support,
            "counterpart_vnd": counterpart,
            "total_vnd": support + counterpart,
            "trainees": trainees,
            "project_code": None,
            "note": "Đã nghiệm thu" if rng.random() < 0.15 else None,
        }


def _valid(item: Any, year: int) -> bool:
    starts_ok = item.valid_from is None or item.valid_from.year <= year
    ends_ok = item.valid_to is None or item.valid_to.year >= year
    return starts_ok and ends_ok


# ---------------------------------------------------------------------------------------- documents


def _columns(rng: random.Random, layout: str, scale: int) -> tuple[tuple[str, str], ...]:
    """Which columns a file has, in which order and under which headings."""
    flat = layout in ("one_row_header", "text_amounts", "sheet_per_source", "legacy_tcvn3", "legacy_vni")
    with_code = layout in ("sheet_per_source", "legacy_tcvn3", "legacy_vni") or (
        layout == "one_row_header" and rng.random() < 0.6
    )
    with_programme = layout in ("one_row_header", "two_row_header", "text_amounts", "sheet_per_source") and (
        rng.random() < 0.5
    )
    with_funding = layout not in ("sections", "sheet_per_source")
    if layout == "two_row_header":
        money = [("total", "Tổng số"), ("support", "KC hỗ trợ"), ("counterpart", "Đối ứng")]
    elif layout == "sections":
        money = [("total", "Tổng kinh phí"), ("support", "KC hỗ trợ"), ("counterpart", "Đối ứng")]
    else:
        unit = "đồng" if scale == 1 else "triệu đồng"
        support_heading = rng.choice(("Kinh phí khuyến công hỗ trợ", "Kinh phí KC hỗ trợ"))
        money = [
            ("total", f"Tổng kinh phí ({unit})"),
            ("support", f"{support_heading} ({unit})"),
            ("counterpart", f"Kinh phí đối ứng ({unit})"),
        ]
    if rng.random() < 0.5:
        money = [*money[1:], money[0]]
    columns: list[tuple[str, str]] = [("seq", "STT")]
    if with_code:
        columns.append(("project_code", "Mã đề án"))
    columns.append(("title", rng.choice(("Tên đề án", "Nội dung đề án", "Tên đề án/nội dung hỗ trợ"))))
    if with_programme:
        columns.append(("programme", rng.choice(("Chương trình", "Nhóm nội dung"))))
    if with_funding:
        columns.append(("funding", rng.choice(("Nguồn kinh phí", "Nguồn vốn"))))
    columns.append(
        ("beneficiary", rng.choice(("Đơn vị thụ hưởng", "Cơ sở thụ hưởng", "Đơn vị (cơ sở) thụ hưởng")))
    )
    columns.append(("commune", rng.choice(("Địa điểm (xã)", "Địa điểm", "Xã, phường"))))
    columns.extend(money)
    columns.append(("trainees", rng.choice(("Số lao động", "Số học viên"))))
    if rng.random() < 0.5 or not flat:
        columns.append(("note", "Ghi chú"))
    return tuple(columns)


def _document(
    rng: random.Random, ref: Reference, unit: OrgUnit, year: int, layout: str, scale: int
) -> Document:
    slug = unit.slug
    known = slug in vocab.UNIT_PLACE
    heading = vocab.unit_heading(slug, year) if known else (unit.name.upper(), "PHÒNG KINH TẾ")
    day = rng.randint(5, 28)
    place = vocab.UNIT_PLACE.get(slug, unit.name)
    unit_line = None
    if layout == "sections":
        unit_line = "Đơn vị tính: triệu đồng" if scale == MILLION else "ĐVT: đồng"
    elif layout == "one_row_header" and rng.random() < 0.3:
        unit_line = "Đơn vị tính: đồng"
    junk_sheet = rng.choice(vocab.JUNK_SHEET_NAMES) if rng.random() < 0.35 else None
    junk_rows: tuple[tuple[Any, ...], ...] = ()
    if junk_sheet:
        pool = vocab.COMMUNES.get(slug) or vocab.COMMUNES["dai-tu"]
        junk_rows = (
            ("Danh sách xã", "Nguồn", "Mã"),
            *((name, rng.choice(("KCQG", "KCĐP")), rng.randint(1, 99)) for _, name in pool),
        )
    programme_labels = {code: rng.choice(names) for code, names in vocab.PROGRAMME_SHORT.items()}
    section_labels = {
        p.programme_code: rng.choice((p.name_vi, *(a for a in p.aliases if a.startswith("Chương trình"))))
        for p in ref.programmes.values()
    }
    notes = (rng.choice(vocab.NOTES),) + ((rng.choice(vocab.FOOTNOTES),) if rng.random() < 0.5 else ())
    right_role = "GIÁM ĐỐC" if slug == "tinh" else "TRƯỞNG PHÒNG"
    return Document(
        year=year,
        heading=heading,
        title=rng.choice(vocab.DOCUMENT_TITLES).format(year=year),
        place_date=f"{place}, ngày {day} tháng 12 năm {year}",
        signers=(("Người lập biểu", _person(rng)), (right_role, _person(rng))),
        created=datetime(year, 12, 1, 8, 0, 0),
        modified=datetime(year, 12, day, 16, 30, 0),
        sheet_name=rng.choice(vocab.MAIN_SHEET_NAMES).format(year=year),
        money_scale=scale,
        columns=_columns(rng, layout, scale),
        subtitle=(
            f"(Kèm theo Báo cáo số {rng.randint(20, 350)}/BC-{vocab.UNIT_ABBR.get(slug, 'KT')} "
            f"ngày {day:02d}/12/{year})"
            if rng.random() < 0.4
            else None
        ),
        motto=rng.random() < 0.5,
        unit_line=unit_line,
        funding_labels=rng.choice(vocab.FUNDING_LABELS),
        programme_labels=programme_labels,
        section_labels=section_labels,
        funding_sections=rng.choice(vocab.FUNDING_SECTIONS),
        total_merged=rng.random() < 0.4,
        notes=notes,
        junk_sheet=junk_sheet,
        junk_rows=junk_rows,
        empty_sheet="Sheet3" if rng.random() < 0.3 else None,
        legacy=LEGACY_ENCODINGS.get(layout),
        creator=heading[1].title(),
    )


# ------------------------------------------------------------------------------------------- corpus


def plan_file(ref: Reference, unit: OrgUnit, year: int, seed: int = 2021) -> FilePlan:
    """Decide one workbook: layout, presentation and projects, all from the file's own random stream."""
    rng = random.Random(f"{seed}-{year}-{unit.slug}")
    layout = choose_layout(unit.slug, year)
    scale = MILLION if layout == "two_row_header" or (layout == "sections" and rng.random() < 0.5) else 1
    half_millions = scale == MILLION or rng.random() < (0.6 if layout == "text_amounts" else 0.4)
    maker = _ProjectMaker(rng, ref, unit, year, half_millions)
    projects: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for _ in range(maker.count()):
        # A real list names each project once; a second identical row would be a duplicate entry.
        for _attempt in range(20):
            project = maker.project()
            identity = (project["funding_source"], project["title"], project["beneficiary"])
            if identity not in seen:
                break
        if identity in seen:
            continue
        seen.add(identity)
        projects.append(project)
    programme_order = {code: i for i, code in enumerate(ref.programmes)}
    activity_order = {code: i for i, code in enumerate(ref.activities)}
    projects.sort(
        key=lambda p: (
            p["funding_source"] != "KCQG",
            programme_order[p["programme_code"]],
            activity_order[p["activity_code"]],
        )
    )
    doc = _document(rng, ref, unit, year, layout, scale)
    has_code = any(key == "project_code" for key, _ in doc.columns)
    sequence = {"KCQG": 0, "KCDP": 0}
    abbr = vocab.UNIT_ABBR.get(unit.slug, unit.unit_code)
    for project in projects:
        if has_code:
            sequence[project["funding_source"]] += 1
            prefix = "KCQG" if project["funding_source"] == "KCQG" else "KCĐP"
            project["project_code"] = f"{prefix}-{year}-{abbr}-{sequence[project['funding_source']]:02d}"
        for key in ("title", "beneficiary", "commune"):
            project[key] = fit_legacy(project[key], doc.legacy)
    name = rng.choice(vocab.FILE_NAMES).format(year=year, abbr=abbr)
    return FilePlan(unit, year, layout, Path(str(year), unit.slug, name), tuple(projects), doc)


def _units_in(ref: Reference, year: int) -> list[OrgUnit]:
    def order(unit: OrgUnit) -> tuple[int, str]:
        known = unit.slug in vocab.UNIT_ORDER
        return (vocab.UNIT_ORDER.index(unit.slug) if known else len(vocab.UNIT_ORDER), unit.unit_code)

    return sorted((u for u in ref.units.values() if u.valid_in(year)), key=order)


def plan_corpus(
    years: Iterable[int] = range(2014, 2026), seed: int = 2021, reference: Reference | None = None
) -> list[FilePlan]:
    """Every workbook of the corpus, decided but not written (cheap: no openpyxl)."""
    ref = reference or load_reference()
    return [plan_file(ref, unit, year, seed) for year in years for unit in _units_in(ref, year)]


def write_plan(plan: FilePlan, out_dir: Path) -> GeneratedFile:
    """Write one planned workbook under ``out_dir`` and pair it with its expected rows."""
    path = out_dir / plan.relative_path
    positions = WRITERS[plan.layout](path, plan.projects, plan.document)
    # The file "arrives" on the day it was signed, so reporting completeness has real dates to judge.
    stamp = plan.document.modified.replace(tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    expected = tuple(
        _expected(project, sheet, row, plan)
        for project, (sheet, row) in zip(plan.projects, positions, strict=True)
    )
    return GeneratedFile(
        path=path,
        unit_code=plan.unit.unit_code,
        year=plan.year,
        layout=plan.layout,
        money_scale=plan.document.money_scale,
        legacy_encoding=plan.document.legacy,
        expected=expected,
    )


def _expected(project: dict[str, Any], sheet: str, row: int, plan: FilePlan) -> dict[str, Any]:
    values = {**project, "source_sheet": sheet, "source_row": row}
    values.update(year=plan.year, unit_code=plan.unit.unit_code)
    return {key: values[key] for key in EXPECTED_KEYS}


def generate_corpus(
    out_dir: Path, years: Sequence[int] = range(2014, 2026), seed: int = 2021
) -> list[GeneratedFile]:
    """Write ``out_dir/<year>/<unit slug>/<file>.xlsx`` for every unit valid in each year.

    Deterministic: the same arguments write byte-identical files and return equal results.
    """
    ref = load_reference()
    return [write_plan(plan, Path(out_dir)) for plan in plan_corpus(years, seed, ref)]
