"""``make bench``: stage timings as ratios against baselines run in the same process on the same files.

Machines are noisy, so every figure is the median of several runs and is reported beside a
baseline measured in the same process: the reader against ``pandas.read_excel`` with openpyxl,
and against a floor probe that only inflates the sheet XML and parses it with expat.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.parsers import expat

REPEATS = 3


def _median_seconds(work: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def floor_probe(paths: list[Path]) -> None:
    """Inflate every worksheet and shared-strings part and run expat over it, keeping nothing."""
    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                    parser = expat.ParserCreate()
                    parser.Parse(archive.read(name), True)


def pandas_openpyxl(paths: list[Path]) -> None:
    import pandas as pd

    for path in paths:
        pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")


def kc_reader(paths: list[Path]) -> int:
    from kc_pipeline.ingest.reader import read_workbook
    from kc_pipeline.reference import load_reference

    reference = load_reference()
    return sum(read_workbook(p, reference).rows_read for p in paths)


def kc_reader_parallel(paths: list[Path]) -> None:
    from kc_pipeline.ingest import batch

    saved = batch.PARALLEL_FROM_BYTES
    batch.PARALLEL_FROM_BYTES = 0  # always use the pool here, to show what it costs and gives
    try:
        batch.read_files(paths, store=None)
    finally:
        batch.PARALLEL_FROM_BYTES = saved


def corpus(work_dir: Path, years: range) -> list[Path]:
    import hashlib

    import kc_pipeline.samples as samples
    from kc_pipeline.samples import generate_corpus

    source = b"".join(p.read_bytes() for p in sorted(Path(samples.__file__).parent.glob("*.py")))
    version = hashlib.sha256(source).hexdigest()[:8]  # a changed generator writes a new corpus
    target = work_dir / f"samples-{years.start}-{years.stop - 1}-{version}"
    marker = target / ".complete"
    if not marker.exists():
        generate_corpus(target, years)
        marker.write_text("ok")
    return sorted(target.rglob("*.xlsx"))


def bench_reader(paths: list[Path]) -> dict[str, Any]:
    rows = kc_reader(paths)  # warm-up, and the row count every engine is credited with
    results = {
        "kc reader (1 process)": _median_seconds(lambda: kc_reader(paths)),
        "kc reader (worker pool)": _median_seconds(lambda: kc_reader_parallel(paths)),
        "pandas.read_excel, openpyxl": _median_seconds(lambda: pandas_openpyxl(paths)),
        "floor probe: inflate + expat": _median_seconds(lambda: floor_probe(paths)),
    }
    return {"files": len(paths), "rows": rows, "seconds": results}


def bench_validation(paths: list[Path]) -> dict[str, Any]:
    """GX suite once over the whole batch, against one GX run per file, on the same frame."""
    from kc_pipeline.ingest.reader import read_workbook
    from kc_pipeline.reference import load_reference
    from kc_pipeline.validate import gx_suite
    from kc_pipeline.validate.frame import build_frame
    from kc_pipeline.validate.validator import validate_documents

    reference = load_reference()
    documents = [read_workbook(p, reference).to_dict() for p in paths]
    frame = build_frame(documents)
    specs = gx_suite.build_expectations(reference)
    gx_suite.run_suite(frame, specs)  # warm-up: GX import and context
    results = {
        "GX suite, one batch": _median_seconds(lambda: gx_suite.run_suite(frame, specs)),
        "GX suite, one run per file": _median_seconds(lambda: gx_suite.run_suite_per_file(frame, specs)),
        "whole validation (GX + rules + reconcile + outliers), one batch": _median_seconds(
            lambda: validate_documents(documents, reference)
        ),
    }
    return {"files": len(documents), "rows": len(frame), "seconds": results}


def render_validation(validation: dict[str, Any]) -> str:
    seconds = validation["seconds"]
    baseline = seconds["GX suite, one run per file"]
    lines = [
        f"Validation: {validation['files']} files, {validation['rows']:,} project rows (median of {REPEATS})",
        "",
        "| what | seconds | rows/s | speed vs one GX run per file |",
        "|---|---:|---:|---:|",
    ]
    for name, value in seconds.items():
        lines.append(
            f"| {name} | {value:.3f} | {validation['rows'] / value:,.0f} | {baseline / value:.1f}x |"
        )
    return "\n".join(lines)


def _load_batches(paths: list[Path], copies: int) -> list[tuple[str, int, list[dict], list[dict]]]:
    """The corpus's validated unit-years, repeated under other years to make a bigger load."""
    from collections import defaultdict

    from kc_pipeline.ingest.reader import read_workbook
    from kc_pipeline.reference import load_reference
    from kc_pipeline.validate.validator import validate_documents

    reference = load_reference()
    documents = [read_workbook(p, reference).to_dict() for p in paths]
    verdict = validate_documents(documents, reference)
    rows_by_path = verdict.rows_by_path()
    by_unit_year: dict[tuple[str, int], tuple[list[dict], list[dict]]] = defaultdict(lambda: ([], []))
    for f, doc in zip(verdict.files, documents, strict=True):
        files, rows = by_unit_year[(doc["unit_code"], doc["year"])]
        files.append(f.to_dict())
        rows.extend(rows_by_path.get(f.path, []))
    return [
        (unit, year + 100 * copy, files, rows)
        for copy in range(copies)
        for (unit, year), (files, rows) in by_unit_year.items()
    ]


