"""Workbook writers, one per spreadsheet layout seen in district offices.

Each writer renders a list of project dicts (canonical values, already ordered by funding source and
programme) and a :class:`Document` (every presentational choice, drawn by the generator) into one
.xlsx, and returns the (sheet, 1-based row) of each project so that the generator can tell the reader
tests exactly where every project sits. Writers draw no random numbers: the same input gives the
same bytes, because zip entry times and document properties are pinned too.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Literal
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from kc_pipeline.ingest.legacy_fonts import LegacyEncoding, encode

Project = Mapping[str, Any]
Position = tuple[str, int]
AmountStyle = Literal["number", "text"]

MONEY_KEYS = ("total", "support", "counterpart")
_MONEY_FIELD = {"total": "total_vnd", "support": "support_vnd", "counterpart": "counterpart_vnd"}
_WIDTHS = {
    "seq": 6,
    "project_code": 16,
    "title": 48,
    "programme": 22,
    "funding": 14,
    "beneficiary": 30,
    "commune": 16,
    "total": 16,
    "support": 16,
    "counterpart": 16,
    "trainees": 10,
    "note": 14,
}
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEGACY_FONTS = {"tcvn3": (".VnTime", ".VnTimeH"), "vni": ("VNI-Times", "VNI-Times")}


@dataclass(frozen=True)
class Document:
    """Everything about a workbook except its projects; chosen by the generator, rendered here."""

    year: int
    heading: tuple[str, str]
    title: str
    place_date: str
    signers: tuple[tuple[str, str], tuple[str, str]]  # (role, name) left and right
    created: datetime
    modified: datetime
    sheet_name: str = "Sheet1"
    money_scale: int = 1  # 1 = đồng, 1_000_000 = triệu đồng
    columns: tuple[tuple[str, str], ...] = ()  # (key, heading) in sheet order
    subtitle: str | None = None
    motto: bool = False
    unit_line: str | None = None
    funding_labels: tuple[str, str] = ("KCQG", "KCĐP")
    programme_labels: Mapping[str, str] = field(default_factory=dict)  # code -> "Chương trình" cell
    section_labels: Mapping[str, str] = field(default_factory=dict)  # code -> section row text
    funding_sections: tuple[str, str] = ("KHUYẾN CÔNG QUỐC GIA", "KHUYẾN CÔNG ĐỊA PHƯƠNG")
    total_merged: bool = False
    notes: tuple[str, ...] = ()
    junk_sheet: str | None = None
    junk_rows: tuple[tuple[Any, ...], ...] = ()
    empty_sheet: str | None = None
    legacy: LegacyEncoding | None = None
    creator: str = "Phòng Kinh tế"


def fit_legacy(text: str, encoding: LegacyEncoding | None) -> str:
    """Text as a clerk could type it in a normal legacy font: capitals with tone marks become lower case.

    ``.VnTime`` has no code for "Ứ" or "Á"; typists wrote such letters in lower case, so the decoded
    cell differs from the intended Unicode, and the generator's expected values must use this form.
    """
    if encoding is None or text.isascii():
        return text
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            encode(ch, encoding)
        except ValueError:
            ch = ch.lower()
        out.append(ch)
    return "".join(out)


class _Pen:
    """Writes text and numbers with the document's font, encoding text for legacy fonts."""

    def __init__(self, legacy: LegacyEncoding | None) -> None:
        self.legacy = legacy
        self.normal, self.capital = _LEGACY_FONTS.get(legacy or "", ("Times New Roman", "Times New Roman"))
        self._fonts: dict[tuple[bool, bool, bool, int], Font] = {}

    def font(
        self, *, heading: bool = False, bold: bool = False, italic: bool = False, size: int = 12
    ) -> Font:
        key = (heading, bold, italic, size)
        if key not in self._fonts:
            name = self.capital if heading else self.normal
            self._fonts[key] = Font(name=name, size=size, bold=bold, italic=italic)
        return self._fonts[key]

    def text(
        self,
        ws: Worksheet,
        row: int,
        col: int,
        text: str,
        *,
        heading: bool = False,
        bold: bool = False,
        italic: bool = False,
        size: int = 12,
        box: bool = False,
        align: Alignment | None = None,
    ) -> None:
        """Write ``text``; in a legacy document headings are capitals in the capital font (.VnTimeH)."""
        value = text
        if self.legacy:
            if heading:
                value = encode(text.upper(), self.legacy, capital_font=self.legacy == "tcvn3")
            else:
                value = encode(fit_legacy(text, self.legacy), self.legacy)
        cell = ws.cell(row=row, column=col, value=value)
        cell.font = self.font(heading=heading, bold=bold, italic=italic, size=size)
        if box:
            cell.border = _BOX
        if align is not None:
            cell.alignment = align

    def number(
        self, ws: Worksheet, row: int, col: int, value: float, fmt: str, *, bold: bool = False
    ) -> None:
        cell = ws.cell(row=row, column=col, value=value)
        cell.font = self.font(bold=bold)
        cell.number_format = fmt
        cell.border = _BOX


