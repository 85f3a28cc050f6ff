"""Code versions from source: a changed reader, rule engine or loader marks its assets stale."""

import hashlib
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


@cache
def source_version(*parts: str) -> str:
    """Digest of the package's sources under ``parts`` (files or folders, relative to the package)."""
    digest = hashlib.sha256()
    for part in parts:
        path = PACKAGE / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for source in files:
            digest.update(source.relative_to(PACKAGE).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]
