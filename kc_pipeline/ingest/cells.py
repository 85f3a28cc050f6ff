"""Cell grids from a workbook, with the fastest engine that is still correct for the file.

python-calamine (Rust) reads values and merged ranges and computes each sheet's extent from its
cells, never from the declared ``<dimension>``. It knows nothing of fonts, so a workbook whose
styles name a legacy Vietnamese font (TCVN3 ``.Vn*`` or ``VNI-*``) has its cell formats read from
the XML (:mod:`kc_pipeline.ingest.styles`), and only the cells whose font is legacy are converted,
unless most cells of the sheet in that font show it holds Unicode (:func:`_decode_legacy`).

Before calamine sees a workbook, every sheet is inflated once here: a damaged part fails its
checksum (``corrupt_zip_entry``), and a sheet whose dense grid would be huge is refused
(``sheet_too_large``): calamine allocates a grid from A1 to the last cell, so one stray value at
XFD1048576 means 17 billion cells and a process abort. After reading, a cell longer than Excel's
32,767 characters is refused (``cell_too_large``). What slips past these checks (cells written
without references) is stopped by the sandbox's memory limit (:mod:`kc_pipeline.ingest.batch`).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, get_args
from xml.parsers import expat

import python_calamine as calamine

from kc_pipeline.ingest import legacy_fonts, styles
from kc_pipeline.ingest.sniff import DEFAULT_LIMITS, UnreadableWorkbook, ZipLimits

# Vietnamese letters and tone marks outside Latin-1: legacy text is stored as cp1252 characters and never
# holds them, so a cell that does is Unicode typed or pasted into a legacy-font cell, and is kept as is.
_UNICODE_ONLY_VI = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u0300-\u0323\u1ea0-\u1ef9]")
_UNICODE, _LEGACY, _EITHER = 0, 1, 2  # what a legacy-font cell's text proves (see _decode_legacy)

Merge = tuple[int, int, int, int]  # 0-based first row, first col, last row, last col (inclusive)


@dataclass(slots=True)
class SheetGrid:
    name: str
    visibility: str  # "visible", "hidden" or "veryhidden"
    rows: list[list[Any]]  # from A1; "" for an empty cell
    merges: list[Merge] = field(default_factory=list)
    legacy_encoding: str | None = None
    converted: set[tuple[int, int]] = field(default_factory=set)  # cells decoded from a legacy font
    # Legacy encoding -> (cells proving Unicode, cells proving legacy code, cells kept that decoding would
    # have changed), for each legacy font whose cells the vote of _decode_legacy found to hold Unicode.
    unicode_fonts: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    uncalculated: set[tuple[int, int]] = field(default_factory=set)  # formulas saved without a value


@dataclass(slots=True)
class _PartFacts:
    legacy: dict[tuple[int, int], styles.Legacy] = field(default_factory=dict)
    uncalculated: set[tuple[int, int]] = field(default_factory=set)


_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, expat.ExpatError)
# Any cell reference beyond column Z or row 9999: only then is the sheet's extent worth computing.
_FAR_REF = re.compile(rb'="(?:[A-Z]{2,3}[0-9]|[A-Z][0-9]{5})')
# The reference of a cell that is not self-closing (a self-closing one is a formatted empty cell,
# which calamine skips): the tag's first ">" must not follow a "/".
_CELL_REF = re.compile(rb'<(?:\w+:)?c r="([A-Z]{1,3})([0-9]{1,9})"[^>]*(?<!/)>')
# A formula cell and its cached value, if any: programs other than Excel save formulas uncalculated.
_FORMULA_CELL = re.compile(
    rb'<c r="([A-Z]{1,3})([0-9]{1,9})"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)(?P<value><v>[^<]+</v>)?'
)


def _reference(col: int, row: int) -> str:
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def sheet_extent(sheet_xml: bytes) -> tuple[int, int]:
    """(last row, last column), 1-based, of the cells that hold a value and say where they are.

    Cheap for ordinary sheets (one scan that finds no reference beyond Z9999). Cells written
    without an ``r`` attribute are not counted: the sandbox's memory limit stops those.
    """
    if not _FAR_REF.search(sheet_xml):
        return (0, 0)
    found = _CELL_REF.findall(sheet_xml)
    if not found:
        return (0, 0)
    cols, rows = (set(refs) for refs in zip(*found, strict=True))
    last_col = max(cols, key=lambda c: (len(c), c)).decode()
    return max(map(int, rows)), styles.column_index(last_col) + 1


def uncalculated_formulas(sheet_xml: bytes) -> set[tuple[int, int]]:
    """(row, col), 0-based, of formula cells saved without a value (python-calamine reads them as empty)."""
    if b"<f" not in sheet_xml:
        return set()
    return {
        (int(row) - 1, styles.column_index(col.decode()))
        for match in _FORMULA_CELL.finditer(sheet_xml)
        if match.group("value") is None
        for col, row in [match.group(1, 2)]
    }


def _check_parts(archive: zipfile.ZipFile, limits: ZipLimits) -> dict[str, _PartFacts]:
    """Inflate every sheet once, before calamine sees it: a damaged part fails here (CRC), a sheet
    whose dense grid would be huge is refused, and legacy-font cells and formulas saved without a
    value are found on the same bytes."""
    legacy_styles = (
        styles.legacy_styles(archive.read("xl/styles.xml")) if "xl/styles.xml" in archive.NameToInfo else {}
    )
    try:
        parts = styles.sheet_parts(archive)
    except _ZIP_ERRORS:
        parts = {}
    known = set(parts.values())
    parts.update(
        {
            n: n
            for n in archive.namelist()
            if n.startswith("xl/worksheets/") and n.endswith(".xml") and n not in known
        }
    )
    if "xl/sharedStrings.xml" in archive.NameToInfo:
        archive.read("xl/sharedStrings.xml")  # read whole: its checksum is verified
    facts: dict[str, _PartFacts] = {}
    total = 0
    for name, part in parts.items():
        if part not in archive.NameToInfo:
            raise UnreadableWorkbook(
                "corrupt_zip_entry", f"sheet '{name}' is listed but its part {part} is missing"
            )
        xml = archive.read(part)
        rows, cols = sheet_extent(xml)
        cells = rows * cols
        total += cells
        if cells > limits.max_sheet_cells or total > limits.max_workbook_cells:
            far = _reference(cols, rows)
            raise UnreadableWorkbook(
                "sheet_too_large",
                f"sheet '{name}' has cells as far as {far} ({rows:,} rows x {cols:,} columns = {cells:,} "
                f"cells, above the limit of {limits.max_sheet_cells:,}); delete what lies far outside the "
                "table (Ctrl+End shows the last cell) and save again",
            )
        facts[name] = _PartFacts(
            styles.legacy_cells(xml, legacy_styles) if legacy_styles else {}, uncalculated_formulas(xml)
        )
        del xml
    return facts


def _prepare(data: bytes, limits: ZipLimits) -> dict[str, _PartFacts]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return _check_parts(archive, limits)
    except UnreadableWorkbook:
        raise
    except _ZIP_ERRORS as exc:
        raise UnreadableWorkbook(
            "corrupt_zip_entry", f"the workbook's styles or sheets are damaged: {exc}"
        ) from None


def _check_cells(grid: SheetGrid, limits: ZipLimits) -> None:
    longest = max((len(v) for row in grid.rows for v in row if v.__class__ is str), default=0)
    if longest > limits.max_cell_chars:
        raise UnreadableWorkbook(
            "cell_too_large",
            f"sheet '{grid.name}' has a cell of {longest:,} characters; Excel allows at most "
            f"{limits.max_cell_chars:,}",
        )


def read_grids(data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> list[SheetGrid]:
    """Every sheet of the workbook as a grid; hidden sheets included and marked."""
    facts = _prepare(data, limits)
    try:
        book = calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except calamine.PasswordError:
        raise UnreadableWorkbook("encrypted_workbook", "the workbook is password-protected") from None
    except Exception as exc:  # calamine raises several unrelated types for damaged parts
        raise UnreadableWorkbook("unreadable_workbook", f"the workbook cannot be parsed: {exc}") from None
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
            _check_cells(grid, limits)
            found = facts.get(meta.name)
            if found is not None:
                grid.uncalculated = found.uncalculated
                if found.legacy:
                    _decode_legacy(grid, found.legacy)
            grids.append(grid)
    except UnreadableWorkbook:
        raise
    except Exception as exc:
        raise UnreadableWorkbook("unreadable_sheet", f"a sheet cannot be parsed: {exc}") from None
    finally:
        book.close()
    return grids


def _proof(text: str) -> int:
    """What a legacy-font cell's text proves: Unicode, legacy code, or neither (see _decode_legacy)."""
    if _UNICODE_ONLY_VI.search(text):
        return _UNICODE
    return _LEGACY if legacy_fonts.looks_legacy(text) else _EITHER


