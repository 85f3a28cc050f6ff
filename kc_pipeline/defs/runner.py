"""Run the pipeline through Dagster in-process: the code path of ``kc-pipeline run`` and the tests.

Partitions with files are grouped into contiguous key ranges, cut where a range's workbooks
pass ``CHUNK_BYTES`` (``ingest.readahead``), and each range runs as one Dagster run
(single-run backfill). So a cold run over hundreds of unit-years is a handful of runs, the
completeness grid marks only the unit-years that really sent files, and a run holds one chunk's
rows in memory, not the corpus's.
"""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
from sqlalchemy.exc import SQLAlchemyError

from kc_pipeline import collector, paths
from kc_pipeline.defs import handoff
from kc_pipeline.defs.core import core_validated_rows, verdicts_path
from kc_pipeline.defs.instance import ephemeral_instance
from kc_pipeline.defs.load import CORE_PROJECTS, core_projects
from kc_pipeline.defs.out import OUT_ASSETS
from kc_pipeline.defs.partitions import (
    partition_key,
    partition_ranges,
    register_years,
    unit_partitions,
    unit_year,
    unit_year_partitions,
    year_partitions,
)
from kc_pipeline.defs.raw import partition_manifest_path, raw_district_workbooks, staged_documents
from kc_pipeline.defs.report import out_staff_report
from kc_pipeline.defs.resources import DropFolder, ReportFolder
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.ingest import dropfolder, sandbox
from kc_pipeline.ingest.plan import RunPlan, out_is_current, out_state_path, plan_run
from kc_pipeline.ingest.readahead import CHUNK_BYTES, ReadAhead
from kc_pipeline.ingest.staging import read_json, write_json_atomic
from kc_pipeline.report import chart, render_pool
from kc_pipeline.validate import gx_service
from kc_pipeline.warehouse.state import last_load_id
from kc_pipeline.warm import warm_imports

T = TypeVar("T")


@dataclass
class RunReport:
    success: bool
    runs: list[str] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # per file: what it read, as validated
    verdicts: list[dict[str, Any]] = field(default_factory=list)  # per file: valid / warned / quarantined
    loads: list[dict[str, Any]] = field(default_factory=list)  # per unit-year: inserted / updated / ...
    unchanged: int = 0  # unit-years whose files are already in the warehouse, not read again
    not_taken: list[dropfolder.NotTaken] = field(default_factory=list)  # workbooks no run takes, and why
    error: str | None = None
    staged: Callable[[], list[dict[str, Any]]] = field(default=list, repr=False)

    @cached_property
    def documents(self) -> list[dict[str, Any]]:
        """The reader documents the run staged, rows included, loaded only when asked for."""
        return self.staged()


def instance_for_cli() -> dg.DagsterInstance:
    """The persistent instance when DAGSTER_HOME is set (runs show in the UI), else an ephemeral one."""
    if os.environ.get("DAGSTER_HOME"):
        return dg.DagsterInstance.get()
    return ephemeral_instance()