def _scaled(value: int, scale: int) -> int | float:
    """Đồng to the sheet's unit; amounts are multiples of 0.5 triệu when scale is a million, so exact."""
    return value // scale if value % scale == 0 else value / scale


def _dong_text(value: int) -> str:
    """Vietnamese thousands grouping: 1234567 -> "1.234.567"."""
    return f"{value:,}".replace(",", ".")


def _millions_text(value: int) -> str:
    """152500000 -> "152,5 triệu" (Vietnamese decimal comma)."""
    whole, rest = divmod(value, 1_000_000)
    return f"{whole} triệu" if rest == 0 else f"{whole},{rest // 100_000} triệu"


class _Table:
    """One table on one sheet: header, project rows, total rows, in the document's columns."""

    def __init__(
        self,
        ws: Worksheet,
        pen: _Pen,
        doc: Document,
        columns: Sequence[tuple[str, str]],
        amount_style: AmountStyle = "number",
        nfd_fields: frozenset[str] = frozenset(),
    ) -> None:
        self.ws, self.pen, self.doc = ws, pen, doc
        self.columns = list(columns)
        self.col = {key: i + 1 for i, (key, _) in enumerate(self.columns)}
        self.amount_style = amount_style
        self.nfd_fields = nfd_fields
        self.fmt = "#,##0" if doc.money_scale == 1 else "#,##0.0"
        for key, index in self.col.items():
            ws.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(key, 14)

    @property
    def width(self) -> int:
        return len(self.columns)

    def header_one_row(self, row: int) -> int:
        for index, (_, heading) in enumerate(self.columns, start=1):
            self.pen.text(self.ws, row, index, heading, heading=True, bold=True, box=True, align=_CENTER)
        return row + 1

    def header_two_rows(self, row: int, group: str) -> int:
        """Money columns under one merged group cell; every other heading merged over both rows."""
        money = [self.col[k] for k, _ in self.columns if k in MONEY_KEYS]
        for index, (key, heading) in enumerate(self.columns, start=1):
            if key in MONEY_KEYS:
                self.pen.text(
                    self.ws, row + 1, index, heading, heading=True, bold=True, box=True, align=_CENTER
                )
            else:
                self.pen.text(self.ws, row, index, heading, heading=True, bold=True, box=True, align=_CENTER)
                self.ws.merge_cells(start_row=row, start_column=index, end_row=row + 1, end_column=index)
        self.pen.text(self.ws, row, money[0], group, heading=True, bold=True, box=True, align=_CENTER)
        self.ws.merge_cells(start_row=row, start_column=money[0], end_row=row, end_column=money[-1])
        return row + 2

    def numbering_row(self, row: int) -> int:
        for index in range(1, self.width + 1):
            self.pen.text(self.ws, row, index, f"({index})", italic=True, box=True, align=_CENTER)
        return row + 1

    def _amount(self, row: int, col: int, value: int, bold: bool = False, words: bool = False) -> None:
        if self.amount_style == "text":
            text = _millions_text(value) if words and value and value % 500_000 == 0 else _dong_text(value)
            self.pen.text(self.ws, row, col, text, bold=bold, box=True)
        else:
            self.pen.number(self.ws, row, col, _scaled(value, self.doc.money_scale), self.fmt, bold=bold)

    def project_row(self, row: int, seq: int | str, project: Project) -> Position:
        doc = self.doc
        words = row % 4 == 1  # text layout: now and then an amount typed as "150 triệu"
        for key, index in self.col.items():
            if key in MONEY_KEYS:
                self._amount(row, index, project[_MONEY_FIELD[key]], words=words and key == "support")
                continue
            value: Any
            if key == "seq":
                value = seq
            elif key == "programme":
                value = doc.programme_labels[project["programme_code"]]
            elif key == "funding":
                value = doc.funding_labels[0 if project["funding_source"] == "KCQG" else 1]
            else:
                value = project.get(key)
            if value is None or value == "":
                self.ws.cell(row=row, column=index).border = _BOX
            elif isinstance(value, int):
                self.pen.number(self.ws, row, index, value, "0")
            else:
                text = unicodedata.normalize("NFD", value) if key in self.nfd_fields else value
                self.pen.text(self.ws, row, index, text, box=True, align=_WRAP if key == "title" else None)
        return (self.ws.title, row)

    def total_row(
        self, row: int, label: str, projects: Sequence[Project], merged: bool = False, seq: str | None = None
    ) -> int:
        """A total or subtotal row whose amounts are the sums of ``projects``."""
        label_col = self.col["title"]
        if merged and label_col > 1:
            self.pen.text(self.ws, row, 1, label, bold=True, box=True, align=_CENTER)
            self.ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=label_col)
        else:
            if seq is not None:
                self.pen.text(self.ws, row, self.col["seq"], seq, bold=True, box=True)
            self.pen.text(self.ws, row, label_col, label, bold=True, box=True)
        for key in MONEY_KEYS:
            if key in self.col:
                self._amount(row, self.col[key], sum(p[_MONEY_FIELD[key]] for p in projects), bold=True)
        if "trainees" in self.col:
            trainees = sum(p["trainees"] or 0 for p in projects)
            if trainees:
                self.pen.number(self.ws, row, self.col["trainees"], trainees, "0", bold=True)
        return row + 1

    def section_row(self, row: int, seq: str, label: str, *, heading: bool = False) -> int:
        self.pen.text(self.ws, row, self.col["seq"], seq, bold=True, box=True)
        self.pen.text(self.ws, row, self.col["title"], label, bold=True, heading=heading, box=True)
        return row + 1


