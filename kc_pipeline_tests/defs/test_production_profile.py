"""The production instance profile (``deploy/dagster.prod.yaml``) on a real PostgreSQL server.

The file itself is copied into a temporary DAGSTER_HOME, with DAGSTER_PG_URL naming a fresh
database: runs, events and schedules must land in PostgreSQL, runs must be queued, the pool
that serializes warehouse writes must be enforced, and a second instance object (what the
webserver and the daemon are) must read back the events of a run made by the first. The
warehouse is on PostgreSQL too, as in production. Skipped only when ``KC_TEST_POSTGRES_URL``
is unset; set but unreachable, the test fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kc_pipeline.defs.load import CORE_PROJECTS, WAREHOUSE_POOL
from kc_pipeline.defs.partitions import YEAR_PARTITIONS
from kc_pipeline.defs.resources import ReportFolder
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.paths import PROJECT_ROOT
from kc_pipeline_tests.defs.tiny_drop import TINY_PARTITIONS, TINY_PROJECTS, tiny_drop
from kc_pipeline_tests.warehouse.databases import (
    POSTGRES_URL_VARIABLE,
    PostgresUnavailable,
    check_postgres_reachable,
    fresh_postgres_database,
    postgres_test_url,
)

PROD_PROFILE = PROJECT_ROOT / "deploy" / "dagster.prod.yaml"
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / "kc-pipeline.env.example"
SERVICE_VARIABLES = {
    "DAGSTER_HOME",
    "DAGSTER_PG_URL",
    "KC_WAREHOUSE_URL",
    "KC_INCOMING_DIR",
    "KC_STAGING_DIR",
    "KC_REPORTS_DIR",
}


def dagster_pg_url(url: str) -> str:
    """The same database for dagster-postgres, whose documented driver is psycopg2 (``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, str]]:
    """Two fresh databases on the test server: Dagster's storage and the warehouse."""
    base_url = postgres_test_url()
    if base_url is None:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set; set it to a PostgreSQL URL to run this test")
    unavailable = None
    try:
        check_postgres_reachable(base_url)
    except PostgresUnavailable as exc:
        unavailable = str(exc)
    if unavailable is not None:  # outside the except block: one message, no chained traceback
        pytest.fail(unavailable, pytrace=False)
    with fresh_postgres_database(base_url) as storage, fresh_postgres_database(base_url) as warehouse:
        yield storage, warehouse


@pytest.fixture
def production_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_databases: tuple[str, str]
) -> Path:
    """DAGSTER_HOME with the production dagster.yaml as shipped; the secrets only in the environment."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROD_PROFILE, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_URL", dagster_pg_url(postgres_databases[0]))
    monkeypatch.setenv("KC_WAREHOUSE_URL", postgres_databases[1])
    return home


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_profile_reads_everything_from_the_environment() -> None:
    """No URL, password or host in the settings: a copy works on any machine and leaks nothing."""
    config = yaml.safe_load(PROD_PROFILE.read_text(encoding="utf-8"))
    assert config["storage"] == {"postgres": {"postgres_url": {"env": "DAGSTER_PG_URL"}}}
    assert not [s for s in _strings(config) if "://" in s or "password" in s.lower() or "@" in s]
    assert config["telemetry"] == {"enabled": False}


def _env_references(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        if set(value) == {"env"}:
            yield value["env"]
        for item in value.values():
            yield from _env_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _env_references(item)


def test_env_example_names_every_variable_the_services_read() -> None:
    """The template operators copy: plain KEY=value lines (systemd and `set -a; .` both read them)."""
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    variables = dict(line.split("=", 1) for line in lines)
    assert set(variables) == SERVICE_VARIABLES
    assert all(value and value[0] not in "\"'" and " " not in value for value in variables.values())
    config = yaml.safe_load(PROD_PROFILE.read_text(encoding="utf-8"))
    assert set(_env_references(config)) <= SERVICE_VARIABLES


def test_run_limits_cover_the_tags_the_sensor_and_schedule_set() -> None:
    """The sensor and the nightly schedule tag runs with their unit-year: one run per value at a time."""
    from kc_pipeline.defs.automation import UNIT_YEAR_TAG

    limits = yaml.safe_load(PROD_PROFILE.read_text(encoding="utf-8"))["concurrency"]["runs"]
    per_value = [
        limit["key"]
        for limit in limits["tag_concurrency_limits"]
        if limit.get("value") == {"applyLimitPerUniqueValue": True} and limit["limit"] == 1
    ]
    assert UNIT_YEAR_TAG in per_value
    assert "dagster/partition" in per_value  # a cell of the partition grid materialized from the UI


def test_production_profile_on_postgres(production_home: Path, tmp_path: Path) -> None:
    drop = tiny_drop(tmp_path)
    warehouse = Warehouse(url=os.environ["KC_WAREHOUSE_URL"])
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
        assert not instance.telemetry_enabled
        concurrency = instance.get_concurrency_config()  # what the run queue daemon applies
        assert concurrency.pool_config.default_pool_limit == 1
        assert concurrency.pool_config.pool_granularity is not None
        assert concurrency.pool_config.pool_granularity.value == "op"  # enforced per step, in any executor
        queue = concurrency.run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 4
        per_value = {
            limit["key"]: limit["limit"]
            for limit in queue.tag_concurrency_limits
            if limit.get("value") == {"applyLimitPerUniqueValue": True}
        }
        assert per_value == {"kc/unit_year": 1, "dagster/partition": 1}

        report = run_pipeline(
            drop, warehouse, instance, report_folder=ReportFolder(out_dir=str(tmp_path / "r"))
        )
        assert report.success, report.error
        assert sorted(report.partitions) == sorted(TINY_PARTITIONS)
        # The writer's step went through its pool: the limit of one is in force on this instance.
        pools = {pool.name: pool.limit for pool in instance.event_log_storage.get_pool_limits()}
        assert pools.get(WAREHOUSE_POOL) == 1

    assert not (production_home / "history").exists(), "runs were written to SQLite under DAGSTER_HOME"

    # A new instance object from the same home, as the webserver or the daemon would make it.
    with dg.DagsterInstance.from_config(str(production_home)) as again:
        assert set(again.get_dynamic_partitions(YEAR_PARTITIONS)) == {"2021", "2022"}
        materialized: set[str] = set()
        for run_id in report.runs:
            run = again.get_run_by_id(run_id)
            assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
            records = again.get_records_for_run(
                run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            ).records
            for record in records:
                event = record.event_log_entry.asset_materialization
                if event is not None and event.asset_key == dg.AssetKey(CORE_PROJECTS):
                    materialized.add(str(event.partition))
        assert materialized == TINY_PARTITIONS
        latest = again.get_latest_materialization_event(dg.AssetKey(CORE_PROJECTS))
        assert latest is not None and latest.asset_materialization is not None
        metadata = latest.asset_materialization.metadata
        assert metadata["dagster/row_count"].value == TINY_PROJECTS
        assert metadata["warehouse"].value.startswith("postgresql")

    # The events are rows of PostgreSQL itself, not a cache of the instance object.
    engine = create_engine(os.environ["DAGSTER_PG_URL"])
    try:
        with engine.connect() as conn:
            stored = conn.execute(
                text(
                    "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
                    "AND asset_key = :key AND run_id = ANY(:runs)"
                ),
                {"key": dg.AssetKey(CORE_PROJECTS).to_string(), "runs": report.runs},
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == len(TINY_PARTITIONS)
