"""``kc-pipeline``: the command staff and data engineers type.

Each sub-command is a thin shell over the plain packages (ingest, samples, bench) or, for
``run``, over the same Dagster assets the UI materializes.
"""

from __future__ import annotations

import argparse
import atexit
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kc_pipeline import collector, paths

SEVERITIES = ("ERROR", "WARN", "INFO")
MAX_FILE_FINDINGS = 20  # file-level findings shown under a file in run's text output

EXAMPLES = """\
examples:
  kc-pipeline samples data/incoming                 write sample district spreadsheets
  kc-pipeline inspect data/incoming/2021/dai-tu/ds.xlsx
                                                     show what the reader makes of one file
  kc-pipeline validate data/incoming/2021           check files without loading anything
  kc-pipeline run                                    read every file in data/incoming
  kc-pipeline summary --year 2021                    yearly totals by funding source and activity
  kc-pipeline report --from 2021 --to 2025           the staff report (xlsx + narrative)
  kc-pipeline bench                                  measure the reader's speed

Files go in data/incoming/<year>/<unit>/, e.g. data/incoming/2021/dai-tu/danh_muc_2021.xlsx.
Unit folder names: see data/reference/org_units.csv (column "slug").
The warehouse is SQLite at data/warehouse/kc.sqlite unless --warehouse or KC_WAREHOUSE_URL says otherwise.
"""


