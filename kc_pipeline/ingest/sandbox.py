"""Run untrusted work in reused worker processes with memory, CPU and wall-clock limits.

Why: parsing a hostile workbook can abort the process (a failed allocation in Rust, as in
python-calamine, is an abort, not an exception), crash a C extension, exhaust memory or never end.
In a worker process each of these ends one job, reported as an :class:`Outcome`, while the caller
and the other jobs carry on.

How:

* Workers are plain ``multiprocessing`` processes started by the ``forkserver`` method (``spawn``
  where there is none). The fork server is a fresh single-threaded interpreter that imports the
  reader once (:data:`PRELOAD`), so a new or replacement worker is a cheap fork of it, and no worker
  is ever forked from the caller, which runs threads (Dagster does).
* Each worker limits its own address space (``RLIMIT_AS``), disables core dumps, and before each
  job sets a CPU-time limit; the parent enforces a wall-clock deadline per job and kills the
  worker (SIGKILL) when it passes.
* One job at a time per worker, over its own pipe. The parent waits on every busy worker's pipe
  and process sentinel at once (``multiprocessing.connection.wait``), so a death is seen at once and
  pinned on the one job that worker held; a dead or killed worker is replaced and the queued jobs
  go on. Workers are kept between jobs and between calls (:func:`shared_pool`).
* A worker's stderr goes to a file the parent reads after a death, so an allocation failure
  ("memory allocation of N bytes failed") is told apart from other crashes.
* Results come back pickled; one above ``max_result_bytes`` is refused in the worker, so a hostile
  file cannot make the parent's memory explode through its result either.
* The cyclic garbage collector is paused while a worker runs a job and sends its result, and while
  the parent unpickles one: a reader document is hundreds of thousands of acyclic objects, freed by
  reference counting, and collections triggered by their creation would walk them again and again
  (several times the cost of the unpickling itself). Collection resumes between jobs.
* Workers run at a lower CPU priority (:data:`WORKER_NICENESS`). In a run they read ahead of the
  process that validates and loads what they read, which is the run's critical path: on two cores
  the readers then take the CPU it leaves, instead of slowing it down (about 1 s of a 19 s
  national cold run). A hostile file that keeps a worker busy also cannot starve the rest.
* Workers end when their pipe closes (the parent exited, even by SIGKILL) or, while busy, when a
  watchdog thread sees the parent gone.

The sandbox bounds resources; it is not a privilege boundary: workers run as the same user. As
with any start method but ``fork``, a script that uses it must guard its entry point with
``if __name__ == "__main__"`` (console scripts, ``python -m`` and pytest do).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import gc
import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from kc_pipeline import collector, processes

# The fork server imports these once; each worker forked from it starts with the reader loaded.
PRELOAD = ["kc_pipeline.ingest.sandbox_preload"]
DEFAULT_MEMORY_BYTES = 2 * 1024**3
DEFAULT_MAX_RESULT_BYTES = 256 * 1024**2
# A worker whose resident memory stays above this after a job is replaced (heaps rarely shrink).
RETIRE_RSS_BYTES = 768 * 1024**2
# Added to a worker's niceness (Unix: 0 is the default, 19 the lowest priority); see the docstring.
WORKER_NICENESS = 10
STDERR_TAIL_BYTES = 8192
_READY = b"ready"
# What native code and Python print when an allocation fails.
_OUT_OF_MEMORY_MARKS = (
    "memory allocation of",
    "MemoryError",
    "Cannot allocate memory",
    "std::bad_alloc",
    "out of memory",
)

Kind = Literal["ok", "error", "too_much_memory", "crashed", "timeout", "result_too_large"]
Job = tuple[Callable[..., Any], tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one job. ``value`` is the job's return value when ``kind`` is ``ok``."""

    kind: Kind
    value: Any = None
    detail: str = ""
    # The cause may not be the input's (the system's OOM killer or an operator sent SIGKILL).
    transient: bool = False


OnOutcome = Callable[[int, Outcome], None]  # (job index, its outcome), as each job ends


@dataclass(slots=True)
class _Worker:
    process: Any  # multiprocessing BaseProcess
    conn: Connection
    stderr_path: str
    stderr_fd: int
    job: int | None = None
    deadline: float = 0.0
    stderr_offset: int = 0


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _limit(memory_bytes: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    except (ImportError, ValueError, OSError):  # not on every platform; the wall clock still holds
        pass


def _lower_priority(increment: int) -> None:
    with contextlib.suppress(AttributeError, OSError):  # no os.nice (Windows): the default priority
        os.nice(increment)


def _limit_cpu(seconds: float) -> None:
    """SIGXCPU once this job has used ``seconds`` of CPU: a second stop if the parent cannot kill us."""
    try:
        import resource

        _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(_cpu_seconds() + seconds) + 1
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ImportError, ValueError, OSError):
        pass


