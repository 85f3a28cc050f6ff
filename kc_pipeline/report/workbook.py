"""The staff workbook: Vietnamese sheets that reporting staff open, filter, print and paste from.

Every cell is written by :class:`Sheet` as a value: text is always stored as text (never a formula,
an error value or an XML error, whatever it starts with) and no formula is ever written. Totals are
numbers, not formulas: the workbook must read the same in any spreadsheet program and when pasted
into a Word report. Layout per sheet: row 1 title, row 2 note, row 3 the header of the main table
(frozen, filtered, repeated on every printed page), data from row 4, "Tổng cộng" rows right under
the data (outside the filter so sorting never moves them), then any second table and the charts
below, so that printing fits the width of a landscape page.

A national project list is about 120,000 rows x 20 columns, too many for openpyxl's cell objects
(over 1 GB and a minute in normal mode; about 20 s for the cells alone even in write-only mode).
So the workbook is an openpyxl write-only workbook (styles, charts, page setup, filters, frozen
panes, column widths, packaging), and each sheet's rows are serialised here, streamed through a
temporary file: memory does not grow with the number of rows.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from numbers import Integral, Real
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, get_time_format
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from kc_pipeline.report.data import LISTING_FIELDS, ReportData
from kc_pipeline.report.package import write_package

if TYPE_CHECKING:
    from kc_pipeline.reference import Reference as ReferenceData

# Number formats: one per kind of quantity, the same on every sheet.
VND = "#,##0"  # đồng
MILLION = "#,##0.0"  # triệu đồng
COUNT = "#,##0"
PERCENT = "0.0%"  # cells hold fractions (0.45), shown as 45.0%
YEAR = "0"  # never "2.021"
DATE = "dd/mm/yyyy"
DATETIME = "dd/mm/yyyy hh:mm"

SHEETS = (
    "Tổng hợp",
    "KC địa phương",
    "KC quốc gia",
    "Theo đơn vị",
    "Theo năm",
    "Mục tiêu 2021-2025",
    "Tình hình báo cáo",
    "Dòng bị loại",
    "Danh sách đề án",
)
HEADER_ROW = 3  # title in row 1, note in row 2

STATUS_VI = {
    "achieved": "Đã đạt",
    "on_track": "Đúng tiến độ",
    "at_risk": "Có nguy cơ chậm",
    "behind": "Chậm tiến độ",
    "no_data": "Chưa có số liệu",
}
PROJECTED_VI = {"achieved": "Đạt mục tiêu", "short": "Không đạt mục tiêu", "no_data": "Chưa có số liệu"}
SOURCE_ORDER = ("KCDP", "KCQG")  # local first, as in the report staff write
MEASURES = ("projects", "support_vnd", "counterpart_vnd", "total_vnd", "trainees", "models", "clusters")
VIETNAM = timezone(timedelta(hours=7))  # no daylight saving: a fixed offset needs no tz database

# XML 1.0 cannot hold these; openpyxl's pattern plus surrogates and the two non-characters it misses.
_XML_ILLEGAL = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ud800-\udfff\ufffe\uffff]")
# Text Excel would evaluate when a user re-enters the cell: marked with a quote prefix as well.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\n")
_FORMULA_FIRST = frozenset("".join(_FORMULA_START))
MAX_TEXT = 32_767  # Excel's limit for one cell
MAX_WIDTH = 60
MIN_WIDTH = 6
HEADER_WRAP = 16  # headers longer than this wrap rather than widen the column
# Wrapped columns and header heights are decided on up to this many rows of a table (all rows of
# every table but a national project list); column widths are measured on every cell.
SAMPLE_ROWS = 5_000
_FLUSH_ROWS = 2_000  # rows of XML kept in memory before they go to the temporary file

# Display length of a number by its format (see _display_length): format spec, "%", or None for str().
_NUMBER_SPECS = {VND: ",.0f", COUNT: ",.0f", MILLION: ",.1f", PERCENT: "%"}

CellValue = str | int | float | bool | date | datetime | time | None

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=13)
_NOTE = Font(italic=True)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_WRAP = Alignment(vertical="top", wrap_text=True)

# What each kind of cell looks like: font, fill, border, alignment.
_ROLES: dict[str, tuple[Font | None, PatternFill | None, Border | None, Alignment | None]] = {
    "title": (_TITLE, None, None, None),
    "note": (_NOTE, None, None, None),
    "caption": (_BOLD, None, None, None),
    "header": (_BOLD, _HEADER_FILL, _BORDER, _HEADER_ALIGN),
    "data": (None, None, _BORDER, None),
    "total": (_BOLD, _TOTAL_FILL, _BORDER, None),
}


# ------------------------------------------------------------------------------------- safe cells


def cell_value(value: object) -> CellValue:
    """A value Excel can hold as a value: missing -> empty, numpy -> Python, text cleaned for XML.

    Time zones are dropped after converting to Vietnam time (Excel has none); carriage returns
    become line feeds because XML turns them into line feeds anyway, so what is written is what
    is read back.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Integral):
        return int(value)
    if isinstance(value, Real | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(VIETNAM).replace(tzinfo=None)
        return value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if isinstance(value, date | time):
        return value
    if isinstance(value, np.datetime64):
        return cell_value(pd.Timestamp(value))
    if isinstance(value, np.generic):  # numpy bools and other scalars
        return cell_value(value.item())
    return _clean_text(value if isinstance(value, str) else str(value))


def _clean_text(text: str) -> str:
    text = _XML_ILLEGAL.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_TEXT]


def _fast_value(value: object) -> CellValue:
    """:func:`cell_value`, with the types a table is made of (text, int, float, None) checked first."""
    kind = type(value)
    if kind is str:
        return _clean_text(value)  # type: ignore[arg-type]
    if kind is int or value is None:
        return value  # type: ignore[return-value]
    if kind is float:
        return value if math.isfinite(value) else None  # type: ignore[arg-type,return-value]
    return cell_value(value)