def _print_json(document: Any) -> None:
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def cmd_samples(args: argparse.Namespace) -> int:
    from kc_pipeline.samples import generate_corpus
    from kc_pipeline.samples.generator import parse_years

    files = generate_corpus(Path(args.out_dir), parse_years(args.years), seed=args.seed)
    projects = sum(len(f.expected) for f in files)
    print(f"wrote {len(files)} workbooks with {projects} projects under {args.out_dir}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from kc_pipeline.ingest.batch import read_files

    # Read in a sandboxed worker like every run does: an untrusted file must not crash the CLI either.
    doc = read_files([Path(args.file)])[0]
    if args.json:
        keys = (
            "path",
            "file_id",
            "status",
            "error",
            "unit_code",
            "year",
            "rows_read",
            "sheets",
            "rows",
            "ignored",
            "issues",
            "totals",
        )
        _print_json({k: doc[k] for k in keys})
        return 0 if doc["status"] == "read" else 1
    print(f"file      {doc['path']}")
    print(f"sha256    {doc['file_id']}")
    print(f"status    {doc['status']}" + (f"  ({doc['error']})" if doc["error"] else ""))
    print(f"unit      {doc['unit_code'] or '?'}    year {doc['year'] or '?'}")
    for sheet in doc["sheets"]:
        print(
            f"sheet     '{sheet['name']}': header rows {sheet['header_rows']}, money in "
            f"{_scale_name(sheet['money_scale'])} ({sheet['money_scale_source']})"
            + (f", legacy font text: {sheet['legacy_encoding']}" if sheet["legacy_encoding"] else "")
        )
        print("          columns " + ", ".join(f"{k}={v}" for k, v in sheet["columns"].items()))
        if sheet["unknown_columns"]:
            print("          unknown " + ", ".join(f"{k}='{v}'" for k, v in sheet["unknown_columns"].items()))
    counts = {severity: sum(1 for i in doc["issues"] if i["severity"] == severity) for severity in SEVERITIES}
    print(
        f"rows      read {doc['rows_read']}, projects {len(doc['rows'])}, ignored {len(doc['ignored'])}; "
        f"issues: {counts['ERROR']} errors, {counts['WARN']} warnings, {counts['INFO']} notes"
    )
    for row in doc["rows"]:
        amount = row["support_vnd"]
        print(
            f"  {row['source_sheet']}!{row['source_row']:<5} {row['funding_source'] or '?':5} "
            f"{row['activity_code'] or '?':20} {amount if amount is not None else '?':>14} "
            f" {(row['title'] or '')[:70]}"
        )
    for issue in doc["issues"]:
        where = f"{issue.get('source_sheet', '')}!{issue['source_row']}" if issue.get("source_row") else ""
        print(f"  {issue['severity']:5} {issue['code']:24} {where:12} {issue['message']}")
    return 0 if doc["status"] == "read" else 1


def default_warehouse_url() -> str:
    from kc_pipeline.warehouse.engine import default_url

    return default_url()


def _scale_name(scales: dict[str, int]) -> str:
    names = {1: "đồng", 1000: "nghìn đồng", 1_000_000: "triệu đồng"}
    found = sorted({names.get(v, str(v)) for v in scales.values()})
    return "/".join(found) or "no money columns"


def _plan(incoming: Path, url: str, full: bool) -> Any:
    """The run's plan (``ingest.plan.RunPlan``) without importing Dagster or GX; None when the
    warehouse cannot be read now (the run itself then retries and reports why)."""
    from sqlalchemy.exc import SQLAlchemyError

    from kc_pipeline.ingest.plan import plan_run
    from kc_pipeline.reference import load_reference
    from kc_pipeline.warehouse.engine import display_url, make_engine, upgrade

    reference = load_reference(paths.reference_dir())
    engine = make_engine(url)
    try:
        upgrade(engine)
        return plan_run(incoming, paths.staging_dir(), reference, engine, display_url(url), full)
    except (SQLAlchemyError, OSError):
        return None
    finally:
        engine.dispose()


def _spare_core() -> bool:
    """Whether this process may run on more than one core (then GX's import costs the plan nothing)."""
    from kc_pipeline.processes import usable_cores

    return usable_cores() > 1


def cmd_run(args: argparse.Namespace) -> int:
    """The run, with automatic collection paused throughout (:mod:`kc_pipeline.collector`): the
    runner collects what each chunk left in cycles itself, and the collections the imports of
    Dagster, GX and pandas would trigger (about 0.3 s of a cold run) find next to nothing."""
    with collector.paused():
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from kc_pipeline.ingest.dropfolder import DropFolderUnavailable
    from kc_pipeline.validate import gx_service
    from kc_pipeline.warehouse.engine import usable_url

    incoming = Path(args.incoming).resolve()
    url = args.warehouse or default_warehouse_url()
    usable_url(url)  # a URL naming no usable database stops here, before anything starts
    # GX loads in its own process while this one plans, imports Dagster and reads: on a nightly run
    # its import is the longest wait before validation, so it starts before the plan, on a core of
    # its own, and is stopped if the plan finds nothing to do.
    if _spare_core():
        gx_service.start()
    try:
        plan = _plan(incoming, url, args.full)
    except DropFolderUnavailable as exc:
        gx_service.stop()
        print(f"kc-pipeline run: error: {exc}", file=sys.stderr)
        return 2
    if plan is not None and plan.idle:  # nothing changed: no Dagster, no GX, nothing read or written
        gx_service.stop()
        plan.fingerprints.save(plan.files)
        return _print_run(
            args, url, True, None, [], plan.unchanged, [], [], _not_taken(incoming, plan.not_taken)
        )
    if plan is None or plan.dirty:
        gx_service.start()  # unless it runs already
    else:
        gx_service.stop()  # only the out_* tables and the report to make: nothing to validate

    from kc_pipeline.defs.resources import DropFolder
    from kc_pipeline.defs.runner import run_pipeline
    from kc_pipeline.defs.warehouse import Warehouse

    drop = DropFolder(
        incoming_dir=str(incoming),
        staging_dir=str(paths.staging_dir()),
        reference_dir=str(paths.reference_dir()),
    )
    report = run_pipeline(drop, Warehouse(url=url), full=args.full, plan=plan, release=True)
    verdicts = {v["path"]: v for v in report.verdicts}
    lines = [_validated_line(line, verdicts.get(line["path"], {})) for line in report.files]
    return _print_run(
        args,
        url,
        report.success,
        report.error,
        report.runs,
        report.unchanged,
        lines,
        report.loads,
        _not_taken(incoming, report.not_taken),
    )


def _validated_line(line: dict[str, Any], verdict: dict[str, Any]) -> dict[str, Any]:
    """A file's run line (what the reader made of it, ``ingest.summary.file_line``) with what
    validation found: the row counts, the file-level findings (reconciliation with the file's own
    totals, the reader's warnings about the whole file, such as a title naming another unit) and
    ``warnings``, every WARN finding of the file, row- and file-level, as ``validate`` lists them.
    A rejected file has no rows to validate: its warnings stay the reader's."""
    out = dict(line)
    out.update(
        {k: verdict.get(k, 0) for k in ("rows_valid", "rows_warned", "rows_quarantined", "rows_ignored")}
    )
    out["file_findings"] = verdict.get("file_findings", [])
    if line["status"] == "read" and verdict:
        out["warnings"] = sum(1 for c in verdict.get("conflicts", []) if c["severity"] == "WARN")
    return out


def _not_taken(incoming: Path, items: Sequence[Any]) -> list[dict[str, Any]]:
    """The workbooks of the drop folder no run takes (``ingest.dropfolder.NotTaken``), for the output."""
    return [
        {
            "path": str(incoming / item.relative),
            "relative_path": item.relative,
            "code": item.code,
            "reason": item.reason,
        }
        for item in items
    ]


def _finding_text(
    severity: str, sheet: str | None, row: int | None, column: str | None, value: Any, check: str, reason: str
) -> str:
    """One finding under its file's line, as ``validate`` and ``run`` print it."""
    where = f"{sheet}!{row}" if row else (sheet or "file")
    shown = f" [{column}={value!r}]" if column else ""
    return f"         {severity:5} {where:16} {check}{shown}: {reason}"


def _print_run(
    args: argparse.Namespace,
    url: str,
    success: bool,
    error: str | None,
    runs: list[str],
    unchanged: int,
    lines: list[dict[str, Any]],
    loads: list[dict[str, Any]],
    not_taken: list[dict[str, Any]],
) -> int:
    """What ``kc-pipeline run`` prints: one line per file with its file-level findings, every
    workbook of the drop folder not taken and why, and the totals; or the same as JSON."""
    from kc_pipeline.warehouse.engine import display_url

    if args.json:
        _print_json(
            {
                "success": success,
                "error": error,
                "warehouse": display_url(url),
                "runs": runs,
                "unchanged_unit_years": unchanged,
                "files": lines,
                "not_taken": not_taken,
                "loads": loads,
            }
        )
    else:
        for line in lines:
            print(
                f"{line['status']:8} read {line['rows_read']:5}  valid {line['rows_valid']:5}  "
                f"warned {line['rows_warned']:4}  quarantined {line['rows_quarantined']:4}  "
                f"ignored {line['rows_ignored']:4}  {line['path']}"
                + (f"  ({line['error']})" if line["error"] else "")
            )
            findings = line.get("file_findings", [])
            for f in findings[:MAX_FILE_FINDINGS]:
                print(
                    _finding_text(
                        f["severity"],
                        f["source_sheet"],
                        f["source_row"],
                        f["column"],
                        f["value"],
                        f["check"],
                        f["message"],
                    )
                )
            if len(findings) > MAX_FILE_FINDINGS:
                print(f"         ... {len(findings) - MAX_FILE_FINDINGS} more (use --json for all)")
        for item in not_taken:
            print(f"not taken {item['path']}: {item['reason']}")
        total = {k: sum(line[k] for line in lines) for k in ("rows_valid", "rows_warned", "rows_quarantined")}
        rejected = sum(1 for line in lines if line["status"] == "rejected")
        file_warnings = sum(
            1 for line in lines for f in line.get("file_findings", []) if f["severity"] == "WARN"
        )
        print(
            f"{len(lines)} files ({rejected} rejected), {len(not_taken)} not taken: "
            f"{total['rows_valid']} valid, {total['rows_warned']} warned, "
            f"{total['rows_quarantined']} quarantined rows, {file_warnings} file-level warnings, "
            f"in {len(runs)} Dagster run(s): " + ("success" if success else "FAILED")
        )
        if unchanged:
            print(
                f"{unchanged} unit-year(s) unchanged since the last run: not read again "
                "(--full reads them all)"
            )
        keys = ("inserted", "updated", "unchanged", "closed", "quarantined", "conflicts")
        moved = {k: sum(int(load.get(k, 0)) for load in loads) for k in keys}
        print(f"warehouse {display_url(url)}: " + ", ".join(f"{v} {k}" for k, v in moved.items()))
        if error:
            print(f"error: {error}", file=sys.stderr)
    return 0 if success else 1


def _collect(paths: Sequence[str]) -> list[Path]:
    from kc_pipeline.ingest.dropfolder import is_submission_name

    found: list[Path] = []
    for text in paths:
        path = Path(text)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and is_submission_name(p.name))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(text)
    return found


