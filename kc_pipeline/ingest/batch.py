"""Read many files: staged results are reused by content hash; every other file is read in a sandbox.

District files are untrusted, and some hostile workbooks do not raise an exception: they abort the
process (a sheet with cells at A1 and XFD1048576 makes python-calamine allocate 512 GiB and abort),
exhaust memory or never finish. So the caller (a Dagster run, the CLI) never parses a workbook
itself:

* Cache first: each path is hashed (sha256, streamed, so a big file costs no memory here) and a
  result staged for those bytes by this reader version is reused without reading anything.
* Every other file is read in a worker of the process's shared :mod:`~kc_pipeline.ingest.sandbox`
  pool: two workers (one per core) forked from a fork server that has the reader imported, created
  on the first call and kept, so later calls (a sensor's one-file run, ``make bench``'s 600 files)
  pay no start-up. Each worker has an address-space limit (``KC_READ_MEMORY_BYTES``, default
  2 GiB) and each file a wall-clock limit (``KC_READ_TIMEOUT_S``, default 60 s) and twice that in
  CPU time.
* A worker that dies or runs out of time costs only its file, which becomes a rejected result with
  a specific reason: ``reader_crashed`` (a signal or an exit: segfault, abort, SIGKILL),
  ``too_much_memory`` (a ``MemoryError``, or a native allocation failure seen on the worker's
  stderr), ``timeout``, ``result_too_large`` or ``reader_error`` (a bug outside the reader's own
  guard). The worker is replaced and the other files are read as usual.
* Every result is staged, so a hostile file is never parsed twice; results whose cause may lie
  outside the file (a timeout on a loaded machine, a SIGKILL from the OOM killer or an operator)
  are marked ``transient`` and not taken from the cache when the file is read again
  (``kc-pipeline run --full``).
* The same bytes under two names (a copy, NFC/NFD twin names) are read once.
* :func:`read_files` parses the documents it brings back with the cyclic garbage collector paused
  (:mod:`kc_pipeline.collector`): a document is hundreds of thousands of acyclic objects, and the
  collections their creation triggers would walk the documents parsed before again and again
  (parsing 10 documents of 20,000 rows took 2.6 s with collection on, 1.1 s without).
* The read-ahead's :func:`stage_files` keeps nothing: each worker writes its file's staged document
  itself (atomically, as any staged file), so the caller's process, which validates and loads,
  neither receives nor writes it; :func:`read_files` brings each document back.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kc_pipeline import collector
from kc_pipeline.ingest.model import Issue, ReadResult
from kc_pipeline.ingest.reader import read_workbook
from kc_pipeline.ingest.sandbox import Outcome, shared_pool
from kc_pipeline.ingest.staging import StagingStore, dumps_json, loads_json
from kc_pipeline.reference import load_reference

DEFAULT_TIMEOUT_S = 60.0
_HASH_CHUNK = 1 << 20
_REASONS = {
    "too_much_memory": "reading the file needed more memory than allowed",
    "timeout": "reading the file took longer than allowed",
    "crashed": "the reader process died on this file",
    "result_too_large": "the file produced more rows than a district workbook can hold",
    "error": "the reader failed on this file",
}
_CODES = {"crashed": "reader_crashed", "error": "reader_error"}


def read_timeout_s() -> float:
    """Wall-clock limit per file, from ``KC_READ_TIMEOUT_S`` (seconds) or 60."""
    try:
        value = float(os.environ.get("KC_READ_TIMEOUT_S", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S
    return value if value > 0 else DEFAULT_TIMEOUT_S


def _read_document(path: str, reference_dir: str) -> dict[str, Any]:
    """Runs in a sandbox worker: one file to its reader document."""
    return read_workbook(path, load_reference(Path(reference_dir))).to_dict()


def _read_staged(path: str, reference_dir: str) -> tuple[str, bytes]:
    """Runs in a sandbox worker: one file to its file id and staged JSON. The caller writes the
    bytes as they come, and parses them only if it needs the document: orjson serialises and
    parses these documents faster than pickle, and every document is then the one staging gives."""
    document = _read_document(path, reference_dir)
    return document["file_id"], dumps_json(document)


def _stage_in_worker(path: str, reference_dir: str, staging_root: str, version: str, max_bytes: int) -> Any:
    """Runs in a sandbox worker: one file read and staged by the worker itself (the read-ahead's
    job), so the caller neither receives nor writes the document; returns the file id. A document
    above the pool's result limit is returned instead of staged, for the pool to refuse it
    (``result_too_large``) as it refuses any result that size. One the worker cannot write (a
    full disk) is returned as :func:`_read_staged` returns it, for the caller to stage: a failed
    write says nothing about the file, and must not end staged as a reader error."""
    file_id, payload = _read_staged(path, reference_dir)
    if len(payload) > max_bytes:
        return payload
    try:
        StagingStore(Path(staging_root), version).save_json(file_id, payload)
    except OSError:
        return file_id, payload
    return file_id


def content_id(path: Path) -> str | None:
    """sha256 of a regular file's bytes, streamed; None for anything else (a FIFO is never opened
    for reading in a way that blocks) or a file that cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        digest = hashlib.sha256()
        while chunk := os.read(fd, _HASH_CHUNK):
            digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def read_files(
    paths: Iterable[Path],
    store: StagingStore | None = None,
    *,
    reference_dir: Path | None = None,
    workers: int | None = None,
    timeout_s: float | None = None,
) -> list[dict[str, Any]]:
    """Reader documents (``ReadResult.to_dict()``) for ``paths``, in the same order; never raises
    for a bad file. ``workers`` sizes the shared pool when this call creates it; ``timeout_s``
    overrides ``KC_READ_TIMEOUT_S``."""
    with collector.paused():  # the documents are acyclic (see the module's docstring)
        return _read_files(paths, store, reference_dir, workers, timeout_s)


