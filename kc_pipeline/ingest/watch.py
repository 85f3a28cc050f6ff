"""What changed in the drop folder since the last look: the logic of the drop-folder sensor.

Pure and Dagster-free. The state (the sensor's cursor) remembers every file seen, not only the
last tick's: its size, mtime and, once stable, its sha256. A file is hashed only after its size
and mtime stayed the same between two looks (it is not still being copied). A unit-year needs a
run when the set of content hashes of its stable files differs from the set last requested; the
run key is that set's digest, so the same bytes renamed, or seen again after a restart, never
trigger a second run.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kc_pipeline.ingest import dropfolder
from kc_pipeline.reference import Reference


@dataclass
class Change:
    unit_slug: str
    year: int
    run_key: str
    files: list[str]  # relative paths of the unit-year's current files
    reason: str  # "new", "changed", "removed"


@dataclass
class Tick:
    state: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    settling: list[str] = field(default_factory=list)  # seen but still changing
    refused: list[dropfolder.NotTaken] = field(default_factory=list)  # workbooks no run takes, and why
    new_years: list[int] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def digest_of(hashes: list[str]) -> str:
    return hashlib.sha256(json.dumps(sorted(hashes)).encode()).hexdigest()[:32]


def look(root: Path, reference: Reference, state: dict[str, Any] | None) -> Tick:
    """Compare the drop folder with ``state`` (a previous Tick's state, or None the first time)."""
    state = json.loads(json.dumps(state or {}))  # never mutate the caller's copy
    files: dict[str, Any] = state.setdefault("files", {})
    requested: dict[str, str] = state.setdefault("requested", {})  # "slug|year" -> digest last requested
    known_years = set(state.setdefault("years", []))
    tick = Tick(state)
    present = dropfolder.scan(root, reference, refused=tick.refused)
    seen_now: set[str] = set()
    for item in present:
        seen_now.add(item.relative)
        stat = item.path.stat()
        entry = files.get(item.relative)
        signature = [stat.st_size, stat.st_mtime_ns]
        if entry is None or entry["signature"] != signature:
            files[item.relative] = {
                "signature": signature,
                "sha256": None,
                "unit": item.unit_slug,
                "year": item.year,
            }
            tick.settling.append(item.relative)
            continue
        if entry["sha256"] is None:
            entry["sha256"] = _sha256(item.path)
    for relative in [r for r in files if r not in seen_now]:
        del files[relative]
    by_partition: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for relative, entry in files.items():
        by_partition[f"{entry['unit']}|{entry['year']}"].append((relative, entry["sha256"]))
    for key in sorted(set(by_partition) | set(requested)):
        members = by_partition.get(key, [])
        if any(sha is None for _, sha in members):
            continue  # wait until every file of the unit-year is stable
        digest = digest_of([sha for _, sha in members if sha])
        if requested.get(key) == digest:
            continue
        slug, year_text = key.split("|")
        year = int(year_text)
        reason = "new" if key not in requested else ("removed" if not members else "changed")
        tick.changes.append(Change(slug, year, f"{key}:{digest}", sorted(r for r, _ in members), reason))
        requested[key] = digest
        if year not in known_years:
            known_years.add(year)
            tick.new_years.append(year)
        if not members:
            del requested[key]
    state["years"] = sorted(known_years)
    return tick
