"""The cyclic garbage collector, paused around work that makes millions of acyclic objects.

Why: reader documents, validation records and warehouse rows are dicts, lists and strings freed by
reference counting. Made by the hundred thousand, they trigger full collections that each walk the
whole heap (Dagster's, GX's and pandas' objects included), a second per chunk of a national run.
Pausing is process-wide, so the pauses of several threads (a run and the read-ahead beside it)
are counted: the collector resumes when the last one ends, and only if it ran before the first.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_resume = False
_freeze = False


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside; nestable and safe across threads."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()


def settle() -> None:
    """Collect what the work so far left in cycles; call where little else is alive (between runs),
    paused or not. In a process that asked for it (:func:`freeze_survivors`), what survives is then
    kept out of later collections (``gc.freeze``): there it is long-lived (imported modules, the
    Dagster instance), and every full collection would walk it again. Frozen objects are still
    freed by reference counting, but a cycle among them is never collected, so a long-lived
    process that keeps making garbage (a test session, a server) must not freeze.

    Only the youngest generation is collected: with automatic collection paused, everything the
    run made and left is there, and the rest of a long-lived process's heap is not walked again.
    """
    gc.collect(0)
    if _freeze:
        gc.freeze()


def keep_alive_objects() -> None:
    """Where freezing is allowed, freeze what is alive now without collecting first: right after
    the imports, so the first :func:`settle` walks only the run's own objects."""
    if _freeze:
        gc.freeze()


def freeze_survivors() -> None:
    """This process is one command that ends after its work: let :func:`settle` freeze survivors."""
    global _freeze
    _freeze = True
