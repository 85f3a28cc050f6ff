"""Which unit-years need a run: those whose files differ from what the warehouse holds.

Work grows with what changed, not with what exists: a unit-year is dirty when the set of content
hashes of its files in the drop folder is not the set of file versions the warehouse recorded for
it (a file added, corrected, removed, or a run that failed before committing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from kc_pipeline.ingest import dropfolder
from kc_pipeline.ingest.dropfolder import DropFile, NotTaken
from kc_pipeline.ingest.fingerprints import Fingerprints
from kc_pipeline.ingest.staging import read_json
from kc_pipeline.reference import Reference
from kc_pipeline.warehouse.state import last_load_id, recorded_files


def changed_unit_years(
    files: list[DropFile],
    hashes: Mapping[str, str],
    recorded: Mapping[tuple[str, int], set[str]],
    reference: Reference,
) -> set[tuple[str, int]]:
    """(unit slug, year) of every unit-year whose folder and warehouse disagree."""
    folder: dict[tuple[str, int], set[str]] = defaultdict(set)
    for item in files:
        folder[(reference.units_by_slug[item.unit_slug].unit_code, item.year)].add(hashes[item.relative])
    dirty = {key for key in set(folder) | set(recorded) if folder.get(key, set()) != recorded.get(key, set())}
    return {(reference.units[code].slug, year) for code, year in dirty if code in reference.units}


@dataclass
class RunPlan:
    """What a run must do, decided before any Dagster or GX import: the files, their hashes, and
    the dirty unit-years. ``out_current`` says the out_* tables and the report were built after
    the warehouse's latest load (on this warehouse). ``not_taken``: the workbooks in the drop folder
    that no run takes, each with its reason (:func:`dropfolder.scan` decides), for the run to list."""

    files: list[DropFile]
    hashes: dict[str, str]
    dirty: set[tuple[str, int]]
    fingerprints: Fingerprints
    out_current: bool
    not_taken: list[NotTaken] = field(default_factory=list)

    @property
    def unchanged(self) -> int:
        return len({(f.unit_slug, f.year) for f in self.files} - self.dirty)

    @property
    def idle(self) -> bool:
        """Nothing to read, load or rebuild."""
        return not self.dirty and self.out_current


def out_state_path(staging_root: Path) -> Path:
    return staging_root / "out_state.json"


def out_is_current(staging_root: Path, load_id: int | None, warehouse: str) -> bool:
    """The out_* tables were built after the latest load ``load_id`` of ``warehouse`` (a display URL)."""
    try:
        state = read_json(out_state_path(staging_root))
    except (OSError, ValueError):
        return False
    return state.get("load_id") == load_id and state.get("warehouse") == warehouse


def plan_run(
    incoming: Path,
    staging_root: Path,
    reference: Reference,
    engine: Engine,
    warehouse: str,
    full: bool = False,
) -> RunPlan:
    """Scan the drop folder (hashes from the fingerprint cache) and compare it with the warehouse;
    :class:`dropfolder.DropFolderUnavailable` when the folder cannot be trusted to say what it holds."""
    recorded = recorded_files(engine)
    dropfolder.check_available(incoming, bool(recorded))
    not_taken: list[NotTaken] = []
    files = dropfolder.scan(incoming, reference, refused=not_taken)
    fingerprints = Fingerprints(staging_root / "fingerprints.json")
    hashes = {f.relative: fingerprints.sha256(f) for f in files}
    if full:
        dirty = {(f.unit_slug, f.year) for f in files} | changed_unit_years([], {}, recorded, reference)
    else:
        dirty = changed_unit_years(files, hashes, recorded, reference)
    current = not full and out_is_current(staging_root, last_load_id(engine), warehouse)
    return RunPlan(files, hashes, dirty, fingerprints, current, not_taken)
