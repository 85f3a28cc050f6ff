"""core_projects: each unit-year's validated rows loaded into the warehouse with history."""

from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from kc_pipeline.defs import handoff
from kc_pipeline.defs.core import VALIDATED_ROWS, core_validated_rows, validated_path
from kc_pipeline.defs.partitions import partition_key, unit_year, unit_year_partitions
from kc_pipeline.defs.raw import partition_manifest_path
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.versions import source_version
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.ingest.staging import read_json
from kc_pipeline.ingest.summary import markdown_table
from kc_pipeline.warehouse.loader import LoadSummary, load_unit_year
from kc_pipeline.warehouse.reference_sync import sync_reference
from kc_pipeline.warehouse.schema import core_projects as core_projects_table

CORE_PROJECTS = "core_projects"
WAREHOUSE_POOL = "kc_warehouse_writer"
SUMMARY_COLUMNS = ("unit", "year", "files", "inserted", "updated", "unchanged", "closed", "quarantined",
                   "conflicts", "superseded_files")  # fmt: skip


def table_schema() -> dg.TableSchema:
    """The columns of core_projects, for the UI's schema tab."""
    columns = []
    for column in core_projects_table.columns:
        kind = column.type.__class__.__name__.lower()
        columns.append(
            dg.TableColumn(
                column.name,
                kind,
                description=column.comment or "",
                constraints=dg.TableColumnConstraints(nullable=bool(column.nullable)),
            )
        )
    return dg.TableSchema(columns=columns)


def _inputs(
    context: AssetExecutionContext, drop: DropFolder, slug: str, year: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """Files, rows and relative paths of a unit-year: from this run's validation step in memory,
    else from staging (a retried step, or a step run in its own process)."""
    handed = handoff.take(context.run.run_id, VALIDATED_ROWS, str(partition_key(slug, year)))
    if handed is not None:
        return handed
    validated = read_json(validated_path(drop, slug, year))  # there: see _never_validated
    manifest = partition_manifest_path(drop, slug, year)
    relative: dict[str, str] = {}
    if manifest.is_file():
        relative = {f["path"]: f["relative_path"] for f in read_json(manifest)["files"]}
    return validated["files"], validated["rows"], relative


def _never_validated(context: AssetExecutionContext, drop: DropFolder) -> list[str]:
    """The run's unit-years with neither validated rows handed over nor staged (the asset was
    materialized alone, or the staging folder was emptied): checked before anything is loaded."""
    run_id = context.run.run_id
    out = []
    for slug, year in (unit_year(k) for k in context.partition_keys):
        handed = handoff.holds(run_id, VALIDATED_ROWS, str(partition_key(slug, year)))
        if not handed and not validated_path(drop, slug, year).is_file():
            out.append(f"{slug} {year}")
    return out


@dg.asset(
    name=CORE_PROJECTS,
    group_name="core",
    kinds={"sqlite", "postgres", "sqlalchemy"},
    owners=["team:data-engineering"],
    deps=[core_validated_rows],
    partitions_def=unit_year_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
    code_version=source_version("warehouse", "keys.py"),
    retry_policy=dg.RetryPolicy(max_retries=3, delay=1, backoff=dg.Backoff.EXPONENTIAL),
    description=(
        "The warehouse's projects with history: each unit-year's loadable rows replace its current projects "
        "in one transaction (new keys inserted, changed ones versioned, vanished ones closed, not deleted); "
        "quarantined rows go to `core_quarantined_rows`, file versions to `core_source_files`. Loading the "
        "same bytes again changes nothing."
    ),
    metadata={"dagster/column_schema": table_schema()},
)
def core_projects(
    context: AssetExecutionContext, drop_folder: DropFolder, warehouse: Warehouse
) -> dg.MaterializeResult:
    missing = _never_validated(context, drop_folder)
    if missing:
        # Loading nothing would close every current project of those unit-years as vanished.
        raise dg.Failure(
            description=(
                f"no validated rows are staged for {', '.join(missing[:10])}"
                f"{' and others' if len(missing) > 10 else ''}: materialize {VALIDATED_ROWS} for "
                "them first; nothing was loaded"
            ),
            allow_retries=False,
        )
    reference = drop_folder.reference()
    engine = warehouse.engine()
    sync_reference(engine, reference)
    units = reference.units_by_slug
    summaries: list[LoadSummary] = []
    for slug, year in (unit_year(k) for k in context.partition_keys):
        files, rows, relative = _inputs(context, drop_folder, slug, year)
        summary = load_unit_year(engine, units[slug].unit_code, year, files, rows, relative_paths=relative)
        summaries.append(summary)
        context.log_event(
            dg.AssetObservation(
                asset_key=CORE_PROJECTS,
                partition=str(partition_key(slug, year)),
                metadata={
                    k: getattr(summary, k)
                    for k in ("inserted", "updated", "unchanged", "closed", "quarantined", "conflicts")
                },
            )
        )
    with engine.connect() as conn:
        current = conn.exec_driver_sql(
            "SELECT count(*) FROM core_projects WHERE valid_to IS NULL"
        ).scalar_one()
    lines = [
        {"unit": s.unit_code, "year": s.year, **{k: getattr(s, k) for k in SUMMARY_COLUMNS[2:]}}
        for s in summaries
    ]
    totals = {k: sum(getattr(s, k) for s in summaries) for k in SUMMARY_COLUMNS[3:]}
    context.log.info(f"loaded into {warehouse.display}: {totals}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": int(current),
            "warehouse": warehouse.display,
            **{k: int(v) for k, v in totals.items()},
            "load_summary": dg.MetadataValue.md(markdown_table(lines, SUMMARY_COLUMNS, limit=200)),
        }
    )
