"""raw_district_workbooks: every workbook of a unit-year read into canonical rows (staged)."""

from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from kc_pipeline.defs import handoff
from kc_pipeline.defs.partitions import partition_key, unit_year, unit_year_partitions
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.ingest import dropfolder
from kc_pipeline.ingest.batch import read_files
from kc_pipeline.ingest.staging import read_json, reader_version, write_json_atomic
from kc_pipeline.ingest.summary import PREVIEW_COLUMNS, file_line, issues_markdown, markdown_table

RAW_WORKBOOKS = "raw_district_workbooks"


def partition_manifest_path(drop: DropFolder, slug: str, year: int) -> Path:
    return drop.staging.root / "partitions" / str(year) / f"{slug}.json"


def staged_documents(drop: DropFolder, slug: str, year: int) -> list[dict[str, Any]]:
    """The unit-year's reader documents as its manifest lists them, loaded from staging.

    A document that is not staged (a file without a content id, or staging cleared since) stands
    as a rejected file without rows, so no row is ever taken for validated that was not read.
    """
    manifest = partition_manifest_path(drop, slug, year)
    if not manifest.is_file():
        return []
    docs = []
    for entry in read_json(manifest)["files"]:
        doc = drop.staging.load(entry["file_id"]) if entry["file_id"] else None
        if doc is None:
            doc = {
                "path": entry["path"],
                "file_id": entry["file_id"],
                "status": "rejected",
                "rows": [],
                "ignored": [],
                "issues": [],
                "rows_read": 0,
                "error": "staged result missing",
            }
        doc["path"] = entry["path"]
        docs.append(doc)
    return docs


def preview_table(rows: list[dict[str, Any]], limit: int = 10) -> dg.TableMetadataValue:
    """The first rows as a table, in the UI's own table view."""
    records = [
        dg.TableRecord({c: (row.get(c) if row.get(c) is not None else "") for c in PREVIEW_COLUMNS})
        for row in rows[:limit]
    ]
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(c, "int" if c.endswith(("_vnd", "_row")) or c == "trainees" else "string")
            for c in PREVIEW_COLUMNS
        ]
    )
    return dg.MetadataValue.table(records, schema=schema)


@dg.asset(
    name=RAW_WORKBOOKS,
    group_name="raw",
    kinds={"excel", "python"},
    owners=["team:data-engineering"],
    partitions_def=unit_year_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version=reader_version(),
    description=(
        "Each district workbook in `<incoming>/<year>/<unit>/` read into canonical project rows: file type "
        "sniffed and zip guarded, header found and mapped through `data/reference/columns.csv`, sections "
        "followed, subtotals kept, amounts scaled to đồng, legacy fonts converted. Results are staged by "
        "content hash, so an unchanged file is never read twice."
    ),
)
def raw_district_workbooks(context: AssetExecutionContext, drop_folder: DropFolder) -> dg.MaterializeResult:
    reference = drop_folder.reference()
    wanted = [unit_year(k) for k in context.partition_keys]
    slugs, years = {s for s, _ in wanted}, {y for _, y in wanted}
    wanted_set = set(wanted)
    # Reading a unit-year from a folder that is gone would close its projects: refuse instead.
    dropfolder.check_available(drop_folder.incoming, holds_files=True)
    files = [
        f
        for f in dropfolder.scan(drop_folder.incoming, reference, years, slugs)
        if (f.unit_slug, f.year) in wanted_set
    ]
    docs = read_files([f.path for f in files], drop_folder.staging, reference_dir=reference.directory)
    by_partition: dict[tuple[str, int], list[dict[str, Any]]] = {key: [] for key in wanted}
    for f, doc in zip(files, docs, strict=True):
        doc["relative_path"] = f.relative
        by_partition[(f.unit_slug, f.year)].append(doc)
    lines = [file_line(d) for d in docs]
    hand_over = handoff.in_this_run(context, "core_validated_rows")
    line_by_path = {line["path"]: line for line in lines}
    for (slug, year), partition_docs in by_partition.items():
        write_json_atomic(
            partition_manifest_path(drop_folder, slug, year),
            {
                "unit": slug,
                "year": year,
                "files": [
                    {
                        "path": d["path"],
                        "relative_path": d["relative_path"],
                        "file_id": d["file_id"],
                        "status": d["status"],
                        "line": line_by_path[d["path"]],
                    }
                    for d in partition_docs
                ],
            },
        )
        if hand_over:
            handoff.put(context.run.run_id, RAW_WORKBOOKS, str(partition_key(slug, year)), partition_docs)
    rows = [row for d in docs for row in d.get("rows", [])]
    errors = sum(line["errors"] for line in lines)
    context.log.info(f"read {len(docs)} files, {len(rows)} project rows, {errors} errors")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(rows),
            "files": len(docs),
            "files_rejected": sum(1 for d in docs if d["status"] == "rejected"),
            "rows_ignored": sum(line["ignored"] for line in lines),
            "issues_error": errors,
            "issues_warn": sum(line["warnings"] for line in lines),
            "reader_version": reader_version(),
            "file_summary": dg.MetadataValue.md(
                markdown_table(
                    lines,
                    (
                        "path",
                        "status",
                        "unit_code",
                        "year",
                        "rows_read",
                        "projects",
                        "ignored",
                        "errors",
                        "warnings",
                    ),
                    limit=50,
                )
            ),
            "preview": preview_table(rows),
            "issues": dg.MetadataValue.md(issues_markdown(docs)),
        }
    )