def _xml_text(text: str) -> str:
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _text_length(text: str) -> int:
    return max(len(line) for line in text.split("\n")) if "\n" in text else len(text)


def _display_length(value: object, number_format: str | None) -> int:
    if isinstance(value, str):
        return _text_length(value)
    if isinstance(value, bool):
        return 5
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, int | float):
        if number_format == PERCENT:
            return len(f"{value * 100:.1f}%")
        if number_format == MILLION:
            return len(f"{value:,.1f}")
        if number_format in (VND, COUNT):
            return len(f"{value:,.0f}")
        return len(str(value))
    return len(str(value))


def _header_length(text: str) -> int:
    """Long headers wrap: they ask for HEADER_WRAP characters, or their longest word."""
    return max(min(len(text), HEADER_WRAP), *(len(w) for w in text.split()))


# ---------------------------------------------------------------------------------------- layout


class Col(NamedTuple):
    header: str
    number_format: str | None = None
    max_width: int = MAX_WIDTH  # long names wrap here rather than push the page scale down


class Fmt(NamedTuple):
    """A value whose format differs from its column's (targets in lớp, triệu đồng or %)."""

    value: object
    number_format: str


@dataclass(frozen=True)
class Block:
    header_row: int
    first_row: int
    last_row: int  # last data row; header_row when there is no data
    width: int

    @property
    def has_rows(self) -> bool:
        return self.last_row >= self.first_row


Rows = Sequence[Sequence[object]]


@dataclass(frozen=True)
class _Line:
    """One cell of text alone on its row: the title, the note or a caption (never measured)."""

    row: int
    text: str
    role: str


@dataclass(frozen=True)
class _Table:
    block: Block
    columns: tuple[Col, ...]
    rows: Rows
    totals: list[Sequence[object]]


class Sheet:
    """One worksheet laid out top to bottom, written by :meth:`finish` in one streaming pass.

    :meth:`caption`, :meth:`table` and :meth:`chart` only place things (rows are kept as given, a
    lazy sequence stays lazy); :meth:`finish` decides widths and wrapping, writes the rows
    and sets freezing, filtering and printing.
    """

    def __init__(self, wb: Workbook, name: str, title: str, note: str) -> None:
        self.ws: WriteOnlyWorksheet = wb.create_sheet(name)
        self.main: Block | None = None
        self.caps: dict[int, int] = {}
        self._items: list[_Line | _Table] = [_Line(1, title, "title"), _Line(2, note, "note")]
        self._style_ids: dict[tuple[str, str | None, bool, bool], int] = {}
        self.row = HEADER_ROW

    def caption(self, text: str) -> None:
        self._items.append(_Line(self.row, text, "caption"))
        self.row += 1

    def table(self, columns: Sequence[Col], rows: Rows, totals: Iterable[Sequence[object]] = ()) -> Block:
        """Header, data rows and bold total rows; the first table of a sheet is its main table."""
        block = Block(self.row, self.row + 1, self.row + len(rows), len(columns))
        table = _Table(block, tuple(columns), rows, list(totals))
        self._items.append(table)
        if self.main is None:
            self.main = block
            self.caps = {index: column.max_width for index, column in enumerate(columns, 1)}
        self.row = block.last_row + len(table.totals) + 2
        return block

    def chart(self, chart: BarChart) -> None:
        chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
        chart.y_axis.delete = False
        self.ws.add_chart(chart, f"A{self.row}")
        self.row += math.ceil(chart.height / 0.5) + 2  # rows are about 0.5 cm high

    def finish(self) -> None:
        """Write the sheet: rows streamed to a temporary file, then openpyxl's sheet part around them."""
        ws, main = self.ws, self.main
        assert main is not None, "every sheet has a main table"
        tables = [item for item in self._items if isinstance(item, _Table)]
        # Wrapping and header heights from a sample: both are written before the last row is seen.
        sampled = _sampled_lengths(tables)
        wrapped = {column for column, length in sampled.items() if length + 2 > self._cap(column)}
        heights = self._header_heights(tables, self._widths(sampled))
        with tempfile.TemporaryFile() as rows_xml:
            lengths, last_row, last_column = self._write_rows(rows_xml, wrapped, heights)
            for column, width in self._widths(lengths).items():
                ws.column_dimensions[get_column_letter(column)].width = width
            self._set_view_and_printing(main)
            ws.close()  # openpyxl writes the sheet around an empty sheetData: the rows go in there
            _splice_rows(ws, rows_xml, f"A1:{get_column_letter(last_column)}{last_row}")

    def _cap(self, column: int) -> int:
        return self.caps.get(column, MAX_WIDTH)

    def _widths(self, lengths: Mapping[int, int]) -> dict[int, int]:
        """Widths from content, capped; longer text wraps."""
        return {c: min(max(length + 2, MIN_WIDTH), self._cap(c)) for c, length in lengths.items()}

    @staticmethod
    def _header_heights(tables: Sequence[_Table], widths: Mapping[int, int]) -> dict[int, int]:
        """Header rows grow to show all the lines of their wrapped headers."""
        heights = {}
        for table in tables:
            lines = 1
            for index, column in enumerate(table.columns, 1):
                width = max(int(widths.get(index, 13)) - 1, 1)
                lines = max(lines, len(textwrap.wrap(column.header, width)))
            heights[table.block.header_row] = 15 * lines + 3
        return heights

    def _set_view_and_printing(self, main: Block) -> None:
        ws, last_column = self.ws, get_column_letter(main.width)
        ws.freeze_panes = f"A{main.first_row}"
        ws.auto_filter.ref = f"A{main.header_row}:{last_column}{max(main.last_row, main.header_row)}"
        ws.print_title_rows = f"{main.header_row}:{main.header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.oddFooter.center.text = "Trang &P/&N"

    def _style(self, role: str, number_format: str | None, wrap: bool, quote: bool) -> int:
        """The id of a cell style, made once through openpyxl's own style setters on a template cell."""
        key = (role, number_format, wrap, quote)
        style_id = self._style_ids.get(key)
        if style_id is None:
            style_id = self._style_ids[key] = style_id_of(self.ws, role, number_format, wrap, quote)
        return style_id

    def _write_rows(
        self, out: IO[bytes], wrapped: set[int], heights: Mapping[int, int]
    ) -> tuple[dict[int, int], int, int]:
        """All rows as sheetData XML; returns each column's display length, the last row and column."""
        lengths: list[int] = []  # -1: nothing measured in the column
        buffer: list[str] = []
        row = last_column = 1

        def emit(xml: str) -> None:
            buffer.append(xml)
            if len(buffer) >= _FLUSH_ROWS:
                out.write("".join(buffer).encode())
                buffer.clear()

        for item in self._items:
            if isinstance(item, _Line):
                row = item.row
                emit(f'<row r="{row}">{self._cell(item.role, "A", row, _fast_value(item.text), None)}</row>')
                continue
            block, columns = item.block, item.columns
            last_column = max(last_column, block.width)
            lengths += [-1] * (block.width - len(lengths))
            row = block.header_row
            headers = []
            for index, column in enumerate(columns):
                lengths[index] = max(lengths[index], _header_length(column.header))
                letter = get_column_letter(index + 1)
                headers.append(self._cell("header", letter, row, _fast_value(column.header), None))
            emit(f'<row r="{row}" ht="{heights[row]}" customHeight="1">{"".join(headers)}</row>')
            for role, rows in (("data", item.rows), ("total", item.totals)):
                cells = _RowXml(self, role, columns, wrapped)
                for values in rows:
                    row += 1
                    emit(f'<row r="{row}">{cells(row, values, lengths)}</row>')
        out.write("".join(buffer).encode())
        return {i: n for i, n in enumerate(lengths, 1) if n >= 0}, row, last_column

    def _cell(
        self,
        role: str,
        letter: str,
        row: int,
        clean: CellValue,
        number_format: str | None,
        wrap: bool = False,
    ) -> str:
        """One cell: text inline (never a formula, never an error code), numbers and dates as numbers.

        A format applies to numbers and dates only; text that Excel would evaluate on re-entry gets a
        quote prefix as well.
        """
        if clean is None:
            return f'<c r="{letter}{row}" s="{self._style(role, None, False, False)}"/>'
        if isinstance(clean, str):
            style = self._style(role, None, wrap, clean.startswith(_FORMULA_START))
            return _text_cell(f"{letter}{row}", style, clean)
        if isinstance(clean, bool):
            style = self._style(role, number_format, False, False)
            return f'<c r="{letter}{row}" s="{style}" t="b"><v>{clean:d}</v></c>'
        if isinstance(clean, date | time):
            number_format = number_format or get_time_format(type(clean))
            clean = to_excel(clean, self.ws.parent.epoch)
        style = self._style(role, number_format, False, False)
        return f'<c r="{letter}{row}" s="{style}"><v>{clean:.16g}</v></c>'


