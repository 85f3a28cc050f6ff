"""out_staff_report: the workbook and the narrative for the whole loaded period."""

import base64
from pathlib import Path

import dagster as dg
from dagster import AssetExecutionContext

from kc_pipeline.defs.out import OUT_ASSETS
from kc_pipeline.defs.resources import DropFolder, ReportFolder
from kc_pipeline.defs.versions import source_version
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.report.chart import funding_chart_png
from kc_pipeline.report.data import load_report_data, loaded_years
from kc_pipeline.report.writer import write_report

STAFF_REPORT = "out_staff_report"


@dg.asset(
    name=STAFF_REPORT,
    group_name="out",
    kinds={"excel", "python"},
    owners=["team:reporting"],
    automation_condition=dg.AutomationCondition.eager(),
    code_version=source_version("report"),
    deps=OUT_ASSETS,
    description="The staff report for every year loaded: `bao_cao_khuyen_cong_<period>.xlsx` (summary, by "
    "programme and activity, by unit, by year, targets, completeness, quarantined rows, project list, native "
    "charts) and `bao_cao_khuyen_cong_<period>.md`, the narrative in the seed report's structure.",
)
def out_staff_report(
    context: AssetExecutionContext, warehouse: Warehouse, drop_folder: DropFolder, report_folder: ReportFolder
) -> dg.MaterializeResult:
    engine = warehouse.engine()
    years = loaded_years(engine)
    if years is None:
        context.log.info("no aggregates yet: nothing to report")
        return dg.MaterializeResult(metadata={"narrative": dg.MetadataValue.md("Chưa có dữ liệu.")})
    data = load_report_data(engine, drop_folder.reference(), *years)
    files = write_report(data, Path(report_folder.out_dir))
    png = funding_chart_png(data.summary, f"Kinh phí khuyến công hỗ trợ theo năm {data.period}")
    image = f"![Kinh phí theo năm](data:image/png;base64,{base64.b64encode(png).decode()})"
    return dg.MaterializeResult(
        metadata={
            "workbook": dg.MetadataValue.path(str(files.workbook)),
            "narrative_file": dg.MetadataValue.path(str(files.narrative)),
            "narrative": dg.MetadataValue.md(files.text),
            "chart": dg.MetadataValue.md(image),
            "projects": int(data.summary["projects"].sum()),
            "period": data.period,
        }
    )
