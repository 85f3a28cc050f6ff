"""Content hashes of the drop folder's files, recomputed only for files whose size or mtime moved.

A nightly run over an unchanged drop folder must cost what the folder listing costs, not what
reading every byte costs: the sha256 of a file is reused while its size and mtime are unchanged.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kc_pipeline.ingest.dropfolder import DropFile
from kc_pipeline.ingest.staging import write_json_atomic


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Fingerprints:
    """``relative path -> [size, mtime_ns, sha256]``, kept as JSON in the staging folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known: dict[str, list] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.known = {}
        self.hashed = 0

    def sha256(self, item: DropFile) -> str:
        stat = item.path.stat()
        entry = self.known.get(item.relative)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return entry[2]
        digest = sha256_file(item.path)
        self.known[item.relative] = [stat.st_size, stat.st_mtime_ns, digest]
        self.hashed += 1
        return digest

    def save(self, present: list[DropFile]) -> None:
        keep = {f.relative for f in present}
        self.known = {k: v for k, v in self.known.items() if k in keep}
        write_json_atomic(self.path, self.known)
