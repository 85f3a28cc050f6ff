"""Load one unit-year into the warehouse, in one transaction, keeping history.

The drop folder is the source of truth: the current projects of a unit-year are the loadable rows
of the files now in ``<year>/<unit>/``. A load compares them with the current versions in
``core_projects`` by project key and content hash: new keys are inserted, changed ones get a new
version (the old one a ``valid_to``), vanished ones are closed, never deleted, and unchanged ones
are left alone. The same bytes loaded again change nothing (P2); everything happens in one
transaction, so a crash leaves the warehouse as it was (P3); the unit-year is locked first
(PostgreSQL advisory lock; SQLite ``BEGIN IMMEDIATE``) and a partial unique index forbids two
current versions of a project (P5).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import PurePath
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, select, update
from sqlalchemy.exc import OperationalError

from kc_pipeline.keys import JSON_ENCODER as _JSON
from kc_pipeline.keys import content_hash, project_key
from kc_pipeline.validate.findings import CONFLICT_CHECK, conflict_message
from kc_pipeline.warehouse.schema import (
    PROJECT_DATA_COLUMNS,
    core_loads,
    core_projects,
    core_quarantined_rows,
    core_source_files,
)

LOADABLE = ("valid", "warned")
INSERT_COLUMNS = (
    "project_key", "year", "unit_code", *PROJECT_DATA_COLUMNS, "inferred", "warnings", "content_hash",
    "source_file_id", "source_sheet", "source_row", "valid_from",
)  # fmt: skip
Hook = Callable[[str], None]


@dataclass
class LoadSummary:
    unit_code: str
    year: int
    files: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    closed: int = 0
    quarantined: int = 0
    conflicts: int = 0
    superseded_files: int = 0
    nothing_changed: bool = False
    conflict_details: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def lock_key(unit_code: str, year: int) -> int:
    """A stable signed 64-bit key for the unit-year's advisory lock."""
    digest = hashlib.sha256(f"kc-pipeline:{unit_code}:{year}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _now() -> datetime:
    return datetime.now(UTC)


def _received_at(path: str | None, default: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(os.stat(path).st_mtime, UTC) if path else default
    except OSError:
        return default


_data_values = itemgetter(*PROJECT_DATA_COLUMNS)


@lru_cache(maxsize=1024)
def _inferred_json(inferred: tuple[str, ...]) -> str:
    """The stored form of a row's inferred fields: a few combinations recur on every row."""
    return _JSON.encode(list(inferred))


def _project_row(row: dict[str, Any], unit_code: str, year: int, now: datetime) -> dict[str, Any]:
    try:
        out = dict(zip(PROJECT_DATA_COLUMNS, _data_values(row), strict=True))
    except KeyError:  # a row without some column (validated rows have them all)
        out = {c: row.get(c) for c in PROJECT_DATA_COLUMNS}
    # The folder decides where a project belongs; the row's own key stands when the file agrees.
    same_place = row.get("unit_code") == unit_code and row.get("year") == year
    out["unit_code"], out["year"] = unit_code, year
    out["project_key"] = (same_place and row.get("project_key")) or project_key(
        unit_code,
        year,
        row.get("funding_source"),
        row.get("title"),
        row.get("project_code"),
        row.get("beneficiary"),
    )
    out["inferred"] = _inferred_json(tuple(row.get("inferred") or ()))
    warnings = [r for r in row.get("reasons") or [] if r.get("severity") == "WARN"]
    out["warnings"] = _JSON.encode(warnings) if warnings else None
    # The reader's own hash stands when the row is where its file says (its year and unit are hashed).
    out["content_hash"] = (same_place and row.get("content_hash")) or content_hash(out)
    out["source_file_id"] = row["file_id"]
    out["source_sheet"] = row["source_sheet"]
    out["source_row"] = int(row["source_row"])
    out["valid_from"] = now
    return out


def _lock(conn: Connection, unit_code: str, year: int) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)", (lock_key(unit_code, year),))
    # SQLite: the engine opens every transaction with BEGIN IMMEDIATE: one writer at a time.


def _conflicts(rows: list[dict[str, Any]], names: dict[str, str]) -> dict[int, dict[str, Any]]:
    """Rows whose project key also appears in another current file of the unit-year. Validation
    quarantines these when it sees the unit-year's files together; this guards a load of rows
    validated apart."""
    places_by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        places_by_key[row["project_key"]].append(row)
    out: dict[int, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        others = [
            (names.get(o["source_file_id"]) or o["source_file_id"][:12], o["source_sheet"], o["source_row"])
            for o in places_by_key[row["project_key"]]
            if o["source_file_id"] != row["source_file_id"]
        ]
        if others:
            out[i] = {
                "check": CONFLICT_CHECK,
                "severity": "ERROR",
                "column": "project_key",
                "value": row["project_key"],
                "message": conflict_message(others),
            }
    return out


def _insert_projects(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = ", ".join(INSERT_COLUMNS)
    if conn.dialect.name == "postgresql":
        _copy_insert(conn, rows, columns)
        return
    placeholders = ", ".join("?" for _ in INSERT_COLUMNS)
    values = itemgetter(*INSERT_COLUMNS)
    # Only the timestamps need converting (valid_from is the only datetime column inserted).
    stamps = [i for i, c in enumerate(INSERT_COLUMNS) if c == "valid_from"]
    texts: dict[Any, Any] = {}  # every row of a load has the same valid_from: converted once
    tuples = []
    for row in rows:
        line = list(values(row))
        for i in stamps:
            stamp = line[i]
            text = texts.get(stamp)
            if text is None:
                text = texts[stamp] = _sqlite_value(stamp)
            line[i] = text
        tuples.append(tuple(line))
    conn.exec_driver_sql(f"INSERT INTO core_projects ({columns}) VALUES ({placeholders})", tuples)


def _sqlite_value(value: Any) -> Any:
    """A timestamp as SQLAlchemy's SQLite dialect writes every other one (UTC, no offset, always
    microseconds), so that valid_from and valid_to read and compare alike in SQL."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _copy_insert(conn: Connection, rows: list[dict[str, Any]], columns: str) -> None:
    """COPY into a temporary staging table, then one set-based INSERT into core_projects."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        # Kept for the session and emptied at each commit: no catalog work per load.
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS kc_stage_projects "
            "(LIKE core_projects INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY kc_stage_projects ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(tuple(row[c] for c in INSERT_COLUMNS))
        cursor.execute(f"INSERT INTO core_projects ({columns}) SELECT {columns} FROM kc_stage_projects")


def _test_hook() -> Hook:
    """TEST ONLY: fault injection between load steps, driven by environment variables that are
    never set in production (the hook then does nothing). Steps: starting (before the transaction),
    locked, closed, inserted, quarantined, recorded (inside it) and committed (after it).

    ``KC_TEST_PAUSE_AFTER_STEP=<step>[,<step>...]`` with ``KC_TEST_PAUSE_FILE=<path>``: at those
    steps write ``<path>`` and wait while it exists (at most 120 s); the fault tests SIGKILL the
    process or cut its database there. ``KC_TEST_FAIL_AFTER_STEP=<step>`` with
    ``KC_TEST_FAIL_FILE=<path>``: at that step, while ``<path>`` holds a count above 0, lower it
    and raise a database error.
    """
    pause_at, fail_at = os.environ.get("KC_TEST_PAUSE_AFTER_STEP"), os.environ.get("KC_TEST_FAIL_AFTER_STEP")
    if not pause_at and not fail_at:
        return lambda _name: None
    pause_file, fail_file = os.environ.get("KC_TEST_PAUSE_FILE", ""), os.environ.get("KC_TEST_FAIL_FILE", "")

    pause_steps = set((pause_at or "").split(","))

    def hook(step: str) -> None:
        if step in pause_steps and pause_file:
            with open(pause_file, "w", encoding="ascii") as handle:
                handle.write(str(os.getpid()))
            deadline = time.monotonic() + 120
            while os.path.exists(pause_file) and time.monotonic() < deadline:
                time.sleep(0.02)
        if step == fail_at and fail_file and os.path.exists(fail_file):
            with open(fail_file, encoding="ascii") as handle:
                left = int(handle.read().strip() or 0)
            if left > 0:
                with open(fail_file, "w", encoding="ascii") as handle:
                    handle.write(str(left - 1))
                raise OperationalError(
                    "injected by KC_TEST_FAIL_AFTER_STEP", {}, Exception("disk I/O error (test fault)")
                )

    return hook


def _one_copy(
    files: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The same bytes twice in one unit-year folder (a copy, names differing only in Unicode form)
    are one file version: recorded once under the first name, its rows loaded once."""
    first: dict[str, dict[str, Any]] = {}
    for f in files:
        first.setdefault(f.get("file_id") or f"path:{f['path']}", f)
    if len(first) == len(files):
        return list(files), list(rows)
    kept_paths = {f["path"] for f in first.values()}
    return list(first.values()), [r for r in rows if r.get("path") is None or r["path"] in kept_paths]


def _chunks(values: Sequence[Any], size: int = 500) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def load_unit_year(
    engine: Engine,
    unit_code: str,
    year: int,
    files: Sequence[dict[str, Any]],
    rows: Sequence[dict[str, Any]],
    *,
    relative_paths: dict[str, str] | None = None,
    now: datetime | None = None,
    hook: Hook | None = None,
) -> LoadSummary:
    """Make the warehouse's current state of ``unit_code``/``year`` that of ``files`` and ``rows``.

    ``files`` are the validated file summaries of the unit-year's folder (path, file_id, status,
    counts), ``rows`` every row of them with its status and reasons. ``hook`` is called between
    steps with the step's name (tests use it to crash a load half-way).
    """
    now = now or _now()
    relative_paths = relative_paths or {}
    step = hook or _test_hook()
    files, rows = _one_copy(files, rows)
    summary = LoadSummary(unit_code, year, files=len(files))
    incoming = [
        _project_row(r, unit_code, year, now) | {"_source": r} for r in rows if r["status"] in LOADABLE
    ]
    quarantine = [r for r in rows if r["status"] not in LOADABLE]
    names = {
        f["file_id"]: PurePath(relative_paths.get(f["path"], f["path"])).name
        for f in files
        if f.get("file_id")
    }
    conflicts = _conflicts(incoming, names)
    if conflicts:
        for i in sorted(conflicts, reverse=True):
            source = incoming.pop(i)["_source"]
            quarantine.append(
                dict(source, status="quarantined", reasons=[*source.get("reasons", []), conflicts[i]])
            )
            summary.conflict_details.append(
                {
                    "file_id": source["file_id"],
                    "sheet": source["source_sheet"],
                    "row": source["source_row"],
                    **conflicts[i],
                }
            )
        summary.conflicts = len(conflicts)
    file_ids = {f["file_id"] for f in files if f.get("file_id")}

    step("starting")
    with engine.begin() as conn:
        _lock(conn, unit_code, year)
        step("locked")
        known = {
            r.file_id: r
            for r in conn.execute(
                select(
                    core_source_files.c.file_id, core_source_files.c.status, core_source_files.c.path
                ).where(core_source_files.c.unit_code == unit_code, core_source_files.c.year == year)
            )
        }
        current = {
            r.project_key: r
            for r in conn.execute(
                select(core_projects.c.id, core_projects.c.project_key, core_projects.c.content_hash).where(
                    core_projects.c.unit_code == unit_code,
                    core_projects.c.year == year,
                    core_projects.c.valid_to.is_(None),
                )
            )
        }
        loaded_now = {fid for fid, r in known.items() if r.status == "loaded"}
        recorded = {fid for fid, r in known.items() if r.status in ("loaded", "rejected")}
        if file_ids == recorded and loaded_now <= file_ids:
            summary.nothing_changed = True
            summary.unchanged = len(current)
            _update_paths(conn, unit_code, year, files, relative_paths, known)
            return summary

        new_by_key = {r["project_key"]: r for r in incoming}
        to_insert: list[dict[str, Any]] = []
        to_close: list[int] = []
        for key, row in new_by_key.items():
            old = current.get(key)
            if old is None:
                to_insert.append(row)
                summary.inserted += 1
            elif old.content_hash != row["content_hash"]:
                to_close.append(old.id)
                to_insert.append(row)
                summary.updated += 1
            else:
                summary.unchanged += 1
        for key, old in current.items():
            if key not in new_by_key:
                to_close.append(old.id)
                summary.closed += 1
        for ids in _chunks(to_close):
            conn.execute(
                update(core_projects)
                .where(core_projects.c.id.in_(bindparam("ids", expanding=True)))
                .values(valid_to=now),
                {"ids": list(ids)},
            )
        step("closed")
        _insert_projects(conn, to_insert)
        step("inserted")
        summary.quarantined = _quarantine(conn, unit_code, year, quarantine, now, file_ids)
        step("quarantined")
        summary.superseded_files = _record_files(
            conn, unit_code, year, files, relative_paths, known, quarantine, now
        )
        conn.execute(
            core_loads.insert().values(
                unit_code=unit_code,
                year=year,
                loaded_at=now,
                files=len(files),
                inserted=summary.inserted,
                updated=summary.updated,
                unchanged=summary.unchanged,
                closed=summary.closed,
                quarantined=summary.quarantined,
                conflicts=summary.conflicts,
            )
        )
        step("recorded")
    step("committed")
    return summary


def _quarantine(
    conn: Connection, unit_code: str, year: int, rows: list[dict[str, Any]], now: datetime, file_ids: set[str]
) -> int:
    """Make the quarantine of the unit-year's current files (``file_ids``) this load's: new rows
    inserted, reasons that changed updated, and rows no longer quarantined (a conflict resolved by
    removing the other file, a rule changed) taken out, so nobody is asked to correct a row that is
    loaded. Rows of superseded files stay, as they were. Returns how many rows are quarantined now."""
    q = core_quarantined_rows.c
    existing = {
        (r.source_file_id, r.source_sheet, r.source_row): (r.id, r.reasons)
        for r in conn.execute(
            select(q.id, q.source_file_id, q.source_sheet, q.source_row, q.reasons).where(
                q.unit_code == unit_code, q.year == year
            )
        )
    }
    fresh, changed = [], []
    for r in rows:
        key = (r["file_id"], r["source_sheet"], int(r["source_row"]))
        reasons = json.dumps(r.get("reasons") or [], ensure_ascii=False, default=str)
        known = existing.pop(key, None)
        if known is None:
            fresh.append(
                {
                    "source_file_id": key[0],
                    "unit_code": unit_code,
                    "year": year,
                    "source_sheet": key[1],
                    "source_row": key[2],
                    "raw": json.dumps(r.get("raw") or {}, ensure_ascii=False, default=str),
                    "reasons": reasons,
                    "quarantined_at": now,
                }
            )
        elif known[1] != reasons:
            changed.append({"row_id": known[0], "new_reasons": reasons, "at": now})
    if fresh:
        conn.execute(core_quarantined_rows.insert(), fresh)
    if changed:
        conn.execute(
            update(core_quarantined_rows)
            .where(q.id == bindparam("row_id"))
            .values(reasons=bindparam("new_reasons"), quarantined_at=bindparam("at")),
            changed,
        )
    resolved = [row_id for key, (row_id, _) in existing.items() if key[0] in file_ids]
    for ids in _chunks(resolved):
        conn.execute(
            delete(core_quarantined_rows).where(q.id.in_(bindparam("ids", expanding=True))),
            {"ids": list(ids)},
        )
    return len(rows)


def _file_version(file_id: str, unit_code: str, year: int) -> tuple[Any, ...]:
    """The WHERE of one file version of one unit-year in core_source_files."""
    c = core_source_files.c
    return (c.file_id == file_id, c.unit_code == unit_code, c.year == year)


def _record_files(
    conn: Connection,
    unit_code: str,
    year: int,
    files: Sequence[dict[str, Any]],
    relative_paths: dict[str, str],
    known: dict[str, Any],
    quarantine: list[dict[str, Any]],
    now: datetime,
) -> int:
    quarantined_by_file: dict[str, int] = defaultdict(int)
    for r in quarantine:
        quarantined_by_file[r["file_id"]] += 1
    for f in files:
        if not f.get("file_id"):
            continue
        status = "loaded" if f["status"] == "read" else "rejected"
        rows_quarantined = quarantined_by_file.get(f["file_id"], 0)
        values = {
            "path": relative_paths.get(f["path"], f["path"]),
            "status": status,
            "rows_read": f.get("rows_read", 0),
            "rows_quarantined": rows_quarantined,
            "rows_loaded": f.get("rows_valid", 0)
            + f.get("rows_warned", 0)
            - (rows_quarantined - f.get("rows_quarantined", 0)),
            "rows_ignored": f.get("rows_ignored", 0),
            "error": f.get("error"),
            "loaded_at": now,
            "superseded_at": None,
        }
        if f["file_id"] in known:
            conn.execute(
                update(core_source_files)
                .where(*_file_version(f["file_id"], unit_code, year))
                .values(**values)
            )
        else:
            conn.execute(
                core_source_files.insert().values(
                    file_id=f["file_id"],
                    unit_code=unit_code,
                    year=year,
                    received_at=_received_at(f.get("path"), now),
                    **values,
                )
            )
    current = {f["file_id"] for f in files}
    # A version no longer in the folder is superseded, rejected ones too (a half-copied file replaced
    # by the complete one): left "rejected", it would keep the unit-year unlike its folder forever.
    gone = [fid for fid, r in known.items() if r.status in ("loaded", "rejected") and fid not in current]
    for fid in gone:
        conn.execute(
            update(core_source_files)
            .where(*_file_version(fid, unit_code, year))
            .values(status="superseded", superseded_at=now)
        )
    return len(gone)


def _update_paths(
    conn: Connection,
    unit_code: str,
    year: int,
    files: Sequence[dict[str, Any]],
    relative_paths: dict[str, str],
    known: dict[str, Any],
) -> None:
    """The same bytes under a new name: only the recorded path changes."""
    for f in files:
        path = relative_paths.get(f["path"], f["path"])
        old = known.get(f["file_id"])
        if old is not None and old.path != path:
            conn.execute(
                update(core_source_files)
                .where(*_file_version(f["file_id"], unit_code, year))
                .values(path=path)
            )
