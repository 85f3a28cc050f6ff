"""core_validated_rows: every staged row validated in one batch, quarantined with reasons or kept."""

from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from kc_pipeline.defs import handoff
from kc_pipeline.defs.partitions import partition_key, unit_year, unit_year_partitions
from kc_pipeline.defs.raw import RAW_WORKBOOKS, raw_district_workbooks, staged_documents
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.versions import source_version
from kc_pipeline.ingest.staging import write_json_atomic
from kc_pipeline.ingest.summary import markdown_table
from kc_pipeline.reference import load_reference
from kc_pipeline.validate.checks import CheckOutcome, check_definitions, evaluate_checks
from kc_pipeline.validate.rules import load_rules
from kc_pipeline.validate.validator import BatchVerdict, validate_documents

VALIDATED_ROWS = "core_validated_rows"
CHECKS = check_definitions(load_reference(), load_rules())


def validated_path(drop: DropFolder, slug: str, year: int) -> Path:
    """Every file verdict and every row of a unit-year, with status and reasons."""
    return drop.staging.root / "validated" / str(year) / f"{slug}.json"


def verdicts_path(drop: DropFolder, slug: str, year: int) -> Path:
    """The file verdicts alone: what a run's summary needs, without the rows."""
    return drop.staging.root / "validated" / str(year) / f"{slug}.files.json"


def _documents(
    context: AssetExecutionContext, drop: DropFolder, slug: str, year: int
) -> list[dict[str, Any]]:
    """The unit-year's reader documents: from this run's raw step in memory, else from staging."""
    docs = handoff.take(context.run.run_id, RAW_WORKBOOKS, str(partition_key(slug, year)))
    if docs is not None:
        return docs
    return staged_documents(drop, slug, year)


def _check_result(outcome: CheckOutcome) -> dg.AssetCheckResult:
    examples = outcome.examples
    metadata: dict[str, Any] = {
        "rows_failing": outcome.rows_failing,
        "rows_quarantined": outcome.rows_quarantined,
    }
    if examples:
        columns = list(examples[0])
        metadata["failing_rows"] = dg.MetadataValue.md(markdown_table(examples, columns, limit=len(examples)))
    return dg.AssetCheckResult(
        check_name=outcome.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.severity == "ERROR" else dg.AssetCheckSeverity.WARN,
        description=outcome.description,
        metadata=metadata,
    )


def write_partition_outputs(
    drop: DropFolder,
    wanted: list[tuple[str, int]],
    verdict: BatchVerdict,
    docs_by_partition: dict[tuple[str, int], list[dict[str, Any]]],
    run_id: str | None = None,
) -> list[dict[str, Any]]:
    """Per unit-year: the file summaries and every row with its status and reasons, staged, and
    handed to this run's load step in memory when ``run_id`` is given."""
    rows_by_path = verdict.rows_by_path()
    by_path = {f.path: f for f in verdict.files}
    lines = []
    for slug, year in wanted:
        docs = docs_by_partition[(slug, year)]
        files = [by_path[d["path"]] for d in docs]
        rows = [r for f in files for r in rows_by_path.get(f.path, [])]
        file_dicts = [f.to_dict() for f in files]
        write_json_atomic(
            validated_path(drop, slug, year), {"unit": slug, "year": year, "files": file_dicts, "rows": rows}
        )
        write_json_atomic(verdicts_path(drop, slug, year), {"unit": slug, "year": year, "files": file_dicts})
        if run_id is not None:
            relative = {d["path"]: d["relative_path"] for d in docs if "relative_path" in d}
            handoff.put(run_id, VALIDATED_ROWS, str(partition_key(slug, year)), (file_dicts, rows, relative))
        lines.append(
            {
                "unit": slug,
                "year": year,
                "files": len(files),
                "valid": sum(f.rows_valid for f in files),
                "warned": sum(f.rows_warned for f in files),
                "quarantined": sum(f.rows_quarantined for f in files),
                "ignored": sum(f.rows_ignored for f in files),
                "rejected_files": sum(1 for f in files if f.status == "rejected"),
            }
        )
    return lines


@dg.asset(
    name=VALIDATED_ROWS,
    group_name="core",
    kinds={"great_expectations", "pandas"},
    owners=["team:data-engineering"],
    deps=[raw_district_workbooks],
    partitions_def=unit_year_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version=source_version("ingest", "validate", "keys.py"),
    check_specs=[
        dg.AssetCheckSpec(c.name, asset=VALIDATED_ROWS, blocking=c.blocking, description=c.description)
        for c in CHECKS
    ],
    description=(
        "Every staged row validated in one batch: the Great Expectations suite built from the reference "
        "data, the rules of `data/reference/validation_rules.csv`, reconciliation with each file's own "
        "totals, and outliers. Rows with an ERROR finding are quarantined with every reason; WARN rows "
        "load with their warnings. Per file, rows read = valid + warned + quarantined + ignored."
    ),
)
def core_validated_rows(context: AssetExecutionContext, drop_folder: DropFolder) -> dg.MaterializeResult:
    reference = drop_folder.reference()
    wanted = [unit_year(k) for k in context.partition_keys]
    docs_by_partition = {key: _documents(context, drop_folder, *key) for key in wanted}
    documents = [doc for key in wanted for doc in docs_by_partition[key]]
    verdict = validate_documents(documents, reference, rules=load_rules(reference.directory))
    run_id = context.run.run_id if handoff.in_this_run(context, "core_projects") else None
    lines = write_partition_outputs(drop_folder, wanted, verdict, docs_by_partition, run_id)
    outcomes = evaluate_checks(CHECKS, verdict)
    totals = verdict.totals()
    # The run's documents go now, before any event is logged: Dagster's event log stores each asset
    # event by trying an insert and catching the IntegrityError, and that exception's traceback
    # keeps every frame of the stack alive until the next collection, this one and its locals with it.
    del docs_by_partition, documents, verdict
    for line in lines:
        # Per unit-year counts as observations, so each cell of the partition grid shows its own numbers.
        context.log_event(
            dg.AssetObservation(
                asset_key=VALIDATED_ROWS,
                partition=str(partition_key(line["unit"], line["year"])),
                metadata={
                    k: line[k]
                    for k in ("files", "valid", "warned", "quarantined", "ignored", "rejected_files")
                },
            )
        )
    context.log.info(f"validated {totals}")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": totals["rows_valid"] + totals["rows_warned"],
            "rows_read": totals["rows_read"],
            "rows_valid": totals["rows_valid"],
            "rows_warned": totals["rows_warned"],
            "rows_quarantined": totals["rows_quarantined"],
            "rows_ignored": totals["rows_ignored"],
            "files_rejected": totals["files_rejected"],
            "by_unit_year": dg.MetadataValue.md(
                markdown_table(
                    lines,
                    ("unit", "year", "files", "valid", "warned", "quarantined", "ignored", "rejected_files"),
                    limit=200,
                )
            ),
        },
        check_results=[_check_result(o) for o in outcomes],
    )
