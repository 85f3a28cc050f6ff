"""The sandbox that reads untrusted files: every way a worker can fail costs one job, never the caller.

These run jobs that fail as native parsers do (segfault, abort, allocation failure, SIGKILL, a hang,
a busy loop) beside good jobs, and check the outcome of each, that the other jobs still ran, that
workers are reused (no start-up per call), and that workers never outlive the process that started
them. The reader's own use of it is tested through ``read_files`` and ``kc-pipeline inspect``.
"""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import kc_pipeline.ingest.batch as batch
from kc_pipeline.ingest.sandbox import DEFAULT_MEMORY_BYTES, WORKER_NICENESS, SandboxPool, shared_pool
from kc_pipeline.ingest.staging import StagingStore
from kc_pipeline.reference import load_reference
from kc_pipeline_tests.hostile import faulty
from kc_pipeline_tests.hostile.corpus import (
    good_file,
    plain,
    projects,
    raw_xlsx,
    sheet_xml,
    sparse_without_references,
    table_rows,
)

REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pool() -> Iterator[SandboxPool]:
    pool = SandboxPool(2, max_result_bytes=8 * 1024**2)
    yield pool
    pool.close()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] if Path(f"/proc/{pid}").exists() else ""
    return state not in ("Z", "")


def test_outcomes_are_handed_over_in_order_as_jobs_end(pool: SandboxPool) -> None:
    """Each outcome reaches ``on_outcome`` once, in job order, while later jobs still run."""
    seen: list[tuple[int, object, float]] = []
    jobs = [
        (faulty.double, (1,)),
        (faulty.raise_value_error, ()),
        (faulty.double_later, (3, 0.0)),
        (faulty.double_later, (4, 0.6)),
    ]
    outcomes = pool.run(jobs, timeout_s=20, on_outcome=lambda i, o: seen.append((i, o, time.monotonic())))
    ended = time.monotonic()
    assert [i for i, _, _ in seen] == [0, 1, 2, 3]
    assert [o for _, o, _ in seen] == outcomes
    assert outcomes[1].kind == "error" and [outcomes[k].value for k in (0, 2, 3)] == [2, 6, 8]
    assert ended - seen[0][2] > 0.4  # the first was handed over long before the slow job ended


def test_each_failure_costs_only_its_own_job(pool: SandboxPool) -> None:
    jobs = [
        (faulty.double, (1,)),
        (faulty.segfault, ()),
        (faulty.abort, ()),
        (faulty.native_out_of_memory, ()),
        (faulty.sigkill, ()),
        (faulty.hang, ()),
        (faulty.spin, ()),
        (faulty.allocate, (4,)),
        (faulty.exit_3, ()),
        (faulty.raise_value_error, ()),
        (faulty.huge_result, ()),
        (faulty.double, (21,)),
    ]
    started = time.monotonic()
    outcomes = pool.run(jobs, timeout_s=2)
    assert time.monotonic() - started < 30
    kinds = [(o.kind, o.transient) for o in outcomes]
    assert kinds == [
        ("ok", False),
        ("crashed", False),
        ("crashed", False),
        ("too_much_memory", False),
        ("crashed", True),  # SIGKILL from outside: the OOM killer or an operator, maybe not the file
        ("timeout", False),
        ("timeout", False),
        ("too_much_memory", False),
        ("crashed", False),
        ("error", False),
        ("result_too_large", False),
        ("ok", False),
    ]
    assert (outcomes[0].value, outcomes[-1].value) == (2, 42)
    assert "SIGSEGV" in outcomes[1].detail and "SIGABRT" in outcomes[2].detail
    assert "memory allocation of 549755813888 bytes failed" in outcomes[3].detail
    assert "code 3" in outcomes[8].detail and "ValueError: a bug in the job" in outcomes[9].detail
    assert pool.run([(faulty.double, (5,))], timeout_s=5)[0].value == 10  # the pool still works


