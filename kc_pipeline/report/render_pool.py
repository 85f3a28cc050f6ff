"""Worker processes that render years of the project list beside the process writing the report.

A national list is 120,000 rows in a dozen years. Rendering them is most of a report's time and,
at the end of a cold run, the only work left: one core busy, the other idle. So the years whose
rows another process can read (:class:`~kc_pipeline.report.data.BlockSource`) are shared out:
workers render some while the report's own process renders the others
(:mod:`kc_pipeline.report.listing` decides which, and checks what comes back).

The workers are started by the ``forkserver`` method (``spawn`` where there is none): never forked
from the caller, which runs threads (Dagster's, the read-ahead's). There is one per core but one
(``KC_REPORT_WORKERS`` overrides it; 0 turns them off), started on first use, or ahead of time by
:func:`warm` while the caller still works on something else, and kept for the process's life.
"""

from __future__ import annotations

import atexit
import importlib
import multiprocessing
import os
import signal
import threading
from concurrent.futures import Future, ProcessPoolExecutor

from kc_pipeline import processes

# The module whose functions the workers run; importing it is most of a worker's start-up.
_WORKER_MODULE = "kc_pipeline.report.listing"
_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None
_WORKERS = 0


def worker_count() -> int:
    """``KC_REPORT_WORKERS`` if set, else one per core the process may use, but one."""
    setting = os.environ.get("KC_REPORT_WORKERS", "").strip()
    if setting:
        try:
            return max(0, int(setting))
        except ValueError:
            pass
    return max(0, processes.usable_cores() - 1)


def shared_pool() -> ProcessPoolExecutor | None:
    """The process's workers, created on the first call; None when there are to be none."""
    global _POOL, _WORKERS
    with _LOCK:
        if _POOL is None:
            workers = worker_count()
            if workers == 0:
                return None
            method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
            _POOL = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context(method),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            _WORKERS = workers
            # Before multiprocessing's own exit handler, which waits for every child: idle workers
            # would keep it waiting (``kc-pipeline`` runs the handlers itself, then exits at once).
            atexit.register(discard)
        return _POOL


def workers_started() -> int:
    """How many workers the shared pool has (0 before it is made, or with none)."""
    return _WORKERS if _POOL is not None else 0


def warm() -> list[Future[None]]:
    """Start every worker now, each importing what it renders with: they are then ready when the
    report needs them. Returns at once."""
    pool = shared_pool()
    if pool is None:
        return []
    return [pool.submit(_import_worker_module) for _ in range(workers_started())]


def discard() -> None:
    """End the workers (at exit, or a broken pool: one died); the next :func:`shared_pool` starts
    new ones."""
    global _POOL
    with _LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the caller, which ends the workers
    processes.end_with(parent_pid)


def _import_worker_module() -> None:
    importlib.import_module(_WORKER_MODULE)
