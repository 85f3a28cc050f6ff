"""Worker processes: how many cores they may have, and that they end with the process that started them.

A worker waiting for its next job never learns that its caller died (a SIGKILL runs no exit
handler), and one started through a fork server is the server's child, not the caller's. Left
alive, it would hold its memory and the caller's output pipe, which it inherited: whoever reads
that output to its end before reaping the caller (``subprocess.run``, a supervisor) would wait
forever. A killed caller that is not reaped yet still answers a signal, so death is watched
through a pidfd where there is one (Linux), which tells of the exit itself.
"""

import os
import select
import threading
import time


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system says, else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def end_with(caller_pid: int, interval_s: float = 1.0) -> None:
    """End this process, from a daemon thread, once ``caller_pid`` has exited."""
    try:
        pidfd: int | None = os.pidfd_open(caller_pid)  # type: ignore[attr-defined]
    except (AttributeError, OSError):  # not Linux, or a kernel before 5.3: look now and then
        pidfd = None
    threading.Thread(
        target=_watch, args=(caller_pid, pidfd, interval_s), name="kc-orphan-watch", daemon=True
    ).start()


def _watch(caller_pid: int, pidfd: int | None, interval_s: float) -> None:
    if pidfd is not None:
        select.select([pidfd], [], [])  # readable once the caller has exited
        os._exit(0)
    while True:
        time.sleep(interval_s)
        try:
            os.kill(caller_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except OSError:  # alive, but not ours to signal
            pass
