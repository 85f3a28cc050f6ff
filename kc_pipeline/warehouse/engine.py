"""Connecting to the warehouse (SQLite or PostgreSQL) and migrating it to the current schema.

One place decides how the pipeline talks to the database, so that every caller gets the same
guarantees: SQLite runs in WAL mode with one writer at a time (``BEGIN IMMEDIATE``; a second
writer waits up to 30 s instead of failing half-way through a load), PostgreSQL goes through
psycopg 3, and URLs shown to people never carry a password.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from kc_pipeline import paths

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
# Execution option for SQLite transactions that only read: they start with a deferred ``BEGIN``
# and so do not queue behind (or block) the single writer. Ignored on PostgreSQL.
READ_ONLY = "kc_read_only"
SQLITE_TIMEOUT_S = 30
_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    f"PRAGMA busy_timeout={SQLITE_TIMEOUT_S * 1000}",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)
# Key of the PostgreSQL advisory lock that serialises concurrent ``upgrade()`` calls ("kcwh").
_MIGRATION_LOCK_KEY = 0x6B637768
_SECRET_QUERY_KEYS = ("password", "secret", "token")


def default_url() -> str:
    """``KC_WAREHOUSE_URL`` if set, else a SQLite file under the data dir (works with no setup)."""
    url = os.environ.get("KC_WAREHOUSE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{(paths.warehouse_dir() / 'kc.sqlite').resolve()}"


class WarehouseUrlError(ValueError):
    """A warehouse URL that names no database this project can use; the message says what to write."""


_URL_FORMS = "postgresql://user@host:5432/database or sqlite:///path/to/kc.sqlite"


def normalize_url(url: str | URL) -> URL:
    """Parse ``url``; ``postgres://`` and ``postgresql://`` become psycopg 3, the one installed driver."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        raise WarehouseUrlError(f"the warehouse URL {url!r} cannot be read: write {_URL_FORMS}") from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername=f"postgresql+{driver or 'psycopg'}")
    return parsed


def display_url(url: str | URL) -> str:
    """The URL with its password (and password-like query values) shown as ``***``, for logs and the UI."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return "<unparseable database URL>"
    secret = {key: "***" for key in parsed.query if any(word in key.lower() for word in _SECRET_QUERY_KEYS)}
    if secret:
        parsed = parsed.update_query_dict(secret)
    return parsed.render_as_string(hide_password=True)


def is_postgres(engine_or_conn: Engine | Connection) -> bool:
    """True for PostgreSQL; callers use it where SQL differs (upserts, locks)."""
    return engine_or_conn.dialect.name == "postgresql"


def make_engine(url: str | URL) -> Engine:
    """An engine for the warehouse at ``url``, configured for safe concurrent loads.

    SQLite: WAL, ``busy_timeout`` 30 s, foreign keys on, ``synchronous=NORMAL``, and every
    transaction opens with ``BEGIN IMMEDIATE`` so writers queue at the start instead of failing
    with "database is locked" at their first write. Pass ``execution_options(kc_read_only=True)``
    (``READ_ONLY``) for transactions that never write, to read without waiting for the writer.
    """
    parsed = usable_url(url)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    return _sqlite_engine(parsed)


def usable_url(url: str | URL) -> URL:
    """:func:`normalize_url`, and a :class:`WarehouseUrlError` unless it names PostgreSQL or SQLite."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        raise WarehouseUrlError(f"unsupported warehouse database {display_url(parsed)}: write {_URL_FORMS}")
    return parsed


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        # When this fails, SQLite itself reports it on connect, as a database error callers handle.
        with contextlib.suppress(OSError):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling would BEGIN lazily (deferred); we begin ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in _SQLITE_PRAGMAS:
                cursor.execute(pragma).fetchall()
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return
        # Restoring the default isolation level after an AUTOCOMMIT use re-enables the driver's BEGINs.
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is not None and dbapi_connection.isolation_level is not None:
            dbapi_connection.isolation_level = None
        conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")

    return engine


def _alembic_config() -> Config:
    """An Alembic config built in code, so that no ``alembic.ini`` has to ship or be found at runtime."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


@cache
def _head_revisions() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(_alembic_config()).get_heads())


def _current_revisions(conn: Connection) -> frozenset[str]:
    from alembic.runtime.migration import MigrationContext

    return frozenset(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine) -> None:
    """Migrate the warehouse to the newest schema; a cheap read when it is already there.

    The migration runs in one transaction (SQLite DDL is transactional with ``BEGIN IMMEDIATE``),
    and concurrent callers are serialised (SQLite's write lock, a PostgreSQL advisory lock), each
    re-checking the revision once it holds the lock, so two processes starting together are safe.
    """
    from alembic import command

    heads = _head_revisions()
    with engine.connect().execution_options(**{READ_ONLY: True}) as conn:
        if _current_revisions(conn) == heads:
            return
    with engine.begin() as conn:
        if is_postgres(conn):
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        if _current_revisions(conn) == heads:
            return
        config = _alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