def _worker_main(
    conn: Connection, memory_bytes: int, max_result_bytes: int, stderr_path: str, parent_pid: int
) -> None:
    """Loop: receive ``(func, args, cpu_seconds)``, send back a pickled ``(kind, value, detail, retire)``."""
    fd = os.open(stderr_path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 2)
    os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent; it will close our pipe
    _limit(memory_bytes)
    _lower_priority(WORKER_NICENESS)
    processes.end_with(parent_pid)  # the parent cannot collect our result any more
    conn.send_bytes(_READY)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        func, args, cpu_seconds = message
        _limit_cpu(cpu_seconds)
        gc.disable()  # until the result is sent and freed (see the module's docstring)
        try:
            kind, value, detail = "ok", func(*args), ""
        except MemoryError:
            kind, value, detail = "too_much_memory", None, "MemoryError"
        except BaseException as exc:  # a job's bug is its own outcome, never the worker's end
            kind, value, detail = "error", None, f"{type(exc).__name__}: {exc}"
        # A worker that ran out of memory, or whose heap stayed large, ends after this job.
        retire = kind == "too_much_memory" or _rss_bytes() > RETIRE_RSS_BYTES
        try:
            payload = pickle.dumps((kind, value, detail, retire), protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("too_much_memory", None, "MemoryError while returning the result", True))
            retire = True
        except Exception as exc:  # a value that cannot be pickled
            payload = pickle.dumps(("error", None, f"the result cannot be returned: {exc}", retire))
        del value
        if len(payload) > max_result_bytes:
            detail = f"the result is {len(payload):,} bytes, above {max_result_bytes:,}"
            payload = pickle.dumps(("result_too_large", None, detail, retire))
        try:
            conn.send_bytes(payload)
        except (OSError, ValueError):
            return
        finally:
            del payload
            gc.enable()
        if retire:
            return


def _unpickle(payload: bytes) -> Any:
    """``pickle.loads`` with the cyclic collector paused (see the module's docstring)."""
    with collector.paused():
        return pickle.loads(payload)


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


