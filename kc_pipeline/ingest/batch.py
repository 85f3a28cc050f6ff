"""Read many files: staged results are reused by content hash, the rest read in worker processes.

Workers are separate processes so that reading uses both cores and so that a workbook which
exhausts memory or crashes a parser costs its own rejection, not the run (each worker has an
address-space limit).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kc_pipeline.ingest.reader import file_id_of, read_workbook
from kc_pipeline.ingest.staging import StagingStore
from kc_pipeline.reference import load_reference

WORKER_MEMORY_BYTES = 3 * 1024**3
# Starting worker processes costs about half a second; below this much input it does not pay off.
PARALLEL_FROM_BYTES = 16 * 1024 * 1024


def _limit_memory(limit: int) -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on every platform; the limit is a safety net
        pass


def _read_in_worker(path: str, reference_dir: str) -> dict[str, Any]:
    from kc_pipeline.ingest.model import Issue, ReadResult

    try:
        return read_workbook(path, load_reference(Path(reference_dir))).to_dict()
    except MemoryError:
        data = Path(path).read_bytes()
        result = ReadResult(
            path,
            file_id_of(data),
            "rejected",
            "unknown",
            error="too_much_memory: reading the file needed more memory than allowed",
        )
        result.issues.append(
            Issue("ERROR", "too_much_memory", "reading the file needed more memory than allowed")
        )
        return result.to_dict()


def read_files(
    paths: Iterable[Path],
    store: StagingStore | None = None,
    *,
    reference_dir: Path | None = None,
    workers: int | None = None,
) -> list[dict[str, Any]]:
    """Reader documents (``ReadResult.to_dict()``) for ``paths``, in the same order."""
    reference = load_reference(reference_dir)
    paths = [Path(p) for p in paths]
    documents: list[dict[str, Any] | None] = [None] * len(paths)
    pending: list[int] = []
    for i, path in enumerate(paths):
        if store is not None:
            try:
                cached = store.load(file_id_of(path.read_bytes()))
            except OSError:
                cached = None
            if cached is not None:
                cached["path"] = str(path)
                documents[i] = cached
                continue
        pending.append(i)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    pending_bytes = sum(_size(paths[i]) for i in pending)
    if workers > 1 and len(pending) > 1 and pending_bytes >= PARALLEL_FROM_BYTES:
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_limit_memory, initargs=(WORKER_MEMORY_BYTES,)
        ) as pool:
            futures = {
                i: pool.submit(_read_in_worker, str(paths[i]), str(reference.directory)) for i in pending
            }
            for i, future in futures.items():
                documents[i] = _result_or_crash(future, paths[i])
    else:
        for i in pending:
            documents[i] = read_workbook(paths[i], reference).to_dict()
    out: list[dict[str, Any]] = []
    for document in documents:
        assert document is not None
        if store is not None and not str(document.get("error") or "").startswith("reader_crashed"):
            store.save(document)
        out.append(document)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _result_or_crash(future: cf.Future[dict[str, Any]], path: Path) -> dict[str, Any]:
    from kc_pipeline.ingest.model import Issue, ReadResult

    try:
        return future.result()
    except Exception as exc:  # the worker died (killed, out of memory) while reading this file
        try:
            file_id = file_id_of(path.read_bytes())
        except OSError:
            file_id = ""
        result = ReadResult(str(path), file_id, "rejected", "unknown", error=f"reader_crashed: {exc}")
        result.issues.append(
            Issue("ERROR", "reader_crashed", f"the reader process failed on this file: {exc}")
        )
        return result.to_dict()
