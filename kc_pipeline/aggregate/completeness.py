"""out_reporting_completeness: which unit has reported for which year, and whether on time.

Expected units are those that existed in the year (``valid_from``/``valid_to`` of the reference
units): a district abolished mid-period is not expected after it ended. The deadline comes from
``data/reference/reporting_deadlines.csv`` (a default month-day, overridden per year).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from kc_pipeline.paths import reference_dir
from kc_pipeline.reference import Reference, ReferenceDataError
from kc_pipeline.warehouse.schema import core_projects, core_source_files

DEADLINES_FILE = "reporting_deadlines.csv"


@dataclass(frozen=True)
class Deadlines:
    default_month_day: tuple[int, int]
    by_year: dict[int, date]

    def for_year(self, year: int) -> date:
        if year in self.by_year:
            return self.by_year[year]
        month, day = self.default_month_day
        return date(year, month, day)


def load_deadlines(directory: Path | None = None) -> Deadlines:
    path = (directory or reference_dir()) / DEADLINES_FILE
    if not path.is_file():
        raise ReferenceDataError(f"{path}: reference file is missing")
    default: tuple[int, int] | None = None
    by_year: dict[int, date] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            line = reader.line_num
            key, value = (row.get("year") or "").strip(), (row.get("deadline") or "").strip()
            try:
                if key == "default":
                    month, day = (int(x) for x in value.split("-"))
                    date(2024, month, day)  # a real month-day (leap year allows 02-29)
                    default = (month, day)
                else:
                    by_year[int(key)] = date.fromisoformat(value)
            except ValueError:
                raise ReferenceDataError(
                    f"{path}:{line}: expected 'default,MM-DD' or 'YYYY,YYYY-MM-DD', got {key!r},{value!r}"
                ) from None
    if default is None:
        raise ReferenceDataError(f"{path}: no 'default' row")
    return Deadlines(default, by_year)


def completeness_rows(
    conn: Connection, reference: Reference, deadlines: Deadlines, years: range | None = None
) -> list[dict[str, Any]]:
    """One row per year and unit expected that year (or that reported anyway). Only loaded files
    count as received; files of the unit-year that were rejected are counted apart (``rejected``),
    so that a unit whose files could not be read is not mistaken for one that sent nothing."""
    f = core_source_files.c
    received: dict[tuple[str, int], Any] = {}
    rejected: dict[tuple[str, int], int] = {}
    for r in conn.execute(
        select(
            f.unit_code,
            f.year,
            f.status,
            func.count().label("files"),
            func.min(f.received_at).label("first"),
            func.max(f.received_at).label("last"),
        )
        .where(f.status.in_(("loaded", "rejected")))
        .group_by(f.unit_code, f.year, f.status)
    ):
        if r.status == "loaded":
            received[(r.unit_code, r.year)] = r
        else:
            rejected[(r.unit_code, r.year)] = r.files
    if years is None:
        known = [y for (_, y) in (*received, *rejected)] + list(
            conn.execute(select(func.distinct(core_projects.c.year))).scalars()
        )
        if not known:
            return []
        years = range(min(known), max(known) + 1)
    out = []
    for year in years:
        deadline = deadlines.for_year(year)
        cutoff = datetime.combine(deadline, time.max, tzinfo=UTC)
        for unit in sorted(reference.units.values(), key=lambda u: int(u.unit_code)):
            got = received.get((unit.unit_code, year))
            refused = rejected.get((unit.unit_code, year), 0)
            expected = unit.valid_in(year)
            if not expected and got is None and not refused:
                continue
            first = _aware(got.first) if got else None
            out.append(
                {
                    "year": year,
                    "unit_code": unit.unit_code,
                    "expected": int(expected),
                    "received": int(got.files) if got else 0,
                    "rejected": refused,
                    "on_time": None if first is None else int(first <= cutoff),
                    "deadline": deadline,
                    "first_received_at": first,
                    "last_received_at": _aware(got.last) if got else None,
                }
            )
    return out


def _aware(value: datetime | str | None) -> datetime | None:
    """SQLite returns naive timestamps (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
