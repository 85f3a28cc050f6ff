"""Real processes: a worker killed with SIGKILL mid-load, and two workers loading at once."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from kc_pipeline.warehouse.loader import load_unit_year
from kc_pipeline_tests.warehouse.batches import A, B, C, D, batch, district_file
from kc_pipeline_tests.warehouse.test_loader import snapshot

UNIT, YEAR = "171", 2021


def write_batch(path: Path, files: list, rows: list) -> Path:
    path.write_text(json.dumps({"unit": UNIT, "year": YEAR, "files": files, "rows": rows}, default=str))
    return path


def start_worker(url: str, batch_path: Path, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "kc_pipeline_tests.warehouse.load_worker", url, str(batch_path), mode],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(path: Path, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"worker ended early: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_sigkill_mid_load_leaves_the_warehouse_unchanged_and_the_file_pending(
    warehouse_url: str, warehouse_engine: Engine, tmp_path: Path
) -> None:
    first = district_file(tmp_path / "v1" / "2021" / "dai-tu" / "a.xlsx", [A, B])
    load_unit_year(warehouse_engine, UNIT, YEAR, *batch(first))
    before = snapshot(warehouse_engine)
    second = district_file(tmp_path / "v2" / "2021" / "dai-tu" / "a.xlsx", [A, C, D])
    files, rows = batch(second)
    batch_path = write_batch(tmp_path / "batch.json", files, rows)
    worker = start_worker(warehouse_url, batch_path, "pause-after:inserted")
    try:
        wait_for(Path(str(batch_path) + ".paused"), worker)  # rows inserted, transaction still open
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert snapshot(warehouse_engine) == before
    with warehouse_engine.connect() as conn:
        known = set(conn.execute(text("SELECT file_id FROM core_source_files")).scalars())
    assert files[0]["file_id"] not in known  # still pending: the next run loads it
    summary = load_unit_year(warehouse_engine, UNIT, YEAR, files, rows)
    assert (summary.inserted, summary.closed, summary.unchanged) == (2, 1, 1)
    again = load_unit_year(warehouse_engine, UNIT, YEAR, files, rows)
    assert again.nothing_changed


def test_two_loads_of_one_unit_year_at_once_leave_one_current_version(
    warehouse_url: str, warehouse_engine: Engine, tmp_path: Path
) -> None:
    path = district_file(tmp_path / "2021" / "dai-tu" / "a.xlsx", [A, B, C, D])
    files, rows = batch(path)
    go = tmp_path / "go"
    workers = []
    for name in ("one", "two"):
        batch_path = write_batch(tmp_path / f"{name}.json", files, rows)
        workers.append((batch_path, start_worker(warehouse_url, batch_path, f"wait-for:{go}")))
    time.sleep(1.0)  # both processes started and waiting (imports done)
    go.write_text("go")
    summaries = []
    for batch_path, worker in workers:
        assert worker.wait(timeout=60) == 0, worker.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
        summaries.append(json.loads(Path(str(batch_path) + ".done").read_text()))
    assert sorted(s["inserted"] for s in summaries) == [0, 4]  # one loaded, the other found it done
    with warehouse_engine.connect() as conn:
        per_key = conn.execute(
            text(
                "SELECT project_key, count(*) FROM core_projects WHERE valid_to IS NULL GROUP BY project_key"
            )
        ).all()
        versions = conn.execute(text("SELECT count(*) FROM core_projects")).scalar_one()
    assert len(per_key) == 4 and all(n == 1 for _, n in per_key) and versions == 4
