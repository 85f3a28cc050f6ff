"""``make bench``: the pipeline at national scale, stage by stage, each figure a ratio against a baseline.

Machines are noisy, so every figure is the median of several runs (:data:`REPEATS`) and is reported
beside a baseline measured in the same process, on the same files (issue 9):

* read stage: the pipeline's reader (``read_files``, sandbox pool) against ``pandas.read_excel``
  with openpyxl and against a floor probe that only inflates the sheet XML and runs expat over it;
* validation: the GX suite once over the whole batch against one GX run per file;
* loading: the loader with history into SQLite and PostgreSQL against ``pandas.to_sql``;
* whole runs, each a subprocess timed whole: the cold run through Dagster against a naive
  pipeline (:func:`naive_pipeline`), and the nightly runs (nothing changed, one file changed)
  against the program's start-up (``import kc_pipeline.definitions``), with the cold run's peak
  memory;

then a goals table with PASS/MISS. Results go to ``<work_dir>/results.json``; the corpora are
cached under the work dir (:mod:`kc_pipeline.samples.bench_corpus`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat

from kc_pipeline.samples import bench_corpus

REPEATS = 3
# Goals of issue 9.
COLD_SPEEDUP_GOAL = 10.0
FLOOR_RATIO_GOAL = 3.0
NOTHING_CHANGED_GOAL_S = 2.0
ONE_CHANGED_GOAL_S = 4.0
PEAK_MEMORY_GOAL = 10**9  # "under 1 GB": decimal, the stricter reading
# "No more when the corpus doubles", allowing for noise: at most this much slower (seconds, share).
DOUBLED_SLACK_S, DOUBLED_SLACK_SHARE = 0.25, 0.25
MEMORY_GROWTH_LIMIT = 1.25  # doubled corpus peak / national peak: grows with the largest file only
VALIDATION_SUBSET_FILES = 60  # one GX run per file is measured on this many files (see bench_validation)
PROCESSES = 2

POOL = "kc read stage: read_files, sandbox pool (2 workers)"
ONE_PROCESS = "kc reader, 1 process (read_workbook loop)"
PANDAS = "pandas.read_excel, openpyxl (1 process)"
FLOOR = "floor probe: inflate + expat (1 process)"
FLOOR_POOL = "floor probe: inflate + expat (2 processes)"


# ------------------------------------------------------------------------------------------ measuring


def timings(
    work: Callable[[], object], repeats: int = REPEATS, setup: Callable[[], object] | None = None
) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls of ``work``, each after an untimed ``setup``."""
    out = []
    for _ in range(repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return out


@dataclass
class Line:
    """One measured thing: its runs (seconds) and how many items (rows, files) each run handled."""

    name: str
    runs: list[float]
    count: int | None = None
    note: str = ""

    @property
    def seconds(self) -> float:
        return statistics.median(self.runs)

    def to_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "runs": self.runs, "count": self.count, "note": self.note}


def ratio_table(title: str, lines: Sequence[Line], baseline: str, unit: str, versus: str) -> str:
    """A markdown table: seconds, items per second, and speed against ``baseline`` (higher is faster).

    With counts, speed is throughput against the baseline's throughput (lines may cover different
    files); without, it is the baseline's seconds over the line's.
    """
    base = next(line for line in lines if line.name == baseline)
    out = [
        title,
        "",
        f"| what | seconds (median) | runs | {unit}/s | speed vs {versus} |",
        "|---|---:|---:|---:|---:|",
    ]
    for line in lines:
        if line.count and base.count:
            rate = f"{line.count / line.seconds:,.0f}"
            speed = (line.count / line.seconds) / (base.count / base.seconds)
        else:
            rate = ""
            speed = base.seconds / line.seconds
        name = f"{line.name} ({line.note})" if line.note else line.name
        out.append(f"| {name} | {line.seconds:.3f} | {len(line.runs)} | {rate} | {speed:.2f}x |")
    return "\n".join(out)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return "\n".join(out)


@dataclass
class Goal:
    goal: str
    target: str
    measured: str
    passed: bool | None  # None: not measured in this run

    @property
    def verdict(self) -> str:
        return "n/a" if self.passed is None else ("PASS" if self.passed else "MISS")


def goals_table(goals: Sequence[Goal]) -> str:
    return "Goals (issue 9)\n\n" + markdown_table(
        ("goal", "target", "measured", "verdict"), [(g.goal, g.target, g.measured, g.verdict) for g in goals]
    )


# ------------------------------------------------------------------------------------------ read stage


def floor_probe(paths: Sequence[Path]) -> int:
    """Inflate every worksheet and shared-strings part and run expat over it, keeping nothing.

    The least any reader of these files must do; returns the number of ``<row>`` elements seen.
    """
    rows = 0

    def start(name: str, _attrs: object) -> None:
        nonlocal rows
        if name == "row":
            rows += 1

    for path in paths:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if name.startswith("xl/worksheets/") or name == "xl/sharedStrings.xml":
                    parser = expat.ParserCreate()
                    parser.StartElementHandler = start
                    parser.Parse(archive.read(name), True)
    return rows


