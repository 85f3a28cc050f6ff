"""Cell grids from a workbook, with the fastest engine that is still correct for the file.

python-calamine (Rust) reads values and merged ranges and computes each sheet's extent from its
cells, never from the declared ``<dimension>``. It knows nothing of fonts, so a workbook whose
styles name a legacy Vietnamese font (TCVN3 ``.Vn*`` or ``VNI-*``) has its cell formats read from
the XML (:mod:`kc_pipeline.ingest.styles`), and only the cells whose font is legacy are converted.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

import python_calamine as calamine

from kc_pipeline.ingest import legacy_fonts, styles
from kc_pipeline.ingest.sniff import UnreadableWorkbook

# Vietnamese letters and tone marks outside Latin-1: legacy text is stored as cp1252 characters and never
# holds them, so a cell that does is Unicode typed or pasted into a legacy-font cell, and is kept as is.
_UNICODE_ONLY_VI = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u0300-\u0323\u1ea0-\u1ef9]")

Merge = tuple[int, int, int, int]  # 0-based first row, first col, last row, last col (inclusive)


@dataclass(slots=True)
class SheetGrid:
    name: str
    visibility: str  # "visible", "hidden" or "veryhidden"
    rows: list[list[Any]]  # from A1; "" for an empty cell
    merges: list[Merge] = field(default_factory=list)
    legacy_encoding: str | None = None
    converted: set[tuple[int, int]] = field(default_factory=set)  # cells decoded from a legacy font


def _legacy_map(data: bytes) -> dict[str, dict[tuple[int, int], styles.Legacy]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return styles.legacy_cells_by_sheet(archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, expat.ExpatError) as exc:
        raise UnreadableWorkbook(
            "corrupt_zip_entry", f"the workbook's styles or sheets are damaged: {exc}"
        ) from None


def read_grids(data: bytes) -> list[SheetGrid]:
    """Every sheet of the workbook as a grid; hidden sheets included and marked."""
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise UnreadableWorkbook("encrypted_workbook", "the workbook is password-protected") from None
    except Exception as exc:  # calamine raises several unrelated types for damaged parts
        raise UnreadableWorkbook("unreadable_workbook", f"the workbook cannot be parsed: {exc}") from None
    legacy = _legacy_map(data)
    grids: list[SheetGrid] = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False)
            merges = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            visibility = str(meta.visible).rsplit(".", 1)[-1].lower()
            grid = SheetGrid(meta.name, visibility, rows, merges)
            if legacy.get(meta.name):
                _decode_legacy(grid, legacy[meta.name])
            grids.append(grid)
    except UnreadableWorkbook:
        raise
    except Exception as exc:
        raise UnreadableWorkbook("unreadable_sheet", f"a sheet cannot be parsed: {exc}") from None
    finally:
        book.close()
    return grids


def _decode_legacy(grid: SheetGrid, cells: dict[tuple[int, int], styles.Legacy]) -> None:
    """Convert exactly the text cells whose font is a legacy one, and remember which."""
    encodings: dict[str, int] = {}
    rows = grid.rows
    for (r, c), (encoding, capital) in cells.items():
        if r >= len(rows) or c >= len(rows[r]):
            continue
        value = rows[r][c]
        if not isinstance(value, str) or not value or _UNICODE_ONLY_VI.search(value):
            continue
        decoded = legacy_fonts.decode(value, encoding, capital)
        if decoded != value:
            rows[r][c] = decoded
            grid.converted.add((r, c))
            encodings[encoding] = encodings.get(encoding, 0) + 1
    grid.legacy_encoding = max(encodings, key=encodings.__getitem__) if encodings else None
