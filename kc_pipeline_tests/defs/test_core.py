"""core_validated_rows through Dagster: asset checks from the validator, per-partition outputs."""

import json
from pathlib import Path

import dagster as dg

from kc_pipeline.defs.core import CHECKS, VALIDATED_ROWS, core_validated_rows, validated_path
from kc_pipeline.defs.partitions import register_years
from kc_pipeline.defs.raw import raw_district_workbooks
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING, row, write


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_checks_are_named_after_the_suite_and_the_rules() -> None:
    names = {c.name for c in CHECKS}
    assert {
        "rows_add_up",
        "error_rows_quarantined",
        "gx_title_not_null",
        "gx_unit_code_in_reference",
        "rule_total_is_support_plus_counterpart",
        "rule_trainees_for_training",
        "reconciles_with_file_totals",
    } <= names
    assert {c.name for c in CHECKS if c.blocking} == {"rows_add_up", "error_rows_quarantined"}


def test_validation_quarantines_and_reports_per_partition(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    write(
        incoming / "2021" / "dai-tu" / "a.xlsx",
        [
            row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000),
            row(2, TRAINING, 50_000_000, 50_000_000, 0),  # no trainees: quarantined
        ],
        total_row=["", "Tổng cộng", "", "", 350_000_000, 150_000_000, 200_000_000],
    )
    write(
        incoming / "2021" / "vo-nhai" / "b.xlsx",
        [row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000)],
        title="UBND HUYỆN VÕ NHAI",
        total_row=["", "Tổng cộng", "", "", 999, 100_000_000, 200_000_000],
    )
    drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))
    instance = dg.DagsterInstance.ephemeral()
    register_years(instance, [2021])

    def run(key: str) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [raw_district_workbooks, core_validated_rows],
            instance=instance,
            resources={"drop_folder": drop},
            partition_key=key,
        )

    vo_nhai = run("vo-nhai|2021")
    assert vo_nhai.success
    assert not evaluations(vo_nhai)["reconciles_with_file_totals"].passed  # its total says 999 đồng
    result = run("dai-tu|2021")
    assert result.success  # quarantined rows do not fail the run
    [materialization] = [
        m for m in result.get_asset_materialization_events() if m.asset_key == dg.AssetKey(VALIDATED_ROWS)
    ][:1]
    metadata = materialization.materialization.metadata
    assert metadata["rows_quarantined"].value == 1 and metadata["rows_valid"].value == 1
    assert "| dai-tu | 2021 | 1 | 1 | 0 | 1 | 5 | 0 |" in metadata["by_unit_year"].value
    checks = evaluations(result)
    assert checks["rows_add_up"].passed and checks["error_rows_quarantined"].passed
    trainees = checks["rule_trainees_for_training"]
    assert not trainees.passed and trainees.metadata["rows_quarantined"].value == 1
    assert "Đào tạo nghề mây tre đan" not in trainees.metadata["failing_rows"].value  # rows, not titles
    assert "| 6 |" in trainees.metadata["failing_rows"].value
    assert checks["reconciles_with_file_totals"].passed  # quarantined rows still count towards the total
    assert checks["gx_title_not_null"].passed
    saved = json.loads(validated_path(drop, "dai-tu", 2021).read_text(encoding="utf-8"))
    assert [r["status"] for r in saved["rows"]] == ["valid", "quarantined"]
    quarantined = saved["rows"][1]
    assert quarantined["raw"]["Tên đề án"] == TRAINING and quarantined["source_row"] == 6
    assert {x["check"] for x in quarantined["reasons"]} >= {"trainees_for_training"}
    assert saved["files"][0]["rows_read"] == 7


def test_the_runs_documents_are_freed_by_the_step_not_left_for_the_collector(tmp_path: Path) -> None:
    """Dagster's event log catches an IntegrityError per asset event; the exception's traceback
    holds the frames of the stack in a cycle, so a step's locals live until a collection."""
    import gc

    incoming = tmp_path / "incoming"
    for unit in ("dai-tu", "vo-nhai"):
        write(incoming / "2021" / unit / "a.xlsx", [row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000)])
    drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))
    instance = dg.DagsterInstance.ephemeral()
    register_years(instance, [2021])
    gc.collect()
    gc.disable()
    try:
        result = dg.materialize(
            [raw_district_workbooks, core_validated_rows],
            instance=instance,
            resources={"drop_folder": drop},
            tags={
                "dagster/asset_partition_range_start": "dai-tu|2021",
                "dagster/asset_partition_range_end": "vo-nhai|2021",
            },
        )
        # The reader's documents, one per file (validation splits them per sheet into "<id>#<n>"
        # copies, which GX's own caught exceptions can keep when it runs in this process).
        documents = [
            o
            for o in gc.get_objects()
            if type(o) is dict
            and type(o.get("rows")) is list
            and "file_type" in o
            and "#" not in str(o.get("file_id"))
        ]
    finally:
        gc.enable()
    assert result.success
    assert documents == []