def _read_files(
    paths: Iterable[Path],
    store: StagingStore | None,
    reference_dir: Path | None,
    workers: int | None,
    timeout_s: float | None,
) -> list[dict[str, Any]]:
    reference = load_reference(reference_dir)
    paths = [Path(p) for p in paths]
    documents: list[dict[str, Any] | None] = [None] * len(paths)
    file_ids = [content_id(path) for path in paths]
    to_read: dict[str, list[int]] = {}  # one read per distinct content; key "path:<i>" if unhashable
    for i, (path, file_id) in enumerate(zip(paths, file_ids, strict=True)):
        cached = store.load(file_id) if store is not None and file_id else None
        if cached is not None and not cached.get("transient"):
            documents[i] = dict(cached, path=str(path))
            continue
        to_read.setdefault(file_id or f"path:{i}", []).append(i)
    if to_read:
        groups = list(to_read.values())

        def take(job: int, outcome: Outcome) -> None:  # as each file is read, while others are
            first = groups[job][0]
            document = _take(outcome, paths[first], file_ids[first], store)
            for i in groups[job]:
                documents[i] = dict(document, path=str(paths[i]))

        shared_pool(workers).run(
            [(_read_staged, (str(paths[indices[0]]), str(reference.directory))) for indices in groups],
            timeout_s=timeout_s or read_timeout_s(),
            on_outcome=take,
        )
    return [d for d in documents if d is not None]


def stage_files(paths: Iterable[Path], store: StagingStore, *, reference_dir: Path | None = None) -> int:
    """Read into ``store`` each distinct file of ``paths`` that has no staged result yet; returns
    how many were read. Nothing is returned or kept: this is the read-ahead's call, and the raw
    step loads what it needs (and reports unreadable paths, which are skipped here)."""
    reference = load_reference(reference_dir)
    todo: dict[str, Path] = {}
    for path in map(Path, paths):
        file_id = content_id(path)
        if file_id and file_id not in todo and not store.path_for(file_id).exists():
            todo[file_id] = path
    if todo:
        pool = shared_pool()
        where = (str(reference.directory), str(store.root), store.version, pool.max_result_bytes)
        outcomes = pool.run(
            [(_stage_in_worker, (str(path), *where)) for path in todo.values()],
            timeout_s=read_timeout_s(),
        )
        for (file_id, path), outcome in zip(todo.items(), outcomes, strict=True):
            if outcome.kind != "ok":
                store.discard_partial(file_id)  # a worker killed while it wrote
                store.save(_rejected(outcome, path, file_id))
            elif not isinstance(outcome.value, str):  # the worker could not write it: staged here
                store.save_json(*outcome.value)
    return len(todo)


def _take(outcome: Outcome, path: Path, file_id: str | None, store: StagingStore | None) -> dict[str, Any]:
    """A job's outcome as its document, staged in ``store`` (if any). A read file comes as its
    staged JSON (:func:`_read_staged`), written as it is and parsed only here."""
    if outcome.kind != "ok":
        document = _rejected(outcome, path, file_id)
        if store is not None:
            store.save(document)
        return document
    staged_id, payload = outcome.value
    if store is not None:
        store.save_json(staged_id, payload)
    return loads_json(payload)


def _rejected(outcome: Outcome, path: Path, file_id: str | None) -> dict[str, Any]:
    """The document of a file whose job failed: rejected, with the reason as its error."""
    code = _CODES.get(outcome.kind, outcome.kind)
    message = _REASONS[outcome.kind] + (f" ({outcome.detail})" if outcome.detail else "")
    result = ReadResult(str(path), file_id or "", "rejected", "unknown", error=f"{code}: {message}")
    result.issues.append(Issue("ERROR", code, message))
    document = result.to_dict()
    if outcome.transient or outcome.kind == "timeout":
        document["transient"] = True
    return document
