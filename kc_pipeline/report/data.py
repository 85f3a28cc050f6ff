"""Everything a report needs, read from the warehouse once, for a period and optionally one unit."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select

from kc_pipeline.aggregate.yearly import yearly_trend_rows
from kc_pipeline.reference import Reference
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


def loaded_years(engine: Engine) -> tuple[int, int] | None:
    with engine.connect() as conn:
        years = sorted(conn.execute(select(out_yearly_summary.c.year).distinct()).scalars())
    return (years[0], years[-1]) if years else None


def load_report_data(
    engine: Engine, reference: Reference, year_from: int, year_to: int, unit_code: str | None = None
) -> ReportData:
    s, p, q, f = out_yearly_summary.c, core_projects.c, core_quarantined_rows.c, core_source_files.c
    with engine.connect() as conn:
        query = select(out_yearly_summary).where(s.year.between(year_from, year_to))
        projects_query = select(*(p[c] for c in PROJECT_COLUMNS)).where(
            p.valid_to.is_(None), p.year.between(year_from, year_to)
        )
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
            projects_query = projects_query.where(p.unit_code == unit_code)
            quarantine_query = quarantine_query.where(q.unit_code == unit_code)
            completeness_query = completeness_query.where(out_reporting_completeness.c.unit_code == unit_code)
        summary = pd.DataFrame(
            conn.execute(query).mappings().all(), columns=[c.name for c in out_yearly_summary.c]
        )
        projects = pd.DataFrame(
            conn.execute(projects_query.order_by(p.year, p.unit_code, p.source_row)).mappings().all(),
            columns=list(PROJECT_COLUMNS),
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
    return ReportData(
        year_from, year_to, unit_code, reference, summary, trend, projects, completeness, targets, quarantine
    )