def test_workers_are_limited_and_reused_across_calls(pool: SandboxPool) -> None:
    [limit] = pool.run([(faulty.address_space_limit, ())], timeout_s=10)
    assert limit.value == DEFAULT_MEMORY_BYTES
    # Below the caller's priority: readers take the CPU the run they feed leaves.
    [niceness] = pool.run([(faulty.niceness, ())], timeout_s=10)
    assert niceness.value == min(os.nice(0) + WORKER_NICENESS, 19) and WORKER_NICENESS > 0
    pool.run([(faulty.pid, ())] * 4, timeout_s=10)
    before = pool.started
    started = time.monotonic()
    outcomes = pool.run([(faulty.pid, ())] * 6, timeout_s=10)
    assert time.monotonic() - started < 1.0  # no start-up: the workers were kept
    assert pool.started == before and len({o.value for o in outcomes}) <= 2


def test_workers_end_with_the_process_that_started_them(tmp_path: Path) -> None:
    pid_file = tmp_path / "busy.pid"
    child = f"""
import json, multiprocessing.forkserver as fs, sys
from kc_pipeline.ingest.sandbox import SandboxPool
from kc_pipeline_tests.hostile import faulty
pool = SandboxPool(2)
pool.run([(faulty.pid, ()), (faulty.pid, ())], timeout_s=30)
print(json.dumps({{"idle": pool.pids(), "server": fs._forkserver._forkserver_pid}}), flush=True)
pool.run([(faulty.hang_after_writing_pid, ({str(pid_file)!r},))], timeout_s=600)
"""
    process = subprocess.Popen(
        [sys.executable, "-c", child], cwd=REPOSITORY, stdout=subprocess.PIPE, text=True
    )
    try:
        started = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        busy = int(pid_file.read_text())
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    pids = [*started["idle"], started["server"], busy]
    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if alive(p)], "sandbox processes outlived the killed parent"


def test_read_files_never_parses_in_the_calling_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def in_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a workbook was parsed in the calling process")

    monkeypatch.setattr(batch, "read_workbook", in_process)  # the workers have their own, untouched
    incoming = tmp_path / "incoming"
    paths = [good_file(incoming), plain(incoming, rows=projects(2)), *sparse_without_references(incoming)]
    docs = batch.read_files(paths)
    assert [d["status"] for d in docs] == ["read", "read", "rejected"]
    assert docs[2]["error"].startswith("too_much_memory:")
    assert [len(d["rows"]) for d in docs[:2]] == [2, 2]


