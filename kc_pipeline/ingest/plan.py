"""Which unit-years need a run: those whose files differ from what the warehouse holds.

Work grows with what changed, not with what exists: a unit-year is dirty when the set of content
hashes of its files in the drop folder is not the set of file versions the warehouse recorded for
it (a file added, corrected, removed, or a run that failed before committing).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from kc_pipeline.ingest.dropfolder import DropFile
from kc_pipeline.reference import Reference


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