def bench_load(paths: list[Path], copies: int, postgres_url: str | None) -> dict[str, Any]:
    """Loading with history into SQLite and PostgreSQL, beside pandas.to_sql of the same rows."""
    from datetime import UTC, datetime

    import pandas as pd

    from kc_pipeline.warehouse.engine import make_engine, upgrade
    from kc_pipeline.warehouse.loader import INSERT_COLUMNS, _project_row, load_unit_year

    batches = _load_batches(paths, copies)
    now = datetime.now(UTC)
    flat = [
        {c: r[c] for c in INSERT_COLUMNS}
        for unit, year, _, rows in batches
        for r in (_project_row(x, unit, year, now) for x in rows if x["status"] in ("valid", "warned"))
    ]
    frame = pd.DataFrame(flat)
    targets = {"SQLite": None}
    if postgres_url and _reachable(postgres_url):
        targets["PostgreSQL"] = postgres_url
    elif postgres_url:
        print(f"PostgreSQL at {postgres_url} is not reachable: its load figures are left out")
    results: dict[str, float] = {}
    for name, base in targets.items():
        for label, work in (
            ("kc loader (history, one transaction per unit-year)", "kc"),
            ("pandas.to_sql (plain append)", "pandas"),
        ):
            times = []
            for _ in range(REPEATS):
                with _fresh_database(name, base) as url:
                    engine = make_engine(url)
                    upgrade(engine)
                    start = time.perf_counter()
                    if work == "kc":
                        for unit, year, files, rows in batches:
                            load_unit_year(engine, unit, year, files, rows, now=now)
                    else:
                        frame.to_sql(
                            "baseline_projects", engine, if_exists="append", index=False, chunksize=10_000
                        )
                    times.append(time.perf_counter() - start)
                    engine.dispose()
            results[f"{name}: {label}"] = statistics.median(times)
    return {"rows": len(flat), "unit_years": len(batches), "seconds": results}


def _reachable(url: str) -> bool:
    from sqlalchemy import create_engine

    from kc_pipeline.warehouse.engine import normalize_url

    try:
        engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 5})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


class _fresh_database:
    """A throw-away database: a temporary SQLite file, or a new PostgreSQL database on the server."""

    def __init__(self, name: str, base: str | None) -> None:
        self.name, self.base = name, base

    def __enter__(self) -> str:
        import tempfile
        import uuid

        if self.base is None:
            self.dir = tempfile.TemporaryDirectory()
            return f"sqlite:///{self.dir.name}/bench.sqlite"
        from sqlalchemy import create_engine

        from kc_pipeline.warehouse.engine import normalize_url

        self.db = f"kc_bench_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(normalize_url(self.base), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.db}")
        from sqlalchemy.engine import make_url

        return make_url(normalize_url(self.base)).set(database=self.db).render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        if self.base is None:
            self.dir.cleanup()
            return
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        self.admin.dispose()


def render_load(load: dict[str, Any]) -> str:
    seconds = load["seconds"]
    lines = [
        f"Load: {load['rows']:,} project rows in {load['unit_years']} unit-years (median of {REPEATS})",
        "",
        "| database: loader | seconds | rows/s | speed vs pandas.to_sql on the same database |",
        "|---|---:|---:|---:|",
    ]
    for name, value in seconds.items():
        database = name.split(":", 1)[0]
        baseline = seconds[f"{database}: pandas.to_sql (plain append)"]
        lines.append(f"| {name} | {value:.3f} | {load['rows'] / value:,.0f} | {baseline / value:.2f}x |")
    return "\n".join(lines)


def render(reader: dict[str, Any]) -> str:
    seconds = reader["seconds"]
    baseline = seconds["pandas.read_excel, openpyxl"]
    lines = [
        f"Read stage: {reader['files']} files, {reader['rows']:,} sheet rows (median of {REPEATS})",
        "",
        "| engine | seconds | rows/s | speed vs pandas+openpyxl |",
        "|---|---:|---:|---:|",
    ]
    for name, value in seconds.items():
        lines.append(f"| {name} | {value:.3f} | {reader['rows'] / value:,.0f} | {baseline / value:.2f}x |")
    return "\n".join(lines)


def main(*, quick: bool = False, out_dir: Path = Path(".bench")) -> int:
    import importlib.metadata as md

    out_dir.mkdir(parents=True, exist_ok=True)
    years = range(2023, 2026) if quick else range(2014, 2026)
    paths = corpus(out_dir, years)
    reader = bench_reader(paths)
    print(render(reader))
    validation = bench_validation(paths)
    print()
    print(render_validation(validation))
    import os

    load = bench_load(paths, copies=2 if quick else 20, postgres_url=os.environ.get("KC_BENCH_POSTGRES_URL"))
    print()
    print(render_load(load))
    versions = {
        p: md.version(p) for p in ("python-calamine", "openpyxl", "pandas", "great-expectations", "dagster")
    }
    print(
        f"\nmachine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}; "
        + ", ".join(f"{k} {v}" for k, v in versions.items())
    )
    (out_dir / "results.json").write_text(
        json.dumps({"reader": reader, "validation": validation, "load": load, "versions": versions}, indent=2)
    )
    kc = reader["seconds"]["kc reader (1 process)"]
    ratio = reader["seconds"]["pandas.read_excel, openpyxl"] / kc
    print(f"\nreader speed-up over pandas+openpyxl (1 process): {ratio:.2f}x (goal: at least 3x)")
    return 0