def style_id_of(owner: object, role: str, number_format: str | None, wrap: bool, quote: bool) -> int:
    """The workbook-wide id of a cell style; ``owner`` is anything whose ``parent`` is the workbook."""
    cell = WriteOnlyCell(owner)  # type: ignore[arg-type]
    font, fill, border, alignment = _ROLES[role]
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if border is not None:
        cell.border = border
    if alignment is not None or wrap:
        cell.alignment = _WRAP if wrap else alignment
    if number_format is not None:
        cell.number_format = number_format
    cell.quotePrefix = quote  # stays text even when a user edits the cell in Excel
    return cell.style_id


class _RowXml:
    """Data or total rows of one table as XML, with each column's references and style ids made once.

    Text, int, float and None (nearly every cell of a national list) are handled inline; any other
    value (bools, dates, numpy scalars, :class:`Fmt`) goes through :func:`cell_value` and
    :meth:`Sheet._cell`. A text cell wraps when its column does or when it is too long for it.
    """

    def __init__(self, sheet: Sheet, role: str, columns: Sequence[Col], wrapped: set[int]) -> None:
        self.sheet, self.role, self.columns = sheet, role, columns
        indexes = range(1, len(columns) + 1)
        self.letters = [get_column_letter(i) for i in indexes]
        self.caps = [sheet._cap(i) for i in indexes]
        self.wraps = [i in wrapped for i in indexes]
        self.plain = [sheet._style(role, None, False, False) for _ in indexes]
        self.wrapping = [sheet._style(role, None, True, False) for _ in indexes]
        self.numbers = [sheet._style(role, c.number_format, False, False) for c in columns]
        self.specs = [_NUMBER_SPECS.get(c.number_format or "") for c in columns]

    def __call__(self, row: int, values: Sequence[object], lengths: list[int]) -> str:
        if len(values) != len(self.columns):
            raise ValueError(f"row {row}: {len(values)} values for {len(self.columns)} columns")
        return "".join([self.cell(i, row, value, lengths) for i, value in enumerate(values)])

    def cell(self, i: int, row: int, value: object, lengths: list[int]) -> str:
        """The cell of column ``i`` (from 0) in ``row``; ``lengths[i]`` grows to its display length."""
        kind = type(value)
        if kind is str:
            if value.isprintable() and len(value) <= MAX_TEXT:  # type: ignore[attr-defined]
                length = len(value)  # type: ignore[arg-type]  # nothing to clean, no line break
            else:
                value = _clean_text(value)  # type: ignore[arg-type]
                length = _text_length(value)
            if length > lengths[i]:
                lengths[i] = length
            wrap = self.wraps[i] or length + 2 > self.caps[i]
            if value and value[0] in _FORMULA_FIRST:  # type: ignore[index]
                style = self.sheet._style(self.role, None, wrap, True)
            else:
                style = self.wrapping[i] if wrap else self.plain[i]
            return _text_cell(f"{self.letters[i]}{row}", style, value)  # type: ignore[arg-type]
        if kind is int or (kind is float and math.isfinite(value)):  # type: ignore[arg-type]
            spec = self.specs[i]
            if spec is None:
                length = len(str(value))
            elif spec == "%":
                length = len(f"{value * 100:.1f}") + 1  # type: ignore[operator]
            else:
                length = len(format(value, spec))
            if length > lengths[i]:
                lengths[i] = length
            return f'<c r="{self.letters[i]}{row}" s="{self.numbers[i]}"><v>{value:.16g}</v></c>'
        if value is None or kind is float:
            return f'<c r="{self.letters[i]}{row}" s="{self.plain[i]}"/>'
        return self._other(i, row, value, lengths)

    def _other(self, i: int, row: int, value: object, lengths: list[int]) -> str:
        number_format = self.columns[i].number_format
        if isinstance(value, Fmt):
            value, number_format = value
        clean = cell_value(value)
        wrap = False
        if clean is not None:
            if isinstance(clean, date | time) and number_format is None:
                number_format = get_time_format(type(clean))
            length = _display_length(clean, number_format)
            lengths[i] = max(lengths[i], length)
            wrap = isinstance(clean, str) and (self.wraps[i] or length + 2 > self.caps[i])
        return self.sheet._cell(self.role, self.letters[i], row, clean, number_format, wrap)


