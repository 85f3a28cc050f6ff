"""Faults at the pipeline level, on SQLite and PostgreSQL: the whole run, not the loader alone.

Real processes (``kc-pipeline run``) are killed with SIGKILL mid-load and right after the commit;
two of them run at once; the database is unreachable at the start, and cut in the middle of a load
(really, on PostgreSQL, by terminating the connection; by an injected disk error on SQLite); the
report writer fails half-way. The loader's test-only hooks (``KC_TEST_PAUSE_AFTER_STEP``,
``KC_TEST_FAIL_AFTER_STEP``, see :func:`kc_pipeline.warehouse.loader._test_hook`) stop a load at a
named step.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from kc_pipeline.defs.resources import DropFolder, ReportFolder
from kc_pipeline.defs.runner import RunReport, run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.warehouse.engine import make_engine
from kc_pipeline_tests.hostile.corpus import HOSTILE_DIR, TITLE, V1, V2, good_file
from kc_pipeline_tests.validate.workbooks import write
from kc_pipeline_tests.warehouse.databases import postgres_test_url
from kc_pipeline_tests.warehouse.test_loader import snapshot

REPOSITORY = Path(__file__).resolve().parents[2]
KC_PIPELINE = Path(sys.executable).with_name("kc-pipeline")
SECRET = "s3cret-pw"


class Drop:
    """A drop folder, its staging and report folders, and a warehouse URL with a password in it."""

    def __init__(self, root: Path, url: str) -> None:
        self.incoming, self.staging, self.reports = root / "incoming", root / "staging", root / "reports"
        parsed = make_url(url)
        # Trust authentication ignores the password; it is there to prove it never shows.
        self.url = parsed.set(password=SECRET).render_as_string(hide_password=False) if parsed.host else url
        self.instance = dg.DagsterInstance.ephemeral()

    def plan(self, rows: list[list[Any]], name: str = "ke_hoach.xlsx", where: str = HOSTILE_DIR) -> Path:
        path = self.incoming / where / name
        if path.exists():
            path.unlink()
        return write(path, rows, title=TITLE)

    def run(self, url: str | None = None, **kwargs: Any) -> RunReport:
        drop = DropFolder(incoming_dir=str(self.incoming), staging_dir=str(self.staging))
        return run_pipeline(
            drop,
            Warehouse(url=url or self.url),
            self.instance,
            report_folder=ReportFolder(out_dir=str(self.reports)),
            **kwargs,
        )

    def start(self, staging: Path | None = None, **env: str) -> subprocess.Popen[str]:
        """``kc-pipeline run --json`` in a process of its own, with extra environment (hooks)."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("KC_TEST_PAUSE", "KC_TEST_FAIL"))}
        clean.pop("DAGSTER_HOME", None)
        clean.update(KC_STAGING_DIR=str(staging or self.staging), KC_REPORTS_DIR=str(self.reports), **env)
        command = [
            str(KC_PIPELINE),
            "run",
            "--incoming",
            str(self.incoming),
            "--warehouse",
            self.url,
            "--json",
        ]
        return subprocess.Popen(
            command, cwd=REPOSITORY, env=clean, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )


def wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended early: {process.stderr.read()[-3000:]}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=180)
    assert process.returncode in (0, 1), err[-3000:]
    return json.loads(out)


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL


