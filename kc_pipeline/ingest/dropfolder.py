"""The drop folder: ``<incoming>/<year>/<unit slug>/*.xlsx``, confined and filtered.

Paths are resolved and must stay inside the folder (a symlink pointing elsewhere is refused);
temporary and lock files left by Excel and LibreOffice are not submissions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from kc_pipeline.reference import Reference
from kc_pipeline.text import slugify

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".csv", ".ods"})
_TEMPORARY = re.compile(r"^(~\$|\.~lock\.|~)|\.(tmp|part|crdownload)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DropFile:
    path: Path  # resolved, inside the drop folder
    relative: str  # posix path relative to the drop folder
    year: int
    unit_slug: str


def is_temporary(name: str) -> bool:
    return bool(_TEMPORARY.search(name)) or name.startswith(".")


def confined(path: Path, root: Path) -> Path | None:
    """The resolved path when it stays inside ``root``; None for anything that escapes it."""
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    root = root.resolve()
    return resolved if resolved.is_relative_to(root) and resolved.is_file() else None


def scan(
    root: Path,
    reference: Reference,
    years: set[int] | None = None,
    slugs: set[str] | None = None,
    refused: list[tuple[str, str]] | None = None,
) -> list[DropFile]:
    """Every submission under ``root``, in a stable order; what is passed over goes to ``refused``."""
    root = Path(root)
    found: list[DropFile] = []
    if not root.is_dir():
        return found
    for year_dir in sorted(root.iterdir()):
        if not (year_dir.is_dir() and re.fullmatch(r"(19|20)\d\d", year_dir.name)):
            continue
        year = int(year_dir.name)
        if years is not None and year not in years:
            continue
        for unit_dir in sorted(year_dir.iterdir()):
            slug = slugify(unit_dir.name)
            if not unit_dir.is_dir():
                continue
            if slug not in reference.units_by_slug:
                if refused is not None:
                    refused.append((unit_dir.relative_to(root).as_posix(), "unknown unit folder"))
                continue
            if slugs is not None and slug not in slugs:
                continue
            for path in sorted(unit_dir.iterdir()):
                if is_temporary(path.name) or path.suffix.lower() not in WORKBOOK_SUFFIXES:
                    continue
                resolved = confined(path, root)
                if resolved is None:
                    if refused is not None:
                        refused.append(
                            (path.relative_to(root).as_posix(), "resolves outside the drop folder")
                        )
                    continue
                found.append(DropFile(resolved, path.relative_to(root).as_posix(), year, slug))
    return found