def _text_cell(ref: str, style: int, text: str) -> str:
    return f'<c r="{ref}"{_text_tail(style, text)}'


def _text_tail(style: int, text: str) -> str:
    """A text cell after its reference: the same for every row, so a repeated name is made once."""
    if not text:
        return f' s="{style}"/>'
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f' s="{style}" t="inlineStr"><is><t{space}>{_xml_text(text)}</t></is></c>'


def _sampled_lengths(tables: Sequence[_Table]) -> dict[int, int]:
    """Display length per column from headers, totals and up to SAMPLE_ROWS evenly spread data rows."""
    lengths: dict[int, int] = {}
    for table in tables:
        rows = table.rows
        if len(rows) > SAMPLE_ROWS:
            rows = rows[:: math.ceil(len(rows) / SAMPLE_ROWS)]
        for index, column in enumerate(table.columns, 1):
            lengths[index] = max(lengths.get(index, 0), _header_length(column.header))
        for values in rows:
            _measure(table.columns, values, lengths)
        for values in table.totals:
            _measure(table.columns, values, lengths)
    return lengths


def _measure(columns: Sequence[Col], values: Sequence[object], lengths: dict[int, int]) -> None:
    for index, (column, value) in enumerate(zip(columns, values, strict=True), 1):
        number_format = column.number_format
        if isinstance(value, Fmt):
            value, number_format = value
        clean = _fast_value(value)
        if clean is None:
            continue
        if isinstance(clean, date | time) and number_format is None:
            number_format = get_time_format(type(clean))
        lengths[index] = max(lengths.get(index, 0), _display_length(clean, number_format))


def _splice_rows(ws: WriteOnlyWorksheet, rows_xml: IO[bytes], dimension: str) -> None:
    """Put the rows into the sheet part openpyxl wrote around an empty sheetData.

    openpyxl 3.1 streams a closed write-only sheet to the temporary file ``ws._writer.out`` and copies
    it into the package on save; the rows replace the empty sheetData there, and the sheet's size is
    declared as openpyxl declares it in normal mode.
    """
    head, tail = sheet_skeleton(ws, dimension)
    with Path(ws._writer.out).open("wb") as out:
        out.write(head)
        rows_xml.seek(0)
        shutil.copyfileobj(rows_xml, out, 1 << 20)
        out.write(tail)


def sheet_skeleton(ws: Any, dimension: str) -> tuple[bytes, bytes]:
    """openpyxl's sheet part split around its empty sheetData (the halves keep the sheetData tags),
    with the sheet's size declared."""
    xml = Path(ws._writer.out).read_bytes()  # a few kB: everything but the rows
    for empty in (b"<sheetData></sheetData>", b"<sheetData />", b"<sheetData/>"):
        head, found, tail = xml.partition(empty)
        if found:
            break
    else:
        raise RuntimeError(f"openpyxl wrote {ws.title!r} without an empty sheetData to fill")
    head = head.replace(b"<sheetViews>", f'<dimension ref="{dimension}"/><sheetViews>'.encode(), 1)
    return head + b"<sheetData>", b"</sheetData>" + tail


# ----------------------------------------------------------------------------------- aggregation


def _number(value: object) -> int | float:
    """A measure as a number; missing counts add nothing."""
    kind = type(value)
    if kind is int:  # nearly every value: checked first
        return value  # type: ignore[return-value]
    if kind is float:
        return value if math.isfinite(value) else 0  # type: ignore[arg-type,return-value]
    clean = cell_value(value)
    if isinstance(clean, bool):
        return int(clean)
    return clean if isinstance(clean, int | float) else 0


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dict(orient="records") if not frame.empty else []


Totals = dict[str, int | float]


def _sum(records: Iterable[Mapping[str, Any]]) -> Totals:
    out: Totals = dict.fromkeys(MEASURES, 0)
    for record in records:
        for measure in MEASURES:
            out[measure] += _number(record.get(measure))
    return out


def _group(
    records: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Any]
) -> dict[Any, Totals]:
    grouped: dict[Any, list[Mapping[str, Any]]] = {}
    for record in records:
        grouped.setdefault(key(record), []).append(record)
    return {k: _sum(v) for k, v in grouped.items()}


def _million(vnd: float) -> float:
    return vnd / 1_000_000


def _year(value: object) -> int | None:
    if type(value) is int:
        return value  # type: ignore[return-value]
    number = cell_value(value)
    return int(number) if isinstance(number, int | float) and not isinstance(number, bool) else None


