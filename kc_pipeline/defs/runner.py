"""Run the pipeline through Dagster in-process: the code path of ``kc-pipeline run`` and the tests.

Partitions with files are grouped into contiguous key ranges, and each range runs as one Dagster
run (single-run backfill), so a cold run over hundreds of unit-years is a handful of runs and
the completeness grid marks only the unit-years that really sent files.
"""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import dagster as dg
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kc_pipeline import paths
from kc_pipeline.defs.core import core_validated_rows, validated_path
from kc_pipeline.defs.load import CORE_PROJECTS, core_projects
from kc_pipeline.defs.out import OUT_ASSETS
from kc_pipeline.defs.partitions import partition_key, register_years, unit_year, unit_year_partitions
from kc_pipeline.defs.raw import partition_manifest_path, raw_district_workbooks
from kc_pipeline.defs.report import out_staff_report
from kc_pipeline.defs.resources import DropFolder, ReportFolder
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.ingest import dropfolder
from kc_pipeline.ingest.fingerprints import Fingerprints
from kc_pipeline.ingest.plan import changed_unit_years
from kc_pipeline.ingest.staging import write_json_atomic
from kc_pipeline.warehouse.state import last_load_id, recorded_files

T = TypeVar("T")


@dataclass
class RunReport:
    success: bool
    runs: list[str] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # per file: valid / warned / quarantined
    loads: list[dict[str, Any]] = field(default_factory=list)  # per unit-year: inserted / updated / ...
    unchanged: int = 0  # unit-years whose files are already in the warehouse, not read again
    error: str | None = None


def contiguous_ranges(all_keys: list[str], wanted: set[str]) -> list[tuple[str, str]]:
    """Maximal runs of consecutive keys (in the definition's order) that are all wanted."""
    ranges: list[tuple[str, str]] = []
    start: str | None = None
    previous: str | None = None
    for key in all_keys:
        if key in wanted:
            start = start or key
            previous = key
        elif start is not None and previous is not None:
            ranges.append((start, previous))
            start = None
    if start is not None and previous is not None:
        ranges.append((start, previous))
    return ranges


def instance_for_cli() -> dg.DagsterInstance:
    """The persistent instance when DAGSTER_HOME is set (runs show in the UI), else an ephemeral one."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def run_pipeline(
    drop: DropFolder,
    warehouse: Warehouse,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "WARNING",
    report_folder: ReportFolder | None = None,
    full: bool = False,
) -> RunReport:
    """Materialize the assets for every unit-year whose files changed (all of them with ``full``),
    then the out_* tables and the report when anything was loaded."""
    instance = instance or instance_for_cli()
    reference = drop.reference()
    files = dropfolder.scan(drop.incoming, reference)
    report = RunReport(success=True)
    fingerprints = Fingerprints(drop.staging.root / "fingerprints.json")
    hashes = {f.relative: fingerprints.sha256(f) for f in files}
    try:
        engine, recorded = _with_retries(lambda: _warehouse_state(warehouse))
    except SQLAlchemyError as exc:
        report.success = False
        report.error = f"the warehouse {warehouse.display} cannot be reached: {_short(exc)}"
        return report
    if full:
        dirty = {(f.unit_slug, f.year) for f in files} | changed_unit_years([], {}, recorded, reference)
    else:
        dirty = changed_unit_years(files, hashes, recorded, reference)
    report.unchanged = len({(f.unit_slug, f.year) for f in files} - dirty)
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if dirty:
        register_years(instance, {year for _, year in dirty})
        wanted = {str(partition_key(slug, year)) for slug, year in dirty}
        all_keys = unit_year_partitions.get_partition_keys(dynamic_partitions_store=instance)
        for first, last in contiguous_ranges(all_keys, wanted):
            result = dg.materialize(
                [raw_district_workbooks, core_validated_rows, core_projects],
                instance=instance,
                resources={"drop_folder": drop, "warehouse": warehouse},
                tags={
                    "dagster/asset_partition_range_start": first,
                    "dagster/asset_partition_range_end": last,
                },
                raise_on_error=False,
                run_config=config,
            )
            report.runs.append(result.run_id)
            report.success = report.success and result.success
            report.loads.extend(_load_observations(result))
            if not result.success and report.error is None:
                report.error = _first_failure(result)
        report.partitions = sorted(wanted)
    out_state = drop.staging.root / "out_state.json"
    load_id = last_load_id(engine)
    if report.success and (full or _out_is_stale(out_state, load_id, warehouse)):
        result = dg.materialize(
            [*OUT_ASSETS, out_staff_report],
            instance=instance,
            resources={
                "drop_folder": drop,
                "warehouse": warehouse,
                "report_folder": report_folder or ReportFolder(out_dir=str(paths.reports_dir())),
            },
            raise_on_error=False,
            run_config=config,
        )
        report.runs.append(result.run_id)
        report.success = result.success
        if result.success:
            write_json_atomic(out_state, {"load_id": load_id, "warehouse": warehouse.display})
        else:
            report.error = _first_failure(result)
    fingerprints.save(files)
    touched = [f for f in files if (f.unit_slug, f.year) in dirty]
    report.documents = _staged_documents(drop, touched)
    report.verdicts = _validated_files(drop, touched)
    return report


def _warehouse_state(warehouse: Warehouse) -> tuple[Engine, dict[tuple[str, int], set[str]]]:
    engine = warehouse.engine()
    return engine, recorded_files(engine)


def _with_retries(work: Callable[[], T], attempts: int = 3, delay: float = 1.0) -> T:
    """Retry transient database errors with exponential backoff; the last error is raised."""
    for attempt in range(attempts):
        try:
            return work()
        except SQLAlchemyError:
            if attempt == attempts - 1:
                raise
            time.sleep(delay * 2**attempt)
    raise AssertionError("unreachable")


def _short(exc: BaseException) -> str:
    """The first line of a database error, without SQLAlchemy's background link or any URL."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return text[:300]


