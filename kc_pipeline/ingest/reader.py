"""Read one district workbook into canonical project rows: the entry point of the ingest stage.

Never raises for a bad file: whatever is wrong with it ends as a ``rejected`` result with a
specific reason, so one file can never take a run down.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from pathlib import Path

from kc_pipeline import collector
from kc_pipeline.ingest import classify
from kc_pipeline.ingest.cells import SheetGrid, read_grids
from kc_pipeline.ingest.header import column_letter
from kc_pipeline.ingest.model import Issue, ReadResult, SheetLayout
from kc_pipeline.ingest.origin import (
    unit_from_path,
    units_in_titles,
    year_from_path,
    year_in_titles,
)
from kc_pipeline.ingest.sniff import DEFAULT_LIMITS, UnreadableWorkbook, ZipLimits, sniff
from kc_pipeline.ingest.table import SheetContext, SheetOutcome, read_sheet
from kc_pipeline.reference import Reference, load_reference


def file_id_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_workbook(
    path: str | Path,
    reference: Reference | None = None,
    *,
    data: bytes | None = None,
    limits: ZipLimits = DEFAULT_LIMITS,
) -> ReadResult:
    """Everything the reader can make of one file; ``data`` saves a second read when given."""
    # No collection while a file is read: its rows are acyclic and freed by reference counting.
    with collector.paused():
        return _read_workbook(path, reference, data, limits)


def _read_workbook(
    path: str | Path, reference: Reference | None, data: bytes | None, limits: ZipLimits
) -> ReadResult:
    path = Path(path)
    reference = reference or load_reference()
    if data is None:
        try:
            data = _read_bytes(path, limits.max_file_bytes)
        except UnreadableWorkbook as exc:
            return _rejected(path, "", "unknown", exc.code, exc.message)
        except OSError as exc:
            return _rejected(
                path, "", "unknown", "unreadable_file", f"cannot open the file: {exc.strerror or exc}"
            )
    file_id = file_id_of(data)
    try:
        file_type = sniff(data, limits)
        grids = read_grids(data, limits)
    except UnreadableWorkbook as exc:
        return _rejected(path, file_id, "unknown", exc.code, exc.message)
    except Exception as exc:  # damage no check foresaw (a corrupt deflate stream, ...) costs one file
        return _rejected(path, file_id, "unknown", "unreadable_workbook", f"{type(exc).__name__}: {exc}")
    try:
        return _read_grids(path, file_id, file_type, grids, reference)
    except Exception as exc:  # a reader bug must cost one file, never the run
        return _rejected(path, file_id, file_type, "reader_error", f"{type(exc).__name__}: {exc}")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; refuses what is not a regular file (a FIFO would block a plain read) and
    what is too large, before reading it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableWorkbook("not_a_file", "not a regular file (a pipe, a device or a folder)")
        if info.st_size > max_bytes:
            raise UnreadableWorkbook(
                "file_too_large", f"the file is {info.st_size:,} bytes, above the limit of {max_bytes:,}"
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read(max_bytes + 1)
    finally:
        os.close(fd)


def _rejected(path: Path, file_id: str, file_type: str, code: str, message: str) -> ReadResult:
    return ReadResult(
        path=str(path),
        file_id=file_id,
        status="rejected",
        file_type=file_type,
        error=f"{code}: {message}",
        issues=[Issue("ERROR", code, message)],
    )


def _read_grids(path: Path, file_id: str, file_type: str, grids: list, reference: Reference) -> ReadResult:
    result = ReadResult(path=str(path), file_id=file_id, status="read", file_type=file_type)
    context = SheetContext()
    titles: list[str] = []
    for grid in grids:
        if grid.visibility != "visible":
            non_empty = sum(1 for row in grid.rows if any(v != "" for v in row))
            if non_empty:
                result.issues.append(
                    Issue(
                        "INFO",
                        "hidden_sheet_skipped",
                        f"{grid.visibility} sheet '{grid.name}' with {non_empty} non-empty rows was not read",
                        grid.name,
                    )
                )
            continue
        outcome = read_sheet(grid, reference, context)
        if outcome is None:
            non_empty = sum(1 for row in grid.rows if any(v != "" for v in row))
            if non_empty:
                result.issues.append(
                    Issue(
                        "WARN",
                        "no_table",
                        f"sheet '{grid.name}' has {non_empty} non-empty rows but no recognisable "
                        "header; it was not read",
                        grid.name,
                    )
                )
            continue
        result.sheets.append(outcome.layout)
        if grid.uncalculated:
            result.issues.extend(_uncalculated(grid, outcome))
        result.rows.extend(outcome.rows)
        result.ignored.extend(outcome.ignored)
        result.totals.extend(outcome.totals)
        result.issues.extend(outcome.issues)
        titles.extend(outcome.titles)
        if grid.converted:
            result.issues.append(
                Issue(
                    "INFO",
                    "legacy_text_converted",
                    f"{len(grid.converted)} cells in {grid.legacy_encoding} font text converted to Unicode",
                    grid.name,
                )
            )
        for encoding, (unicode_cells, legacy_cells, kept) in grid.unicode_fonts.items():
            result.issues.append(
                Issue(
                    "INFO",
                    "legacy_font_holds_unicode",
                    f"the {encoding} font holds Unicode typed with the old font still set: {unicode_cells} "
                    f"cells have letters {encoding} cannot hold, {legacy_cells} look like {encoding} code; "
                    f"{kept} cells that read either way were kept as typed, not converted",
                    grid.name,
                )
            )
    if not result.sheets:
        result.status = "rejected"
        result.error = "no_table: no sheet has a recognisable table header"
        result.issues.append(
            Issue("ERROR", "no_table", "no sheet has a recognisable header (STT, Tên đề án, ...)")
        )
        return result
    _resolve_origin(path, result, titles, reference)
    _default_funding(result, titles, reference)
    return result


# Fields whose value a formula usually computes; a formula saved without its value leaves them empty.
_COMPUTED_FIELDS = frozenset(
    {"total_vnd", "support_vnd", "counterpart_vnd", "trainees", "models", "clusters", "year"}
)


def _uncalculated(grid: SheetGrid, outcome: SheetOutcome) -> list[Issue]:
    """An ERROR on each project row whose amount or count is a formula saved without its value:
    python-calamine reads such a cell as empty, and an empty amount must not pass for a real one."""
    project_rows = {row.source_row for row in outcome.rows}
    issues = []
    for r, c in sorted(grid.uncalculated):
        letter = column_letter(c)
        if outcome.layout.columns.get(letter) in _COMPUTED_FIELDS and r + 1 in project_rows:
            issues.append(
                Issue(
                    "ERROR",
                    "formula_not_calculated",
                    f"cell {letter}{r + 1} holds a formula saved without its value (the file was not "
                    "saved by Excel): open it in Excel, let it calculate, save and send it again",
                    grid.name,
                    r + 1,
                    letter,
                )
            )
    return issues


def _resolve_origin(path: Path, result: ReadResult, titles: list[str], reference: Reference) -> None:
    path_unit, path_year = unit_from_path(path, reference), year_from_path(path)
    title_units = units_in_titles(titles, reference)
    title_unit = title_units[0] if title_units else None
    title_year = year_in_titles(titles)
    column_years = [row.year for row in result.rows if row.year is not None]
    column_year = Counter(column_years).most_common(1)[0][0] if column_years else None

    unit = path_unit or title_unit
    if path_unit and title_unit and title_unit != path_unit and path_unit not in title_units:
        result.issues.append(
            Issue(
                "WARN",
                "unit_mismatch",
                f"the folder says unit {path_unit} ({reference.units[path_unit].name}) but the "
                f"title names {title_unit} ({reference.units[title_unit].name}); the folder wins",
            )
        )
    if unit is None:
        result.issues.append(
            Issue(
                "ERROR",
                "unit_unknown",
                "no reporting unit in the folder name or the title rows (e.g. 'UBND HUYỆN ĐẠI TỪ')",
            )
        )
    year = path_year or title_year or column_year
    for source, other in (("title", title_year), ("year column", column_year)):
        if year is not None and other is not None and other != year:
            result.issues.append(
                Issue("WARN", "year_mismatch", f"the file is for {year} but its {source} says {other}")
            )
    if year is None:
        result.issues.append(
            Issue("ERROR", "year_unknown", "no year in the folder name, the title rows or a year column")
        )
    elif unit is not None and not reference.units[unit].valid_in(year):
        result.issues.append(
            Issue(
                "WARN",
                "unit_not_valid_in_year",
                f"unit {unit} ({reference.units[unit].name}) did not exist in {year}",
            )
        )
    result.unit_code, result.year = unit, year
    for row in result.rows:
        row.unit_code = unit
        if row.year is None:
            row.year = year
        elif year is not None and row.year != year:
            result.issues.append(
                Issue(
                    "WARN",
                    "row_year_mismatch",
                    f"row says {row.year}, the file is for {year}",
                    row.source_sheet,
                    row.source_row,
                )
            )


def _default_funding(result: ReadResult, titles: list[str], reference: Reference) -> None:
    """Rows with no funding source take the one the title names ("... KHUYẾN CÔNG ĐỊA PHƯƠNG ...")."""
    missing = [row for row in result.rows if row.funding_source is None]
    if not missing:
        return
    named = {code for text in titles if (code := classify.funding_from_text(text, reference))}
    if len(named) == 1:
        code = named.pop()
        for row in missing:
            row.funding_source = code
            row.inferred.append("funding_source")


def sheet_summary(layout: SheetLayout) -> str:
    return f"{layout.name}: header rows {layout.header_rows}, {len(layout.columns)} columns mapped"