class Names:
    """Codes to the Vietnamese names staff read; an unknown code shows as itself, never as a blank."""

    def __init__(self, reference: ReferenceData) -> None:
        self.ref = reference

    def unit(self, code: object) -> str:
        unit = self.ref.units.get(_code(code))
        return unit.name if unit else _code(code)

    def source(self, code: object) -> str:
        source = self.ref.funding_sources.get(_code(code))
        return source.name_vi if source else (_text(code) or "Chưa xác định nguồn")

    def source_short(self, code: str) -> str:
        """KCQG / KCĐP: the first all-capital alias, as staff abbreviate."""
        source = self.ref.funding_sources.get(code)
        if source is None:
            return code or "chưa rõ nguồn"
        return next((a for a in source.aliases if a.isupper() and " " not in a), code)

    def programme(self, code: object) -> str:
        programme = self.ref.programmes.get(_code(code))
        return programme.name_vi if programme else (_text(code) or "Chưa phân loại chương trình")

    def activity(self, code: object) -> str:
        activity = self.ref.activities.get(_code(code))
        return activity.name_vi if activity else (_text(code) or "Chưa phân loại hoạt động")

    def sector(self, code: object) -> str | None:
        sector = self.ref.sectors.get(_code(code))
        return sector.name_vi if sector else _text(code)

    def value_chain(self, code: object) -> str | None:
        chain = self.ref.value_chains.get(_code(code))
        return chain.name_vi if chain else _text(code)

    def sources(self, codes: Iterable[object]) -> list[str]:
        """Funding sources to show: KCĐP and KCQG always, then any other code found in the data."""
        known = [c for c in SOURCE_ORDER if c in self.ref.funding_sources]
        known += [c for c in self.ref.funding_sources if c not in known]
        extra = sorted({_code(c) for c in codes} - set(known))
        return known + extra

    def order(self, kind: str, codes: Iterable[object]) -> list[str]:
        """Codes in reference file order (programmes, activities), unknown ones after."""
        catalogue = list(self.ref.programmes if kind == "programme" else self.ref.activities)
        present = {_code(c) for c in codes}
        return [c for c in catalogue if c in present] + sorted(present - set(catalogue))


def _code(value: object) -> str:
    """A code as the reference spells it; missing is ""."""
    if type(value) is str:
        return _text_code(value)  # type: ignore[arg-type]
    clean = cell_value(value)
    if isinstance(clean, float) and clean.is_integer():
        clean = int(clean)
    return "" if clean is None else str(clean)


@lru_cache(maxsize=4096)
def _text_code(value: str) -> str:
    """:func:`_code` of a text, remembered: a few hundred codes are looked up over and over."""
    return _clean_text(value)


def _text(code: object) -> str | None:
    """An unknown code as text, so a value never silently disappears from the sheet."""
    return _code(code) or None


def _unit_key(code: str) -> tuple[bool, int, str]:
    """GSO order: the province first, then its districts, as reports list them."""
    return (not code.isdigit(), int(code) if code.isdigit() else 0, code)


def _period_years(data: ReportData) -> list[int]:
    return list(range(data.year_from, data.year_to + 1))


def _no_projects(data: ReportData) -> str:
    return f"Không có đề án nào trong kỳ báo cáo {data.period}."


# ---------------------------------------------------------------------------------------- sheets


MONEY_COLUMNS = (
    Col("Kinh phí đối ứng (triệu đồng)", MILLION),
    Col("Tổng kinh phí (triệu đồng)", MILLION),
    Col("Lao động được đào tạo (người)", COUNT),
    Col("Mô hình trình diễn", COUNT),
    Col("Cụm công nghiệp", COUNT),
)


def _tail(totals: Totals) -> list[object]:
    """The values under :data:`MONEY_COLUMNS`."""
    return [
        _million(totals["counterpart_vnd"]),
        _million(totals["total_vnd"]),
        totals["trainees"],
        totals["models"],
        totals["clusters"],
    ]


def _summary_sheet(wb: Workbook, data: ReportData, names: Names) -> None:
    """Per year and funding source, then the period's totals: the figures the report opens with."""
    note = "Đơn vị tiền: triệu đồng."
    sheet = Sheet(
        wb,
        "Tổng hợp",
        f"BÁO CÁO KẾT QUẢ HOẠT ĐỘNG KHUYẾN CÔNG {data.period} – {data.unit_name}",
        f"{_no_projects(data)} {note}" if data.empty else note,
    )
    records = _records(data.summary)
    sources = names.sources(r["funding_source"] for r in records)
    by_key = _group(records, lambda r: (_year(r["year"]), _code(r["funding_source"])))
    by_source = _group(records, lambda r: _code(r["funding_source"]))
    columns = [
        Col("Năm", YEAR),
        Col("Nguồn kinh phí"),
        Col("Số đề án", COUNT),
        Col("Kinh phí KC hỗ trợ (triệu đồng)", MILLION),
        *MONEY_COLUMNS,
    ]

    def line(first: object, source: str, totals: Totals) -> list[object]:
        return [first, source, totals["projects"], _million(totals["support_vnd"]), *_tail(totals)]

    zero = _sum([])
    rows = [
        line(year, names.source(code), by_key.get((year, code), zero))
        for year in _period_years(data)
        for code in sources
    ]
    totals = [line(f"Cộng {data.period}", names.source(c), by_source.get(c, zero)) for c in sources]
    totals.append(line("Tổng cộng", "Tất cả các nguồn", _sum(records)))
    sheet.table(columns, rows, totals)
    sheet.finish()


