"""Great Expectations in a process of its own, so its import overlaps the run's own work.

Why: importing GX and building its context takes two to three seconds of CPU, more than the rest
of a one-file nightly run. A thread cannot hide that, since it holds the interpreter lock the run's
own Python needs; a second process, on the machine's other core, can. ``kc-pipeline run`` calls
:func:`start` before it plans (and :func:`stop` if the plan finds nothing to do), or, with no core
to spare, as soon as its plan shows work, before Dagster is imported; by the time rows
reach validation GX is loaded there: :func:`gx_suite.start_suite` sends it the columns the suite
reads, the validator runs its rules while GX works, then collects the failures.

The service is an optimisation, never a dependency: if it cannot start, dies, or answers with
anything but a result, the suite runs in this process as it would without it (and a
:class:`~kc_pipeline.validate.gx_suite.GxSuiteError` raised there is raised here). The process is
a fresh interpreter (``spawn``), ends when its pipe closes (this process exited, even by SIGKILL)
and is killed at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import multiprocessing
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from kc_pipeline.validate.gx_suite import ExpectationSpec, Failure

_LOCK = threading.Lock()
_SERVICE: _Service | None = None
# GX imports scipy.stats, about a quarter of its import time, for distribution expectations the
# suite never builds; in the service it loads on first use instead (never, in a run).
DEFERRED_IMPORTS = ("scipy.stats",)


class _Service:
    def __init__(self) -> None:
        # A fresh interpreter: not forked from this threaded process, and not from the reader's fork
        # server, which would first have to import the reader.
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child,), name="kc-gx-service", daemon=True)
        self.process.start()
        child.close()
        self.broken = False
        self.waiting = False
        self.sent = 0

    def send(self, data: pd.DataFrame, as_float: frozenset[str], specs: tuple[ExpectationSpec, ...]) -> bool:
        """Send one validation; False when the service cannot take it."""
        if self.broken:
            return False
        if self.waiting:
            self.receive()  # an answer nobody collected: drop it, so replies stay in step
        try:
            self.conn.send((data, as_float, specs))
        except (OSError, ValueError):
            self.broken = True
            return False
        self.sent += 1
        self.waiting = True
        return True

    def receive(self) -> Any:
        """The reply to the last validation sent, or None when the service could not give one."""
        self.waiting = False
        try:
            while not self.conn.poll(0.2):
                if not self.process.is_alive():
                    raise EOFError("the GX service died")
            return self.conn.recv()
        except (OSError, EOFError, ValueError):
            self.broken = True
            return None

    def stop(self) -> None:
        """At once: the service holds nothing worth a graceful end, and may still be importing GX."""
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)


def defer_imports(names: tuple[str, ...] = DEFERRED_IMPORTS) -> list[str]:
    """Make each module not yet imported load on its first attribute access instead of on import
    (``importlib.util.LazyLoader``, the standard library's recipe); returns those deferred."""
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            continue
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:  # as an import would: ``from scipy import stats`` finds it there
            setattr(sys.modules[parent], child, module)
        deferred.append(name)
    return deferred


def _serve(conn: Connection) -> None:
    """In the service process: load GX, then validate until the pipe closes."""
    from kc_pipeline.validate import gx_suite

    with contextlib.suppress(Exception):
        defer_imports()

    with contextlib.suppress(Exception):
        # GX's progress bars (tqdm) would otherwise make a multiprocessing lock, a named semaphore
        # that a killed service leaves behind for the resource tracker to warn about.
        from tqdm import tqdm

        tqdm.set_lock(threading.RLock())
    with contextlib.suppress(Exception):
        gx_suite.warm()  # load GX now, before the first request; a failure shows on that request
    while True:
        try:
            data, as_float, specs = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", gx_suite.validate_data(data, as_float, specs))
        except gx_suite.GxSuiteError as exc:
            reply = ("suite_error", str(exc))
        except Exception as exc:  # reported, then the caller validates in its own process
            reply = ("error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def start() -> None:
    """Start the service unless it runs already (or cannot start: then validation stays local)."""
    global _SERVICE
    with _LOCK:
        if _SERVICE is not None and _SERVICE.process.is_alive() and not _SERVICE.broken:
            return
        try:
            _SERVICE = _Service()
        except (OSError, ValueError, RuntimeError):
            _SERVICE = None


def submit(
    data: pd.DataFrame, as_float: frozenset[str], specs: tuple[ExpectationSpec, ...]
) -> Callable[[], list[Failure] | None] | None:
    """Send a validation to the service and return at once, so the caller can work meanwhile.

    Returns a function that waits for the failures (None if the service gave none), or None when
    there is no service to send to.
    """
    with _LOCK:
        service = _SERVICE
        if service is None or not service.send(data, as_float, specs):
            return None
        ticket = service.sent

    def result() -> list[Failure] | None:
        with _LOCK:
            if service is not _SERVICE or service.sent != ticket or not service.waiting:
                return None  # another validation was sent since: this answer is gone
            reply = service.receive()
        if reply is None:
            return None
        kind, value = reply
        if kind == "ok":
            return value
        if kind == "suite_error":
            from kc_pipeline.validate.gx_suite import GxSuiteError

            raise GxSuiteError(value)
        return None

    return result


def running() -> bool:
    with _LOCK:
        return _SERVICE is not None and _SERVICE.process.is_alive() and not _SERVICE.broken


def stop() -> None:
    global _SERVICE
    with _LOCK:
        service, _SERVICE = _SERVICE, None
    if service is not None:
        service.stop()


atexit.register(stop)