def cmd_validate(args: argparse.Namespace) -> int:
    from kc_pipeline.ingest.batch import read_files
    from kc_pipeline.validate.validator import validate_documents

    try:
        files = _collect(args.paths)
    except FileNotFoundError as exc:
        print(f"kc-pipeline validate: no such file or folder: {exc}", file=sys.stderr)
        return 2
    documents = read_files(files, store=None)
    verdict = validate_documents(documents)
    if args.json:
        _print_json(verdict.to_dict())
    else:
        for f in verdict.files:
            print(
                f"{f.status:8} read {f.rows_read:5}  valid {f.rows_valid:5}  warned {f.rows_warned:4}  "
                f"quarantined {f.rows_quarantined:4}  ignored {f.rows_ignored:4}  {f.path}"
            )
            if f.error:
                print(f"         rejected: {f.error}")
            for c in f.conflicts[: args.max_conflicts]:
                print(
                    _finding_text(
                        c["severity"], c["sheet"], c["row"], c["column"], c["value"], c["check"], c["reason"]
                    )
                )
            if len(f.conflicts) > args.max_conflicts:
                print(f"         ... {len(f.conflicts) - args.max_conflicts} more (use --json for all)")
        t = verdict.totals()
        print(
            f"{t['files']} files ({t['files_rejected']} rejected): read {t['rows_read']}, "
            f"valid {t['rows_valid']}, "
            f"warned {t['rows_warned']}, quarantined {t['rows_quarantined']}, ignored {t['rows_ignored']}. "
            "Nothing was written."
        )
    quarantined = any(f.rows_quarantined or f.status == "rejected" for f in verdict.files)
    return 1 if quarantined else 0