def _out_is_stale(path: Any, load_id: int, warehouse: Warehouse) -> bool:
    """The out_* tables were last built before the latest load (or never, or on another warehouse)."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return state.get("load_id") != load_id or state.get("warehouse") != warehouse.display


def _load_observations(result: dg.ExecuteInProcessResult) -> list[dict[str, Any]]:
    out = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_OBSERVATION":
            continue
        observation = event.event_specific_data.asset_observation  # type: ignore[union-attr]
        if observation.asset_key == dg.AssetKey(CORE_PROJECTS):
            unit, year = unit_year(observation.partition)
            out.append({"unit": unit, "year": year, **{k: v.value for k, v in observation.metadata.items()}})
    return out


def _first_failure(result: dg.ExecuteInProcessResult) -> str:
    """The failed step and the deepest cause in its error chain (the real problem, not the wrapper)."""
    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error  # type: ignore[union-attr]
            messages = []
            while error is not None:
                messages.append(error.message.strip().splitlines()[0] if error.message.strip() else "")
                error = error.cause
            cause = next((m for m in reversed(messages) if m), "failed")
            return f"{event.step_key}: {cause[:300]}"
    return "the run failed"


def _validated_files(drop: DropFolder, files: list[dropfolder.DropFile]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for slug, year in dict.fromkeys((f.unit_slug, f.year) for f in files):
        path = validated_path(drop, slug, year)
        if path.is_file():
            out.extend(json.loads(path.read_text(encoding="utf-8"))["files"])
    return out


def _staged_documents(drop: DropFolder, files: list[dropfolder.DropFile]) -> list[dict[str, Any]]:
    """The reader documents the run staged, in drop-folder order."""
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for f in files:
        if (f.unit_slug, f.year) in seen:
            continue
        seen.add((f.unit_slug, f.year))
        manifest = partition_manifest_path(drop, f.unit_slug, f.year)
        if not manifest.is_file():
            continue
        for entry in json.loads(manifest.read_text(encoding="utf-8"))["files"]:
            doc = drop.staging.load(entry["file_id"]) if entry["file_id"] else None
            if doc is None:
                doc = {
                    "path": entry["path"],
                    "file_id": entry["file_id"],
                    "status": entry["status"],
                    "rows": [],
                    "ignored": [],
                    "issues": [],
                    "rows_read": 0,
                }
            doc["path"] = entry["path"]
            out.append(doc)
    return out
