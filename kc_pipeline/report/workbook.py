"""The staff workbook: Vietnamese sheets that reporting staff open, filter, print and paste from.

Every cell goes through :func:`put`, so no text from a district file can become a formula, an error
value or an XML error, whatever it starts with. Totals are written as numbers, not formulas: the
workbook must read the same in any spreadsheet program and when pasted into a Word report.
Layout per sheet: row 1 title, row 2 note, row 3 the header of the main table (frozen, filtered,
repeated on every printed page), data from row 4, "Tổng cộng" rows right under the data (outside
the filter so sorting never moves them), then any second table and the charts below, so that
printing fits the width of a landscape page.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from numbers import Integral, Real
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kc_pipeline.report.data import ReportData

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
MAX_TEXT = 32_767  # Excel's limit for one cell
MAX_WIDTH = 60
MIN_WIDTH = 6
HEADER_WRAP = 16  # headers longer than this wrap rather than widen the column

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
    text = value if isinstance(value, str) else str(value)
    text = _XML_ILLEGAL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return text[:MAX_TEXT]


def put(ws: Worksheet, row: int, column: int, value: object, number_format: str | None = None) -> Cell:
    """Write one cell as a value; text is always stored as text, never as a formula or error code."""
    cell = ws.cell(row=row, column=column)
    clean = cell_value(value)
    cell.value = clean  # openpyxl guesses "f" for "=..." and "e" for "#N/A": overridden below
    if isinstance(clean, str):
        cell.data_type = "s"
        if clean.startswith(_FORMULA_START):
            cell.quotePrefix = True  # stays text even when a user edits the cell in Excel
    elif number_format is not None and clean is not None:
        cell.number_format = number_format
    return cell


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


class Sheet:
    """One worksheet laid out top to bottom; :meth:`finish` sizes, freezes, filters and sets printing."""

    def __init__(self, wb: Workbook, name: str, title: str, note: str) -> None:
        self.ws = wb.create_sheet(name)
        self.free_rows: set[int] = {1, 2}  # titles and notes: not measured for column widths
        self.header_rows: set[int] = set()
        self.main: Block | None = None
        self.caps: dict[int, int] = {}
        put(self.ws, 1, 1, title).font = _TITLE
        put(self.ws, 2, 1, note).font = _NOTE
        self.row = HEADER_ROW

    def caption(self, text: str) -> None:
        put(self.ws, self.row, 1, text).font = _BOLD
        self.free_rows.add(self.row)
        self.row += 1

    def table(
        self,
        columns: Sequence[Col],
        rows: Iterable[Sequence[object]],
        totals: Iterable[Sequence[object]] = (),
    ) -> Block:
        """Header, data rows and bold total rows; the first table of a sheet is its main table."""
        ws, header_row = self.ws, self.row
        for index, column in enumerate(columns, 1):
            cell = put(ws, header_row, index, column.header)
            cell.font, cell.fill, cell.alignment, cell.border = _BOLD, _HEADER_FILL, _HEADER_ALIGN, _BORDER
        self.header_rows.add(header_row)
        row = header_row
        for values in rows:
            row += 1
            self._row(row, columns, values)
        block = Block(header_row, header_row + 1, row, len(columns))
        for values in totals:
            row += 1
            for cell in self._row(row, columns, values):
                cell.font, cell.fill = _BOLD, _TOTAL_FILL
        if self.main is None:
            self.main = block
            self.caps = {index: column.max_width for index, column in enumerate(columns, 1)}
        self.row = row + 2
        return block

    def _row(self, row: int, columns: Sequence[Col], values: Sequence[object]) -> list[Cell]:
        cells = []
        for index, (column, value) in enumerate(zip(columns, values, strict=True), 1):
            if isinstance(value, Fmt):
                cell = put(self.ws, row, index, value.value, value.number_format)
            else:
                cell = put(self.ws, row, index, value, column.number_format)
            cell.border = _BORDER
            cells.append(cell)
        return cells

    def chart(self, chart: BarChart) -> None:
        chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
        chart.y_axis.delete = False
        self.ws.add_chart(chart, f"A{self.row}")
        self.row += math.ceil(chart.height / 0.5) + 2  # rows are about 0.5 cm high

    def finish(self) -> None:
        ws, main = self.ws, self.main
        assert main is not None, "every sheet has a main table"
        last_column = get_column_letter(main.width)
        ws.freeze_panes = f"A{main.first_row}"
        ws.auto_filter.ref = f"A{main.header_row}:{last_column}{max(main.last_row, main.header_row)}"
        ws.print_title_rows = f"{main.header_row}:{main.header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.oddFooter.center.text = "Trang &P/&N"
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Widths from content, capped; longer text wraps, and header rows grow to show their lines."""
        widths: dict[int, float] = {}
        for row in self.ws.iter_rows(min_row=1, max_row=self.ws.max_row):
            for cell in row:
                if cell.row in self.free_rows or cell.value is None:
                    continue
                if cell.row in self.header_rows:
                    text = str(cell.value)
                    length = max(min(len(text), HEADER_WRAP), *(len(w) for w in text.split()))
                else:
                    length = _display_length(cell.value, cell.number_format)
                widths[cell.column] = max(widths.get(cell.column, 0), length)
        for column, length in widths.items():
            cap = self.caps.get(column, MAX_WIDTH)
            width = min(max(length + 2, MIN_WIDTH), cap)
            self.ws.column_dimensions[get_column_letter(column)].width = width
            if length + 2 > cap:
                for (cell,) in self.ws.iter_rows(min_row=1, min_col=column, max_col=column):
                    if isinstance(cell.value, str) and cell.row not in self.free_rows | self.header_rows:
                        cell.alignment = _WRAP
        for header_row in self.header_rows:
            lines = 1
            for cell in self.ws[header_row]:
                if isinstance(cell.value, str):
                    width = int(self.ws.column_dimensions[cell.column_letter].width) - 1
                    lines = max(lines, len(textwrap.wrap(cell.value, max(width, 1))))
            self.ws.row_dimensions[header_row].height = 15 * lines + 3