def pandas_openpyxl(paths: Sequence[Path]) -> None:
    import pandas as pd

    for path in paths:
        pd.read_excel(path, sheet_name=None, header=None, engine="openpyxl")


def kc_reader_one_process(paths: Sequence[Path]) -> float:
    """Seconds of a ``read_workbook`` loop over ``paths``, reference data loaded first, as in a worker."""
    from kc_pipeline.ingest.reader import read_workbook
    from kc_pipeline.reference import load_reference

    start = time.perf_counter()
    reference = load_reference()
    for path in paths:
        read_workbook(path, reference)
    return time.perf_counter() - start


def first_read_seconds(paths: Sequence[Path], repeats: int = REPEATS) -> list[float]:
    """:func:`kc_reader_one_process` in a new process each time, timed there.

    The reader remembers what it derived from each text (folded names, classifications), which a
    run's workers fill as they go. Read again in the same process, the same files would find every
    title already classified: a second reading that no run does.
    """
    out = []
    for _ in range(repeats):
        with _process_pool(1) as executor:
            out.append(executor.submit(kc_reader_one_process, list(paths)).result())
    return out


def fresh_read_workers() -> None:
    """Replace the sandbox pool's workers with new ones, started before any timing, whose memory of
    texts is empty, as a run's are (see :func:`first_read_seconds`)."""
    from kc_pipeline.ingest.sandbox import shared_pool

    pool = shared_pool()
    pool.close()
    pool.run([(os.getpid, ())] * pool.size, timeout_s=60)


