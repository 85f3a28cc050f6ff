"""The drop folder: ``<incoming>/<year>/<unit slug>/*.xlsx``, confined and filtered.

Paths are resolved and must stay inside the folder (a symlink pointing elsewhere is refused);
temporary and lock files left by Excel and LibreOffice are not submissions. A workbook anywhere
else in the folder (loose in a year folder, in a folder that is no unit or no year, in a subfolder
of a unit folder) is not taken either, and :func:`scan` says so, with the reason, for every one
of them: nothing a clerk drops is passed over in silence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from kc_pipeline.reference import Reference
from kc_pipeline.text import slugify

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".csv", ".ods"})
_TEMPORARY = re.compile(r"^(~\$|\.~lock\.|~)|\.(tmp|part|crdownload)$", re.IGNORECASE)
_YEAR = re.compile(r"(19|20)\d\d")
SLUGS = "data/reference/org_units.csv, column slug"


@dataclass(frozen=True, slots=True)
class DropFile:
    path: Path  # resolved, inside the drop folder
    relative: str  # posix path relative to the drop folder
    year: int
    unit_slug: str


class NotTaken(NamedTuple):
    """A workbook in the drop folder that no run takes: where it is, a stable code, and why."""

    relative: str  # posix path relative to the drop folder
    code: str  # not_in_year_folder, not_a_year_folder, not_in_unit_folder, unknown_unit_folder,
    #            in_unit_subfolder, outside_drop_folder
    reason: str  # what a clerk reads: what is wrong and where the file should go


class DropFolderUnavailable(RuntimeError):
    """The drop folder cannot say what the warehouse should hold: see :func:`check_available`."""


def check_available(root: Path, holds_files: bool) -> None:
    """Refuse a drop folder that is no folder, or that holds no year folder at all while the
    warehouse (``holds_files``) holds loaded files.

    A run takes a unit-year whose files are gone as withdrawn and closes its projects; a mistyped
    path or an unmounted share would so close every current project of the warehouse. Emptying
    every unit's folder on purpose still works: the year folders stay, empty.
    """
    if not root.is_dir():
        raise DropFolderUnavailable(
            f"the drop folder {root} does not exist or is not a folder: check the path (or its share)"
        )
    if holds_files and not any(p.is_dir() and _YEAR.fullmatch(p.name) for p in root.iterdir()):
        raise DropFolderUnavailable(
            f"the drop folder {root} holds no year folder, yet the warehouse holds loaded files: nothing "
            "was closed. Is it the right folder (a share not mounted)? To withdraw every file, keep the "
            "year folders and empty them"
        )


def is_temporary(name: str) -> bool:
    return bool(_TEMPORARY.search(name)) or name.startswith(".")


def is_submission_name(name: str) -> bool:
    """A name a run would take as a workbook (in the right folder): not temporary, a workbook suffix."""
    return not is_temporary(name) and Path(name).suffix.lower() in WORKBOOK_SUFFIXES


def confined(path: Path, root: Path) -> Path | None:
    """The resolved path when it stays inside ``root``; None for anything that escapes it."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    root = root.resolve()
    return resolved if resolved.is_relative_to(root) and resolved.is_file() else None


def _workbooks_under(folder: Path) -> Iterator[Path]:
    """Every workbook below ``folder``, in a stable order; hidden and temporary folders are skipped,
    symlinked folders not followed."""
    for here, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not is_temporary(d))
        for name in sorted(names):
            if is_submission_name(name):
                yield Path(here) / name


def _unit_hint(name: str, reference: Reference) -> str:
    """ " (did you mean dai-tu?)" when the folder names a known unit in other words."""
    code = reference.unit_names.exact(name)
    unit = reference.units.get(code) if code is not None else None
    return f" (did you mean {unit.slug}?)" if unit is not None else ""


def scan(
    root: Path,
    reference: Reference,
    years: set[int] | None = None,
    slugs: set[str] | None = None,
    refused: list[NotTaken] | None = None,
) -> list[DropFile]:
    """Every submission under ``root``, in a stable order. Every workbook passed over goes to
    ``refused`` (when given) with its reason: this is the one place that decides what a run takes."""
    root = Path(root)
    found: list[DropFile] = []
    if not root.is_dir():
        return found

    def refuse(paths: Iterator[Path] | list[Path], code: str, reason: str) -> None:
        if refused is not None:
            refused.extend(NotTaken(p.relative_to(root).as_posix(), code, reason) for p in paths)

    for year_dir in sorted(root.iterdir()):
        if is_temporary(year_dir.name):
            continue
        if not year_dir.is_dir():
            if is_submission_name(year_dir.name):
                refuse(
                    [year_dir],
                    "not_in_year_folder",
                    "not in a year folder: move it to <year>/<unit>/ (for example 2025/dai-tu/)",
                )
            continue
        if not _YEAR.fullmatch(year_dir.name):
            if refused is not None:
                refuse(
                    _workbooks_under(year_dir),
                    "not_a_year_folder",
                    f"year folder '{year_dir.name}' is not a year: files go in <year>/<unit>/ "
                    "(for example 2025/dai-tu/)",
                )
            continue
        year = int(year_dir.name)
        if years is not None and year not in years:
            continue
        for unit_dir in sorted(year_dir.iterdir()):
            if is_temporary(unit_dir.name):
                continue
            if not unit_dir.is_dir():
                if is_submission_name(unit_dir.name):
                    refuse(
                        [unit_dir],
                        "not_in_unit_folder",
                        f"not in a unit folder: move it to {year}/<unit>/ (unit folder names: {SLUGS})",
                    )
                continue
            slug = slugify(unit_dir.name)
            if slug not in reference.units_by_slug:
                if refused is not None:
                    refuse(
                        _workbooks_under(unit_dir),
                        "unknown_unit_folder",
                        f"unknown unit folder '{unit_dir.name}'{_unit_hint(unit_dir.name, reference)}: "
                        f"unit folders are named by a unit's slug ({SLUGS})",
                    )
                continue
            if slugs is not None and slug not in slugs:
                continue
            for path in sorted(unit_dir.iterdir()):
                if is_temporary(path.name):
                    continue
                if path.suffix.lower() not in WORKBOOK_SUFFIXES:
                    if refused is not None and path.is_dir() and not path.is_symlink():
                        refuse(
                            _workbooks_under(path),
                            "in_unit_subfolder",
                            f"in a subfolder of the unit folder: move it to {year}/{unit_dir.name}/ itself",
                        )
                    continue
                resolved = confined(path, root)
                if resolved is None:
                    refuse([path], "outside_drop_folder", "resolves outside the drop folder")
                    continue
                found.append(DropFile(resolved, path.relative_to(root).as_posix(), year, slug))
    return found
