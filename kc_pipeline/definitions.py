"""The Dagster code location: every asset, check, sensor and schedule, wired to its resources."""

from __future__ import annotations

import dagster as dg

from kc_pipeline.defs.automation import drop_folder_sensor, ingest_job, nightly_reconcile, out_automation
from kc_pipeline.defs.core import core_validated_rows
from kc_pipeline.defs.load import core_projects
from kc_pipeline.defs.out import OUT_ASSETS
from kc_pipeline.defs.raw import raw_district_workbooks
from kc_pipeline.defs.report import out_staff_report
from kc_pipeline.defs.resources import default_resources

defs = dg.Definitions(
    assets=[raw_district_workbooks, core_validated_rows, core_projects, *OUT_ASSETS, out_staff_report],
    jobs=[ingest_job],
    sensors=[drop_folder_sensor, out_automation],
    schedules=[nightly_reconcile],
    resources=default_resources(),
)