def run_pipeline(
    drop: DropFolder,
    warehouse: Warehouse,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "WARNING",
    report_folder: ReportFolder | None = None,
    full: bool = False,
    plan: RunPlan | None = None,
    release: bool = False,
) -> RunReport:
    """Materialize the assets for every unit-year whose files changed (all of them with ``full``),
    then the out_* tables and the report when anything was loaded. The Dagster instance is only
    made (``instance_for_cli``) when there is something to run.

    ``release``: once every chunk is loaded, end the readers' workers and the GX service before
    the report's workers start, so that the process tree never holds all of them (the CLI's one
    run). A caller that runs again (a test session) keeps them warm for its next run instead."""
    reference = drop.reference()
    report = RunReport(success=True)
    try:
        engine = _with_retries(warehouse.engine)
        plan = plan or _with_retries(
            lambda: plan_run(drop.incoming, drop.staging.root, reference, engine, warehouse.display, full)
        )
    except SQLAlchemyError as exc:
        report.success = False
        report.error = f"the warehouse {warehouse.display} cannot be reached: {_short(exc)}"
        return report
    except dropfolder.DropFolderUnavailable as exc:
        report.success = False
        report.error = str(exc)
        return report
    files, dirty = plan.files, plan.dirty
    report.unchanged = plan.unchanged
    report.not_taken = plan.not_taken
    config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if dirty:
        gx_service.start()  # GX loads in its own process while this one reads and loads
        warm_imports(chart.MODULES)  # the report's, while this process waits for files and GX
        instance = instance or instance_for_cli()
        register_years(instance, {year for _, year in dirty})
        ranges = partition_ranges(
            unit_partitions.get_partition_keys(),
            year_partitions.get_partition_keys(dynamic_partitions_store=instance),
            dirty,
            _bytes_by_unit_year(files),
            CHUNK_BYTES,
        )
        ahead = ReadAhead(
            drop.staging,
            Path(drop.reference_dir),
            [_files_in_range(instance, files, dirty, r) for r in ranges],
        )
        collector.keep_alive_objects()  # the imports and the instance: long-lived
        # A run's rows are acyclic: no automatic collection while chunks are read and run; what a
        # run left in cycles is collected once after it.
        with collector.paused():
            for i, (first, last) in enumerate(ranges):
                ahead.wait(i)
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
                handoff.discard_run(result.run_id)
                report.runs.append(result.run_id)
                report.success = report.success and result.success
                report.loads.extend(_load_observations(result))
                if not result.success and report.error is None:
                    report.error = _first_failure(result)
                del result
                collector.settle()
        ahead.stop()
        if release:  # 100-300 MB each, beside the report's workers: 0.80 -> 0.93 GB at a national peak
            gx_service.stop()
            sandbox.shared_pool().close()
        report.partitions = sorted(str(partition_key(slug, year)) for slug, year in dirty)
    load_id = last_load_id(engine)
    if report.success and (full or not out_is_current(drop.staging.root, load_id, warehouse.display)):
        instance = instance or instance_for_cli()
        render_pool.warm()  # the report's workers start while the out_* tables are made
        with collector.paused():
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
            write_json_atomic(
                out_state_path(drop.staging.root), {"load_id": load_id, "warehouse": warehouse.display}
            )
        else:
            report.error = _first_failure(result)
    plan.fingerprints.save(files)
    touched = [f for f in files if (f.unit_slug, f.year) in dirty]
    report.files = _file_lines(drop, touched)
    report.verdicts = _validated_files(drop, touched)
    report.staged = lambda: _staged_documents(drop, touched)
    return report


def _files_in_range(
    instance: dg.DagsterInstance,
    files: list[dropfolder.DropFile],
    dirty: set[tuple[str, int]],
    key_range: tuple[str, str],
) -> list[Path]:
    """The workbooks of the unit-years a partition key range selects."""
    keys = unit_year_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange(*key_range), dynamic_partitions_store=instance
    )
    selected = {unit_year(k) for k in keys} & dirty
    return [f.path for f in files if (f.unit_slug, f.year) in selected]


def _bytes_by_unit_year(files: list[dropfolder.DropFile]) -> dict[tuple[str, int], int]:
    sizes: dict[tuple[str, int], int] = {}
    for f in files:
        try:
            size = f.path.stat().st_size
        except OSError:
            size = 0
        sizes[(f.unit_slug, f.year)] = sizes.get((f.unit_slug, f.year), 0) + size
    return sizes


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
        path = verdicts_path(drop, slug, year)
        if path.is_file():
            out.extend(read_json(path)["files"])
    return out


def _file_lines(drop: DropFolder, files: list[dropfolder.DropFile]) -> list[dict[str, Any]]:
    """One summary line per file the run staged (``ingest.summary.file_line``), from the manifests."""
    out: list[dict[str, Any]] = []
    for slug, year in dict.fromkeys((f.unit_slug, f.year) for f in files):
        manifest = partition_manifest_path(drop, slug, year)
        if manifest.is_file():
            out.extend(dict(entry["line"], path=entry["path"]) for entry in read_json(manifest)["files"])
    return out


def _staged_documents(drop: DropFolder, files: list[dropfolder.DropFile]) -> list[dict[str, Any]]:
    """The reader documents the run staged, in drop-folder order."""
    return [
        doc
        for slug, year in dict.fromkeys((f.unit_slug, f.year) for f in files)
        for doc in staged_documents(drop, slug, year)
    ]
