"""core_projects through Dagster, on SQLite and PostgreSQL: the path of the UI and of kc-pipeline run."""

from pathlib import Path

import dagster as dg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kc_pipeline.defs.core import validated_path
from kc_pipeline.defs.load import CORE_PROJECTS, core_projects
from kc_pipeline.defs.partitions import partition_key
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.warehouse.engine import make_engine
from kc_pipeline_tests.warehouse.batches import A, B, C, D, district_file


def with_password(url: str) -> str:
    """The same database with a password in the URL (trust auth ignores it; SQLite has none)."""
    parsed = make_url(url)
    return parsed.set(password="s3cret-pw").render_as_string(hide_password=False) if parsed.host else url


def test_run_loads_reloads_and_never_shows_the_password(warehouse_url: str, tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    district_file(incoming / "2021" / "dai-tu" / "a.xlsx", [A, B, C])
    district_file(incoming / "2022" / "vo-nhai" / "b.xlsx", [D], title="UBND HUYỆN VÕ NHAI")
    drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))
    url = with_password(warehouse_url)
    instance = dg.DagsterInstance.ephemeral()
    report = run_pipeline(drop, Warehouse(url=url), instance)
    assert report.success, report.error
    assert sorted((x["unit"], x["year"], x["inserted"]) for x in report.loads) == [
        ("dai-tu", 2021, 3),
        ("vo-nhai", 2022, 1),
    ]
    materialization = instance.get_latest_materialization_event(dg.AssetKey(CORE_PROJECTS))
    assert materialization is not None
    metadata = materialization.asset_materialization.metadata  # type: ignore[union-attr]
    assert metadata["dagster/row_count"].value == 4
    assert metadata["warehouse"].value.count("***") == (1 if make_url(warehouse_url).host else 0)
    for key in (CORE_PROJECTS, "core_validated_rows", "raw_district_workbooks"):
        for record in instance.fetch_materializations(dg.AssetKey(key), limit=100).records:
            assert "s3cret-pw" not in str(record.event_log_entry)
    again = run_pipeline(drop, Warehouse(url=url), instance)
    assert again.success and sum(x["inserted"] + x["updated"] + x["closed"] for x in again.loads) == 0
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT count(*) FROM core_projects WHERE valid_to IS NULL")).scalar_one()
                == 4
            )
            assert conn.execute(text("SELECT count(*) FROM ref_org_units")).scalar_one() == 10
    finally:
        engine.dispose()


def test_an_unreachable_warehouse_fails_the_run_with_a_clear_error(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    district_file(incoming / "2021" / "dai-tu" / "a.xlsx", [A])
    drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))
    report = run_pipeline(
        drop, Warehouse(url="postgresql://kc:pw-secret@127.0.0.1:1/none"), dg.DagsterInstance.ephemeral()
    )
    assert not report.success
    assert report.error and "cannot be reached" in report.error and "pw-secret" not in report.error


def test_a_unit_year_with_no_validated_rows_is_refused_not_loaded_as_empty(
    warehouse_url: str, tmp_path: Path
) -> None:
    """core_projects materialized alone (the UI allows it) for a unit-year whose validated rows are
    not staged must not load it as empty: that would close every current project there."""
    incoming = tmp_path / "incoming"
    district_file(incoming / "2021" / "dai-tu" / "a.xlsx", [A, B])
    drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))
    warehouse = Warehouse(url=warehouse_url)
    instance = dg.DagsterInstance.ephemeral()
    assert run_pipeline(drop, warehouse, instance).success
    validated_path(drop, "dai-tu", 2021).unlink()
    result = dg.materialize(
        [core_projects],
        instance=instance,
        resources={"drop_folder": drop, "warehouse": warehouse},
        partition_key=str(partition_key("dai-tu", 2021)),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "core_validated_rows" in failure.event_specific_data.error.message  # type: ignore[union-attr]
    retries = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retries == []  # nothing a retry could fix
    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT count(*) FROM core_projects WHERE valid_to IS NULL"))
            assert current.scalar_one() == 2
    finally:
        engine.dispose()
