"""The report's worker processes: how many, and that a process using them still exits at once."""

import os
import subprocess
import sys

import pytest

from kc_pipeline.report import render_pool


@pytest.mark.parametrize(("setting", "expected"), [("0", 0), ("3", 3), ("-2", 0)])
def test_the_setting_says_how_many_workers(
    monkeypatch: pytest.MonkeyPatch, setting: str, expected: int
) -> None:
    monkeypatch.setenv("KC_REPORT_WORKERS", setting)
    assert render_pool.worker_count() == expected


@pytest.mark.parametrize("setting", [None, "", "many"])
def test_by_default_one_worker_per_core_but_one(monkeypatch: pytest.MonkeyPatch, setting: str | None) -> None:
    if setting is None:
        monkeypatch.delenv("KC_REPORT_WORKERS", raising=False)
    else:
        monkeypatch.setenv("KC_REPORT_WORKERS", setting)
    assert render_pool.worker_count() == len(os.sched_getaffinity(0)) - 1


def test_no_workers_means_no_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KC_REPORT_WORKERS", "0")
    render_pool.discard()
    assert render_pool.shared_pool() is None
    assert render_pool.warm() == []


# What ``kc-pipeline``'s console script does at the end (``cli.entry``): run the exit handlers, then
# end the process at once. Idle workers must not keep multiprocessing's handler waiting for them.
_FAST_EXIT = """
import atexit, os
from kc_pipeline.report import render_pool

if __name__ == "__main__":
    for started in render_pool.warm():
        started.result()
    assert render_pool.workers_started() == 1
    atexit._run_exitfuncs()
    os._exit(0)
"""


def test_a_process_with_idle_workers_exits_at_once() -> None:
    env = dict(os.environ, KC_REPORT_WORKERS="1")
    done = subprocess.run([sys.executable, "-c", _FAST_EXIT], env=env, timeout=30, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


_KILLED_CALLER = """
import os, signal, sys
from kc_pipeline.report import render_pool

if __name__ == "__main__":
    for started in render_pool.warm():
        started.result()
    print("ready", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # no exit handler runs
"""


def test_workers_end_when_their_caller_is_killed() -> None:
    """They inherited the caller's output: reading it to its end must not wait for them."""
    env = dict(os.environ, KC_REPORT_WORKERS="1")
    done = subprocess.run([sys.executable, "-c", _KILLED_CALLER], env=env, timeout=30, capture_output=True)
    assert done.returncode == -9
    assert done.stdout == b"ready\n"