def _process_pool(workers: int = PROCESSES) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: this process runs threads (the sandbox pool's), which fork must not copy.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("forkserver"))


def bench_read(paths: Sequence[Path], repeats: int = REPEATS) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Rows per second of each engine on ``paths``; every engine is credited with the sheet rows the
    reader saw. Returns the results and the reader documents (for the later stages)."""
    import pandas  # noqa: F401  (imported before timing: its import is not the read stage)

    from kc_pipeline.ingest.batch import read_files

    documents: list[dict[str, Any]] = []

    def pool() -> None:
        documents[:] = read_files(paths, store=None)  # no staging store: every file really read

    # Each repetition is a first reading, in workers (or a process) that have read nothing yet.
    lines = [Line(POOL, timings(pool, repeats, setup=fresh_read_workers))]
    rows = sum(d.get("rows_read", 0) for d in documents)
    lines.append(Line(ONE_PROCESS, first_read_seconds(paths, repeats)))
    lines.append(Line(PANDAS, timings(lambda: pandas_openpyxl(paths), repeats)))
    lines.append(Line(FLOOR, timings(lambda: floor_probe(paths), repeats)))
    chunks = [list(paths[i::PROCESSES]) for i in range(PROCESSES)]
    with _process_pool() as executor:
        list(executor.map(floor_probe, [paths[:1]] * PROCESSES))  # workers started before timing
        lines.append(Line(FLOOR_POOL, timings(lambda: list(executor.map(floor_probe, chunks)), repeats)))
    for line in lines:
        line.count = rows
    result = {
        "files": len(paths),
        "rows": rows,
        "projects": sum(len(d.get("rows", [])) for d in documents),
        "rejected": sum(1 for d in documents if d.get("status") != "read"),
        "lines": {line.name: line.to_dict() for line in lines},
    }
    return result, documents


def render_read(label: str, read: dict[str, Any]) -> str:
    title = (
        f"Read stage, {label}: {read['files']} files, {read['rows']:,} sheet rows, "
        f"{read['projects']:,} projects"
    )
    return ratio_table(title, _lines(read), PANDAS, "rows", "pandas+openpyxl")


def _lines(section: dict[str, Any]) -> list[Line]:
    return [Line(name, d["runs"], d.get("count"), d.get("note", "")) for name, d in section["lines"].items()]


def floor_ratio(read: dict[str, Any]) -> float:
    """How many times slower the pipeline's read stage is than the floor probe, same parallelism."""
    seconds = {name: statistics.median(d["runs"]) for name, d in read["lines"].items()}
    return seconds[POOL] / seconds[FLOOR_POOL]


# ----------------------------------------------------------------------------------------- validation


def bench_validation(
    documents: list[dict[str, Any]], repeats: int = REPEATS, subset_files: int = VALIDATION_SUBSET_FILES
) -> dict[str, Any]:
    """The GX suite once over a batch against one GX run per file, then the whole corpus in one batch.

    One GX run per file costs about 0.15 s of fixed cost per file, so over 600 files it would take
    minutes per repeat: the ratio is measured on the same fixed subset (every n-th file, about
    ``subset_files`` files, all layouts), and the whole corpus in one batch alone.
    """
    from kc_pipeline.reference import load_reference
    from kc_pipeline.validate import gx_suite
    from kc_pipeline.validate.frame import build_frame
    from kc_pipeline.validate.validator import validate_documents

    reference = load_reference()
    step = max(1, len(documents) // subset_files)
    subset = documents[::step]
    whole_frame, subset_frame = build_frame(documents), build_frame(subset)
    specs = gx_suite.build_expectations(reference)
    gx_suite.run_suite(subset_frame, specs)  # warm-up: GX import and context
    part = f"subset: {len(subset)} files"
    lines = [
        Line(
            "GX suite, one run per file",
            timings(lambda: gx_suite.run_suite_per_file(subset_frame, specs), repeats),
            len(subset_frame),
            part,
        ),
        Line(
            "GX suite, one batch",
            timings(lambda: gx_suite.run_suite(subset_frame, specs), repeats),
            len(subset_frame),
            part,
        ),
    ]
    if len(subset) < len(documents):
        whole = f"whole corpus: {len(documents)} files"
        lines.append(
            Line(
                "GX suite, one batch",
                timings(lambda: gx_suite.run_suite(whole_frame, specs), repeats),
                len(whole_frame),
                whole,
            )
        )
    else:
        whole = part.replace("subset", "whole corpus")
    lines.append(
        Line(
            "whole validation (GX + rules + reconcile + outliers), one batch",
            timings(lambda: validate_documents(documents, reference), repeats),
            len(whole_frame),
            whole,
        )
    )
    return {
        "files": len(documents),
        "rows": len(whole_frame),
        "subset_files": len(subset),
        "subset_rows": len(subset_frame),
        "lines": {f"{line.name} ({line.note})": {**line.to_dict(), "note": ""} for line in lines},
    }


def render_validation(validation: dict[str, Any]) -> str:
    title = (
        f"Validation: {validation['files']} files, {validation['rows']:,} project rows; one GX run per "
        f"file measured on {validation['subset_files']} of them ({validation['subset_rows']:,} rows)"
    )
    lines = _lines(validation)
    return ratio_table(title, lines, lines[0].name, "rows", "one GX run per file")


# -------------------------------------------------------------------------------------------- loading


def _load_batches(documents: list[dict[str, Any]]) -> list[tuple[str, int, list[dict], list[dict]]]:
    """The corpus's validated rows, grouped by unit-year as the pipeline loads them."""
    from collections import defaultdict

    from kc_pipeline.reference import load_reference
    from kc_pipeline.validate.validator import validate_documents

    verdict = validate_documents(documents, load_reference())
    rows_by_path = verdict.rows_by_path()
    by_unit_year: dict[tuple[str, int], tuple[list[dict], list[dict]]] = defaultdict(lambda: ([], []))
    for f, doc in zip(verdict.files, documents, strict=True):
        files, rows = by_unit_year[(doc["unit_code"], doc["year"])]
        files.append(f.to_dict())
        rows.extend(rows_by_path.get(f.path, []))
    return [(unit, year, files, rows) for (unit, year), (files, rows) in by_unit_year.items()]


def bench_load(
    documents: list[dict[str, Any]], postgres_url: str | None, repeats: int = REPEATS
) -> dict[str, Any]:
    """Loading with history into SQLite and PostgreSQL, beside pandas.to_sql of the same rows; each
    repeat starts from an empty, migrated database."""
    from datetime import UTC, datetime

    import pandas as pd

    from kc_pipeline.warehouse.engine import make_engine, upgrade
    from kc_pipeline.warehouse.loader import INSERT_COLUMNS, _project_row, load_unit_year

    batches = _load_batches(documents)
    now = datetime.now(UTC)
    flat = [
        {c: r[c] for c in INSERT_COLUMNS}
        for unit, year, _, rows in batches
        for r in (_project_row(x, unit, year, now) for x in rows if x["status"] in ("valid", "warned"))
    ]
    frame = pd.DataFrame(flat)
    targets: dict[str, str | None] = {"SQLite": None}
    skipped = None
    if postgres_url and _reachable(postgres_url):
        targets["PostgreSQL"] = postgres_url
    elif postgres_url:
        skipped = "PostgreSQL is not reachable: its load figures are left out"
        print(skipped)
    lines: list[Line] = []
    for name, base in targets.items():
        for label, work in (
            ("kc loader (history, one transaction per unit-year)", "kc"),
            (_TO_SQL, "pandas"),
        ):
            runs = []
            for _ in range(repeats):
                with _fresh_database(base) as url:
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
                    runs.append(time.perf_counter() - start)
                    engine.dispose()
            lines.append(Line(f"{name}: {label}", runs, len(flat)))
    return {
        "rows": len(flat),
        "unit_years": len(batches),
        "skipped": skipped,
        "lines": {line.name: line.to_dict() for line in lines},
    }


_TO_SQL = "pandas.to_sql (plain append)"


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

    def __init__(self, base: str | None) -> None:
        self.base = base

    def __enter__(self) -> str:
        import tempfile
        import uuid

        if self.base is None:
            self.dir = tempfile.TemporaryDirectory()
            return f"sqlite:///{self.dir.name}/bench.sqlite"
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        from kc_pipeline.warehouse.engine import normalize_url

        self.db = f"kc_bench_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(normalize_url(self.base), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {self.db}")
        return make_url(normalize_url(self.base)).set(database=self.db).render_as_string(hide_password=False)

    def __exit__(self, *exc: object) -> None:
        if self.base is None:
            self.dir.cleanup()
            return
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        self.admin.dispose()


def render_load(load: dict[str, Any]) -> str:
    lines = _lines(load)
    title = f"Load: {load['rows']:,} project rows in {load['unit_years']} unit-years, empty database each run"
    tables = []
    for database in dict.fromkeys(line.name.split(":", 1)[0] for line in lines):
        mine = [line for line in lines if line.name.startswith(f"{database}:")]
        tables.append(ratio_table("", mine, f"{database}: {_TO_SQL}", "rows", "pandas.to_sql").lstrip("\n"))
    return title + "\n\n" + "\n\n".join(tables) + (f"\n\n{load['skipped']}" if load.get("skipped") else "")


# ------------------------------------------------------------------------------ whole runs, as processes

# Runs a command, timing it and reporting the largest RSS among its (waited-for) descendants: a
# wrapper process of its own, so the bench's earlier children do not count.
_WRAPPER = """
import json, resource, subprocess, sys, time
report, out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(out, "wb") as stdout, open(err, "wb") as stderr:
    start = time.perf_counter()
    code = subprocess.call(cmd, stdout=stdout, stderr=stderr)
    seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(report, "w") as f:
    json.dump({"seconds": seconds, "returncode": code, "maxrss_bytes": usage.ru_maxrss * 1024}, f)
"""


@dataclass
class ProcessRun:
    """One subprocess run: wall seconds (measured by the wrapper, so its own start-up is excluded),
    exit code, memory and what it printed."""

    seconds: float
    returncode: int
    maxrss_bytes: int  # getrusage(RUSAGE_CHILDREN): the largest single waited-for descendant
    peak_pss_bytes: int | None  # /proc sampling: peak of the summed PSS of the whole process tree
    stdout: str = field(repr=False)
    stderr: str = field(repr=False)

    def json(self) -> dict[str, Any]:
        try:
            return json.loads(self.stdout)
        except ValueError:
            return {}


class TreeMemory:
    """Samples the summed proportional set size (PSS) of a process's descendants from /proc.

    PSS splits pages shared between processes (the fork server and its workers share most of theirs)
    among them, so the sum is the memory the tree really holds. A thread, every ``interval`` s; a
    peak shorter than that can be missed (``maxrss_bytes`` of :class:`ProcessRun` bounds one process).
    """

    def __init__(self, root_pid: int, interval: float = 0.2) -> None:
        self.root, self.interval, self.peak = root_pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_pss_bytes(self.root))
            self._stop.wait(self.interval)


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_pss_bytes(root: int, include_root: bool = False) -> int:
    """Summed PSS of ``root``'s descendants (and ``root`` itself with ``include_root``); 0 off Linux."""
    if not os.path.isdir("/proc"):
        return 0
    children = _children_map()
    pending, total = list(children.get(root, [])), 0
    if include_root:
        pending.append(root)
    while pending:
        pid = pending.pop()
        pending.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def run_process(
    cmd: Sequence[str], env: dict[str, str], scratch: Path, sample_memory: bool = False
) -> ProcessRun:
    """Run ``cmd`` to completion under the timing wrapper; optionally sample its memory."""
    scratch.mkdir(parents=True, exist_ok=True)
    report, out, err = scratch / "report.json", scratch / "stdout", scratch / "stderr"
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _WRAPPER, str(report), str(out), str(err), *cmd], env=env
    )
    if sample_memory:
        with TreeMemory(wrapper.pid) as memory:
            wrapper.wait()
        peak: int | None = memory.peak
    else:
        wrapper.wait()
        peak = None
    facts = json.loads(report.read_text())
    return ProcessRun(
        facts["seconds"],
        facts["returncode"],
        facts["maxrss_bytes"],
        peak,
        out.read_text(encoding="utf-8", errors="replace"),
        err.read_text(encoding="utf-8", errors="replace"),
    )


