"""The Dagster instance of ``kc-pipeline run`` when no DAGSTER_HOME is set: ephemeral, its in-memory
event log keeping only the runs' own status events, through one connection per thread.

Nobody can read that event log: the instance ends with the process, and the command's report is
made from each run's result (``ExecuteInProcessResult.all_events``, kept in memory by Dagster
whatever the storage keeps). Yet storing each event cost 1 to 1.5 ms on the critical path of the
process that validates and loads, and a cold national run makes some 1,400 (per unit-year: planned
and done materializations, the checks, the observations): 1.4 s of a 17.7 s run. So asset, step and
log events are not stored; the run's start and end are, so its status and stats read as usual.
Dagster's data-version lookups during a run then find no earlier materialization, as in a fresh
instance, and give the materializations no input versions: metadata nobody sees here. With
DAGSTER_HOME set (``make ui``, the daemon) the persistent instance stores everything.

What it still stores (the run events, the year partitions) goes through one connection per
thread: Dagster's in-memory event log opens a new SQLite connection for every write, runs two
pragmas on it and closes it again (and opens another to ask whether a table exists). Reusing it
changes nothing else: the same lock serialises writers, each call still runs in its own
transaction, and the database is the same in-memory one.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from sqlalchemy.engine import Connection


def ephemeral_instance() -> dg.DagsterInstance:
    """``DagsterInstance.ephemeral()``, its event log keeping run events only, on one connection per
    thread."""
    instance = dg.DagsterInstance.ephemeral()
    keep_run_events_only(instance.event_log_storage)
    reuse_event_log_connections(instance.event_log_storage)
    return instance


def keep_run_events_only(storage: Any) -> bool:
    """Make Dagster's in-memory event log store a run's own events (start, success, failure...) and
    drop the rest; False (and nothing changed) for any other storage, or a Dagster whose events no
    longer say whether they are a run's own."""
    from dagster._core.events import DagsterEvent
    from dagster._core.storage.event_log import InMemoryEventLogStorage

    if type(storage) is not InMemoryEventLogStorage or not hasattr(DagsterEvent, "is_job_event"):
        return False
    store = storage.store_event

    def store_run_event(event: Any) -> None:
        dagster_event = event.dagster_event
        if dagster_event is not None and dagster_event.is_job_event:
            store(event)

    storage.store_event = store_run_event
    return True


def reuse_event_log_connections(storage: Any) -> bool:
    """Make Dagster's in-memory event log reuse a connection per thread; False (and nothing changed)
    for any other storage, or a Dagster whose in-memory storage no longer looks as expected."""
    from dagster._core.storage.event_log import InMemoryEventLogStorage

    if type(storage) is not InMemoryEventLogStorage or not all(
        hasattr(storage, name) for name in ("_connect", "_engine", "_db_lock", "dispose", "has_table")
    ):
        return False
    engine, lock, dispose, has_table = storage._engine, storage._db_lock, storage.dispose, storage.has_table
    local = threading.local()
    opened: list[Connection] = []

    @contextmanager
    def connect() -> Iterator[Connection]:
        with lock:
            conn: Connection | None = getattr(local, "conn", None)
            if conn is None or conn.closed:
                conn = local.conn = engine.connect()
                # Dagster's own pragmas: WAL means nothing to an in-memory database; foreign keys do.
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
                opened.append(conn)
            with conn.begin():
                yield conn

    tables: set[str] = set()

    def has_table_once(name: str) -> bool:
        # Asked on every event with tags, inside a write that holds the lock; a table of this
        # in-memory database, once there, is never dropped.
        if name in tables:
            return True
        found = bool(has_table(name))
        if found:
            tables.add(name)
        return found

    def dispose_all() -> None:
        with lock:
            for conn in opened:
                conn.close()
            opened.clear()
        dispose()

    storage._connect = connect
    storage.has_table = has_table_once
    storage.dispose = dispose_all
    return True
