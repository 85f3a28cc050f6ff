"""out_* assets: aggregates rebuilt whole from the warehouse's current project versions."""

from datetime import date
from typing import Any

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext
from sqlalchemy import Table, select

from kc_pipeline.aggregate.completeness import completeness_rows, load_deadlines
from kc_pipeline.aggregate.rebuild import replace_table
from kc_pipeline.aggregate.yearly import yearly_summary_rows, yearly_trend_rows
from kc_pipeline.defs.load import WAREHOUSE_POOL, core_projects
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.versions import source_version
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.ingest.summary import markdown_table
from kc_pipeline.warehouse.schema import (
    out_reporting_completeness,
    out_target_progress,
    out_yearly_summary,
    out_yearly_trend,
)

FUNDING_FELL = "funding_not_lower_than_previous_year"
COMPLETE_AFTER_DEADLINE = "complete_after_deadline"
NO_INDICATOR_BEHIND = "no_indicator_behind"
OUT_KINDS = {"sqlite", "postgres", "pandas"}
# What every out_* asset shares: rebuilt after loads, one writer at a time, stale when aggregate/ changes.
OUT_ASSET: dict[str, Any] = {
    "group_name": "out",
    "kinds": OUT_KINDS,
    "owners": ["team:reporting"],
    "automation_condition": dg.AutomationCondition.eager(),
    "pool": WAREHOUSE_POOL,
    "code_version": source_version("aggregate"),
}


def _lineage() -> dg.TableColumnLineage:
    """Which core_projects columns each out_yearly_summary column comes from."""
    source = dg.AssetKey("core_projects")
    same = (
        "year",
        "unit_code",
        "funding_source",
        "programme_code",
        "activity_code",
        "support_vnd",
        "counterpart_vnd",
        "total_vnd",
        "trainees",
        "models",
        "clusters",
    )
    deps = {name: [dg.TableColumnDep(source, name)] for name in same}
    deps["projects"] = [dg.TableColumnDep(source, "project_key")]
    return dg.TableColumnLineage(deps_by_column=deps)


LINEAGE = _lineage()


def column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(c.name, c.type.__class__.__name__.lower(), description=c.comment or "")
            for c in table.columns
        ]
    )


def _warn_check(
    name: str, failing: list[dict[str, Any]], columns: tuple[str, ...], label: str
) -> dg.AssetCheckResult:
    """A WARN check that passes when nothing fails, listing what did in its metadata."""
    table = dg.MetadataValue.md(markdown_table(failing, columns, limit=50)) if failing else "none"
    return dg.AssetCheckResult(
        check_name=name, passed=not failing, severity=dg.AssetCheckSeverity.WARN, metadata={label: table}
    )


def _metadata(table: Table, rows: list[dict[str, Any]], preview: tuple[str, ...]) -> dict[str, Any]:
    return {
        "dagster/row_count": len(rows),
        "dagster/column_schema": column_schema(table),
        "preview": dg.MetadataValue.md(markdown_table(rows, preview, limit=12)),
    }


