"""The collector's pauses are counted across threads, and settle collects what was left in cycles."""

import gc
import threading
import weakref

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


def test_settle_collects_cycles_left_during_a_pause() -> None:
    with collector.paused():
        node = _Node()
        ref = weakref.ref(node)
        del node
        assert ref() is not None  # a cycle: reference counting alone never frees it
        collector.settle()
        assert ref() is None
    assert gc.get_freeze_count() == 0  # a test session never freezes (only the CLI asks to)