def test_staged_results_are_reused_and_transient_ones_read_again(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    store = StagingStore(tmp_path / "staging")
    path = good_file(incoming)
    [first] = batch.read_files([path], store)
    before = shared_pool().started
    [again] = batch.read_files([path], store)
    assert again == first and shared_pool().started == before
    transient = dict(first, status="rejected", error="timeout: reading the file took longer", transient=True)
    store.save(transient)
    [read_again] = batch.read_files([path], store)
    assert read_again["status"] == "read" and not read_again.get("transient")


def test_staging_ahead_reads_only_what_is_not_staged_and_keeps_the_failures(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    store = StagingStore(tmp_path / "staging")
    good = good_file(incoming)
    [hostile] = sparse_without_references(incoming)
    assert batch.stage_files([good, hostile, good], store) == 2  # the same bytes twice: read once
    assert batch.stage_files([good, hostile], store) == 0  # both staged, neither read again
    [staged_good, staged_hostile] = batch.read_files([good, hostile], store)
    assert staged_good["status"] == "read" and len(staged_good["rows"]) == 2
    assert staged_hostile["error"].startswith("too_much_memory:")  # staged: never parsed twice
    assert batch.stage_files([tmp_path / "missing.xlsx"], store) == 0  # left for the raw step


def test_a_worker_stages_its_document_unless_it_is_above_the_result_limit(tmp_path: Path) -> None:
    incoming = tmp_path / "incoming"
    store = StagingStore(tmp_path / "staging")
    good = good_file(incoming)
    reference = str(load_reference().directory)
    refused = batch._stage_in_worker(str(good), reference, str(store.root), store.version, 100)
    assert isinstance(refused, bytes) and len(refused) > 100  # returned for the pool to refuse
    assert not list((tmp_path / "staging").rglob("*.json"))
    file_id = batch._stage_in_worker(str(good), reference, str(store.root), store.version, 10**8)
    assert store.load(file_id) == batch.read_files([good])[0]


def test_a_worker_stages_under_the_reader_version_of_the_store_it_is_given(tmp_path: Path) -> None:
    """A worker whose own reader source differs (code changed on disk under a running process)
    still stages where the store's owner looks, or the owner would read every file again."""
    good = good_file(tmp_path / "incoming")
    store = StagingStore(tmp_path / "staging", version="0wnerversion")
    assert batch.stage_files([good], store) == 1
    [staged] = (tmp_path / "staging" / "files").glob("*.json")
    assert staged.name.endswith(".0wnerversion.json") and store.path_for(staged.name.split(".")[0]) == staged
    assert batch.stage_files([good], store) == 0


def test_a_document_the_worker_cannot_write_goes_back_to_the_caller(tmp_path: Path) -> None:
    """A staging folder the worker cannot write to (here its files folder is a file) is no fault
    of the workbook: the document comes back whole, for the caller to stage."""
    good = good_file(tmp_path / "incoming")
    store = StagingStore(tmp_path / "staging")
    (tmp_path / "staging").mkdir()
    (tmp_path / "staging" / "files").write_text("not a folder")
    reference = str(load_reference().directory)
    file_id, payload = batch._stage_in_worker(str(good), reference, str(store.root), store.version, 10**8)
    assert json.loads(payload) == batch.read_files([good])[0] and json.loads(payload)["file_id"] == file_id


def test_what_a_killed_writer_left_is_discarded(tmp_path: Path) -> None:
    store = StagingStore(tmp_path / "staging")
    target = store.path_for("abc")
    target.parent.mkdir(parents=True)
    leftover = target.parent / f".{target.name}.x1y2.tmp"
    other = target.parent / f".{store.path_for('abd').name}.x1y2.tmp"
    leftover.write_bytes(b"{")
    other.write_bytes(b"{")
    store.discard_partial("abc")
    assert not leftover.exists() and other.exists()


def test_a_file_slower_than_the_limit_is_rejected_as_timeout(tmp_path: Path) -> None:
    rows = table_rows(projects(5_000))  # a few tenths of a second to read, against a 20 ms limit
    path = raw_xlsx(tmp_path / "incoming" / "2021" / "dai-tu" / "slow.xlsx", [("Sheet1", sheet_xml(rows))])
    [doc] = batch.read_files([path], timeout_s=0.02)
    assert doc["status"] == "rejected" and doc["error"].startswith("timeout:") and doc["transient"]


def test_inspect_reads_in_the_sandbox_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kc_pipeline.cli import main

    [path] = sparse_without_references(tmp_path / "incoming")
    assert main(["inspect", str(path), "--json"]) == 1  # the CLI survives what aborts the parser
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "rejected" and document["error"].startswith("too_much_memory:")


def test_read_files_parses_documents_with_the_collector_paused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Documents are acyclic: collections while they are parsed would only walk them again and again.
    seen: list[bool] = []

    def loads(payload: bytes) -> object:
        seen.append(gc.isenabled())
        return json.loads(payload)

    monkeypatch.setattr(batch, "loads_json", loads)
    incoming = tmp_path / "incoming"
    docs = batch.read_files([good_file(incoming), plain(incoming, rows=projects(3))], store=None)
    assert [len(d["rows"]) for d in docs] == [2, 3]
    assert seen == [False, False]
    assert gc.isenabled()  # and running again after the call


def test_the_collector_is_paused_for_a_job_and_restored_after(pool: SandboxPool) -> None:
    # A job runs (and its result is pickled) with the worker's collector paused; the parent's
    # collector, paused while it unpickles a result, is running again afterwards.
    outcomes = pool.run([(gc.isenabled, ()), (faulty.double, (4,))], timeout_s=10)
    assert [o.value for o in outcomes] == [False, 8]
    assert gc.isenabled()