def _title_block(ws: Worksheet, pen: _Pen, doc: Document, width: int, title: str) -> int:
    """Issuing office, optional national motto, merged title, subtitle and unit line; returns next row."""
    left = min(3, width)
    pen.text(ws, 1, 1, doc.heading[0], heading=True, bold=False, align=_CENTER)
    pen.text(ws, 2, 1, doc.heading[1], heading=True, bold=True, align=_CENTER)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=left)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=left)
    if doc.motto and width > left + 1:
        pen.text(
            ws, 1, left + 2, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", heading=True, bold=True, align=_CENTER
        )
        pen.text(ws, 2, left + 2, "Độc lập - Tự do - Hạnh phúc", bold=True, align=_CENTER)
        ws.merge_cells(start_row=1, start_column=left + 2, end_row=1, end_column=width)
        ws.merge_cells(start_row=2, start_column=left + 2, end_row=2, end_column=width)
    row = 4
    pen.text(ws, row, 1, title, heading=True, bold=True, size=14, align=_CENTER)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    row += 1
    if doc.subtitle:
        pen.text(ws, row, 1, doc.subtitle, italic=True, align=_CENTER)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        row += 1
    if doc.unit_line:
        pen.text(ws, row, max(1, width - 2), doc.unit_line, italic=True)
        row += 1
    return row + 1


def _footer(ws: Worksheet, pen: _Pen, doc: Document, row: int, width: int) -> None:
    """Notes under the table, blank rows, then the two-person signature block."""
    row += 1
    for note in doc.notes:
        pen.text(ws, row, 1, note, italic=note.startswith("*"))
        row += 1
    row += 2
    right = max(width - 3, 3)
    pen.text(ws, row, right, doc.place_date, italic=True, align=_CENTER)
    ws.merge_cells(start_row=row, start_column=right, end_row=row, end_column=width)
    row += 1
    (left_role, left_name), (right_role, right_name) = doc.signers
    pen.text(ws, row, 2, left_role, bold=True, align=_CENTER)
    pen.text(ws, row, right, right_role, bold=True, heading=right_role.isupper(), align=_CENTER)
    row += 1
    pen.text(ws, row, 2, "(Ký, ghi rõ họ tên)", italic=True, align=_CENTER)
    pen.text(ws, row, right, "(Ký tên, đóng dấu)", italic=True, align=_CENTER)
    row += 4
    pen.text(ws, row, 2, left_name, bold=True, align=_CENTER)
    pen.text(ws, row, right, right_name, bold=True, align=_CENTER)
    for r in (row - 4, row - 3, row):
        ws.merge_cells(start_row=r, start_column=right, end_row=r, end_column=width)