def kc_command() -> list[str]:
    """The ``kc-pipeline`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("kc-pipeline")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kc_pipeline.cli"]


def run_env(run_dir: Path) -> dict[str, str]:
    """The environment of a run: staging, reports and data under ``run_dir``; no DAGSTER_HOME (an
    ephemeral instance, as ``kc-pipeline run`` uses by default) and no ambient warehouse URL."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DAGSTER_HOME", "KC_WAREHOUSE_URL", "KC_INCOMING_DIR")
    }
    env.update(
        KC_DATA_DIR=str(run_dir / "data"),
        KC_STAGING_DIR=str(run_dir / "staging"),
        KC_REPORTS_DIR=str(run_dir / "reports"),
    )
    return env


def kc_run(drop: Path, run_dir: Path, label: str, sample_memory: bool = False) -> ProcessRun:
    """``kc-pipeline run --json`` on ``drop`` with the warehouse and staging of ``run_dir``."""
    url = f"sqlite:///{run_dir / 'warehouse.sqlite'}"
    cmd = [*kc_command(), "run", "--incoming", str(drop), "--warehouse", url, "--json"]
    result = run_process(cmd, run_env(run_dir), run_dir / "runs" / label, sample_memory)
    if result.returncode != 0:
        raise RuntimeError(f"kc-pipeline run ({label}) failed:\n{result.stderr[-3000:]}")
    return result