class SandboxPool:
    """Worker processes that run jobs under limits; safe to share between calls and threads."""

    def __init__(
        self,
        workers: int = 2,
        *,
        memory_bytes: int = DEFAULT_MEMORY_BYTES,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        start_method: str | None = None,
    ) -> None:
        self.size = max(1, workers)
        self.memory_bytes = memory_bytes
        self.max_result_bytes = max_result_bytes
        method = start_method or (
            "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        )
        self._context = multiprocessing.get_context(method)
        if method == "forkserver":
            self._context.set_forkserver_preload(PRELOAD)  # no effect once the server runs
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._owner = os.getpid()
        self.started = 0  # workers started so far (tests check that workers are reused)

    # ------------------------------------------------------------------------------ workers

    def _start(self) -> _Worker:
        fd, path = tempfile.mkstemp(prefix="kc-reader-", suffix=".stderr")
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child, self.memory_bytes, self.max_result_bytes, path, os.getpid()),
            name="kc-reader",
            daemon=True,
        )
        try:
            process.start()
        except BaseException:
            parent.close()
            os.close(fd)
            os.unlink(path)
            raise
        finally:
            child.close()
        self.started += 1
        return _Worker(process, parent, path, fd)

    def _retire(self, worker: _Worker, *, kill: bool = False) -> None:
        if kill and worker.process.is_alive():
            worker.process.kill()
        worker.conn.close()
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        os.close(worker.stderr_fd)
        self._forget_stderr(worker)

    @staticmethod
    def _forget_stderr(worker: _Worker) -> None:
        if worker.stderr_path:
            with contextlib.suppress(OSError):
                os.unlink(worker.stderr_path)
            worker.stderr_path = ""

    def _stderr_since(self, worker: _Worker) -> str:
        try:
            end = os.fstat(worker.stderr_fd).st_size
            start = max(worker.stderr_offset, end - STDERR_TAIL_BYTES)
            return os.pread(worker.stderr_fd, end - start, start).decode("utf-8", "replace")
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """Process ids of the idle workers (tests check that they end with their parent)."""
        return [w.process.pid for w in self._idle]

    # ------------------------------------------------------------------------------ running

    def run(
        self, jobs: Sequence[Job], *, timeout_s: float, on_outcome: OnOutcome | None = None
    ) -> list[Outcome]:
        """Run every job and return one outcome per job, in order; never raises for a job's failure.

        ``on_outcome(index, outcome)`` is called in this thread as each job ends, once the workers
        have their next jobs: the caller's work on a result overlaps the jobs still running.
        """
        if not jobs:
            return []
        with self._lock:
            if os.getpid() != self._owner:  # a forked copy must not touch its parent's workers
                self._idle, self._owner = [], os.getpid()
            return self._run(jobs, timeout_s, on_outcome)

    def _run(self, jobs: Sequence[Job], timeout_s: float, on_outcome: OnOutcome | None) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(jobs)
        queue = collections.deque(range(len(jobs)))
        busy: list[_Worker] = []
        failed_sends = 0
        reported = 0  # outcomes[:reported] were handed to on_outcome (in job order)

        def report() -> None:
            nonlocal reported
            while on_outcome is not None and reported < len(jobs) and outcomes[reported] is not None:
                on_outcome(reported, outcomes[reported])  # type: ignore[arg-type]
                reported += 1

        try:
            while queue or busy:
                while queue and len(busy) < self.size:
                    worker = self._idle.pop() if self._idle else self._start()
                    index = queue.popleft()
                    func, args = jobs[index]
                    try:
                        worker.stderr_offset = os.fstat(worker.stderr_fd).st_size
                        worker.conn.send((func, args, timeout_s * 2))
                    except (OSError, ValueError):  # it died while idle: replace it, the job waits
                        log = self._stderr_since(worker)
                        self._retire(worker, kill=True)
                        failed_sends += 1
                        if failed_sends > 2 * self.size:  # workers die as they start: give up on this job
                            outcomes[index] = Outcome("crashed", detail=f"no worker starts: {log[-300:]}")
                        else:
                            queue.appendleft(index)
                        continue
                    worker.job, worker.deadline = index, time.monotonic() + timeout_s
                    busy.append(worker)
                report()
                if busy:
                    self._wait(busy, outcomes, timeout_s)
        finally:
            for worker in busy:  # interrupted (KeyboardInterrupt): never leave a worker mid-job
                self._retire(worker, kill=True)
        final = [o if o is not None else Outcome("crashed", detail="not run") for o in outcomes]
        if on_outcome is not None:
            for index in range(reported, len(jobs)):
                on_outcome(index, final[index])
        return final

    def _wait(self, busy: list[_Worker], outcomes: list[Outcome | None], timeout_s: float) -> None:
        now = time.monotonic()
        timeout = max(0.0, min(w.deadline for w in busy) - now)
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        now = time.monotonic()
        for worker in list(busy):
            outcome: Outcome | None = None
            retire = False
            if worker.conn in ready or worker.process.sentinel in ready:
                try:
                    payload = worker.conn.recv_bytes() if worker.conn.poll() else None
                except (EOFError, OSError):
                    payload = None
                if payload == _READY:
                    self._forget_stderr(worker)  # the worker has it open; the name is no longer needed
                    continue
                if payload is not None:
                    kind, value, detail, retire = _unpickle(payload)
                    outcome = Outcome(kind, value, detail)
                elif not worker.process.is_alive() or worker.process.sentinel in ready:
                    outcome = self._death(worker, timeout_s)
                    retire = True
                else:
                    continue
            elif now >= worker.deadline:
                worker.process.kill()
                worker.process.join(timeout=5)
                outcome = Outcome("timeout", detail=f"still reading after {timeout_s:g} s")
                retire = True
            else:
                continue
            assert worker.job is not None
            outcomes[worker.job] = outcome
            worker.job = None
            busy.remove(worker)
            if retire or not worker.process.is_alive():
                self._retire(worker, kill=True)
            else:
                self._idle.append(worker)

    def _death(self, worker: _Worker, timeout_s: float) -> Outcome:
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        log = self._stderr_since(worker)
        last = next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "")
        first = next((line.strip() for line in log.splitlines() if line.strip()), "")
        if any(mark in log for mark in _OUT_OF_MEMORY_MARKS):
            return Outcome("too_much_memory", detail=first[:300])
        if code is not None and code < 0:
            name = _signal_name(-code)
            if -code == getattr(signal, "SIGXCPU", -1):
                return Outcome("timeout", detail=f"used more than {timeout_s * 2:g} s of CPU")
            if -code == signal.SIGKILL:
                return Outcome(
                    "crashed",
                    detail="killed by SIGKILL (the system's out-of-memory killer or an operator)",
                    transient=True,
                )
            return Outcome("crashed", detail=f"killed by {name}" + (f": {first[:300]}" if first else ""))
        return Outcome("crashed", detail=f"exited with code {code}" + (f": {last[:300]}" if last else ""))

    def close(self) -> None:
        """Stop the idle workers (busy ones exist only inside :meth:`run`)."""
        with self._lock:
            if os.getpid() != self._owner:
                self._idle = []
                return
            for worker in self._idle:
                with contextlib.suppress(OSError, ValueError):
                    worker.conn.send(None)
            for worker in self._idle:
                self._retire(worker)
            self._idle = []


_SHARED: SandboxPool | None = None
_SHARED_LOCK = threading.Lock()


def shared_pool(workers: int | None = None) -> SandboxPool:
    """The process's pool, created on first use and kept, so later calls pay no start-up."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED._owner != os.getpid():
            size = workers if workers is not None else min(2, os.cpu_count() or 1)
            memory = int(os.environ.get("KC_READ_MEMORY_BYTES", DEFAULT_MEMORY_BYTES))
            _SHARED = SandboxPool(size, memory_bytes=memory)
        return _SHARED


@atexit.register
def _close_shared() -> None:
    if _SHARED is not None:
        _SHARED.close()
