"""The warehouse engine and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from kc_pipeline.warehouse import schema
from kc_pipeline.warehouse.engine import (
    READ_ONLY,
    default_url,
    display_url,
    is_postgres,
    make_engine,
    upgrade,
)
from kc_pipeline_tests.warehouse.databases import (
    POSTGRES_URL_VARIABLE,
    PostgresUnavailable,
    check_postgres_reachable,
    postgres_test_url,
)

HEAD = "0003"  # the newest migration: update with each new revision


def _revision(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_heads()


def _project(key: str, valid_from: datetime, valid_to: datetime | None = None) -> dict[str, Any]:
    return {
        "project_key": key,
        "year": 2021,
        "unit_code": "186",
        "content_hash": "h" * 64,
        "source_file_id": "f" * 64,
        "source_sheet": "Sheet1",
        "source_row": 5,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }


def test_upgrade_creates_every_table_of_the_contract(warehouse_engine: Engine) -> None:
    tables = set(inspect(warehouse_engine).get_table_names())
    assert set(schema.metadata.tables) <= tables
    assert tables - set(schema.metadata.tables) == {"alembic_version"}
    assert _revision(warehouse_engine) == (HEAD,)


def test_second_upgrade_is_a_no_op(warehouse_engine: Engine) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(warehouse_engine, "before_cursor_execute", record)
    try:
        upgrade(warehouse_engine)
    finally:
        event.remove(warehouse_engine, "before_cursor_execute", record)
    assert _revision(warehouse_engine) == (HEAD,)
    # Only the revision check ran: no DDL, no write to alembic_version.
    assert not [
        s for s in statements if s.lstrip().upper().startswith(("CREATE", "ALTER", "INSERT", "UPDATE"))
    ]


def test_migration_matches_schema_py(warehouse_engine: Engine) -> None:
    with warehouse_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), schema.metadata)
        # compare_metadata ignores the WHERE of partial indexes, so check that one directly.
        indexes = {ix["name"]: ix for ix in inspect(conn).get_indexes("core_projects")}
    assert differences == []
    current = indexes["uq_core_projects_current"]
    assert current["unique"] and current["column_names"] == ["project_key"]
    option = "postgresql_where" if is_postgres(warehouse_engine) else "sqlite_where"
    where = current["dialect_options"][option]
    assert "valid_to is null" in str(where).lower()


def test_one_current_version_per_project(warehouse_engine: Engine) -> None:
    projects = schema.core_projects
    v1, v2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    with warehouse_engine.begin() as conn:
        conn.execute(insert(projects), [_project("186/2021/a", v1), _project("186/2021/b", v1)])
    with pytest.raises(IntegrityError), warehouse_engine.begin() as conn:
        conn.execute(insert(projects), [_project("186/2021/a", v2)])
    with warehouse_engine.begin() as conn:
        closed = update(projects).where(projects.c.project_key == "186/2021/a", projects.c.valid_to.is_(None))
        conn.execute(closed.values(valid_to=v2))
        conn.execute(insert(projects), [_project("186/2021/a", v2)])
        # Any number of closed versions may coexist with the current one.
        conn.execute(insert(projects), [_project("186/2021/a", v1, valid_to=v1)])
    with warehouse_engine.connect() as conn:
        rows = (
            conn.execute(select(projects.c.valid_to).where(projects.c.project_key == "186/2021/a"))
            .scalars()
            .all()
        )
    assert len(rows) == 3 and rows.count(None) == 1


def test_display_url_hides_the_password() -> None:
    shown = display_url("postgresql+psycopg://u:secret@h/db")
    assert "secret" not in shown
    assert shown == "postgresql+psycopg://u:***@h/db"
    assert "secret" not in display_url("postgresql://u@h/db?password=secret")
    assert "secret" not in display_url("not a url secret")


def test_make_engine_uses_psycopg_for_every_postgres_spelling() -> None:
    for url in ("postgres://u:pw@h/db", "postgresql://u:pw@h/db", "postgresql+psycopg://u:pw@h/db"):
        engine = make_engine(url)
        assert engine.url.drivername == "postgresql+psycopg" and is_postgres(engine)
    with pytest.raises(ValueError, match="unsupported"):
        make_engine("mysql://u:pw@h/db")


def test_default_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KC_WAREHOUSE_URL", "postgresql://kc@db.example/kc")
    assert default_url() == "postgresql://kc@db.example/kc"
    monkeypatch.delenv("KC_WAREHOUSE_URL")
    monkeypatch.setenv("KC_DATA_DIR", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path.resolve() / 'warehouse' / 'kc.sqlite'}"


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'kc.sqlite'}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "busy_timeout", "foreign_keys", "synchronous")
            }
        assert pragmas == {"journal_mode": "wal", "busy_timeout": 30000, "foreign_keys": 1, "synchronous": 1}
        assert (tmp_path / "new" / "dir" / "kc.sqlite").exists()
    finally:
        engine.dispose()


def test_sqlite_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'kc.sqlite'}")
    upgrade(engine)
    hold_s = 0.4
    waited: list[float] = []
    errors: list[BaseException] = []

    def second_writer() -> None:
        started = time.perf_counter()
        try:
            with engine.begin() as conn:
                waited.append(time.perf_counter() - started)
                conn.execute(insert(schema.ref_programmes), {"programme_code": "B", "name_vi": "hai"})
        except BaseException as exc:
            errors.append(exc)

    try:
        with engine.begin() as conn:
            conn.execute(insert(schema.ref_programmes), {"programme_code": "A", "name_vi": "một"})
            thread = threading.Thread(target=second_writer)
            thread.start()
            # A reader does not queue behind the writer, and does not see its uncommitted row.
            with engine.connect().execution_options(**{READ_ONLY: True}) as reader:
                assert reader.execute(select(schema.ref_programmes.c.programme_code)).all() == []
            time.sleep(hold_s)
        thread.join(timeout=5)
        assert not thread.is_alive() and not errors
        assert waited and waited[0] >= hold_s * 0.8
        with engine.connect() as conn:
            codes = conn.execute(select(schema.ref_programmes.c.programme_code)).scalars().all()
        assert sorted(codes) == ["A", "B"]
    finally:
        engine.dispose()


def test_unreachable_postgres_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POSTGRES_URL_VARIABLE, "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/test")
    url = postgres_test_url()
    assert url is not None
    started = time.perf_counter()
    with pytest.raises(PostgresUnavailable) as caught:
        check_postgres_reachable(url)
    message = str(caught.value)
    assert POSTGRES_URL_VARIABLE in message and "127.0.0.1:1" in message and "unset" in message
    assert "hunter2" not in message
    assert time.perf_counter() - started < 5


def test_savepoints_and_rollbacks_work(warehouse_engine: Engine) -> None:
    """The explicit BEGIN IMMEDIATE on SQLite must leave nested transactions working."""
    funding = schema.ref_funding_sources
    with warehouse_engine.begin() as conn:
        conn.execute(insert(funding), {"code": "DP", "name_vi": "địa phương"})
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(insert(funding), {"code": "DP", "name_vi": "trùng"})
        conn.execute(insert(funding), {"code": "TW", "name_vi": "trung ương"})
    with warehouse_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ref_funding_sources")).scalar() == 2
