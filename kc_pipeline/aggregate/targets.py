"""out_target_progress: how far the 2021–2025 khuyến công programme has come against its targets.

The targets are data (``data/reference/targets_2021_2025.csv``) so that staff replace the shipped
sample with the adopted plan without touching code; a broken file is a :class:`ReferenceDataError`
naming file and line. The computation is pure pandas so the Dagster layer only wires it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from kc_pipeline.paths import reference_dir
from kc_pipeline.reference import Reference, ReferenceDataError, _Rows, _split, load_reference
from kc_pipeline.warehouse.schema import core_projects

TARGETS_FILE = "targets_2021_2025.csv"
PERIOD = range(2021, 2026)

SHARE_MEASURES = frozenset({"share_priority_support"})
MEASURE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "count_projects": (),
    "sum_support_vnd": ("support_vnd",),
    "sum_trainees": ("trainees",),
    "sum_models": ("models",),
    "sum_clusters": ("clusters",),
    "share_priority_support": ("support_vnd", "sector_code"),
}
MEASURES = frozenset(MEASURE_COLUMNS)
# Money is integer đồng in the warehouse; a target written in a larger unit is compared in that unit.
MONEY_UNITS: Mapping[str, int] = {"đồng": 1, "nghìn đồng": 1_000, "triệu đồng": 1_000_000, "tỷ đồng": 10**9}
SHARE_UNIT = "%"
FILTER_COLUMNS = ("funding_source", "programme_code", "activity_code", "sector_code", "value_chain_code")
# Filter column -> (Reference attribute holding the valid codes, the file staff would look in).
_FILTER_REFERENCE = {
    "funding_source": ("funding_sources", "funding_sources.csv"),
    "programme_code": ("programmes", "programmes.csv"),
    "activity_code": ("activities", "activities.csv"),
    "sector_code": ("sectors", "sectors.csv"),
    "value_chain_code": ("value_chains", "value_chains.csv"),
}
REQUIRED_COLUMNS = ("indicator_code", "label_vi", "unit", "measure", *FILTER_COLUMNS, "target_period")

YEARLY_TOLERANCE = 0.01  # per-year targets may differ from target_period by rounding, not more
AT_RISK_FRACTION = 0.8  # cumulative: at risk down to 80% of the expected progress
SHARE_AT_RISK_FRACTION = 0.9  # share: at risk down to 90% of the target level
_EPS = 1e-9  # float noise must not flip a status (3 of 5 is exactly 60%)

OUTPUT_COLUMNS = (
    "indicator_code",
    "label_vi",
    "unit",
    "year",
    "target_value",
    "actual_value",
    "progress_pct",
    "expected_pct",
    "status",
    "projection_2025",
    "projected_status",
)

_CODE = re.compile(r"[A-Za-z0-9_]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
# "110.000" or "1,500": Vietnamese thousands separators that float() would misread (110.0) or refuse.
_GROUPED = re.compile(r"-?\d{1,3}([.,]\d{3})+")
_YEAR_COLUMN = re.compile(r"target_(\d{4})")
# A frame with this column holds groups of projects (see current_target_inputs), not single projects.
WEIGHT = "projects"
SUMMED = ("support_vnd", "trainees", "models", "clusters")


@dataclass(frozen=True)
class Target:
    """One indicator of the period plan; filter sets are empty when any code counts."""

    indicator_code: str
    label_vi: str
    unit: str
    measure: str
    target_period: float
    funding_source: frozenset[str] = frozenset()
    programme_code: frozenset[str] = frozenset()
    activity_code: frozenset[str] = frozenset()
    sector_code: frozenset[str] = frozenset()
    value_chain_code: frozenset[str] = frozenset()
    yearly: tuple[float, ...] = ()  # one target per PERIOD year, or () for a linear pace
    note: str = ""

    def __post_init__(self) -> None:
        # Checked here, not only in the loader, so targets built in code obey the same rules.
        if self.measure not in MEASURES:
            raise ValueError(f"measure must be among {sorted(MEASURES)}, got {self.measure!r}")
        if not (math.isfinite(self.target_period) and self.target_period > 0):
            raise ValueError(f"target_period must be a positive number, got {self.target_period!r}")
        if self.measure == "sum_support_vnd" and self.unit not in MONEY_UNITS:
            raise ValueError(
                f"unit of sum_support_vnd must be among {sorted(MONEY_UNITS)}, got {self.unit!r}"
            )
        if self.is_share:
            if self.unit != SHARE_UNIT:
                raise ValueError(f"unit of {self.measure} must be '%', got {self.unit!r}")
            if self.target_period > 100:
                raise ValueError(f"a share cannot exceed 100%, got {self.target_period:g}")
            if self.yearly:
                raise ValueError("per-year targets do not apply to a share: give the level in target_period")
        if self.yearly:
            if len(self.yearly) != len(PERIOD):
                raise ValueError(f"give {len(PERIOD)} per-year targets or none, got {len(self.yearly)}")
            if any(not math.isfinite(v) or v < 0 for v in self.yearly):
                raise ValueError(f"per-year targets must be numbers ≥ 0, got {self.yearly}")
            total = sum(self.yearly)
            if abs(total - self.target_period) > YEARLY_TOLERANCE * self.target_period:
                raise ValueError(
                    f"per-year targets add up to {total:g}, not target_period {self.target_period:g} "
                    f"(more than {YEARLY_TOLERANCE:.0%} apart)"
                )

    @property
    def is_share(self) -> bool:
        return self.measure in SHARE_MEASURES

    @property
    def scale(self) -> int:
        """Đồng per unit of the target: actual money is divided by it to compare like with like."""
        return MONEY_UNITS[self.unit] if self.measure == "sum_support_vnd" else 1

    def expected_pct(self, year: int) -> float:
        """Share of the period target that should be reached by the end of ``year``."""
        if self.is_share:
            return 100.0  # a share is a level to hold every year, not a quantity to accumulate
        done = year - PERIOD.start + 1
        total = sum(self.yearly)
        if self.yearly and total > 0:
            # Normalised by the per-year total so that 2025 expects exactly 100% despite rounding.
            return sum(self.yearly[:done]) * 100 / total
        return done * 100 / len(PERIOD)


# ------------------------------------------------------------------------------------------ loading


def load_targets(path: Path | None = None, reference: Reference | None = None) -> tuple[Target, ...]:
    """Read and check the targets file; codes in filters must exist in the reference data."""
    path = path or reference_dir() / TARGETS_FILE
    reference = reference or load_reference()
    rows = _Rows(path, REQUIRED_COLUMNS)
    if not rows.rows:
        raise ReferenceDataError(f"{path}: no targets")
    year_columns = _year_columns(path, rows.rows[0][1])
    seen: dict[str, int] = {}
    targets: list[Target] = []
    for line, row in rows.rows:
        code = rows.need(line, row, "indicator_code")
        if not _CODE.fullmatch(code):
            raise rows.fail(line, f"indicator_code must be letters, digits and '_', got {code!r}")
        rows.unique(seen, line, code, "indicator_code")
        measure = rows.need(line, row, "measure")
        if measure not in MEASURES:
            raise rows.fail(line, f"unknown measure {measure!r}; use one of {', '.join(sorted(MEASURES))}")
        filters = {column: _filter_codes(rows, line, row, column, reference) for column in FILTER_COLUMNS}
        _check_activities_in_programmes(rows, line, filters, reference)
        period = _number(rows, line, row, "target_period")
        if period is None:
            raise rows.fail(line, "'target_period' is empty")
        numbers = {year: _number(rows, line, row, column) for year, column in year_columns}
        given = {year: value for year, value in numbers.items() if value is not None}
        try:
            targets.append(
                Target(
                    indicator_code=code,
                    label_vi=rows.need(line, row, "label_vi"),
                    unit=rows.need(line, row, "unit"),
                    measure=measure,
                    target_period=period,
                    yearly=_fill_years(given, period),
                    note=row.get("note", ""),
                    **filters,
                )
            )
        except ValueError as exc:
            raise rows.fail(line, str(exc)) from None
    return tuple(targets)


def _year_columns(path: Path, row: Mapping[str, str]) -> list[tuple[int, str]]:
    """The ``target_YYYY`` columns present, each inside the period."""
    out = []
    for column in row:
        if column == "target_period" or not column.startswith("target_"):
            continue
        match = _YEAR_COLUMN.fullmatch(column)
        if not match or int(match.group(1)) not in PERIOD:
            raise ReferenceDataError(
                f"{path}:1: column {column!r} is not target_{PERIOD.start}…target_{PERIOD.stop - 1}"
            )
        out.append((int(match.group(1)), column))
    return sorted(out)


def _number(rows: _Rows, line: int, row: Mapping[str, str], column: str) -> float | None:
    text = row.get(column, "").strip()
    if not text:
        return None
    if _GROUPED.fullmatch(text):
        raise rows.fail(
            line, f"'{column}' {text!r} looks like thousands separators; write plain digits (e.g. 110000)"
        )
    if not _NUMBER.fullmatch(text):
        raise rows.fail(line, f"'{column}' is not a number: {text!r}")
    value = float(text)
    if value < 0:
        raise rows.fail(line, f"'{column}' is negative: {text}")
    return value


def _filter_codes(
    rows: _Rows, line: int, row: Mapping[str, str], column: str, reference: Reference
) -> frozenset[str]:
    codes = frozenset(_split(row.get(column, "")))
    attribute, file_name = _FILTER_REFERENCE[column]
    unknown = sorted(codes - set(getattr(reference, attribute)))
    if unknown:
        raise rows.fail(line, f"unknown {column} {', '.join(map(repr, unknown))} (not in {file_name})")
    return codes


def _check_activities_in_programmes(
    rows: _Rows, line: int, filters: Mapping[str, frozenset[str]], reference: Reference
) -> None:
    """An activity outside the programme filter could never be counted: a typo, not a choice."""
    programmes = filters["programme_code"]
    if not programmes:
        return
    for activity in sorted(filters["activity_code"]):
        owner = reference.activities[activity].programme_code
        if owner not in programmes:
            raise rows.fail(
                line, f"activity {activity!r} belongs to programme {owner!r}, which programme_code excludes"
            )


def _fill_years(given: Mapping[int, float], period: float) -> tuple[float, ...]:
    """Per-year targets; years left empty share what remains of the period target evenly.

    Annual plans are adopted year by year, so a file may know 2021–2023 and not yet 2024–2025.
    """
    if not given:
        return ()
    missing = [year for year in PERIOD if year not in given]
    if missing:
        remainder = period - sum(given.values())
        if remainder < -YEARLY_TOLERANCE * period:
            total = sum(given.values())
            raise ValueError(f"per-year targets given add up to {total:g}, above target_period {period:g}")
        share = max(remainder, 0.0) / len(missing)
        given = {**given, **dict.fromkeys(missing, share)}
    return tuple(given[year] for year in PERIOD)


# -------------------------------------------------------------------------------------- computation


def current_target_inputs(conn: Connection) -> pd.DataFrame:
    """Current projects of the period grouped by every filter column, with summed measures.

    What :func:`target_progress` needs, read as a few thousand groups instead of one row per
    project (a national warehouse holds 120,000): every measure is a sum or a count over projects,
    and every filter a test on a grouped column, so the result is the same. The ``projects`` column
    counts the projects of each group; a group whose measure is missing on every project sums to
    NULL, read as missing, as a project's missing count is.
    """
    p = core_projects.c
    keys = [p.year, *(p[c] for c in FILTER_COLUMNS)]
    query = (
        select(*keys, func.count().label(WEIGHT), *(func.sum(p[m]).label(m) for m in SUMMED))
        .where(p.valid_to.is_(None), p.year.between(PERIOD.start, PERIOD.stop - 1))
        .group_by(*keys)
    )
    columns = ["year", *FILTER_COLUMNS, WEIGHT, *SUMMED]
    return pd.DataFrame(list(conn.execute(query)), columns=columns)


def target_progress(
    projects: pd.DataFrame,
    targets: Sequence[Target],
    reference: Reference,
    years: Iterable[int] | None = None,
) -> pd.DataFrame:
    """One row per indicator × year: cumulative actual since 2021 against the period target.

    ``projects`` must hold current project versions only, one per row, or groups of them with their
    count in a ``projects`` column (:func:`current_target_inputs`). ``years`` defaults to the period's years
    up to the last one with any project, so a year without projects still gets its row (the
    cumulative actual carries forward) while years not yet reported do not.
    """
    _check_columns(projects, targets)
    year = pd.to_numeric(projects["year"], errors="coerce")
    in_period = year.isin(list(PERIOD))
    frame = projects.loc[in_period].assign(year=year[in_period].astype("int64"))
    report_years = _report_years(frame, years)
    priority = frozenset(code for code, sector in reference.sectors.items() if sector.priority)
    rows: list[dict[str, Any]] = []
    for target in targets:
        chosen = frame.loc[_matches(frame, target)]
        for report_year in report_years:
            so_far = chosen.loc[chosen["year"] <= report_year]
            rows.append(_progress_row(target, report_year, so_far, priority))
    out = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))
    floats = ("target_value", "actual_value", "progress_pct", "expected_pct", "projection_2025")
    return out.astype({"year": "int64", **dict.fromkeys(floats, "float64")})


def _check_columns(projects: pd.DataFrame, targets: Sequence[Target]) -> None:
    needed = {"year"}
    for target in targets:
        needed.update(MEASURE_COLUMNS[target.measure])
        needed.update(column for column in FILTER_COLUMNS if getattr(target, column))
    missing = sorted(needed - set(projects.columns))
    if missing:
        raise ValueError(f"projects lack column(s) {', '.join(missing)} needed by the targets")


def _report_years(frame: pd.DataFrame, years: Iterable[int] | None) -> list[int]:
    if years is None:
        if frame.empty:
            return []
        return list(range(PERIOD.start, int(frame["year"].max()) + 1))
    chosen = sorted(set(years))
    outside = [y for y in chosen if y not in PERIOD]
    if outside:
        raise ValueError(f"years {outside} are outside the period {PERIOD.start}–{PERIOD.stop - 1}")
    return chosen


def _matches(frame: pd.DataFrame, target: Target) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column in FILTER_COLUMNS:
        codes = getattr(target, column)
        if codes:
            mask &= frame[column].isin(sorted(codes)).fillna(False).astype(bool)
    return mask


def _total(values: pd.Series) -> float:
    """Sum of a nullable column; a missing count adds nothing rather than voiding the total."""
    return float(pd.to_numeric(values, errors="coerce").sum())


def _actual(target: Target, so_far: pd.DataFrame, priority: frozenset[str]) -> float:
    measure = target.measure
    if measure == "count_projects":
        return _total(so_far[WEIGHT]) if WEIGHT in so_far.columns else float(len(so_far))
    if measure == "sum_support_vnd":
        return _total(so_far["support_vnd"]) / target.scale
    if measure == "share_priority_support":
        # Support with no sector counts as non-priority: the share claims only what is shown.
        support = _total(so_far["support_vnd"])
        if support <= 0:
            return math.nan
        in_priority = so_far["sector_code"].isin(sorted(priority)).fillna(False).astype(bool)
        return _total(so_far.loc[in_priority, "support_vnd"]) * 100 / support
    return _total(so_far[MEASURE_COLUMNS[measure][0]])


def _progress_row(
    target: Target, year: int, so_far: pd.DataFrame, priority: frozenset[str]
) -> dict[str, Any]:
    actual = _actual(target, so_far, priority)
    goal = target.target_period
    progress = actual * 100 / goal
    expected = target.expected_pct(year)
    if target.is_share:
        status = _share_status(actual, goal, year)
        projection = actual  # a share does not accumulate: today's level is the best guess for 2025
    else:
        status = _status(progress, expected)
        projection = actual * len(PERIOD) / (year - PERIOD.start + 1)
    if math.isnan(projection):
        projected_status = "no_data"
    else:
        projected_status = "achieved" if projection >= goal - _EPS else "short"
    return {
        "indicator_code": target.indicator_code,
        "label_vi": target.label_vi,
        "unit": target.unit,
        "year": year,
        "target_value": goal,
        # A share of no support has no value; actual_value is NOT NULL in the warehouse, so it reads 0
        # and status "no_data" (with NULL progress and projection) says why.
        "actual_value": 0.0 if math.isnan(actual) else actual,
        "progress_pct": progress,
        "expected_pct": expected,
        "status": status,
        "projection_2025": projection,
        "projected_status": projected_status,
    }


def _status(progress: float, expected: float) -> str:
    if progress >= 100 - _EPS:
        return "achieved"
    if progress >= expected - _EPS:
        return "on_track"
    if progress >= AT_RISK_FRACTION * expected - _EPS:
        return "at_risk"
    return "behind"


def _share_status(share: float, goal: float, year: int) -> str:
    """A share at target is only "achieved" in the period's last year; before that it can still slip."""
    if math.isnan(share):
        return "no_data"
    if share >= goal - _EPS:
        return "achieved" if year == PERIOD[-1] else "on_track"
    if share >= SHARE_AT_RISK_FRACTION * goal - _EPS:
        return "at_risk"
    return "behind"