def _extra_sheets(wb: Workbook, doc: Document) -> None:
    """A hidden lookup sheet with leftovers and an empty sheet, as real workbooks carry them."""
    if doc.junk_sheet:
        junk = wb.create_sheet(doc.junk_sheet)
        for values in doc.junk_rows:
            junk.append(list(values))
        junk.sheet_state = "hidden"
    if doc.empty_sheet:
        wb.create_sheet(doc.empty_sheet)


class _PinnedZip(ZipFile):
    """Zip archive whose entries all carry one timestamp, so that saving twice gives identical bytes."""

    def __init__(self, file: BytesIO, date_time: tuple[int, int, int, int, int, int]) -> None:
        super().__init__(file, "w", ZIP_DEFLATED)
        self._date_time = date_time

    def writestr(
        self,
        zinfo_or_arcname: str | ZipInfo,
        data: bytes | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo = ZipInfo(zinfo_or_arcname, date_time=self._date_time)
            zinfo.compress_type = self.compression
            zinfo.external_attr = 0o600 << 16
            zinfo_or_arcname = zinfo
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: Any,
        arcname: Any = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        # openpyxl streams each worksheet through a temporary file; its mtime must not leak in.
        self.writestr(
            arcname or Path(filename).name, Path(filename).read_bytes(), compress_type, compresslevel
        )


def save_workbook(wb: Workbook, path: Path, doc: Document) -> None:
    """Save with pinned document properties and zip times (openpyxl's own save stamps "now")."""
    wb.properties.created = doc.created
    wb.properties.modified = doc.modified
    wb.properties.creator = doc.creator
    wb.properties.lastModifiedBy = doc.creator
    buffer = BytesIO()
    archive = _PinnedZip(buffer, doc.modified.timetuple()[:6])
    ExcelWriter(wb, archive).save()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _new_book(doc: Document) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = doc.sheet_name
    return wb, ws


def _flat_sheet(
    ws: Worksheet,
    pen: _Pen,
    doc: Document,
    projects: Sequence[Project],
    title: str,
    columns: Sequence[tuple[str, str]],
    amount_style: AmountStyle = "number",
    nfd_fields: frozenset[str] = frozenset(),
) -> list[Position]:
    """Title block, one header row, numbered project rows, "Tổng cộng" row, notes and signatures."""
    table = _Table(ws, pen, doc, columns, amount_style, nfd_fields)
    row = table.header_one_row(_title_block(ws, pen, doc, table.width, title))
    positions = []
    for seq, project in enumerate(projects, start=1):
        positions.append(table.project_row(row, seq, project))
        row += 1
    row = table.total_row(row, "Tổng cộng", projects, merged=doc.total_merged)
    _footer(ws, pen, doc, row, table.width)
    return positions


def _finish(wb: Workbook, path: Path, doc: Document) -> None:
    _extra_sheets(wb, doc)
    save_workbook(wb, path, doc)


# ------------------------------------------------------------------------------------------ layouts


def write_one_row_header(path: Path, projects: Sequence[Project], doc: Document) -> list[Position]:
    """Title rows, a single header row, amounts in đồng as numbers, a "Tổng cộng" row."""
    wb, ws = _new_book(doc)
    positions = _flat_sheet(ws, _Pen(None), doc, projects, doc.title, doc.columns)
    _finish(wb, path, doc)
    return positions


def write_two_row_header(path: Path, projects: Sequence[Project], doc: Document) -> list[Position]:
    """Merged "Kinh phí (triệu đồng)" over three amount columns, a "(1) (2) ..." row, amounts in triệu."""
    wb, ws = _new_book(doc)
    pen = _Pen(None)
    table = _Table(ws, pen, doc, doc.columns)
    row = table.header_two_rows(_title_block(ws, pen, doc, table.width, doc.title), "Kinh phí (triệu đồng)")
    row = table.numbering_row(row)
    positions = []
    for seq, project in enumerate(projects, start=1):
        positions.append(table.project_row(row, seq, project))
        row += 1
    row = table.total_row(row, "Tổng cộng", projects, merged=doc.total_merged)
    _footer(ws, pen, doc, row, table.width)
    _finish(wb, path, doc)
    return positions


def write_sections(path: Path, projects: Sequence[Project], doc: Document) -> list[Position]:
    """Funding sources and programmes as section rows ("I" KHUYẾN CÔNG QUỐC GIA, "1" Chương trình ...),
    projects numbered "1.1", "1.2", subtotals "Cộng I" per funding section and "Tổng cộng (I+II)"."""
    wb, ws = _new_book(doc)
    pen = _Pen(None)
    table = _Table(ws, pen, doc, doc.columns)
    row = table.header_one_row(_title_block(ws, pen, doc, table.width, doc.title))
    positions: dict[int, Position] = {}
    romans = ("I", "II")
    sources = [s for s in ("KCQG", "KCDP") if any(p["funding_source"] == s for p in projects)]
    for number, source in enumerate(sources):
        label = doc.funding_sections[0 if source == "KCQG" else 1]
        row = table.section_row(row, romans[number], label, heading=label.isupper())
        in_source = [(i, p) for i, p in enumerate(projects) if p["funding_source"] == source]
        programmes = list(dict.fromkeys(p["programme_code"] for _, p in in_source))
        for prog_no, programme in enumerate(programmes, start=1):
            row = table.section_row(row, str(prog_no), doc.section_labels[programme])
            members = [(i, p) for i, p in in_source if p["programme_code"] == programme]
            for seq, (index, project) in enumerate(members, start=1):
                positions[index] = table.project_row(row, f"{prog_no}.{seq}", project)
                row += 1
        row = table.total_row(row, f"Cộng {romans[number]}", [p for _, p in in_source])
    label = "Tổng cộng (I+II)" if len(sources) == 2 else "Tổng cộng"
    row = table.total_row(row, label, projects, merged=doc.total_merged)
    _footer(ws, pen, doc, row, table.width)
    _finish(wb, path, doc)
    return [positions[i] for i in range(len(projects))]


def write_sheet_per_source(path: Path, projects: Sequence[Project], doc: Document) -> list[Position]:
    """Sheets "KCQG" and "KCĐP", each a one-header-row table without a funding column."""
    wb = Workbook()
    pen = _Pen(None)
    positions: dict[int, Position] = {}
    for source, sheet, words in (("KCQG", "KCQG", "QUỐC GIA"), ("KCDP", "KCĐP", "ĐỊA PHƯƠNG")):
        members = [(i, p) for i, p in enumerate(projects) if p["funding_source"] == source]
        if not members:
            continue
        ws = wb.create_sheet(sheet)
        title = doc.title.replace("KHUYẾN CÔNG", f"KHUYẾN CÔNG {words}", 1)
        rows = _flat_sheet(ws, pen, doc, [p for _, p in members], title, doc.columns)
        positions.update({i: pos for (i, _), pos in zip(members, rows, strict=True)})
    wb.remove(wb.worksheets[0])  # the default sheet, created before ours
    _finish(wb, path, doc)
    return [positions[i] for i in range(len(projects))]


def write_text_amounts(path: Path, projects: Sequence[Project], doc: Document) -> list[Position]:
    """Amounts typed as text ("1.234.567", now and then "150 triệu"); titles and communes in NFD."""
    wb, ws = _new_book(doc)
    nfd = frozenset({"title", "commune"})
    positions = _flat_sheet(ws, _Pen(None), doc, projects, doc.title, doc.columns, "text", nfd)
    _finish(wb, path, doc)
    return positions


def write_legacy(path: Path, projects: Sequence[Project], doc: Document) -> list[Position]:
    """Like one_row_header, every text cell in a legacy font: TCVN3 (.VnTime/.VnTimeH) or VNI-Times."""
    wb, ws = _new_book(doc)
    positions = _flat_sheet(ws, _Pen(doc.legacy), doc, projects, doc.title, doc.columns)
    _finish(wb, path, doc)
    return positions


Writer = Callable[[Path, Sequence[Project], Document], list[Position]]
WRITERS: dict[str, Writer] = {
    "one_row_header": write_one_row_header,
    "two_row_header": write_two_row_header,
    "sections": write_sections,
    "sheet_per_source": write_sheet_per_source,
    "text_amounts": write_text_amounts,
    "legacy_tcvn3": write_legacy,
    "legacy_vni": write_legacy,
}