def cmd_summary(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from kc_pipeline.reference import load_reference
    from kc_pipeline.warehouse.engine import make_engine, upgrade
    from kc_pipeline.warehouse.schema import out_yearly_summary, out_yearly_trend

    engine = make_engine(args.warehouse or default_warehouse_url())
    upgrade(engine)
    with engine.connect() as conn:
        query = select(out_yearly_summary)
        if args.year:
            query = query.where(out_yearly_summary.c.year == args.year)
        rows = [dict(r) for r in conn.execute(query).mappings()]
        trend = [dict(r) for r in conn.execute(select(out_yearly_trend)).mappings()]
    engine.dispose()
    totals: dict[tuple[int, str, str], dict[str, int]] = {}
    for r in rows:
        key = (r["year"], r["funding_source"], r["activity_code"])
        bucket = totals.setdefault(
            key, {"projects": 0, "support_vnd": 0, "counterpart_vnd": 0, "trainees": 0}
        )
        for k in bucket:
            bucket[k] += r[k]
    lines = [
        {"year": y, "funding_source": f, "activity_code": a, **v} for (y, f, a), v in sorted(totals.items())
    ]
    if args.json:
        _print_json({"rows": lines, "trend": [t for t in trend if not args.year or t["year"] == args.year]})
        return 0
    if not lines:
        print("No aggregates yet: run `kc-pipeline run` first (or choose another --year).")
        return 0
    names = {a.activity_code: a.name_vi for a in load_reference().activities.values()}
    for year in sorted({line["year"] for line in lines}):
        print(f"Năm {year}")
        for source in ("KCDP", "KCQG"):
            part = [x for x in lines if x["year"] == year and x["funding_source"] == source]
            if not part:
                continue
            label = "Khuyến công địa phương" if source == "KCDP" else "Khuyến công quốc gia"
            print(
                f"  {label} ({source}): {sum(x['projects'] for x in part)} đề án, "
                f"{sum(x['support_vnd'] for x in part) / 1e6:,.1f} triệu đồng hỗ trợ"
            )
            for x in part:
                trainees = f", {x['trainees']} lao động" if x["trainees"] else ""
                print(
                    f"    {names.get(x['activity_code'], x['activity_code'])[:60]:60} "
                    f"{x['projects']:4} đề án "
                    f"{x['support_vnd'] / 1e6:12,.1f} tr.đ{trainees}"
                )
        change = next((t for t in trend if t["year"] == year and t["funding_source"] == "ALL"), None)
        if change and change["previous_projects"] is not None:
            word = "cao hơn" if change["higher_than_previous"] else "không cao hơn"
            print(
                f"  So với năm {year - 1}: {change['projects_change']:+} đề án, "
                f"{change['support_change_vnd'] / 1e6:+,.1f} triệu đồng ({word} năm trước)"
            )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from kc_pipeline.reference import load_reference
    from kc_pipeline.report.data import load_report_data, loaded_years
    from kc_pipeline.report.writer import write_report
    from kc_pipeline.warehouse.engine import make_engine, upgrade

    reference = load_reference()
    unit = None
    if args.unit:
        unit = args.unit if args.unit in reference.units else None
        unit = unit or getattr(reference.units_by_slug.get(args.unit), "unit_code", None)
        unit = unit or reference.unit_names.exact(args.unit)
        if unit is None:
            print(
                f"kc-pipeline report: unknown unit {args.unit!r} (use a code or folder name from "
                "data/reference/org_units.csv)",
                file=sys.stderr,
            )
            return 2
    engine = make_engine(args.warehouse or default_warehouse_url())
    upgrade(engine)
    years = loaded_years(engine)
    if years is None:
        print("No aggregates yet: run `kc-pipeline run` first.", file=sys.stderr)
        engine.dispose()
        return 1
    first, last = args.year_from or years[0], args.year_to or years[1]
    if first > last:
        print(f"kc-pipeline report: --from {first} is after --to {last}", file=sys.stderr)
        return 2
    data = load_report_data(engine, reference, first, last, unit)
    engine.dispose()
    files = write_report(data, Path(args.out or paths.reports_dir()))
    print(f"wrote {files.workbook}")
    print(f"wrote {files.narrative}")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from kc_pipeline.bench import main as bench_main

    return bench_main(quick=args.quick, out_dir=Path(args.work_dir))


WAREHOUSE_HELP = (
    "database URL, e.g. postgresql://user@host/db (default: $KC_WAREHOUSE_URL, else SQLite at "
    "data/warehouse/kc.sqlite)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kc-pipeline",
        description="Khuyến công data pipeline: read district spreadsheets of đề án khuyến công, check them, "
        "and build the warehouse and reports.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "samples",
        help="write a sample drop folder of district spreadsheets",
        description="Write realistic sample spreadsheets OUT_DIR/<year>/<unit>/*.xlsx "
        "(the same every time for the same --seed).",
    )
    p.add_argument("out_dir", metavar="OUT_DIR", help="folder to write into, e.g. data/incoming")
    p.add_argument("--years", default="2014-2025", help="a year or a range, e.g. 2021 or 2014-2025 (default)")
    p.add_argument("--seed", type=int, default=2021, help="change it for a different but repeatable corpus")
    p.set_defaults(func=cmd_samples)

    p = sub.add_parser(
        "inspect",
        help="show what the reader makes of one spreadsheet",
        description="Read one spreadsheet and print its unit, year, header, column mapping, rows, "
        "ignored rows and issues. Nothing is written.",
    )
    p.add_argument("file", metavar="FILE", help="an .xlsx file")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser(
        "run",
        help="run the pipeline on the drop folder (through Dagster)",
        description="Materialize the pipeline's assets for every unit and year that has files, "
        "exactly as the Dagster UI would, and print a summary per file.",
    )
    p.add_argument(
        "--incoming", default=str(paths.incoming_dir()), help="drop folder (default: data/incoming)"
    )
    p.add_argument("--warehouse", metavar="URL", default=None, help=WAREHOUSE_HELP)
    p.add_argument("--full", action="store_true", help="read and load every file, even those already loaded")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "validate",
        help="check files without loading them (dry run)",
        description="Read and validate files or folders and print, per file, rows read, valid, warned, "
        "quarantined and ignored, with every conflict (sheet, row, column, value, reason). "
        "Nothing is written. Exit 0: nothing quarantined; 1: something quarantined or rejected; "
        "2: usage error.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (searched recursively)")
    p.add_argument("--json", action="store_true", help="print JSON (keys: files, totals)")
    p.add_argument("--max-conflicts", type=int, default=20, help="conflicts shown per file in text mode")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "summary",
        help="print the yearly totals by funding source and activity",
        description="Print the yearly totals (projects, support, trainees) by funding source and activity "
        "from the warehouse, and the change against the previous year.",
    )
    p.add_argument("--year", type=int, help="only this year")
    p.add_argument("--warehouse", metavar="URL", default=None, help=WAREHOUSE_HELP)
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser(
        "report",
        help="write the staff report (Excel workbook and narrative)",
        description="Write bao_cao_khuyen_cong_<period>.xlsx and .md for a period (default: every year "
        "loaded) and optionally one unit, from the warehouse.",
    )
    p.add_argument(
        "--from", dest="year_from", type=int, metavar="Y1", help="first year (default: first loaded)"
    )
    p.add_argument("--to", dest="year_to", type=int, metavar="Y2", help="last year (default: last loaded)")
    p.add_argument("--unit", metavar="CODE", help="one unit: GSO code (171), folder name (dai-tu) or name")
    p.add_argument("--out", metavar="DIR", help="folder to write into (default: data/reports)")
    p.add_argument("--warehouse", metavar="URL", default=None, help=WAREHOUSE_HELP)
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "bench",
        help="measure the pipeline's speed against simple baselines",
        description="Generate a benchmark corpus and time each stage beside a baseline run "
        "in the same process; prints ratios.",
    )
    p.add_argument("--quick", action="store_true", help="a small corpus (about two minutes)")
    p.add_argument(
        "--work-dir", default=".bench", help="where the benchmark corpus is written (default: .bench)"
    )
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from kc_pipeline.reference import ReferenceDataError
    from kc_pipeline.warehouse.engine import WarehouseUrlError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ReferenceDataError as exc:
        print(f"kc-pipeline: reference data is broken, fix it and run again:\n  {exc}", file=sys.stderr)
        return 2
    except WarehouseUrlError as exc:
        print(f"kc-pipeline: {exc} (--warehouse or KC_WAREHOUSE_URL)", file=sys.stderr)
        return 2


def entry() -> None:
    """The console script: :func:`main`, then a fast exit.

    Tearing down the interpreter after a run (freeing every object of GX, pandas and Dagster one
    by one) costs most of a second, for memory the operating system frees at once. So once the
    command is done and its output flushed, the exit handlers run (worker pools, temporary
    folders, logging) and the process ends without that teardown.
    """
    collector.freeze_survivors()  # one command, then the process ends
    code = main()
    atexit._run_exitfuncs()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