def _decode_legacy(grid: SheetGrid, cells: dict[tuple[int, int], styles.Legacy]) -> None:
    """Convert the text cells whose font is a legacy one, unless the font holds Unicode; remember which.

    People type Unicode into old templates with ``.VnTime`` still set, and Unicode made only of
    Latin-1 letters ("HTX Quân Chu", "Bình") is also valid legacy code ("Quõn", "Bỡnh"): the cell
    alone cannot tell. So the cells of each legacy encoding vote, per sheet: a letter outside Latin-1
    (``_UNICODE_ONLY_VI``) proves a cell Unicode, code characters Vietnamese never spells
    (:func:`legacy_fonts.looks_legacy`: "Hîp t¸c", "Thaùi") prove it legacy, the rest could be
    either. Proven cells are kept or decoded whatever the vote; the undecided follow the majority of
    the proven ones (a tie is legacy, as the font says). So a TCVN3 sheet with a few pasted Unicode
    cells is still decoded, and a Unicode sheet in ``.VnTime`` is kept as typed (``unicode_fonts``).
    """
    rows = grid.rows
    texts: dict[tuple[str, str, bool], tuple[int, str]] = {}  # the same commune on many rows: done once
    votes = {encoding: [0, 0, 0] for encoding in get_args(legacy_fonts.LegacyEncoding)}  # by _proof
    changes: list[tuple[int, int, str, int, str]] = []  # cells that decoding would change
    for (r, c), (encoding, capital) in cells.items():
        if r >= len(rows) or c >= len(rows[r]):
            continue
        value = rows[r][c]
        if value.__class__ is not str or not value:
            continue
        key = (value, encoding, capital)
        known = texts.get(key)
        if known is None:
            kind = _proof(value)
            decoded = value if kind == _UNICODE else legacy_fonts.decode(value, encoding, capital)
            known = texts[key] = (kind, decoded)
        kind, decoded = known
        votes[encoding][kind] += 1
        if decoded != value:
            changes.append((r, c, decoded, kind, encoding))
    unicode_fonts = {encoding for encoding, (uni, legacy, _) in votes.items() if uni > legacy}
    kept = dict.fromkeys(unicode_fonts, 0)
    encodings: dict[str, int] = {}
    for r, c, decoded, kind, encoding in changes:
        if kind == _EITHER and encoding in unicode_fonts:
            kept[encoding] += 1
        else:
            rows[r][c] = decoded
            grid.converted.add((r, c))
            encodings[encoding] = encodings.get(encoding, 0) + 1
    grid.legacy_encoding = max(encodings, key=encodings.__getitem__) if encodings else None
    grid.unicode_fonts = {e: (*votes[e][:2], kept[e]) for e in sorted(unicode_fonts)}