def _source_sheet(wb: Workbook, data: ReportData, names: Names, name: str, code: str) -> None:
    """One funding source by programme and activity, a column per year: pastes as a report table."""
    years = _period_years(data)
    records = [r for r in _records(data.summary) if _code(r["funding_source"]) == code]
    label = "KHUYẾN CÔNG ĐỊA PHƯƠNG" if code == "KCDP" else f"{names.source(code).upper()} TẠI ĐỊA BÀN"
    note = "Đơn vị tiền: triệu đồng. Chỉ liệt kê các hoạt động có đề án trong kỳ."
    if not records:
        note = f"Không có đề án {names.source(code).lower()} nào trong kỳ báo cáo {data.period}. {note}"
    sheet = Sheet(
        wb, name, f"KẾT QUẢ HOẠT ĐỘNG {label} THEO CHƯƠNG TRÌNH {data.period} – {data.unit_name}", note
    )
    per_year = len(years) > 1
    columns = [Col("STT"), Col("Chương trình", max_width=45), Col("Hoạt động", max_width=40)]
    if per_year:
        columns += [Col(f"Số đề án {y}", COUNT) for y in years]
    columns.append(Col("Tổng số đề án", COUNT))
    if per_year:
        columns += [Col(f"Kinh phí KC hỗ trợ {y} (triệu đồng)", MILLION) for y in years]
    columns += [Col("Tổng kinh phí KC hỗ trợ (triệu đồng)", MILLION), *MONEY_COLUMNS]

    def line(
        number: object, programme: str, activity: str | None, group: list[Mapping[str, Any]]
    ) -> list[object]:
        by_year = _group(group, lambda r: _year(r["year"]))
        zero, total = _sum([]), _sum(group)
        out: list[object] = [number, programme, activity]
        if per_year:
            out += [by_year.get(y, zero)["projects"] for y in years]
        out.append(total["projects"])
        if per_year:
            out += [_million(by_year.get(y, zero)["support_vnd"]) for y in years]
        return [*out, _million(total["support_vnd"]), *_tail(total)]

    programmes = names.order("programme", {r["programme_code"] for r in records})
    rows, programme_rows = [], []
    for p_index, programme in enumerate(programmes, 1):
        in_programme = [r for r in records if _code(r["programme_code"]) == programme]
        activities = names.order("activity", {r["activity_code"] for r in in_programme})
        for activity in activities:
            group = [r for r in in_programme if _code(r["activity_code"]) == activity]
            rows.append(line(len(rows) + 1, names.programme(programme), names.activity(activity), group))
        programme_rows.append(line(p_index, names.programme(programme), "Cả chương trình", in_programme))
    sheet.table(columns, rows, [line(None, "Tổng cộng", None, records)])
    if programme_rows:
        sheet.caption("TỔNG HỢP THEO CHƯƠNG TRÌNH")
        block = sheet.table(columns, programme_rows)
        total_column = columns.index(Col("Tổng số đề án", COUNT)) + 1
        chart = _bar_chart(
            f"Số đề án {names.source(code).lower()} theo chương trình",
            "Số đề án",
            horizontal=True,
            categories=len(programme_rows),
        )
        chart.add_data(_ref(sheet.ws, block, total_column, total_column), titles_from_data=True)
        _text_categories(chart, _categories(sheet.ws, block, 2))
        chart.legend = None
        sheet.chart(chart)
    sheet.finish()


def _unit_sheet(wb: Workbook, data: ReportData, names: Names) -> None:
    """Per unit over the period; every unit that existed appears, a zero row says "no projects"."""
    records = _records(data.summary)
    sources = names.sources(r["funding_source"] for r in records)
    note = "Đơn vị tiền: triệu đồng."
    sheet = Sheet(
        wb,
        "Theo đơn vị",
        f"KẾT QUẢ HOẠT ĐỘNG KHUYẾN CÔNG {data.period} THEO ĐƠN VỊ – {data.unit_name}",
        f"{_no_projects(data)} {note}" if data.empty else note,
    )
    if data.unit_code is not None:
        units = [data.unit_code]
    else:
        years = _period_years(data)
        units = [c for c, u in data.reference.units.items() if any(u.valid_in(y) for y in years)]
    units += sorted({_code(r["unit_code"]) for r in records} - set(units))
    units.sort(key=_unit_key)
    by_unit = _group(records, lambda r: _code(r["unit_code"]))
    by_unit_source = _group(records, lambda r: (_code(r["unit_code"]), _code(r["funding_source"])))
    columns = [Col("Đơn vị"), *_by_source_columns(names, sources), *MONEY_COLUMNS]
    rows = [
        [names.unit(u), *_by_source_values(sources, by_unit_source, u, by_unit.get(u, _sum([])))]
        for u in units
    ]
    by_source = _group(records, lambda r: ("", _code(r["funding_source"])))
    totals = [["Tổng cộng", *_by_source_values(sources, by_source, "", _sum(records))]]
    sheet.table(columns, rows, totals)
    sheet.finish()


def _by_source_columns(names: Names, sources: Sequence[str]) -> list[Col]:
    """Projects and support per funding source side by side (so a chart can take them as one range)."""
    return [
        *(Col(f"Số đề án {names.source_short(c)}", COUNT) for c in sources),
        Col("Tổng số đề án", COUNT),
        *(Col(f"Kinh phí KC hỗ trợ {names.source_short(c)} (triệu đồng)", MILLION) for c in sources),
        Col("Tổng kinh phí KC hỗ trợ (triệu đồng)", MILLION),
    ]


def _by_source_values(
    sources: Sequence[str], by_key_source: Mapping[Any, Totals], key: Any, total: Totals
) -> list[object]:
    zero = _sum([])
    parts = [by_key_source.get((key, c), zero) for c in sources]
    return [
        *(p["projects"] for p in parts),
        total["projects"],
        *(_million(p["support_vnd"]) for p in parts),
        _million(total["support_vnd"]),
        *_tail(total),
    ]


