"""How the pipeline runs by itself: the drop-folder sensor, the nightly schedule, the out_* automation.

The sensor asks for one run per unit-year whose files changed (run key: the digest of its files'
content hashes, so a file is processed once); the nightly schedule reconciles everything at 02:00
in Việt Nam, in a few single runs over contiguous partition ranges; the out_* tables and the report
follow any load through an automation condition. Every run is tagged with its unit-year(s) so the
run coordinator never runs two on the same unit-year at once (``dagster.yaml``).
"""

import json
import logging

import dagster as dg

from kc_pipeline.defs.core import core_validated_rows
from kc_pipeline.defs.load import core_projects
from kc_pipeline.defs.partitions import (
    YEAR_PARTITIONS,
    partition_key,
    partition_ranges,
    register_years,
    unit_partitions,
    year_partitions,
)
from kc_pipeline.defs.raw import raw_district_workbooks
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.ingest import dropfolder, watch
from kc_pipeline.ingest.fingerprints import Fingerprints
from kc_pipeline.ingest.plan import changed_unit_years
from kc_pipeline.warehouse.state import recorded_files

TIMEZONE = "Asia/Ho_Chi_Minh"
UNIT_YEAR_TAG = "kc/unit_year"

ingest_job = dg.define_asset_job(
    "kc_ingest",
    selection=dg.AssetSelection.assets(raw_district_workbooks, core_validated_rows, core_projects),
    description="Read, validate and load the unit-years asked for (one run per unit-year, or a range).",
)


def log_not_taken(log: logging.Logger, not_taken: list[dropfolder.NotTaken]) -> None:
    """A warning for every workbook of the drop folder that no run takes (``dropfolder.scan`` says why)."""
    for item in not_taken:
        log.warning(f"not taken: {item.relative}: {item.reason}")


@dg.sensor(
    job=ingest_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches the drop folder: a new, changed or removed file, once its size and mtime stay the "
    "same between two ticks, asks for a run of its unit-year. Lock and temporary files are ignored; a "
    "workbook no run takes (outside <year>/<unit>/, or resolving outside the folder) is logged with its "
    "reason.",
)
def drop_folder_sensor(context: dg.SensorEvaluationContext, drop_folder: DropFolder) -> dg.SensorResult:
    state = json.loads(context.cursor) if context.cursor else None
    try:  # a folder gone (an unmounted share) must not read as every file removed
        dropfolder.check_available(drop_folder.incoming, bool(state and state.get("files")))
    except dropfolder.DropFolderUnavailable as exc:
        context.log.error(str(exc))
        return dg.SensorResult(skip_reason=str(exc))
    tick = watch.look(drop_folder.incoming, drop_folder.reference(), state)
    log_not_taken(context.log, tick.refused)
    if tick.settling:
        context.log.info(f"waiting for {len(tick.settling)} file(s) to settle: {tick.settling[:5]}")
    requests = [
        dg.RunRequest(
            run_key=change.run_key,
            partition_key=str(partition_key(change.unit_slug, change.year)),
            tags={UNIT_YEAR_TAG: f"{change.unit_slug}|{change.year}", "kc/reason": change.reason},
        )
        for change in tick.changes
    ]
    new_years = [
        str(y)
        for y in tick.new_years
        if str(y) not in set(context.instance.get_dynamic_partitions(YEAR_PARTITIONS))
    ]
    return dg.SensorResult(
        run_requests=requests,
        cursor=json.dumps(tick.state),
        dynamic_partitions_requests=[dg.AddDynamicPartitionsRequest(YEAR_PARTITIONS, new_years)]
        if new_years
        else [],
    )


@dg.schedule(
    job=ingest_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Nightly reconcile at 02:00 Asia/Ho_Chi_Minh: every unit-year whose files differ from what "
    "the warehouse holds (anything the sensor missed, or a run that failed), in a few single runs over "
    "contiguous partition ranges; nothing changed, no run. The out_* tables and the report follow "
    "through their automation condition.",
)
def nightly_reconcile(
    context: dg.ScheduleEvaluationContext, drop_folder: DropFolder, warehouse: Warehouse
) -> list[dg.RunRequest] | dg.SkipReason:
    reference = drop_folder.reference()
    recorded = recorded_files(warehouse.engine())
    try:  # a folder gone (an unmounted share) must not read as every file removed
        dropfolder.check_available(drop_folder.incoming, bool(recorded))
    except dropfolder.DropFolderUnavailable as exc:
        context.log.error(str(exc))
        return dg.SkipReason(str(exc))
    not_taken: list[dropfolder.NotTaken] = []
    files = dropfolder.scan(drop_folder.incoming, reference, refused=not_taken)
    log_not_taken(context.log, not_taken)
    fingerprints = Fingerprints(drop_folder.staging.root / "fingerprints.json")
    hashes = {f.relative: fingerprints.sha256(f) for f in files}
    fingerprints.save(files)
    dirty = changed_unit_years(files, hashes, recorded, reference)
    if not dirty:
        context.log.info("nothing changed since the last load")
        return []
    register_years(context.instance, {year for _, year in dirty})
    ranges = partition_ranges(
        unit_partitions.get_partition_keys(),
        year_partitions.get_partition_keys(dynamic_partitions_store=context.instance),
        dirty,
    )
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    return [
        dg.RunRequest(
            run_key=f"nightly:{stamp}:{first}:{last}",
            tags={
                "dagster/asset_partition_range_start": first,
                "dagster/asset_partition_range_end": last,
                UNIT_YEAR_TAG: "nightly",
            },
        )
        for first, last in ranges
    ]


out_automation = dg.AutomationConditionSensorDefinition(
    "kc_out_automation",
    target=dg.AssetSelection.groups("out"),
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Rebuilds the out_* tables and the staff report after loads.",
)
