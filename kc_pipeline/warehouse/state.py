"""What the warehouse already holds, per unit-year: the file versions that make its current state."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from kc_pipeline.warehouse.engine import READ_ONLY
from kc_pipeline.warehouse.schema import core_loads, core_source_files


def recorded_files(engine: Engine) -> dict[tuple[str, int], set[str]]:
    """(unit_code, year) -> sha256 of the files loaded or rejected there (the current folder state)."""
    f = core_source_files.c
    out: dict[tuple[str, int], set[str]] = defaultdict(set)
    # Read-only: on SQLite a plain transaction would queue behind (and block) a running load.
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        for unit, year, file_id in conn.execute(
            select(f.unit_code, f.year, f.file_id).where(f.status.in_(("loaded", "rejected")))
        ):
            out[(unit, int(year))].add(file_id)
    return out


def last_load_id(engine: Engine) -> int | None:
    """The newest load's id (0 before any); None when the warehouse cannot be reached right now (a
    run whose load just failed on a lost connection must still end with its report, not a crash),
    which callers treat as "unknown, so stale"."""
    try:
        with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            return int(conn.execute(select(func.coalesce(func.max(core_loads.c.id), 0))).scalar_one())
    except SQLAlchemyError:
        return None