@dg.asset(
    name="out_yearly_summary",
    **OUT_ASSET,
    deps=[core_projects],
    description="Projects, support, counterpart, trainees, models and clusters per year × unit × funding "
    "source × programme × activity, from current project versions only.",
    metadata={"dagster/column_schema": column_schema(out_yearly_summary), "dagster/column_lineage": LINEAGE},
)
def out_yearly_summary_asset(context: AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    engine = warehouse.engine()
    with engine.connect() as conn:
        rows = yearly_summary_rows(conn)
    replace_table(engine, out_yearly_summary, rows)
    preview: list[dict[str, Any]] = []
    if rows:
        columns = ["projects", "support_vnd", "trainees"]
        by_year = pd.DataFrame(rows).groupby(["year", "funding_source"])[columns]
        preview = by_year.sum().reset_index().to_dict(orient="records")
    context.log.info(f"out_yearly_summary: {len(rows)} rows")
    return dg.MaterializeResult(
        metadata={
            **_metadata(
                out_yearly_summary, preview, ("year", "funding_source", "projects", "support_vnd", "trainees")
            ),
            "dagster/row_count": len(rows),
        }
    )


@dg.asset(
    name="out_yearly_trend",
    **OUT_ASSET,
    deps=[out_yearly_summary_asset],
    description="Totals per year and funding source (and ALL) with the change against the previous year, "
    "so 'năm sau cao hơn năm trước' can be checked.",
    check_specs=[
        dg.AssetCheckSpec(
            FUNDING_FELL,
            asset="out_yearly_trend",
            description="Support did not fall against the previous year (WARN).",
        )
    ],
)
def out_yearly_trend_asset(context: AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    engine = warehouse.engine()
    with engine.connect() as conn:
        summary = [dict(r) for r in conn.execute(select(out_yearly_summary)).mappings()]
    rows = yearly_trend_rows(summary)
    replace_table(engine, out_yearly_trend, rows)
    fell = [r for r in rows if r["support_change_vnd"] is not None and r["support_change_vnd"] < 0]
    columns = (
        "year",
        "funding_source",
        "projects",
        "support_vnd",
        "support_change_vnd",
        "higher_than_previous",
    )
    return dg.MaterializeResult(
        metadata=_metadata(out_yearly_trend, [r for r in rows if r["funding_source"] == "ALL"], columns),
        check_results=[_warn_check(FUNDING_FELL, fell, columns, "years_lower")],
    )


@dg.asset(
    name="out_reporting_completeness",
    **OUT_ASSET,
    deps=[core_projects],
    description="For each year and each unit that existed that year: expected, files received (loaded) "
    "and rejected, on time against the deadline of data/reference/reporting_deadlines.csv, first and last "
    "received.",
    check_specs=[
        dg.AssetCheckSpec(
            COMPLETE_AFTER_DEADLINE,
            asset="out_reporting_completeness",
            description="Every expected unit reported for years whose deadline has passed (WARN).",
        )
    ],
)
def out_reporting_completeness_asset(
    context: AssetExecutionContext, warehouse: Warehouse, drop_folder: DropFolder
) -> dg.MaterializeResult:
    reference = drop_folder.reference()
    engine = warehouse.engine()
    with engine.connect() as conn:
        rows = completeness_rows(conn, reference, load_deadlines(reference.directory))
    replace_table(engine, out_reporting_completeness, rows)
    today = date.today()
    missing = [r for r in rows if r["expected"] and not r["received"] and r["deadline"] < today]
    columns = ("year", "unit_code", "expected", "received", "rejected", "on_time", "deadline")
    return dg.MaterializeResult(
        metadata={
            **_metadata(
                out_reporting_completeness,
                [r for r in rows if not r["received"] or not r["on_time"]],
                columns,
            ),
            "expected": sum(r["expected"] for r in rows),
            "received": sum(1 for r in rows if r["received"]),
            "rejected_only": sum(1 for r in rows if r["rejected"] and not r["received"]),
            "on_time": sum(1 for r in rows if r["on_time"]),
        },
        check_results=[_warn_check(COMPLETE_AFTER_DEADLINE, missing, columns, "missing")],
    )


@dg.asset(
    name="out_target_progress",
    **OUT_ASSET,
    deps=[core_projects],
    description="2021–2025 targets (data/reference/targets_2021_2025.csv) against cumulative actuals: "
    "progress, expected progress at a linear pace, status and the projection to 2025.",
    check_specs=[
        dg.AssetCheckSpec(
            NO_INDICATOR_BEHIND,
            asset="out_target_progress",
            description="No indicator is behind in the latest year (WARN).",
        )
    ],
)
def out_target_progress_asset(
    context: AssetExecutionContext, warehouse: Warehouse, drop_folder: DropFolder
) -> dg.MaterializeResult:
    from kc_pipeline.aggregate.targets import current_target_inputs, load_targets, target_progress

    reference = drop_folder.reference()
    engine = warehouse.engine()
    with engine.connect() as conn:
        projects = current_target_inputs(conn)  # grouped in the database: a few thousand rows, not 120,000
    progress = target_progress(
        projects, load_targets(reference.directory / "targets_2021_2025.csv", reference), reference
    )
    keep = [c.name for c in out_target_progress.columns]
    rows = progress[keep].astype(object).where(progress[keep].notna(), None).to_dict(orient="records")
    replace_table(engine, out_target_progress, rows)
    latest = max((r["year"] for r in rows), default=None)
    behind = [r for r in rows if r["year"] == latest and r["status"] == "behind"]
    preview_columns = (
        "indicator_code",
        "year",
        "target_value",
        "actual_value",
        "progress_pct",
        "expected_pct",
        "status",
    )
    return dg.MaterializeResult(
        metadata=_metadata(out_target_progress, [r for r in rows if r["year"] == latest], preview_columns),
        check_results=[_warn_check(NO_INDICATOR_BEHIND, behind, preview_columns, "behind")],
    )


OUT_ASSETS = [
    out_yearly_summary_asset,
    out_yearly_trend_asset,
    out_reporting_completeness_asset,
    out_target_progress_asset,
]
