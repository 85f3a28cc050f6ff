"""Cell grids from a workbook, with the fastest engine that is still correct for the file.

python-calamine (Rust) reads values and merged ranges and computes each sheet's extent from its
cells, never from the declared ``<dimension>``. It knows nothing of fonts, so a workbook whose
styles name a legacy Vietnamese font (TCVN3 ``.Vn*`` or ``VNI-*``) is read through openpyxl, and
only the cells whose font is legacy are converted to Unicode.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

import python_calamine as calamine

from kc_pipeline.ingest import legacy_fonts
from kc_pipeline.ingest.sniff import UnreadableWorkbook

_LEGACY_FONT_RX = re.compile(rb'<name\s+val="(\.vn[^"]*|vni[- ][^"]*)"', re.IGNORECASE)
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


def legacy_fonts_in_styles(archive: zipfile.ZipFile) -> bool:
    try:
        styles = archive.read("xl/styles.xml")
    except KeyError:
        return False
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise UnreadableWorkbook("corrupt_zip_entry", f"part xl/styles.xml is damaged: {exc}") from None
    return _LEGACY_FONT_RX.search(styles) is not None


def read_grids(data: bytes) -> list[SheetGrid]:
    """Every sheet of the workbook as a grid; hidden sheets included and marked."""
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise UnreadableWorkbook("encrypted_workbook", "the workbook is password-protected") from None
    except Exception as exc:  # calamine raises several unrelated types for damaged parts
        raise UnreadableWorkbook("unreadable_workbook", f"the workbook cannot be parsed: {exc}") from None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        legacy = legacy_fonts_in_styles(archive)
    grids: list[SheetGrid] = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != calamine.SheetTypeEnum.WorkSheet:
                continue
            sheet = book.get_sheet_by_name(meta.name)
            rows = [] if legacy else sheet.to_python(skip_empty_area=False)
            merges = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
            visibility = str(meta.visible).rsplit(".", 1)[-1].lower()
            grids.append(SheetGrid(meta.name, visibility, rows, merges))
    except UnreadableWorkbook:
        raise
    except Exception as exc:
        raise UnreadableWorkbook("unreadable_sheet", f"a sheet cannot be parsed: {exc}") from None
    finally:
        book.close()
    if legacy:
        _fill_with_fonts(data, grids)
    return grids


def _fill_with_fonts(data: bytes, grids: list[SheetGrid]) -> None:
    """Values through openpyxl, decoding exactly the cells whose font is a legacy one."""
    import openpyxl  # only legacy workbooks pay for it

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise UnreadableWorkbook("unreadable_workbook", f"the workbook cannot be parsed: {exc}") from None
    try:
        by_name = {g.name: g for g in grids}
        for sheet in book.worksheets:
            grid = by_name.get(sheet.title)
            if grid is None:
                continue
            sheet.reset_dimensions()  # the declared dimension is not to be trusted
            rows: list[list[Any]] = []
            encodings: dict[str, int] = {}
            for cells in sheet.iter_rows():
                for cell in cells:
                    if cell.value is None or not hasattr(cell, "row"):
                        continue
                    r, c = cell.row - 1, cell.column - 1
                    while len(rows) <= r:
                        rows.append([])
                    row = rows[r]
                    if len(row) <= c:
                        row.extend([""] * (c + 1 - len(row)))
                    value = cell.value
                    if isinstance(value, str):
                        found = legacy_fonts.encoding_for_font(cell.font.name if cell.font else None)
                        if found is not None and not _UNICODE_ONLY_VI.search(value):
                            encoding, capital = found
                            decoded = legacy_fonts.decode(value, encoding, capital)
                            if decoded != value:
                                grid.converted.add((r, c))
                                encodings[encoding] = encodings.get(encoding, 0) + 1
                            value = decoded
                    row[c] = value
            width = max((len(r) for r in rows), default=0)
            for row in rows:
                if len(row) < width:
                    row.extend([""] * (width - len(row)))
            grid.rows = rows
            grid.legacy_encoding = max(encodings, key=encodings.__getitem__) if encodings else None
    finally:
        book.close()
