"""Throw-away PostgreSQL databases for tests, benchmarks and subprocess tests.

Every test gets its own database, created on the server named by ``KC_TEST_POSTGRES_URL`` and
dropped afterwards, so tests never see each other's rows and may run concurrently.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from kc_pipeline.warehouse.engine import display_url, make_engine, normalize_url

POSTGRES_URL_VARIABLE = "KC_TEST_POSTGRES_URL"
CONNECT_TIMEOUT_S = 5


class PostgresUnavailable(RuntimeError):
    """``KC_TEST_POSTGRES_URL`` is set but no server answers there: a broken setup, not a skip."""


def postgres_test_url() -> str | None:
    """The PostgreSQL server tests should use, or None when PostgreSQL tests are to be skipped."""
    return os.environ.get(POSTGRES_URL_VARIABLE, "").strip() or None


def check_postgres_reachable(base_url: str) -> None:
    """Connect once, raising ``PostgresUnavailable`` with a message that says what to do."""
    url = normalize_url(base_url)
    if "connect_timeout" not in url.query:  # an unroutable host would otherwise hang for minutes
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise PostgresUnavailable(
            f"{POSTGRES_URL_VARIABLE}={display_url(base_url)} is set but PostgreSQL cannot be reached "
            f"({reason}). Start the server, fix the URL, or unset {POSTGRES_URL_VARIABLE} to skip the "
            "PostgreSQL tests."
        ) from exc
    finally:
        engine.dispose()


@contextmanager
def fresh_postgres_database(base_url: str) -> Iterator[str]:
    """Create ``kc_test_<hex>`` on the server of ``base_url``, yield its URL, drop it afterwards.

    The URL yielded includes the password (the test needs to connect); never print it, use
    ``display_url``. ``DROP ... WITH (FORCE)`` (PostgreSQL 13+) ends connections a test leaked.
    """
    check_postgres_reachable(base_url)
    name = f"kc_test_{secrets.token_hex(6)}"
    engine = make_engine(base_url)
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