def _display_length(value: object, number_format: str) -> int:
    if isinstance(value, str):
        return max((len(line) for line in value.split("\n")), default=0)
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


# ----------------------------------------------------------------------------------- aggregation


def _number(value: object) -> int | float:
    """A measure as a number; missing counts add nothing."""
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
    number = cell_value(value)
    return int(number) if isinstance(number, int | float) and not isinstance(number, bool) else None


class Names:
    """Codes to the Vietnamese names staff read; an unknown code shows as itself, never as a blank."""

    def __init__(self, data: ReportData) -> None:
        self.ref = data.reference

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
    clean = cell_value(value)
    if isinstance(clean, float) and clean.is_integer():
        clean = int(clean)
    return "" if clean is None else str(clean)


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
                "Chưa nộp" if on_time is None else ("Có" if on_time else "Không"),
                r.get("deadline"),
                r.get("first_received_at"),
                r.get("last_received_at"),
            ]
        )
    sheet.table(columns, rows)
    sheet.finish()


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


def _project_sheet(wb: Workbook, data: ReportData, names: Names) -> None:
    """The current projects, one row each, money in đồng as loaded."""
    records = _records(data.projects)
    note = "Đơn vị tiền: đồng." if records else f"{_no_projects(data)} Đơn vị tiền: đồng."
    sheet = Sheet(
        wb, "Danh sách đề án", f"DANH SÁCH ĐỀ ÁN KHUYẾN CÔNG {data.period} – {data.unit_name}", note
    )
    columns = [
        Col("STT"),
        Col("Năm", YEAR),
        Col("Đơn vị"),
        Col("Nguồn kinh phí"),
        Col("Chương trình", max_width=40),
        Col("Hoạt động", max_width=35),
        Col("Tên đề án", max_width=50),
        Col("Đơn vị thụ hưởng", max_width=35),
        Col("Địa điểm", max_width=25),
        Col("Ngành nghề", max_width=30),
        Col("Chuỗi giá trị", max_width=25),
        Col("Kinh phí KC hỗ trợ (đồng)", VND),
        Col("Kinh phí đối ứng (đồng)", VND),
        Col("Tổng kinh phí (đồng)", VND),
        Col("Lao động được đào tạo (người)", COUNT),
        Col("Mô hình trình diễn", COUNT),
        Col("Cụm công nghiệp", COUNT),
        Col("Mã đề án"),
        Col("Trang tính gốc"),
        Col("Dòng gốc", COUNT),
    ]
    rows = [
        [
            index,
            _year(r.get("year")),
            names.unit(r.get("unit_code")),
            names.source(r.get("funding_source")),
            names.programme(r.get("programme_code")),
            names.activity(r.get("activity_code")),
            r.get("title"),
            r.get("beneficiary"),
            r.get("commune"),
            names.sector(r.get("sector_code")),
            names.value_chain(r.get("value_chain_code")),
            r.get("support_vnd"),
            r.get("counterpart_vnd"),
            r.get("total_vnd"),
            r.get("trainees"),
            r.get("models"),
            r.get("clusters"),
            r.get("project_code"),
            r.get("source_sheet"),
            r.get("source_row"),
        ]
        for index, r in enumerate(records, 1)
    ]
    total = _sum(records)
    totals = [
        [
            *[None] * 6, f"Tổng cộng ({len(records)} đề án)", *[None] * 4,
            total["support_vnd"], total["counterpart_vnd"], total["total_vnd"],
            total["trainees"], total["models"], total["clusters"], None, None, None,
        ]
    ]  # fmt: skip
    sheet.table(columns, rows, totals)
    sheet.finish()


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


def _ref(ws: Worksheet, block: Block, first_column: int, last_column: int) -> Reference:
    """The header cell (series name) and the data cells of some columns of a table."""
    return Reference(
        ws, min_col=first_column, max_col=last_column, min_row=block.header_row, max_row=block.last_row
    )


def _text_categories(chart: BarChart, labels: Reference) -> None:
    """Names as categories: a string reference (openpyxl's set_categories declares numbers)."""
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=str(labels)))


def _categories(ws: Worksheet, block: Block, column: int) -> Reference:
    return Reference(ws, min_col=column, min_row=block.first_row, max_row=block.last_row)


# ------------------------------------------------------------------------------------------- entry


def write_workbook(data: ReportData, path: Path) -> None:
    """Write the staff workbook for ``data`` to ``path`` (the caller makes the write atomic)."""
    names = Names(data)
    wb = Workbook()
    wb.remove(wb.active)
    _summary_sheet(wb, data, names)
    _source_sheet(wb, data, names, "KC địa phương", "KCDP")
    _source_sheet(wb, data, names, "KC quốc gia", "KCQG")
    _unit_sheet(wb, data, names)
    _year_sheet(wb, data, names)
    _target_sheet(wb, data)
    _completeness_sheet(wb, data, names)
    _quarantine_sheet(wb, data, names)
    _project_sheet(wb, data, names)
    wb.active = 0
    wb.save(path)
