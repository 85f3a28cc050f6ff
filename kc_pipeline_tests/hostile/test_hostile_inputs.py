"""Each hostile input through the real pipeline, beside a good file, on SQLite (and PostgreSQL
when it reaches the warehouse's tables).

For every case of :data:`~kc_pipeline_tests.hostile.corpus.CORPUS` the drop folder holds the
hostile file(s) and a small good file; ``run_pipeline`` (the code path of ``kc-pipeline run``)
must finish, load the good file, treat the hostile file as the case expects (loaded, partly
quarantined, rejected with its specific reason, or not picked up at all), account for every row
(P1), and stay within a time and memory bound.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url

from kc_pipeline.defs.resources import DropFolder, ReportFolder
from kc_pipeline.defs.runner import RunReport, run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.warehouse.engine import make_engine
from kc_pipeline_tests.hostile import TRIED
from kc_pipeline_tests.hostile.corpus import CORPUS, GOOD_ROWS, Context, Hostile, good_file
from kc_pipeline_tests.warehouse.test_loader import snapshot

CASE_SECONDS = 60  # a case that takes longer hangs somewhere: the sandbox's own limit is 60 s per file
PEAK_RSS_GROWTH = 256 * 1024**2  # the test process itself never holds a hostile file's expansion


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (VmHWM), without psutil."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def run(incoming: Path, staging: Path, url: str, reports: Path) -> RunReport:
    drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(staging))
    return run_pipeline(
        drop,
        Warehouse(url=url),
        dg.DagsterInstance.ephemeral(),
        report_folder=ReportFolder(out_dir=str(reports)),
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source_files(conn: Connection) -> dict[str, dict[str, Any]]:
    rows = conn.execute(text("SELECT * FROM core_source_files")).mappings().all()
    return {r["file_id"]: dict(r) for r in rows}


def current_projects(conn: Connection, file_id: str) -> int:
    return conn.execute(
        text("SELECT count(*) FROM core_projects WHERE source_file_id = :f AND valid_to IS NULL"),
        {"f": file_id},
    ).scalar_one()


def quarantined(conn: Connection, file_id: str) -> int:
    return conn.execute(
        text("SELECT count(*) FROM core_quarantined_rows WHERE source_file_id = :f"), {"f": file_id}
    ).scalar_one()


def assert_outcome(
    case: Hostile,
    conn: Connection,
    made: list[Path],
    verdicts: dict[str, dict[str, Any]],
    files: dict[str, dict[str, Any]],
) -> dict[str, str]:
    """The hostile file(s) reached validation and the warehouse as the case expects; name -> file id."""
    hostile = {p.name: verdicts[p.name] for p in made}
    for path in made:
        assert hostile[path.name]["file_id"] == sha256(path)
    ids = {v["file_id"] for v in hostile.values()}
    records = [files[i] for i in ids]
    if case.outcome == "rejected":
        for verdict in hostile.values():
            assert verdict["status"] == "rejected"
            assert (verdict["error"] or "").startswith(f"{case.reason}:"), verdict["error"]
        for record in records:
            assert record["status"] == "rejected" and record["error"].startswith(f"{case.reason}:")
            assert (record["rows_read"], record["rows_loaded"]) == (0, 0)
        return {name: v["file_id"] for name, v in hostile.items()}
    assert all(r["status"] == "loaded" for r in records), records
    rows_quarantined = sum(r["rows_quarantined"] for r in records)
    assert rows_quarantined == sum(quarantined(conn, i) for i in ids)
    if case.outcome == "loaded":
        assert rows_quarantined == 0
    else:
        assert rows_quarantined >= 1
    if case.quarantined_rows is not None:
        assert rows_quarantined == case.quarantined_rows
    if case.loaded_rows is not None:  # rows loaded (an unchanged project keeps its older source file)
        assert sum(r["rows_loaded"] for r in records) == case.loaded_rows
    return {name: v["file_id"] for name, v in hostile.items()}


def _on_databases(case: Hostile) -> tuple[str, ...]:
    """Every case runs on SQLite; on PostgreSQL too when its file reaches the warehouse's project
    and quarantine tables. A file rejected or not picked up leaves at most its row in
    core_source_files, which the loader's own tests record on both databases, and a run is the
    suite's costliest step (the corpus on both databases was a third of ``make test``)."""
    return ("sqlite",) if case.outcome in ("rejected", "ignored") else ("sqlite", "postgres")


@pytest.mark.parametrize(
    ("case", "warehouse_url"),
    [pytest.param(case, db, id=f"{db}-{case}") for case in CORPUS for db in _on_databases(case)],
    indirect=["warehouse_url"],
)
def test_a_hostile_input_costs_at_most_its_own_rejection(
    case: Hostile, warehouse_url: str, tmp_path: Path
) -> None:
    incoming, staging, reports = tmp_path / "incoming", tmp_path / "staging", tmp_path / "reports"
    good = good_file(incoming, case.good_dir, case.good_rows, case.good_header)
    if case.before is not None:
        case.before(incoming)
        first = run(incoming, staging, warehouse_url, reports)
        assert first.success, first.error
    made = case.build(incoming)
    names = {p.name for p in made}

    peak_before, started = peak_rss_bytes(), time.monotonic()
    report = run(incoming, staging, warehouse_url, reports)
    elapsed = time.monotonic() - started
    TRIED.setdefault(case.name, set()).add(make_url(warehouse_url).get_backend_name())

    # The run finishes, in bounded time and memory, whatever the hostile file is.
    assert report.success, report.error
    assert elapsed < CASE_SECONDS, f"{case.name} took {elapsed:.1f} s"
    assert peak_rss_bytes() - peak_before < PEAK_RSS_GROWTH, "the pipeline process itself grew too much"
    verdicts = {Path(v["path"]).name: v for v in report.verdicts}
    for verdict in report.verdicts:  # P1 for every file of the run, as validated
        counted = verdict["rows_valid"] + verdict["rows_warned"] + verdict["rows_quarantined"]
        assert verdict["rows_read"] == counted + verdict["rows_ignored"], verdict

    engine = make_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            files = source_files(conn)
            for record in files.values():  # P1 as recorded in the warehouse
                counted = record["rows_loaded"] + record["rows_quarantined"] + record["rows_ignored"]
                assert record["rows_read"] == counted, record
            # The good file beside it is loaded, all its projects current.
            good_id = sha256(good)
            assert files[good_id]["status"] == "loaded"
            assert current_projects(conn, good_id) == len(case.good_rows or GOOD_ROWS)

            if case.outcome == "ignored":
                assert not names & set(verdicts), f"picked up: {sorted(names & set(verdicts))}"
                assert not any(Path(r["path"]).name in names for r in files.values())
                assert {d["file_id"] for d in report.documents} <= set(files)
            else:
                ids = assert_outcome(case, conn, made, verdicts, files)
                if case.check is not None:
                    case.check(conn, Context(incoming, ids, report.documents))
        # P2: the same folder again changes nothing, whatever the hostile file was.
        before = snapshot(engine)
        again = run(incoming, staging, warehouse_url, reports)
        assert again.success, again.error
        assert sum(x["inserted"] + x["updated"] + x["closed"] for x in again.loads) == 0
        assert snapshot(engine) == before
    finally:
        engine.dispose()