def _year_sheet(wb: Workbook, data: ReportData, names: Names) -> None:
    """Per year with the change on the year before (from the trend) and the funding chart."""
    records = _records(data.summary)
    sources = names.sources(r["funding_source"] for r in records)
    note = "Đơn vị tiền: triệu đồng. Tăng/giảm so với năm trước tính trên tất cả các nguồn."
    sheet = Sheet(
        wb,
        "Theo năm",
        f"KẾT QUẢ HOẠT ĐỘNG KHUYẾN CÔNG THEO NĂM {data.period} – {data.unit_name}",
        f"{_no_projects(data)} {note}" if data.empty else note,
    )
    by_year = _group(records, lambda r: _year(r["year"]))
    by_year_source = _group(records, lambda r: (_year(r["year"]), _code(r["funding_source"])))
    trend = {_year(r["year"]): r for r in _records(data.trend) if _code(r.get("funding_source")) == "ALL"}
    columns = [
        Col("Năm", YEAR),
        *_by_source_columns(names, sources),
        *MONEY_COLUMNS,
        Col("Số đề án tăng/giảm so với năm trước", COUNT),
        Col("Kinh phí KC hỗ trợ tăng/giảm so với năm trước", PERCENT),
        Col("Cả số đề án và kinh phí cao hơn năm trước"),
    ]
    rows = []
    for year in _period_years(data):
        change = trend.get(year, {})
        pct = cell_value(change.get("support_change_pct"))
        higher = cell_value(change.get("higher_than_previous"))
        rows.append(
            [
                year,
                *_by_source_values(sources, by_year_source, year, by_year.get(year, _sum([]))),
                cell_value(change.get("projects_change")),
                pct / 100 if isinstance(pct, int | float) and not isinstance(pct, bool) else None,
                None if higher is None else ("Có" if higher else "Không"),
            ]
        )
    by_source = _group(records, lambda r: (None, _code(r["funding_source"])))
    totals = [["Tổng cộng", *_by_source_values(sources, by_source, None, _sum(records)), None, None, None]]
    first = 3 + len(sources)  # the first support column: after Năm, the per-source counts and their total
    block = sheet.table(columns, rows, totals)
    if block.has_rows and any(r["support_vnd"] for r in by_year.values()):
        chart = _bar_chart("Kinh phí khuyến công hỗ trợ theo năm và nguồn (triệu đồng)", "Triệu đồng")
        chart.add_data(_ref(sheet.ws, block, first, first + len(sources) - 1), titles_from_data=True)
        chart.set_categories(_categories(sheet.ws, block, 1))
        sheet.chart(chart)
    sheet.finish()


def _target_sheet(wb: Workbook, data: ReportData) -> None:
    """Progress of the 2021–2025 targets at the last year reported, with the % chart."""
    records = _records(data.targets)
    years = [y for y in (_year(r["year"]) for r in records) if y is not None]
    year = max(years) if years else None
    note = (
        f"Lũy kế từ năm 2021 đến hết năm {year}. % theo tiến độ: mức lẽ ra phải đạt đến hết năm {year}."
        if year
        else "Chưa có số liệu thực hiện mục tiêu."
    )
    if data.unit_code is not None:
        note += " Chỉ tiêu và số thực hiện của toàn tỉnh."
    sheet = Sheet(
        wb, "Mục tiêu 2021-2025", "TIẾN ĐỘ THỰC HIỆN MỤC TIÊU KHUYẾN CÔNG GIAI ĐOẠN 2021-2025", note
    )
    columns = [
        Col("STT"),
        Col("Chỉ tiêu", max_width=50),
        Col("Đơn vị tính"),
        Col("Mục tiêu 2021-2025"),
        Col("Thực hiện (lũy kế)"),
        Col("% thực hiện", PERCENT),
        Col("% theo tiến độ", PERCENT),
        Col("Đánh giá"),
        Col("Dự kiến đến năm 2025"),
        Col("Khả năng đạt mục tiêu 2025"),
    ]
    rows = []
    for record in (r for r in records if _year(r["year"]) == year):
        unit = str(cell_value(record.get("unit")) or "")
        fmt = COUNT if unit not in ("%", "triệu đồng", "tỷ đồng", "đồng", "nghìn đồng") else MILLION
        status, projected = _code(record.get("status")), _code(record.get("projected_status"))
        rows.append(
            [
                len(rows) + 1,
                record.get("label_vi"),
                unit,
                Fmt(record.get("target_value"), fmt),
                Fmt(record.get("actual_value"), fmt),
                _fraction(record.get("progress_pct")),
                _fraction(record.get("expected_pct")),
                STATUS_VI.get(status, status) or None,
                Fmt(record.get("projection_2025"), fmt),
                PROJECTED_VI.get(projected, projected) or None,
            ]
        )
    block = sheet.table(columns, rows)
    if block.has_rows:
        chart = _bar_chart(
            f"Tỷ lệ thực hiện mục tiêu so với tiến độ (đến năm {year})", "%", True, len(rows) * 2
        )
        chart.y_axis.numFmt = "0%"
        chart.add_data(_ref(sheet.ws, block, 6, 7), titles_from_data=True)
        _text_categories(chart, _categories(sheet.ws, block, 2))
        sheet.chart(chart)
    sheet.finish()


def _fraction(percent: object) -> float | None:
    value = cell_value(percent)
    return value / 100 if isinstance(value, int | float) and not isinstance(value, bool) else None


def _completeness_sheet(wb: Workbook, data: ReportData, names: Names) -> None:
    """Who has reported for which year; the note gives the count per year for the narrative."""
    records = sorted(
        _records(data.completeness),
        key=lambda r: (_year(r["year"]) or 0, _unit_key(_code(r["unit_code"]))),
    )
    parts = []
    for year in sorted({_year(r["year"]) for r in records} - {None}):
        expected = [r for r in records if _year(r["year"]) == year and _number(r["expected"])]
        received = [r for r in expected if _number(r["received"]) > 0]
        on_time = [r for r in received if _number(r.get("on_time")) > 0]
        parts.append(f"năm {year}: {len(received)}/{len(expected)} đơn vị, {len(on_time)} đúng hạn")
    note = (
        ("Đã nhận báo cáo " + "; ".join(parts) + ".")
        if parts
        else "Chưa có số liệu về tình hình gửi báo cáo."
    )
    sheet = Sheet(wb, "Tình hình báo cáo", f"TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ {data.period}", note)
    columns = [
        Col("Năm", YEAR),
        Col("Đơn vị"),
        Col("Phải báo cáo"),
        Col("Đã nhận (số tệp)", COUNT),
        Col("Tệp bị từ chối", COUNT),
        Col("Đúng hạn"),
        Col("Hạn nộp", DATE),
        Col("Ngày nhận đầu tiên", DATETIME),
        Col("Ngày nhận cuối", DATETIME),
    ]
    rows = []
    for r in records:
        on_time = cell_value(r.get("on_time"))
        rows.append(
            [
                _year(r["year"]),
                names.unit(r["unit_code"]),
                "Có" if _number(r["expected"]) else "Không",
                _number(r["received"]),
                _number(r.get("rejected") or 0),
                _on_time_text(on_time, _number(r.get("rejected") or 0)),
                r.get("deadline"),
                r.get("first_received_at"),
                r.get("last_received_at"),
            ]
        )
    sheet.table(columns, rows)
    sheet.finish()


