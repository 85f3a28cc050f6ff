"""Warehouse fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL runs when ``KC_TEST_POSTGRES_URL`` names a server (each test gets a fresh database);
without the variable the PostgreSQL case is skipped, and with it but no server the test errors,
so a CI job that meant to test PostgreSQL cannot pass silently without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from kc_pipeline.warehouse.engine import make_engine, upgrade
from kc_pipeline_tests.warehouse.databases import (
    POSTGRES_URL_VARIABLE,
    PostgresUnavailable,
    fresh_postgres_database,
    postgres_test_url,
)


@pytest.fixture(params=["sqlite", "postgres"], ids=["sqlite", "postgres"])
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty warehouse database (not migrated) of each dialect."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'warehouse' / 'kc.sqlite'}"
        return
    base_url = postgres_test_url()
    if base_url is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set; set it to a PostgreSQL URL to run these tests")
    unavailable = None
    try:
        with fresh_postgres_database(base_url) as url:
            yield url
    except PostgresUnavailable as exc:  # raised before the yield only: the server is not there
        unavailable = str(exc)
    if unavailable is not None:  # failed outside the except block: one message, no chained traceback
        pytest.fail(unavailable, pytrace=False)


@pytest.fixture
def warehouse_engine(warehouse_url: str) -> Iterator[Engine]:
    """An engine on a warehouse migrated to head."""
    engine = make_engine(warehouse_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
