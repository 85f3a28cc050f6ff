"""Jobs that fail the way native parsers do, for the sandbox's tests (imported by its workers)."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import time


def double(x: int) -> int:
    return 2 * x


def double_later(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return 2 * x


def pid() -> int:
    return os.getpid()


def niceness() -> int:
    return os.nice(0)


def address_space_limit() -> int:
    return resource.getrlimit(resource.RLIMIT_AS)[0]


def segfault() -> None:
    ctypes.string_at(0)  # reads address 0: SIGSEGV


def abort() -> None:
    os.abort()  # what a Rust panic on a failed allocation ends in: SIGABRT


def native_out_of_memory() -> None:
    """What python-calamine prints before it aborts on a failed allocation."""
    os.write(2, b"memory allocation of 549755813888 bytes failed\n")
    os.abort()


def sigkill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def hang() -> None:
    time.sleep(3600)


def spin() -> None:
    while True:
        pass


def allocate(gib: int = 4) -> int:
    return len(bytearray(gib * 1024**3))  # above the worker's address-space limit: MemoryError


def exit_3() -> None:
    os._exit(3)


def raise_value_error() -> None:
    raise ValueError("a bug in the job")


def huge_result() -> bytes:
    return b"x" * (64 * 1024**2)


def hang_after_writing_pid(path: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(str(os.getpid()))
    time.sleep(3600)
