"""Staged reader output, one JSON file per file version (sha256), and the reader's version.

Reading is the expensive step, and a file's bytes decide its result: a file already read by the
same reader version is never read again. Later stages load the staged rows by file id.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from kc_pipeline.ingest.model import ReadResult

_INGEST_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def reader_version() -> str:
    """Hash of the reader's source: a changed reader marks staged results (and assets) stale."""
    digest = hashlib.sha256()
    for source in sorted(_INGEST_DIR.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


class StagingStore:
    """Directory of ``<file_id>.<reader version>.json`` documents written atomically. ``version``
    is the reader version of the process that owns the store (a worker staging for it is given
    the owner's, so the owner finds what the worker wrote)."""

    def __init__(self, root: Path, version: str | None = None) -> None:
        self.root = Path(root)
        self.version = version or reader_version()

    def path_for(self, file_id: str) -> Path:
        return self.root / "files" / f"{file_id}.{self.version}.json"

    def load(self, file_id: str) -> dict[str, Any] | None:
        try:
            return read_json(self.path_for(file_id))
        except (OSError, ValueError):
            return None

    def save_json(self, file_id: str, payload: bytes) -> None:
        """Stage a document already serialised by :func:`dumps_json` (in a reader's worker)."""
        if file_id:
            write_bytes_atomic(self.path_for(file_id), payload)

    def discard_partial(self, file_id: str) -> None:
        """Remove what a writer killed midway left of ``file_id``'s document (its temporary files)."""
        target = self.path_for(file_id)
        for leftover in target.parent.glob(f".{target.name}.*.tmp"):
            leftover.unlink(missing_ok=True)

    def save(self, result: ReadResult | dict[str, Any]) -> dict[str, Any]:
        document = result.to_dict() if isinstance(result, ReadResult) else result
        target = self.path_for(document["file_id"]) if document["file_id"] else None
        if target is None:
            return document
        write_json_atomic(target, document)
        return document


# Dates and datetimes as ``str()`` gives them, like the standard library's ``default=str``.
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps_json(document: Any) -> bytes:
    """UTF-8 JSON of ``document``; anything JSON lacks (dates, decimals) as ``str()``.

    orjson, because staging and the validated rows are the bulk of a run's disk traffic: it is
    several times faster than the standard library and writes the bytes in one call.
    """
    return orjson.dumps(document, default=str, option=_ORJSON_OPTIONS)


def read_json(path: Path) -> Any:
    """A JSON document written by :func:`write_json_atomic` (or any UTF-8 JSON file)."""
    return loads_json(path.read_bytes())


def loads_json(payload: bytes) -> Any:
    """The document of :func:`dumps_json`'s bytes."""
    return orjson.loads(payload)


def write_json_atomic(target: Path, document: Any) -> None:
    """Write to a temporary file beside ``target`` and rename, so readers never see half a file."""
    write_bytes_atomic(target, dumps_json(document))


def write_bytes_atomic(target: Path, payload: bytes) -> None:
    """:func:`write_json_atomic` for bytes already serialised."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