def marked_processes(mark: str) -> list[int]:
    """Processes whose environment carries ``mark`` (the killed run and anything it started)."""
    found = []
    needle = f"KC_TEST_RUN_MARK={mark}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def assert_no_orphans(mark: str, seconds: float = 15) -> None:
    """The reader's workers and fork server end when the process that started them is killed."""
    deadline = time.monotonic() + seconds
    while (left := marked_processes(mark)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left, f"processes left behind by the killed run: {left}"


@contextlib.contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def file_ids(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT file_id, status FROM core_source_files")).all())


def changes(report: RunReport) -> int:
    return sum(x["inserted"] + x["updated"] + x["closed"] for x in report.loads)


def retries_of(report: RunReport, instance: dg.DagsterInstance, step: str = "core_projects") -> int:
    return sum(
        1
        for run_id in report.runs
        for entry in instance.all_logs(run_id)
        if entry.dagster_event is not None
        and entry.dagster_event.event_type_value == "STEP_UP_FOR_RETRY"
        and entry.step_key == step
    )


def failure_text(report: RunReport, instance: dg.DagsterInstance) -> str:
    """Every step failure of the run with its causes, as the Dagster UI shows them.

    ``RunReport.error`` (from :mod:`kc_pipeline.defs.runner`) carries only the outermost message
    ("Exceeded max_retries of 3"); the problem itself is in the causes.
    """
    parts = [report.error or ""]
    for run_id in report.runs:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or not event.is_step_failure:
                continue
            error = event.event_specific_data.error  # type: ignore[union-attr]
            while error is not None:
                parts.append(error.message)
                error = error.cause
    return "\n".join(parts)


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_postgres(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


# --------------------------------------------------------------------------------------- SIGKILL


def test_sigkill_mid_load_leaves_the_warehouse_unchanged_and_the_next_run_loads_once(
    warehouse_url: str, tmp_path: Path
) -> None:
    drop = Drop(tmp_path, warehouse_url)
    drop.plan(V1)
    assert drop.run().success
    second = drop.plan(V2)
    with engine_for(warehouse_url) as engine:
        before = snapshot(engine)
        paused, mark = tmp_path / "paused", uuid.uuid4().hex
        process = drop.start(
            KC_TEST_PAUSE_AFTER_STEP="inserted", KC_TEST_PAUSE_FILE=str(paused), KC_TEST_RUN_MARK=mark
        )
        try:
            wait_for(paused, process)  # rows inserted, the transaction still open
            kill(process)
        finally:
            if process.poll() is None:
                process.kill()
        assert snapshot(engine) == before  # P3: as it was
        assert sha256(second) not in file_ids(engine)  # the file is still pending
        assert_no_orphans(mark)

        again = drop.run()
        assert again.success, again.error
        [load] = again.loads
        assert (load["inserted"], load["updated"], load["closed"], load["unchanged"]) == (1, 1, 1, 1)
        assert file_ids(engine)[sha256(second)] == "loaded"
        assert changes(drop.run()) == 0  # and once only


def test_a_crash_after_the_commit_before_the_run_records_it_makes_the_rerun_a_no_op(
    warehouse_url: str, tmp_path: Path
) -> None:
    drop = Drop(tmp_path, warehouse_url)
    plan = drop.plan(V1)
    paused, mark = tmp_path / "paused", uuid.uuid4().hex
    process = drop.start(
        KC_TEST_PAUSE_AFTER_STEP="committed", KC_TEST_PAUSE_FILE=str(paused), KC_TEST_RUN_MARK=mark
    )
    try:
        wait_for(paused, process)  # committed; Dagster has not recorded the materialization yet
        kill(process)
    finally:
        if process.poll() is None:
            process.kill()
    assert_no_orphans(mark)
    with engine_for(warehouse_url) as engine:
        assert file_ids(engine) == {sha256(plan): "loaded"}
        before = snapshot(engine)
        rerun = drop.run()
        assert rerun.success, rerun.error
        assert changes(rerun) == 0 and snapshot(engine) == before
        full = drop.run(full=True)  # even when the loader is run again on the same files
        assert full.success and full.loads and changes(full) == 0
        assert all(x["updated"] == 0 for x in full.loads)
        assert snapshot(engine) == before  # no new version, no new core_loads row
        assert scalar(engine, "SELECT count(*) FROM out_yearly_summary") > 0  # the aggregates caught up
    assert any(drop.reports.glob("*.xlsx"))


# ------------------------------------------------------------------------------ two runs at once


def test_two_runs_at_once_on_the_same_files_load_them_once(warehouse_url: str, tmp_path: Path) -> None:
    """Two ``kc-pipeline run`` at once (as two machines would: the same drop folder and warehouse,
    each its own staging): the second waits for the first one's lock, then finds the files loaded."""
    drop = Drop(tmp_path, warehouse_url)
    drop.plan(V1)
    first_paused, second_paused = tmp_path / "first.paused", tmp_path / "second.paused"
    first = drop.start(KC_TEST_PAUSE_AFTER_STEP="starting,locked", KC_TEST_PAUSE_FILE=str(first_paused))
    second = drop.start(
        staging=tmp_path / "staging_2",
        KC_TEST_PAUSE_AFTER_STEP="starting",
        KC_TEST_PAUSE_FILE=str(second_paused),
    )
    try:
        wait_for(first_paused, first)  # both have read and validated the files, neither has locked
        wait_for(second_paused, second)
        first_paused.unlink()
        wait_for(first_paused, first)  # the first holds the unit-year's lock, its rows not yet written
        second_paused.unlink()  # the second queues for the lock
        if is_postgres(warehouse_url):
            with engine_for(warehouse_url) as engine:
                deadline, waiting = time.monotonic() + 60, 0
                while not waiting and time.monotonic() < deadline:
                    waiting = scalar(
                        engine, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    )
                    time.sleep(0.05)
                assert waiting == 1, "the second run should wait for the first one's lock"
        else:
            time.sleep(1.0)  # SQLite: its BEGIN IMMEDIATE waits for the writer (busy timeout 30 s)
        assert second.poll() is None
        first_paused.unlink()
        results = [finish(first), finish(second)]
    finally:
        for process in (first, second):
            if process.poll() is None:
                process.kill()
    assert all(r["success"] for r in results), results
    inserted = sorted(sum(x["inserted"] for x in r["loads"]) for r in results)
    assert inserted == [0, len(V1)]  # one loaded, the other found it loaded
    with engine_for(warehouse_url) as engine:
        assert scalar(engine, "SELECT count(*) FROM core_projects") == len(V1)  # no second version
        assert scalar(engine, "SELECT count(*) FROM core_projects WHERE valid_to IS NULL") == len(V1)
        assert scalar(engine, "SELECT count(*) FROM core_loads") == 1
        assert scalar(engine, "SELECT count(*) FROM core_source_files") == 1


# ------------------------------------------------------------------------- database unreachable


def test_an_unreachable_database_at_the_start_is_a_clear_error_after_retries(
    warehouse_url: str, tmp_path: Path
) -> None:
    drop = Drop(tmp_path, warehouse_url)
    drop.plan(V1)
    if is_postgres(warehouse_url):
        url = make_url(drop.url).set(port=1).render_as_string(hide_password=False)  # nothing listens there
        problem = "Connection refused"
    else:
        (tmp_path / "not_a_folder").write_text("a file where the database's folder should be")
        url = f"sqlite:///{tmp_path / 'not_a_folder' / 'kc.sqlite'}"
        problem = "unable to open database file"
    started = time.monotonic()
    report = drop.run(url=url)
    assert not report.success
    assert report.error and "cannot be reached" in report.error and problem in report.error, report.error
    assert SECRET not in report.error
    assert time.monotonic() - started >= 3.0  # retried with backoff (1 s, then 2 s) before giving up
    assert not drop.reports.exists() or not any(drop.reports.iterdir())  # no report from nothing
    assert not (tmp_path / "not_a_folder").is_dir()


class Cutter(threading.Thread):
    """Waits for the loader's pause file, cuts the database (PostgreSQL: terminates every connection
    to it, and with ``for_good`` also refuses new ones), then lets the load go on into the cut."""

    def __init__(self, url: str, paused: Path, *, for_good: bool) -> None:
        super().__init__(daemon=True)
        self.url, self.paused, self.for_good = url, paused, for_good
        self.stop, self.cuts = threading.Event(), 0

    def run(self) -> None:
        database = make_url(self.url).database
        base = postgres_test_url()
        assert base is not None
        with engine_for(base) as admin_engine:
            admin = admin_engine.execution_options(isolation_level="AUTOCOMMIT")
            while not self.stop.is_set():
                if not self.paused.exists():
                    time.sleep(0.01)
                    continue
                if self.cuts == 0:
                    with admin.connect() as conn:
                        if self.for_good:
                            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
                        conn.execute(
                            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
                            {"d": database},
                        )
                    self.cuts += 1
                self.paused.unlink()

    def heal(self) -> None:
        self.stop.set()
        self.join(timeout=10)
        base = postgres_test_url()
        assert base is not None
        with (
            engine_for(base) as admin_engine,
            admin_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn,
        ):
            conn.execute(text(f'ALTER DATABASE "{make_url(self.url).database}" ALLOW_CONNECTIONS true'))


@contextlib.contextmanager
def cut_mid_load(
    drop: Drop, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *, for_good: bool
) -> Iterator[None]:
    """The database goes away after the loader inserted its rows, inside the transaction."""
    if is_postgres(drop.url):
        paused = tmp_path / "paused"
        monkeypatch.setenv("KC_TEST_PAUSE_AFTER_STEP", "inserted")
        monkeypatch.setenv("KC_TEST_PAUSE_FILE", str(paused))
        cutter = Cutter(drop.url, paused, for_good=for_good)
        cutter.start()
        try:
            yield
        finally:
            cutter.heal()
        assert cutter.cuts == 1
    else:
        failures = tmp_path / "failures"
        failures.write_text("99" if for_good else "1")
        monkeypatch.setenv("KC_TEST_FAIL_AFTER_STEP", "inserted")
        monkeypatch.setenv("KC_TEST_FAIL_FILE", str(failures))
        yield
    for name in (
        "KC_TEST_PAUSE_AFTER_STEP",
        "KC_TEST_PAUSE_FILE",
        "KC_TEST_FAIL_AFTER_STEP",
        "KC_TEST_FAIL_FILE",
    ):
        monkeypatch.delenv(name, raising=False)


def test_a_database_cut_mid_load_is_retried_and_loads_once(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop = Drop(tmp_path, warehouse_url)
    drop.plan(V1)
    good_file(drop.incoming)
    with cut_mid_load(drop, monkeypatch, tmp_path, for_good=False):
        report = drop.run()
    assert report.success, report.error
    assert retries_of(report, drop.instance) >= 1  # core_projects' RetryPolicy took it
    with engine_for(warehouse_url) as engine:
        assert scalar(engine, "SELECT count(*) FROM core_projects") == len(V1) + 2  # each version once
        assert scalar(engine, "SELECT count(*) FROM core_loads") == 2
        assert set(file_ids(engine).values()) == {"loaded"}


def test_a_database_gone_mid_load_fails_clearly_after_retries_and_writes_nothing(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop = Drop(tmp_path, warehouse_url)
    drop.plan(V1)
    assert drop.run().success
    second = drop.plan(V2)
    with engine_for(warehouse_url) as engine:
        before = snapshot(engine)
        reports_before = {p.name: p.read_bytes() for p in drop.reports.iterdir()}
        with cut_mid_load(drop, monkeypatch, tmp_path, for_good=True):
            report = drop.run()
        assert not report.success
        assert report.error and report.error.startswith("core_projects"), report.error
        problem = "not currently accepting connections" if is_postgres(warehouse_url) else "disk I/O error"
        failure = failure_text(report, drop.instance)
        assert problem in failure and SECRET not in failure, failure
        assert retries_of(report, drop.instance) == 3  # every retry of the RetryPolicy was tried
        assert snapshot(engine) == before  # nothing half-written
        assert sha256(second) not in file_ids(engine)  # pending
        assert {p.name: p.read_bytes() for p in drop.reports.iterdir()} == reports_before
        healed = drop.run()
        assert healed.success, healed.error
        assert changes(healed) == 3 and file_ids(engine)[sha256(second)] == "loaded"


# ---------------------------------------------------------------------------- report writing


def test_a_report_failing_midway_leaves_no_half_report(
    warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kc_pipeline.report.writer as writer

    drop = Drop(tmp_path, warehouse_url)
    drop.plan(V1)
    assert drop.run().success
    before = {p.name: p.read_bytes() for p in drop.reports.iterdir()}
    assert any(name.endswith(".xlsx") for name in before) and any(name.endswith(".md") for name in before)
    real = writer.write_workbook

    def disk_full_midway(data: Any, path: Path) -> None:
        real(data, path)
        with open(path, "r+b") as handle:  # half the workbook reached the disk, then it was full
            handle.truncate(path.stat().st_size // 2)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write_workbook", disk_full_midway)
    good_file(drop.incoming)  # new data for the same year: the report must be rewritten
    failed = drop.run()
    assert not failed.success
    assert failed.error and failed.error.startswith("out_staff_report"), failed.error
    assert "No space left on device" in failure_text(failed, drop.instance)
    assert {p.name: p.read_bytes() for p in drop.reports.iterdir()} == before  # the old report, whole
    monkeypatch.undo()
    healed = drop.run()
    assert healed.success, healed.error
    after = {p.name: p.read_bytes() for p in drop.reports.iterdir()}
    assert set(after) == set(before) and after != before  # rewritten whole, no temporary file left


def test_two_rebuilds_of_an_out_table_at_once_both_succeed(warehouse_engine: Engine) -> None:
    """What two runs at once do at their end: rebuild the same aggregate table (delete all, insert)."""
    from kc_pipeline.aggregate.rebuild import replace_table
    from kc_pipeline.warehouse.schema import out_yearly_trend

    rows = [
        {"year": year, "funding_source": source, "projects": 1, "support_vnd": 100}
        for year in range(2014, 2026)
        for source in ("KCQG", "KCDP", "ALL")
    ]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def rebuild() -> None:
        start.wait()
        try:
            for _ in range(15):
                replace_table(warehouse_engine, out_yearly_trend, rows)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=rebuild) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors[0]
    assert scalar(warehouse_engine, "SELECT count(*) FROM out_yearly_trend") == len(rows)
