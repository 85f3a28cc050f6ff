"""The Dagster instance of ``kc-pipeline run`` when no DAGSTER_HOME is set: ephemeral, with its
in-memory event log keeping one connection per thread.

Dagster's in-memory event log opens a new SQLite connection for every event it stores, runs two
pragmas on it and closes it again: about 1.5 ms of the 3 to 5 ms an event costs. A cold national run
stores some 1,400 events (per unit-year: planned and done materializations, the check, the
observations), all on the critical path of the process that validates and loads. (It also opens
one to ask whether a table exists, for each materialization.) Reusing the connection changes
nothing else: the same lock serialises writers, each call still runs in its own
transaction, and the database is the same in-memory one.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
from sqlalchemy.engine import Connection


def ephemeral_instance() -> dg.DagsterInstance:
    """``DagsterInstance.ephemeral()``, its event log reusing one connection per thread."""
    instance = dg.DagsterInstance.ephemeral()
    reuse_event_log_connections(instance.event_log_storage)
    return instance


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