def moved(result: ProcessRun) -> dict[str, int]:
    """What a run did: workbooks it reported, Dagster runs, project rows it wrote."""
    report = result.json()
    loads = report.get("loads", [])
    written = sum(int(load.get(k, 0)) for load in loads for k in ("inserted", "updated", "closed"))
    return {
        "files": len(report.get("files", [])),
        "dagster_runs": len(report.get("runs", [])),
        "rows_written": written,
        "inserted": sum(int(load.get("inserted", 0)) for load in loads),
        "updated": sum(int(load.get("updated", 0)) for load in loads),
    }


def startup(work_dir: Path, label: str) -> float:
    """The program's own start-up: importing its definitions, in a fresh interpreter."""
    env = run_env(work_dir / "startup")
    cmd = [sys.executable, "-c", "import kc_pipeline.definitions"]
    return run_process(cmd, env, work_dir / "startup" / label).seconds


def paired(work_dir: Path, label: str, run: Callable[[int], ProcessRun], repeats: int) -> dict[str, Any]:
    """``repeats`` runs, each right after a start-up measurement; the figure is the median of the
    differences, so a load that drifts during the bench (a shared machine) cancels out."""
    bases, runs = [], []
    for i in range(repeats):
        print(f"  {label} {i + 1}/{repeats}", flush=True)
        bases.append(startup(work_dir, f"{label}-{i}"))
        runs.append(run(i))
    return _runs_dict(runs) | {
        "startup": bases,
        "beyond": [r.seconds - b for r, b in zip(runs, bases, strict=True)],
    }


def naive_pipeline(drop: Path, url: str) -> dict[str, int]:
    """The pipeline as one would first write it: every file through ``pandas.read_excel`` (openpyxl),
    one GX validation per file, ``DataFrame.to_sql``; run as its own process by :func:`bench_runs`.

    To produce the same rows, each sheet's cells go through the kc reader's own table logic
    (header detection, sections, amounts), so the difference measured is the I/O and the
    orchestration, not the interpretation. It does less than the pipeline: no history, no
    aggregates, no report, no rules, reconciliation or outliers, no sandbox, and openpyxl does not
    decode legacy (TCVN3, VNI) fonts, so those files find no header and are skipped.
    """
    import io

    import pandas as pd
    from sqlalchemy import create_engine

    from kc_pipeline.ingest import dropfolder
    from kc_pipeline.ingest.cells import SheetGrid
    from kc_pipeline.ingest.reader import _read_grids, file_id_of
    from kc_pipeline.reference import load_reference
    from kc_pipeline.validate import gx_suite
    from kc_pipeline.validate.frame import build_frame

    reference = load_reference()
    documents = []
    for item in dropfolder.scan(drop, reference):
        data = item.path.read_bytes()
        sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, header=None, engine="openpyxl")
        grids = [
            SheetGrid(str(name), "visible", sheet.astype(object).where(sheet.notna(), "").values.tolist())
            for name, sheet in sheets.items()
        ]
        documents.append(_read_grids(item.path, file_id_of(data), "xlsx", grids, reference).to_dict())
    frame = build_frame(documents)
    failures = gx_suite.run_suite_per_file(frame, gx_suite.build_expectations(reference))
    bad = {(f.file_id, f.source_sheet, f.source_row) for f in failures if f.severity == "ERROR"}
    keep = [
        (file_id, sheet, row) not in bad
        for file_id, sheet, row in zip(
            frame["file_id"], frame["source_sheet"], frame["source_row"], strict=True
        )
    ]
    columns = [c for c in frame.columns if c not in ("inferred", "converted", "raw")]
    engine = create_engine(url)
    frame.loc[keep, columns].to_sql(
        "naive_projects", engine, if_exists="append", index=False, chunksize=10_000
    )
    engine.dispose()
    return {"files": len(documents), "rows": len(frame), "loaded": sum(keep)}


