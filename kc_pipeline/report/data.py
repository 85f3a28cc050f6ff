"""Everything a report needs, read from the warehouse once, for a period and optionally one unit."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, case, func, select

from kc_pipeline.aggregate.yearly import yearly_trend_rows
from kc_pipeline.reference import Reference
from kc_pipeline.warehouse.engine import READ_ONLY
from kc_pipeline.warehouse.schema import (
    core_projects,
    core_quarantined_rows,
    core_source_files,
    out_reporting_completeness,
    out_target_progress,
    out_yearly_summary,
)

PROJECT_COLUMNS = (
    "year", "unit_code", "funding_source", "programme_code", "activity_code", "title", "beneficiary",
    "commune", "sector_code", "value_chain_code", "support_vnd", "counterpart_vnd", "total_vnd", "trainees",
    "models", "clusters", "project_code", "source_file_id", "source_sheet", "source_row",
)  # fmt: skip
# What the project list shows, in the order its rows are made from (see report/listing.py).
LISTING_FIELDS = tuple(c for c in PROJECT_COLUMNS if c != "source_file_id")
CHUNK_ROWS = 10_000  # projects read, rendered and held at a time


@dataclass(frozen=True)
class ProjectChunk:
    """Up to CHUNK_ROWS consecutive projects as columns in LISTING_FIELDS order."""

    columns: list[Sequence[Any]]

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0


@dataclass(frozen=True)
class ProjectBlock:
    """Consecutive rows of the project list (a year, from the warehouse), read chunk by chunk.

    ``fingerprint`` names the block's rows as the warehouse holds them now, and ``current()`` asks
    again: a block rendered while both agree before and after it was read is what that fingerprint
    names, and may be cached under it (a load that raced with the read makes them differ).
    """

    chunks: Callable[[], Iterator[ProjectChunk]]
    fingerprint: str | None = None
    current: Callable[[], str | None] | None = None
    rows: int | None = None  # how many rows ``chunks`` gives, when known before reading them
    source: BlockSource | None = None  # how another process reads the same rows, when it can


@dataclass(frozen=True)
class BlockSource:
    """Where a block's rows are, as plain values another process can take: one year of the
    warehouse at ``url`` (see :mod:`kc_pipeline.report.render_pool`)."""

    url: str
    year: int
    unit_code: str | None


def frame_blocks(frame: pd.DataFrame) -> list[ProjectBlock]:
    """A frame as one block that is never cached (a missing column reads as empty)."""

    def chunks() -> Iterator[ProjectChunk]:
        for start in range(0, len(frame), CHUNK_ROWS):
            part = frame.iloc[start : start + CHUNK_ROWS]
            yield ProjectChunk(
                [part[f].tolist() if f in part.columns else [None] * len(part) for f in LISTING_FIELDS]
            )

    return [ProjectBlock(chunks, rows=len(frame))]


class WarehouseProjects:
    """The current projects of a report, one block per year, streamed from the warehouse.

    A year's fingerprint is, over its rows (of the report's unit, if any): how many versions exist
    at all, how many are current, and the sum and maximum of the current ones' ids. The warehouse
    changes a year's current projects only by inserting rows (a new project or a new version) and
    by closing current ones (setting ``valid_to``); it never deletes a row, never reopens a closed
    one and never edits a row's contents. So any insert raises the count of versions, and closing
    without inserting lowers the count of current rows: every change to the year's current projects
    (insert, new version, closed row, a project now quarantined, which closes it) changes the
    fingerprint, and equal fingerprints mean the same rows with the same contents. The ids make a
    change that breaks those rules (say, a row deleted and another inserted) very likely to show too.
    The latest ``valid_from`` and ``valid_to`` (load times) tell apart two warehouses, or one
    rebuilt from scratch, whose ids and counts happen to agree while their contents differ.
    """

    def __init__(self, engine: Engine, year_from: int, year_to: int, unit_code: str | None = None) -> None:
        self.engine, self.year_from, self.year_to, self.unit_code = engine, year_from, year_to, unit_code

    def _fingerprints(self, first: int, last: int) -> dict[int, str]:
        return {year: fingerprint for year, (fingerprint, _) in self._years(first, last).items()}

    def _years(self, first: int, last: int) -> dict[int, tuple[str, int]]:
        """Per year with current projects: its fingerprint and how many current projects it has."""
        p = core_projects.c
        current = case((p.valid_to.is_(None), p.id))
        query = (
            select(
                p.year,
                func.count(),
                func.count(current),
                func.sum(current),
                func.max(current),
                func.max(p.valid_from),
                func.max(p.valid_to),
            )
            .where(p.year.between(first, last))
            .group_by(p.year)
        )
        if self.unit_code is not None:
            query = query.where(p.unit_code == self.unit_code)
        with _reading(self.engine) as conn:
            rows = conn.execute(query).all()
        return {
            int(year): (
                f"{year}:{self.unit_code or '*'}:{versions}:{count}:{id_sum}:{id_max}:{since}:{until}",
                int(count),
            )
            for year, versions, count, id_sum, id_max, since, until in rows
            if count
        }

    def blocks(self) -> list[ProjectBlock]:
        """One block per year with current projects, in year order."""
        url = shareable_url(self.engine)
        return [
            ProjectBlock(
                self._chunks(year),
                fingerprint,
                lambda year=year: self._fingerprints(year, year).get(year),
                rows,
                BlockSource(url, year, self.unit_code) if url is not None else None,
            )
            for year, (fingerprint, rows) in sorted(self._years(self.year_from, self.year_to).items())
        ]

    def _chunks(self, year: int) -> Callable[[], Iterator[ProjectChunk]]:
        return lambda: self.year_chunks(year)

    def year_chunks(self, year: int) -> Iterator[ProjectChunk]:
        """The year's current projects (of the report's unit, if any) in list order, chunk by chunk."""
        p = core_projects.c
        query = (
            select(*(p[c] for c in LISTING_FIELDS))
            .where(p.valid_to.is_(None), p.year == year)
            .order_by(p.unit_code, p.source_row, p.id)
        )
        if self.unit_code is not None:
            query = query.where(p.unit_code == self.unit_code)
        with _reading(self.engine) as conn:
            result = conn.execution_options(yield_per=CHUNK_ROWS).execute(query)
            for rows in result.partitions():
                yield ProjectChunk([list(column) for column in zip(*rows, strict=True)])


@dataclass
class ReportData:
    """Frames for one report. ``summary`` has the columns of out_yearly_summary."""

    year_from: int
    year_to: int
    unit_code: str | None
    reference: Reference
    summary: pd.DataFrame
    trend: pd.DataFrame
    projects: pd.DataFrame
    completeness: pd.DataFrame
    targets: pd.DataFrame
    quarantine: pd.DataFrame
    # When set, the project list is read from here block by block and ``projects`` is left empty.
    project_source: WarehouseProjects | None = None
    cache_dir: Path | None = field(default=None, compare=False)  # where rendered blocks are kept

    def project_blocks(self) -> list[ProjectBlock]:
        if self.project_source is not None:
            return self.project_source.blocks()
        return frame_blocks(self.projects)

    @property
    def period(self) -> str:
        return str(self.year_from) if self.year_from == self.year_to else f"{self.year_from}-{self.year_to}"

    @property
    def unit_name(self) -> str:
        if self.unit_code is None:
            return "toàn tỉnh"
        return self.reference.units[self.unit_code].name

    @property
    def empty(self) -> bool:
        return self.summary.empty


def _reading(engine: Engine) -> Connection:
    """A connection whose transactions only read: on SQLite they then neither take nor wait for the
    write lock, so a report never holds up a load, nor two readers (the report's workers) each other."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def shareable_url(engine: Engine) -> str | None:
    """The engine's URL, password included, when another process can open the same database with
    it: not an in-memory SQLite database, which lives in this process alone."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or "mode=memory" in database or url.query.get("mode") == "memory":
            return None
    return url.render_as_string(hide_password=False)


def loaded_years(engine: Engine) -> tuple[int, int] | None:
    with _reading(engine) as conn:
        years = sorted(conn.execute(select(out_yearly_summary.c.year).distinct()).scalars())
    return (years[0], years[-1]) if years else None


def load_report_data(
    engine: Engine, reference: Reference, year_from: int, year_to: int, unit_code: str | None = None
) -> ReportData:
    """The frames of a report; the projects stay in the warehouse and are streamed when written."""
    s, q, f = out_yearly_summary.c, core_quarantined_rows.c, core_source_files.c
    with _reading(engine) as conn:
        query = select(out_yearly_summary).where(s.year.between(year_from, year_to))
        quarantine_query = (
            select(q.unit_code, q.year, f.path, q.source_sheet, q.source_row, q.raw, q.reasons)
            .join(
                core_source_files,
                (f.file_id == q.source_file_id) & (f.unit_code == q.unit_code) & (f.year == q.year),
            )
            .where(f.status == "loaded", q.year.between(year_from, year_to))
            .order_by(q.year, q.unit_code, f.path, q.source_row)
        )
        completeness_query = select(out_reporting_completeness).where(
            out_reporting_completeness.c.year.between(year_from, year_to)
        )
        if unit_code is not None:
            query = query.where(s.unit_code == unit_code)
            quarantine_query = quarantine_query.where(q.unit_code == unit_code)
            completeness_query = completeness_query.where(out_reporting_completeness.c.unit_code == unit_code)
        summary = pd.DataFrame(
            conn.execute(query).mappings().all(), columns=[c.name for c in out_yearly_summary.c]
        )
        quarantine = pd.DataFrame(
            conn.execute(quarantine_query).mappings().all(),
            columns=["unit_code", "year", "path", "source_sheet", "source_row", "raw", "reasons"],
        )
        completeness = pd.DataFrame(
            conn.execute(completeness_query).mappings().all(),
            columns=[c.name for c in out_reporting_completeness.c],
        )
        targets = pd.DataFrame(
            conn.execute(select(out_target_progress).where(out_target_progress.c.year <= year_to))
            .mappings()
            .all(),
            columns=[c.name for c in out_target_progress.c],
        )
    trend = pd.DataFrame(
        yearly_trend_rows(summary.to_dict(orient="records")),
        columns=[
            "year",
            "funding_source",
            "projects",
            "support_vnd",
            "previous_projects",
            "previous_support_vnd",
            "projects_change",
            "support_change_vnd",
            "support_change_pct",
            "higher_than_previous",
        ],
    )
    if not quarantine.empty:
        quarantine["reasons"] = quarantine["reasons"].map(
            lambda text: "; ".join(r.get("message", "") for r in json.loads(text))
        )
        quarantine["raw"] = quarantine["raw"].map(lambda text: json.loads(text))
    projects = pd.DataFrame(columns=list(PROJECT_COLUMNS))
    source = WarehouseProjects(engine, year_from, year_to, unit_code)
    return ReportData(
        year_from, year_to, unit_code, reference, summary, trend, projects, completeness, targets, quarantine,
        source,
    )  # fmt: skip