def _on_time_text(on_time: Any, rejected: int) -> str:
    """Whether the unit-year's report came on time; with no file loaded, whether any came at all."""
    if on_time is None:
        return "Tệp lỗi, chưa đọc được" if rejected else "Chưa nộp"
    return "Có" if on_time else "Không"


def _quarantine_sheet(wb: Workbook, data: ReportData, names: Names) -> None:
    """Rows left out of the figures, with where to find them and why, so units can correct the file."""
    records = _records(data.quarantine)
    note = (
        f"{len(records)} dòng chưa được đưa vào số liệu; đề nghị đơn vị sửa tệp theo lý do và gửi lại."
        if records
        else "Không có dòng nào bị loại."
    )
    sheet = Sheet(wb, "Dòng bị loại", f"CÁC DÒNG BỊ LOẠI, CHỜ ĐƠN VỊ SỬA LẠI {data.period}", note)
    columns = [
        Col("Năm", YEAR),
        Col("Đơn vị"),
        Col("Tệp"),
        Col("Trang tính"),
        Col("Dòng", COUNT),
        Col("Lý do", max_width=50),
        Col("Nội dung dòng gốc", max_width=60),
    ]
    rows = [
        [
            _year(r.get("year")),
            names.unit(r.get("unit_code")),
            r.get("path"),
            r.get("source_sheet"),
            r.get("source_row"),
            r.get("reasons"),
            _raw_text(r.get("raw")),
        ]
        for r in records
    ]
    sheet.table(columns, rows)
    sheet.finish()


def _raw_text(raw: object) -> str:
    """The row's cells as "heading: value | ..."; empty cells are left out."""
    if isinstance(raw, Mapping):
        parts = [f"{k}: {v}" for k, v in raw.items() if cell_value(v) not in (None, "")]
        return " | ".join(parts)
    if isinstance(raw, list | tuple):
        return " | ".join(str(v) for v in raw if cell_value(v) not in (None, ""))
    clean = cell_value(raw)
    return "" if clean is None else str(clean)


PROJECT_FIELDS = LISTING_FIELDS  # the project list: kc_pipeline/report/listing.py


def _column_total(frame: pd.DataFrame, name: str) -> int | float:
    """:func:`_sum` of one column, with numeric columns summed from plain lists (the same additions)."""
    if name not in frame.columns:
        return 0
    series = frame[name]
    if pd.api.types.is_integer_dtype(series.dtype):
        return sum(series.dropna().tolist())
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=float, na_value=np.nan)
        return sum(values[np.isfinite(values)].tolist())
    return sum(_number(value) for value in series)


# ---------------------------------------------------------------------------------------- charts


def _bar_chart(title: str, value_title: str, horizontal: bool = False, categories: int = 5) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.grouping = "clustered"
    chart.title = title
    chart.y_axis.title = value_title
    chart.y_axis.numFmt = "#,##0"
    chart.width = 26
    chart.height = max(8.0, 1.2 * categories + 3) if horizontal else 9.0
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # first row of the table on top
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    return chart


def _ref(ws: WriteOnlyWorksheet, block: Block, first_column: int, last_column: int) -> Reference:
    """The header cell (series name) and the data cells of some columns of a table."""
    return Reference(
        ws, min_col=first_column, max_col=last_column, min_row=block.header_row, max_row=block.last_row
    )


def _text_categories(chart: BarChart, labels: Reference) -> None:
    """Names as categories: a string reference (openpyxl's set_categories declares numbers)."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))


def _categories(ws: WriteOnlyWorksheet, block: Block, column: int) -> Reference:
    return Reference(ws, min_col=column, min_row=block.first_row, max_row=block.last_row)


# ------------------------------------------------------------------------------------------- entry


def write_workbook(data: ReportData, path: Path) -> None:
    """Write the staff workbook for ``data`` to ``path`` (the caller makes the write atomic).

    The project list is written last, as compressed pieces spooled to a temporary file (see
    :mod:`kc_pipeline.report.listing`); openpyxl packages the rest, and the package is then copied
    to ``path`` with the list's part put in.
    """
    from kc_pipeline.report.listing import ProjectList  # it builds on this module

    names = Names(data.reference)
    wb = Workbook(write_only=True)
    listing = ProjectList(wb, data, names)  # its styles first: their ids must not depend on the rest
    _summary_sheet(wb, data, names)
    _source_sheet(wb, data, names, "KC địa phương", "KCDP")
    _source_sheet(wb, data, names, "KC quốc gia", "KCQG")
    _unit_sheet(wb, data, names)
    _year_sheet(wb, data, names)
    _target_sheet(wb, data)
    _completeness_sheet(wb, data, names)
    _quarantine_sheet(wb, data, names)
    with tempfile.TemporaryFile() as spool:
        listing.write(spool)
        wb.active = 0
        package = io.BytesIO()
        wb.save(package)  # small: the list's part is an empty sheet here
        assert listing.part is not None
        with path.open("wb") as out:
            write_package(package.getvalue(), {listing.part_name: listing.part}, out)