def naive_run(drop: Path, run_dir: Path, label: str, sample_memory: bool = False) -> ProcessRun:
    url = f"sqlite:///{run_dir / 'naive.sqlite'}"
    cmd = [sys.executable, "-m", "kc_pipeline.bench", "naive", str(drop), url]
    result = run_process(cmd, run_env(run_dir), run_dir / "runs" / label, sample_memory)
    if result.returncode != 0:
        raise RuntimeError(f"the naive pipeline failed:\n{result.stderr[-3000:]}")
    return result


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def bench_runs(
    work_dir: Path,
    national: bench_corpus.Corpus,
    doubled: bench_corpus.Corpus,
    spec: bench_corpus.CorpusSpec,
    repeats: int = REPEATS,
    process_repeats: int = REPEATS,
) -> dict[str, Any]:
    """Whole runs as subprocesses, each against a baseline timed in this same bench run.

    The drop folders are hard links to the cached corpora (the one-file change replaces its file,
    so the cache is never written through). Each cold run starts from an empty warehouse, staging
    and report folder; the nightly runs continue from the last cold run's state.
    """
    root = _fresh(work_dir / "runs")
    drop = root / "national" / "incoming"
    bench_corpus.link_tree(national.root, drop, national.paths)
    expect = {"files": len(national.paths), "projects": national.projects}
    out: dict[str, Any] = {"corpus": expect}

    # Cold and naive runs alternate, so a machine whose speed drifts during the minutes they take
    # slows both alike, and the ratio of their medians stays a ratio of like with like.
    cold: list[ProcessRun] = []
    naive: list[ProcessRun] = []
    for i in range(process_repeats):
        print(f"  cold run {i + 1}/{process_repeats}", flush=True)
        run_dir = _fresh(root / "national" / f"cold-{i}")
        cold.append(kc_run(drop, run_dir, "cold", sample_memory=True))
        if moved(cold[-1])["files"] != expect["files"]:
            raise RuntimeError(f"cold run reported {moved(cold[-1])}, expected {expect['files']} files")
        if i:
            shutil.rmtree(root / "national" / f"cold-{i - 1}")  # only the last one's state is used
        print(f"  naive pipeline {i + 1}/{process_repeats}", flush=True)
        naive_dir = _fresh(root / "national" / f"naive-{i}")
        naive.append(naive_run(drop, naive_dir, "naive", sample_memory=True))
        shutil.rmtree(naive_dir)  # its database is never looked at again
    state = run_dir
    out["cold"] = _runs_dict(cold)
    out["naive"] = _runs_dict(naive, kc=False) | {"report": json.loads(naive[-1].stdout or "{}")}

    out["nothing_changed"] = paired(
        root, "nothing changed", lambda i: kc_run(drop, state, f"nothing-{i}"), repeats
    )
    target = national.paths[len(national.paths) // 2].relative_to(national.root).as_posix()

    def one_changed(i: int) -> ProcessRun:
        bench_corpus.change_one_project(drop, target, spec, bump=i + 1)  # a new change each time
        return kc_run(drop, state, f"changed-{i}")

    out["one_changed"] = paired(root, "one file changed", one_changed, repeats) | {"file": target}

    print("  doubled corpus: cold run, then nothing changed", flush=True)
    drop2 = root / "doubled" / "incoming"
    bench_corpus.link_tree(doubled.root, drop2, doubled.paths)
    state2 = _fresh(root / "doubled" / "state")
    doubled_cold = kc_run(drop2, state2, "cold", sample_memory=True)
    out["doubled"] = {
        "corpus": {"files": len(doubled.paths), "projects": doubled.projects},
        "cold": _runs_dict([doubled_cold]),
        "nothing_changed": paired(
            root, "nothing changed (doubled)", lambda i: kc_run(drop2, state2, f"nothing-{i}"), repeats
        ),
    }
    out["startup"] = {
        "runs": [b for key in ("nothing_changed", "one_changed") for b in out[key]["startup"]]
        + out["doubled"]["nothing_changed"]["startup"]
    }
    return out


def _runs_dict(runs: Sequence[ProcessRun], kc: bool = True) -> dict[str, Any]:
    return {
        "runs": [r.seconds for r in runs],
        "peak_pss_bytes": max((r.peak_pss_bytes or 0) for r in runs) or None,
        "maxrss_bytes": max(r.maxrss_bytes for r in runs),
        "did": [moved(r) for r in runs] if kc else [],
    }


def _median(section: dict[str, Any]) -> float:
    return statistics.median(section["runs"])


def beyond_startup(section: dict[str, Any], startup_s: float) -> float:
    """Seconds beyond start-up: the median of paired differences when the runs were paired with a
    start-up measurement, else the median run less ``startup_s``."""
    if section.get("beyond"):
        return statistics.median(section["beyond"])
    return _median(section) - startup_s


def render_runs(runs: dict[str, Any]) -> str:
    corpus, doubled = runs["corpus"], runs["doubled"]["corpus"]
    cold_lines = [
        Line(
            "naive: pandas+openpyxl, one GX run per file, to_sql", runs["naive"]["runs"], corpus["projects"]
        ),
        Line(
            "kc-pipeline run, cold (empty warehouse, staging, reports)",
            runs["cold"]["runs"],
            corpus["projects"],
        ),
    ]
    first = ratio_table(
        f"Cold run, whole process against whole process: {corpus['files']} files, "
        f"{corpus['projects']:,} projects",
        cold_lines,
        cold_lines[0].name,
        "projects",
        "naive pipeline",
    )
    base = statistics.median(runs["startup"]["runs"])
    rows = [
        (
            "start-up: python -c 'import kc_pipeline.definitions'",
            len(runs["startup"]["runs"]),
            base,
            0.0,
            "",
            "",
        )
    ]
    for label, section, corpus_label in (
        ("cold run", runs["cold"], "national"),
        ("nothing changed", runs["nothing_changed"], "national"),
        ("one file changed", runs["one_changed"], "national"),
        ("cold run", runs["doubled"]["cold"], "doubled"),
        ("nothing changed", runs["doubled"]["nothing_changed"], "doubled"),
    ):
        did = section["did"][-1]
        rows.append(
            (
                f"{label} ({corpus_label})",
                len(section["runs"]),
                _median(section),
                beyond_startup(section, base),
                did["files"],
                did["rows_written"],
            )
        )
    second = (
        f"Runs against the program's start-up: national {corpus['files']} files / {corpus['projects']:,} "
        f"projects, doubled {doubled['files']} files / {doubled['projects']:,} projects\n\n"
        + markdown_table(
            (
                "run",
                "runs",
                "seconds (median)",
                "beyond start-up (s, median of paired differences)",
                "workbooks reported",
                "project rows written",
            ),
            [(r[0], r[1], f"{r[2]:.2f}", f"{r[3]:.2f}", r[4], r[5]) for r in rows],
        )
    )
    memory_rows = []
    for label, section in (
        ("cold run, national", runs["cold"]),
        ("cold run, doubled", runs["doubled"]["cold"]),
        ("naive pipeline, national", runs["naive"]),
    ):
        memory_rows.append((label, _mib(section["peak_pss_bytes"]), _mib(section["maxrss_bytes"])))
    third = "Peak memory of the whole process tree\n\n" + markdown_table(
        ("run", "peak PSS, summed over the tree (MiB)", "largest single-process max RSS (MiB)"), memory_rows
    )
    return "\n\n".join((first, second, third))


def _mib(value: int | None) -> str:
    return "" if value is None else f"{value / 1024**2:,.0f}"


# -------------------------------------------------------------------------------------------- goals


def goals(results: dict[str, Any]) -> list[Goal]:
    """Issue 9's goals against this run's numbers."""
    out: list[Goal] = []
    runs = results.get("runs")
    if runs:
        speedup = _median(runs["naive"]) / _median(runs["cold"])
        out.append(
            Goal(
                "cold run against the naive pipeline",
                f">= {COLD_SPEEDUP_GOAL:.0f}x faster",
                f"{speedup:.2f}x",
                speedup >= COLD_SPEEDUP_GOAL,
            )
        )
    for label, key in (("national corpus", "read_national"), ("large files", "read_large")):
        if key in results:
            ratio = floor_ratio(results[key])
            out.append(
                Goal(
                    f"read stage against the floor probe, {label} (2 processes each)",
                    f"<= {FLOOR_RATIO_GOAL:.0f}x the floor's time",
                    f"{ratio:.1f}x",
                    ratio <= FLOOR_RATIO_GOAL,
                )
            )
    if runs:
        base = _median(runs["startup"])
        national_extra = beyond_startup(runs["nothing_changed"], base)
        quiet = all(d["files"] == 0 and d["rows_written"] == 0 for d in runs["nothing_changed"]["did"])
        out.append(
            Goal(
                f"nothing changed, {runs['corpus']['projects']:,} projects: beyond start-up, reads no "
                "workbook, writes no project row",
                f"< {NOTHING_CHANGED_GOAL_S:.0f} s, 0 read, 0 written",
                f"{national_extra:.2f} s" + ("" if quiet else " (it read or wrote)"),
                national_extra < NOTHING_CHANGED_GOAL_S and quiet,
            )
        )
        doubled = runs["doubled"]
        doubled_extra = beyond_startup(doubled["nothing_changed"], base)
        quiet2 = all(d["files"] == 0 and d["rows_written"] == 0 for d in doubled["nothing_changed"]["did"])
        slack = max(DOUBLED_SLACK_S, DOUBLED_SLACK_SHARE * national_extra)
        out.append(
            Goal(
                f"nothing changed, doubled corpus ({doubled['corpus']['projects']:,} projects)",
                f"no more than on the national corpus (+{slack:.2f} s noise allowance), < "
                f"{NOTHING_CHANGED_GOAL_S:.0f} s",
                f"{doubled_extra:.2f} s (national {national_extra:.2f} s)"
                + ("" if quiet2 else " (it read or wrote)"),
                doubled_extra <= national_extra + slack and doubled_extra < NOTHING_CHANGED_GOAL_S and quiet2,
            )
        )
        changed_extra = beyond_startup(runs["one_changed"], base)
        out.append(
            Goal(
                "one file changed: beyond start-up",
                f"< {ONE_CHANGED_GOAL_S:.0f} s",
                f"{changed_extra:.2f} s",
                changed_extra < ONE_CHANGED_GOAL_S,
            )
        )
        peak = runs["cold"]["peak_pss_bytes"]
        out.append(
            Goal(
                "peak memory of the cold run (summed PSS of the process tree)",
                f"< {PEAK_MEMORY_GOAL / 1e9:.0f} GB",
                "" if peak is None else f"{peak / 1e9:.2f} GB ({_mib(peak)} MiB)",
                None if peak is None else peak < PEAK_MEMORY_GOAL,
            )
        )
        peak2 = doubled["cold"]["peak_pss_bytes"]
        growth = peak2 / peak if peak and peak2 else None
        out.append(
            Goal(
                "peak memory grows with the largest file, not the corpus (doubled / national cold run)",
                f"<= {MEMORY_GROWTH_LIMIT:.2f}x",
                "" if growth is None else f"{growth:.2f}x",
                None if growth is None else growth <= MEMORY_GROWTH_LIMIT,
            )
        )
    return out


# ----------------------------------------------------------------------------------------------- main


def machine() -> dict[str, Any]:
    """What the numbers were measured on: cores, memory, CPU model, Python."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "machine": platform.machine(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
            "",
        )
        meminfo = Path("/proc/meminfo").read_text().split()
        info["memory_gib"] = round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 1024**2, 1)
    except (OSError, ValueError):
        pass
    if hasattr(os, "sched_getaffinity"):
        info["nproc"] = len(os.sched_getaffinity(0))
    return info


def versions() -> dict[str, str]:
    import importlib.metadata as md
    import sqlite3

    names = (
        "python-calamine",
        "openpyxl",
        "pandas",
        "great-expectations",
        "dagster",
        "sqlalchemy",
        "psycopg",
        "orjson",
    )
    return {name: md.version(name) for name in names} | {"sqlite": sqlite3.sqlite_version}


def machine_line(results: dict[str, Any]) -> str:
    m = results["machine"]
    return (
        f"machine: {m.get('nproc')} cores, {m.get('memory_gib')} GiB, {m.get('cpu')}, {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in results["versions"].items())
    )


def render_all(results: dict[str, Any]) -> str:
    """Every table of a run from its ``results.json``: ``python -m kc_pipeline.bench render FILE``."""
    parts = []
    if "read_national" in results:
        parts.append(render_read("national corpus", results["read_national"]))
    if "read_large" in results:
        parts.append(render_read("large files", results["read_large"]))
    for key, render in (("validation", render_validation), ("load", render_load), ("runs", render_runs)):
        if key in results:
            parts.append(render(results[key]))
    parts.append(goals_table(goals(results)))
    parts.append(machine_line(results))
    return "\n\n".join(parts)


def _section(title: str, started: float) -> None:
    print(f"\n== {title} (bench at {time.perf_counter() - started:.0f} s)", flush=True)


def main(*, quick: bool = False, out_dir: Path = Path(".bench")) -> int:
    """Build (or reuse) the corpora, measure every stage, print the tables and the goals, save JSON."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = bench_corpus.QUICK if quick else bench_corpus.NATIONAL
    large_spec = bench_corpus.QUICK_LARGE if quick else bench_corpus.LARGE
    # --quick is a smoke check of about a minute: the whole-process cold and naive runs (the slow
    # ones) run once there; every other figure stays a median of REPEATS.
    process_repeats = 1 if quick else REPEATS
    results: dict[str, Any] = {
        "quick": quick,
        "repeats": REPEATS,
        "process_repeats": process_repeats,
        "machine": machine(),
        "versions": versions(),
    }
    started = time.perf_counter()

    _section("corpora", started)
    national = bench_corpus.build_corpus(out_dir, spec)
    doubled = bench_corpus.build_doubled_corpus(out_dir, spec)
    large = bench_corpus.build_large_corpus(out_dir, large_spec)
    results["corpora"] = {}
    for label, corpus in (("national", national), ("doubled", doubled), ("large", large)):
        how = "cached" if corpus.cached else f"written in {corpus.generated_s:.1f} s (2 processes)"
        print(f"{label}: {len(corpus.paths)} files, {corpus.projects:,} projects, {how}: {corpus.root}")
        results["corpora"][label] = {
            "root": str(corpus.root),
            "files": len(corpus.paths),
            "projects": corpus.projects,
            "generated_s": corpus.generated_s,
        }

    _section("read stage", started)
    results["read_national"], documents = bench_read(list(national.paths))
    print(render_read("national corpus", results["read_national"]))
    results["read_large"], _ = bench_read(list(large.paths))
    print()
    print(render_read("large files", results["read_large"]))

    _section("validation", started)
    results["validation"] = bench_validation(documents, subset_files=12 if quick else VALIDATION_SUBSET_FILES)
    print(render_validation(results["validation"]))

    _section("load", started)
    results["load"] = bench_load(documents, os.environ.get("KC_BENCH_POSTGRES_URL"))
    print(render_load(results["load"]))
    del documents

    _section("whole runs (subprocesses)", started)
    results["runs"] = bench_runs(out_dir, national, doubled, spec, process_repeats=process_repeats)
    print(render_runs(results["runs"]))

    _section("goals", started)
    results["goals"] = [asdict(g) | {"verdict": g.verdict} for g in goals(results)]
    print(goals_table(goals(results)))
    results["seconds"] = time.perf_counter() - started
    print("\n" + machine_line(results))
    print(f"bench took {results['seconds']:.0f} s; results in {out_dir / 'results.json'}")
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "naive":
        print(json.dumps(naive_pipeline(Path(sys.argv[2]), sys.argv[3])))
    elif len(sys.argv) == 3 and sys.argv[1] == "render":
        print(render_all(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))))
    else:
        sys.exit(
            "usage: python -m kc_pipeline.bench naive DROP_FOLDER SQLALCHEMY_URL\n"
            "       python -m kc_pipeline.bench render RESULTS_JSON"
        )
