"""The collector's pauses are counted across threads, and settle collects what was left in cycles."""

import gc
import subprocess
import sys
import threading
import weakref
from pathlib import Path

import pytest

from kc_pipeline import collector


def test_pauses_nest_across_threads_and_resume_only_after_the_last() -> None:
    assert gc.isenabled()
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with collector.paused():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with collector.paused():
        assert not gc.isenabled()
        thread.start()
        assert entered.wait(5)
    assert not gc.isenabled()  # the other thread still holds its pause
    release.set()
    thread.join(5)
    assert gc.isenabled()


def test_a_pause_never_turns_on_a_collector_that_was_off() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_settle_collects_cycles_left_during_a_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collector, "_freeze", False)  # as in any process but the console command
    with collector.paused():
        node = _Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # a cycle: reference counting alone never frees it
        collector.settle()
        assert ref() is None
    assert gc.get_freeze_count() == 0  # only the console command freezes what survives


def test_only_the_console_command_freezes_survivors(tmp_path: Path) -> None:
    """``kc-pipeline`` (``cli.entry``) asks for freezing; ``cli.main``, which tests and the UI's
    processes call in-process, leaves the collector of a long-lived process alone."""
    from kc_pipeline import cli

    cli.main(["inspect", str(tmp_path / "missing.xlsx"), "--json"])
    assert collector._freeze is False
    script = (
        "import sys; from kc_pipeline import cli, collector\n"
        f"sys.argv = ['kc-pipeline', 'inspect', {str(tmp_path / 'missing.xlsx')!r}, '--json']\n"
        "import atexit; atexit.register(lambda: print('freeze', collector._freeze, flush=True))\n"
        "cli.entry()\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "freeze True" in out.stdout, out.stderr[-2000:]
