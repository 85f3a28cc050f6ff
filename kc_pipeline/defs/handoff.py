"""Pass a step's output to the next step of the same run in memory; the staged files stay the record.

Why: ``raw_district_workbooks`` -> ``core_validated_rows`` -> ``core_projects`` hand each other
every row of a run. Each step still writes its output to the staging folder (the cache, the
fallback and what the UI's step-per-process runs read), but when the next step runs in the same
process (``kc-pipeline run``, the in-process executor) it takes the objects from here instead of
reading back and decoding hundreds of megabytes of JSON.

Entries are taken, not copied: the consumer pops them, so memory is freed as the run moves on, and
a retried step (nothing here any more) reads the files. :func:`discard_run` drops whatever a failed
run left behind.
"""

import threading
from collections.abc import Iterable
from typing import Any

import dagster as dg

_LOCK = threading.Lock()
_ENTRIES: dict[tuple[str, str, str], Any] = {}


def in_this_run(context: dg.AssetExecutionContext, asset: str) -> bool:
    """Whether ``asset`` is also materialized by this run, so a value put for it will be taken.

    A step whose consumer is not in the run puts nothing: the value would only use memory.
    """
    try:
        return dg.AssetKey(asset) in context.job_def.asset_layer.executable_asset_keys
    except AttributeError:  # an executor or Dagster version without it: the files are read instead
        return False


def put(run_id: str, name: str, key: str, value: Any) -> None:
    with _LOCK:
        _ENTRIES[(run_id, name, key)] = value


def holds(run_id: str, name: str, key: str) -> bool:
    """Whether a value was put for this run, name and key and not taken yet."""
    with _LOCK:
        return (run_id, name, key) in _ENTRIES


def take(run_id: str, name: str, key: str) -> Any | None:
    """The value put for this run, name and key, removed from the store; None when there is none."""
    with _LOCK:
        return _ENTRIES.pop((run_id, name, key), None)


def discard_run(run_id: str) -> None:
    with _LOCK:
        for entry in [e for e in _ENTRIES if e[0] == run_id]:
            del _ENTRIES[entry]


def pending(run_ids: Iterable[str] | None = None) -> int:
    """How many entries are held, for these runs or all (tests assert a finished run leaves none)."""
    wanted = None if run_ids is None else set(run_ids)
    with _LOCK:
        return sum(1 for entry in _ENTRIES if wanted is None or entry[0] in wanted)
