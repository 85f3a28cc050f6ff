"""One sheet's table -> project rows, ignored rows (with the rule that ignored them) and totals.

Below the header every row ends in exactly one place: a project row, or an ignored row named by
its rule (blank, header, section, subtotal, total, note, signature). Section rows set the funding
source / programme / activity of the rows under them; subtotal and total rows keep their amounts
so the file can later be reconciled with itself.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from typing import Any

from kc_pipeline.ingest import classify, values
from kc_pipeline.ingest.cells import SheetGrid
from kc_pipeline.ingest.header import Header, column_letter, find_header
from kc_pipeline.ingest.model import IgnoredRow, IgnoreRule, Issue, ProjectRow, SheetLayout, TotalRow
from kc_pipeline.ingest.values import MAX_AMOUNT_VND, MAX_COUNT
from kc_pipeline.reference import Reference
from kc_pipeline.text import fold, nfc

MONEY_FIELDS = ("total_vnd", "support_vnd", "counterpart_vnd")
COUNT_FIELDS = ("trainees", "models", "clusters")
TEXT_FIELDS = ("title", "beneficiary", "commune", "implementer", "district", "note")
# Fields whose vertically merged cells are copied down to every row of the merge.
FILL_DOWN_FIELDS = frozenset(
    (*TEXT_FIELDS, "programme", "activity", "funding_source", "sector", "value_chain", "period", "year")
)
_NUMBERING_CELL = re.compile(r"^\(?\s*\d{1,2}\s*\)?$|^\(?[A-Z]\)?$")
_SEQ_ONLY = re.compile(r"^\s*(\d+|[IVXLC]+|[a-zA-Z])\s*[.)]?\s*$")
_UNIT_LINE = re.compile(r"\b(don vi tinh|dvt|don vi)\b")
_LABEL_FIELDS = ("title", "seq")
_LEADING_MARK = re.compile(r"^\s*([IVXLC]+|[A-Za-z]|\d+(?:\.\d+)*)\s*[.)/:-]")
_FOLDED_MARK = re.compile(r"[ivxlc]+|[a-z]|\d+")
# Fields read as text on every project row (the text fields, then the ones classification reads).
_ROW_TEXT_FIELDS = (*TEXT_FIELDS, "funding_source", "programme", "activity", "sector", "value_chain")
# Cell types kept as they are in ``raw`` (anything else goes through :func:`_json_value`).
_PLAIN = frozenset({str, float, int, bool})
_HEADER_WORDS = frozenset({"stt", "tt"})
# Counts that are one per project when the file gives none: a demonstration model, a cluster plan
# (the targets count them by projects too). Trainees are never guessed.
_ONE_PER_PROJECT = frozenset({"models", "clusters"})
_PROJECT_NUMBER = re.compile(r"\d+[.)]?")  # a project number typed as text: "2", "3."
_LEAD = re.compile(r"[^\w]*")
# Cell text after :func:`nfc`, remembered: the same commune, unit or activity text comes back on
# row after row, and the same (identical) string object also pickles once in the worker's result.
_NFC_MEMO: dict[str, str] = {}
_NFC_MEMO_LIMIT = 1 << 17


def _marker(seq_text: str, label: str) -> str | None:
    """A section's numbering ("II", "B", "1"), lower case, from its STT cell or the start of its label."""
    m = _SEQ_ONLY.match(seq_text) or _LEADING_MARK.match(label)
    return m.group(1).lower() if m else None


@dataclass(slots=True)
class SheetContext:
    """What the file around a sheet already tells: its funding source and money unit, if any."""

    funding_source: str | None = None
    unit_line_scale: int | None = None


@dataclass(slots=True)
class SheetOutcome:
    layout: SheetLayout
    rows: list[ProjectRow] = field(default_factory=list)
    ignored: list[IgnoredRow] = field(default_factory=list)
    totals: list[TotalRow] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)


def _nfc(value: str) -> str:
    text = _NFC_MEMO.get(value)
    if text is None:
        if len(_NFC_MEMO) >= _NFC_MEMO_LIMIT:
            _NFC_MEMO.clear()
        text = _NFC_MEMO[value] = nfc(value)
    return text


def _text(value: Any) -> str:
    if isinstance(value, str):
        return _nfc(value) if value else ""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


def _filled(cells: list[Any]) -> list[int]:
    """Columns of the non-empty cells (:func:`_is_empty`, inlined: it runs on every cell)."""
    return [
        c
        for c, v in enumerate(cells)
        if (
            (v and not v.isspace())
            if v.__class__ is str
            else (v is not None and v != "" and not (isinstance(v, str) and not v.strip()))
        )
    ]


def _derive_amount(row: ProjectRow, name: str) -> None:
    """Set the money field the table has no column for from the other two, when both are read
    and the result is not negative (support above total is left for validation to report)."""
    total, support, counterpart = row.total_vnd, row.support_vnd, row.counterpart_vnd
    if name == "total_vnd":
        value = support + counterpart if support is not None and counterpart is not None else None
    else:
        other = counterpart if name == "support_vnd" else support
        value = total - other if total is not None and other is not None and total >= other else None
    if value is not None:
        setattr(row, name, value)
        row.inferred.append(name)


def _is_amount(value: Any) -> bool:
    return value.__class__ in (int, float)


def _is_project_number(seq: Any) -> bool:
    """An STT cell that numbers a project: a number, or one typed as text ("2", "3.")."""
    return _is_amount(seq) or (seq.__class__ is str and _PROJECT_NUMBER.fullmatch(seq.strip()) is not None)


def _lead(label: str) -> str:
    """The marks before a label's first letter or digit ("*", "(*)"), which folding drops: the
    row rules of kind ``mark`` look at them."""
    return "" if label[:1].isalnum() else "".join(_LEAD.match(label).group().split())  # type: ignore[union-attr]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime | dt.time | dt.timedelta):
        return str(value)
    return value


class _SheetReader:
    def __init__(self, grid: SheetGrid, header: Header, reference: Reference, context: SheetContext) -> None:
        self.grid = grid
        self.sheet = grid.name
        self.header = header
        self.ref = reference
        self.context = context
        self.out = SheetOutcome(
            SheetLayout(
                name=grid.name,
                header_rows=[r + 1 for r in header.rows],
                columns={column_letter(c): f for c, f in sorted(header.fields.items())},
                unknown_columns={column_letter(c): h for c, h in sorted(header.unknown.items())},
                money_scale={},
                money_scale_source="default",
                legacy_encoding=grid.legacy_encoding,
                rows_read=len(grid.rows),
            )
        )
        self.col = {f: c for c, f in header.fields.items()}
        names = {c: header.headings.get(c) or column_letter(c) for c in range(self._width())}
        self.raw_names = names
        # Rows with a converted legacy-font cell (a cell inside the row, as _project used to check).
        self.converted_rows = {r for r, c in grid.converted if r < len(grid.rows) and c < len(grid.rows[r])}
        self.text_cols = [(f, c) for f in _ROW_TEXT_FIELDS if (c := self.col.get(f)) is not None]
        self.count_cols = [(f, c) for f in COUNT_FIELDS if (c := self.col.get(f)) is not None]
        self.funding = classify.funding_from_text(grid.name, reference) or context.funding_source
        self.funding_from_sheet = self.funding is not None
        self.programme: str | None = None
        self.activity: str | None = None
        self.section_start = header.last_row + 1
        self.funding_start = header.last_row + 1
        # Numbering of the open funding section and programme/activity section, so that "Cộng II" or
        # "Cộng B" finds the section it closes.
        self.funding_marker: str | None = None
        self.section_marker: str | None = None
        self.footer: IgnoreRule | None = None
        self.footer_row = 0
        # The one money column a table leaves out when it has the other two (total = support +
        # counterpart): each project's value is derived from theirs and marked inferred.
        absent = [f for f in MONEY_FIELDS if f not in self.col]
        self.derived_amount = absent[0] if len(absent) == 1 else None

    def _width(self) -> int:
        return max((len(r) for r in self.grid.rows), default=0)

    # ----------------------------------------------------------------------------------- issues

    def issue(self, severity: str, code: str, message: str, row: int | None = None, **extra: Any) -> None:
        self.out.issues.append(Issue(severity, code, message, self.sheet, row, **extra))  # type: ignore[arg-type]

    def ignore(self, r: int, rule: IgnoreRule, text: str = "") -> None:
        self.out.ignored.append(IgnoredRow(self.sheet, r + 1, rule, text[:120]))

    # ------------------------------------------------------------------------------------ setup

    def prepare(self) -> None:
        rows = self.grid.rows
        for r in range(self.header.rows[0]):
            texts = [t for v in rows[r] if (t := _text(v))]
            if not texts:
                self.ignore(r, "blank")
                continue
            line = " ".join(dict.fromkeys(texts))
            self.out.titles.append(line)
            self.ignore(r, "title", line)
            if _UNIT_LINE.search(fold(line)):
                scale = values.money_scale_from_text(line)
                if scale is not None:
                    self.context.unit_line_scale = scale
        for r in self.header.rows:
            self.ignore(
                r, "header", " | ".join(self.header.headings.get(c, "") for c in sorted(self.header.fields))
            )
        for c, name in self.header.unknown.items():
            scale = values.money_scale_from_text(name) if _UNIT_LINE.search(fold(name)) else None
            if scale is not None:  # "Đơn vị tính: triệu đồng" written in a cell of the header row
                self.context.unit_line_scale = scale
                continue
            self.issue(
                "INFO",
                "unknown_column",
                f"column {column_letter(c)} '{name}' is not a known heading; kept in raw",
                column=column_letter(c),
                value=name,
            )
        for c, taken in self.header.duplicates.items():
            self.issue(
                "WARN",
                "duplicate_column",
                f"column {column_letter(c)} names {taken} again; the first one is used",
                column=column_letter(c),
            )
        self._fill_merges()
        self._money_scales()

    def _fill_merges(self) -> None:
        """Copy vertically merged text down to the rows it spans, and flag merged amounts.

        A row with nothing of its own under the merges (a project drawn over two rows, its cells
        merged down) is left empty, so read as blank, not as a copy of the project above; merged
        amounts over such rows only are not flagged either."""
        rows = self.grid.rows
        spans = [m for m in self.grid.merges if m[0] > self.header.last_row and m[2] > m[0]]
        empty = {
            r for r1, _, r2, _ in spans for r in range(r1 + 1, min(r2 + 1, len(rows))) if not _filled(rows[r])
        }
        for r1, c1, r2, c2 in spans:
            below = [r for r in range(r1 + 1, min(r2 + 1, len(rows))) if r not in empty]
            for c in range(c1, c2 + 1):
                name = self.header.fields.get(c)
                if name in FILL_DOWN_FIELDS:
                    value = rows[r1][c1]
                    for r in below:
                        if c < len(rows[r]):
                            rows[r][c] = value
                elif (name in MONEY_FIELDS or name in COUNT_FIELDS) and below:
                    self.issue(
                        "WARN",
                        "merged_amount",
                        f"{name} is one merged cell over rows {r1 + 1}-{r2 + 1}; only row {r1 + 1} gets it",
                        r1 + 1,
                        column=column_letter(c),
                    )

    def _money_scales(self) -> None:
        layout = self.out.layout
        guessed: int | None = None  # one guess for every column without a unit: they share one
        for f in MONEY_FIELDS:
            c = self.col.get(f)
            if c is None:
                continue
            scale = self.header.money_scale.get(c)
            source = "header"
            if scale is None and self.context.unit_line_scale is not None:
                scale, source = self.context.unit_line_scale, "unit line"
            if scale is None:
                if guessed is None:
                    guessed = self._scale_from_magnitude([self.col[g] for g in MONEY_FIELDS if g in self.col])
                scale, source = guessed, "magnitude"
            layout.money_scale[f] = scale
            layout.money_scale_source = (
                source if layout.money_scale_source == "default" else layout.money_scale_source
            )
        if layout.money_scale_source == "magnitude":
            units = {1: "đồng", 1000: "nghìn đồng", 1_000_000: "triệu đồng"}
            self.issue(
                "WARN",
                "money_unit_inferred",
                "no money unit in the headings or a unit line; inferred from the size of the amounts: "
                + ", ".join(f"{f} in {units.get(s, s)}" for f, s in layout.money_scale.items()),
            )

    def _scale_from_magnitude(self, columns: list[int]) -> int:
        """The money unit the amounts of ``columns`` suggest, all together: a table writes its
        total, support and counterpart in one unit, and the support alone may look smaller."""
        numbers = [
            float(v)
            for row in self.grid.rows[self.header.last_row + 1 :]
            for c in columns
            if c < len(row) and isinstance(v := row[c], int | float) and not isinstance(v, bool) and v > 0
        ]
        if not numbers:
            return 1
        median = statistics.median(numbers)
        if median >= 5_000_000:
            return 1
        if median >= 5_000:
            return 1000
        return 1_000_000

    # ------------------------------------------------------------------------------------- rows

    def run(self) -> SheetOutcome:
        self.prepare()
        rows = self.grid.rows
        col = self.col
        money = [(col[f], f, self.out.layout.money_scale[f]) for f in MONEY_FIELDS if f in col]
        label_cols = [col[f] for f in _LABEL_FIELDS if f in col]
        seq_c = col.get("seq")
        party_cols = [col[f] for f in ("beneficiary", "commune") if f in col]
        ref = self.ref
        for r in range(self.header.last_row + 1, len(rows)):
            cells = rows[r]
            n = len(cells)
            filled = _filled(cells)
            if not filled:
                self.ignore(r, "blank")
                continue
            label = ""
            for c in label_cols:
                if c < n and (label := _text(cells[c])):
                    break
            if not label or (label_cols and _NUMBERING_CELL.match(label)):
                label = next(
                    (
                        t
                        for c in filled
                        if isinstance(cells[c], str)
                        and (t := _text(cells[c]))
                        and not _NUMBERING_CELL.match(t)
                        and not classify.is_roman(t)
                    ),
                    label,
                )
            if self.footer is not None:
                if not self._looks_like_project(cells, seq_c, money, party_cols):
                    rule = classify.row_rule(fold(label[:80]), ref, _lead(label)) if label else None
                    self.footer = rule if rule in ("note", "signature") else self.footer
                    self.ignore(r, self.footer, label)
                    continue
                self.issue(
                    "WARN",
                    "table_resumes_after_footer",
                    f"row {r + 1} is numbered with amounts or a beneficiary below the {self.footer} line "
                    f"at row {self.footer_row}; it and the rows under it are read as the table",
                    r + 1,
                )
                self.footer = None
            # A non-empty label that is not a number is the text of a filled cell: then not all are numbers.
            if (
                len(filled) >= 3
                and (not label or _NUMBERING_CELL.match(label))
                and all(_NUMBERING_CELL.match(_text(cells[c])) for c in filled)
            ):
                self.ignore(r, "header", "column numbers")
                continue
            if seq_c is not None and filled == [seq_c] and _SEQ_ONLY.match(_text(cells[seq_c])):
                self.ignore(r, "blank", f"numbered but empty: {label}")
                continue
            rule = classify.row_rule(fold(label[:80]), ref, _lead(label)) if label else None
            if rule in ("note", "signature"):
                # A project titled like a signature line ("Kế toán ...", "Giám đốc ...") stays a project.
                if not self._looks_like_project(cells, seq_c, money, party_cols):
                    self.footer, self.footer_row = rule, r + 1
                    self.ignore(r, rule, label)
                    continue
                rule = None
            if rule in ("subtotal", "total"):
                self._total(r, cells, rule, label, money)
                continue
            if label and not any(c < n and not _is_empty(cells[c]) for c in party_cols):
                has_money = any(c < n and not _is_empty(cells[c]) for c, _, _ in money)
                if self._section(r, cells, label, seq_c, has_money, money):
                    continue
            # Only text folds to "stt" (numbers, dates and booleans never do).
            if (
                seq_c is not None
                and seq_c < n
                and isinstance(seq := cells[seq_c], str)
                and fold(_text(seq)) in _HEADER_WORDS
            ):
                self.ignore(r, "header", "repeated header")
                continue
            self._project(r, cells, money, filled)
        return self.out

    @staticmethod
    def _looks_like_project(
        cells: list[Any], seq_c: int | None, money: list[tuple[int, str, int]], party_cols: list[int]
    ) -> bool:
        """Whether a row a note or signature rule matched has what only project rows have: a project
        number with amounts or a beneficiary, or, in a table without a number column, amounts as numbers.

        Notes, signatures, date lines and distribution lists are never numbered in the STT column,
        and carry amounts at most as text ("Trong đó: KCQG 220 triệu")."""
        n = len(cells)
        if seq_c is None:
            return any(c < n and _is_amount(cells[c]) for c, _, _ in money)
        seq = cells[seq_c] if seq_c < n else ""
        if not _is_project_number(seq):
            return False
        return any(c < n and not _is_empty(cells[c]) for c in (*(c for c, _, _ in money), *party_cols))

    def _amounts(self, r: int, cells: list[Any], money: list[tuple[int, str, int]]) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        n = len(cells)
        for c, name, scale in money:
            value = cells[c] if c < n else ""
            kind = value.__class__
            # Fast paths, exactly as parse_amount_vnd reads them: whole numbers and empty cells.
            if kind is int or (kind is float and value.is_integer()):
                amount = int(value) * scale
                if -MAX_AMOUNT_VND <= amount <= MAX_AMOUNT_VND:
                    out[name] = amount
                    continue
            elif kind is str and not value:
                out[name] = None
                continue
            parsed = values.parse_amount_vnd(value, scale)
            if not parsed.ok:
                self.issue(
                    "ERROR",
                    "bad_amount",
                    f"{name}: cannot read {value!r} as an amount ({parsed.note})",
                    r + 1,
                    column=column_letter(c),
                    value=_text(value)[:80],
                )
            elif parsed.ambiguous:
                self.issue(
                    "WARN",
                    "ambiguous_number",
                    f"{name}: {value!r} read as {parsed.value:,} đồng ({parsed.note})",
                    r + 1,
                    column=column_letter(c),
                    value=_text(value)[:80],
                )
            out[name] = parsed.value
        return out

    def _total(
        self, r: int, cells: list[Any], rule: str, label: str, money: list[tuple[int, str, int]]
    ) -> None:
        amounts = self._amounts(r, cells, money)
        trainees = None
        if "trainees" in self.col and self.col["trainees"] < len(cells):
            trainees = values.parse_int_count(cells[self.col["trainees"]]).value
        marks = [w for w in fold(label).split()[1:] if _FOLDED_MARK.fullmatch(w)]
        mark = marks[0] if len(marks) == 1 else None
        named = classify.funding_from_text(label, self.ref)  # "Tổng KCQG", "Cộng khuyến công địa phương"
        if named or mark is None:
            funding_level = bool(named) or (self.programme is None and self.activity is None)
        elif mark in (self.section_marker, self.funding_marker):
            funding_level = mark != self.section_marker
        else:
            funding_level = classify.is_roman(mark)
        kind = rule
        if rule == "total" and not self.out.rows:
            # "Tổng cộng" above every project heads the table, like a section row with sums.
            kind, scope, first = "section", (None, None, None), r + 1
        elif rule == "total" or len(marks) > 1:  # "Cộng (I+II)" sums whole sections, like a total
            scope, first = (None, None, None), self.header.last_row + 1
        elif funding_level:
            scope, first = (named or self.funding, None, None), self.funding_start
        else:
            scope, first = (self.funding, self.programme, self.activity), self.section_start
        total = TotalRow(
            self.sheet,
            r + 1,
            kind,  # type: ignore[arg-type]
            label[:120],
            *scope,  # type: ignore[arg-type]
            amounts.get("total_vnd"),
            amounts.get("support_vnd"),
            amounts.get("counterpart_vnd"),
            trainees,
            first_row=first + 1,
        )
        self.out.totals.append(total)
        self.ignore(r, rule, label)  # type: ignore[arg-type]

    def _section(
        self,
        r: int,
        cells: list[Any],
        label: str,
        seq_c: int | None,
        has_money: bool,
        money: list[tuple[int, str, int]],
    ) -> bool:
        """Recognise a section row and move the current funding/programme/activity; False if not one."""
        seq = cells[seq_c] if seq_c is not None and seq_c < len(cells) else ""
        seq_text = _text(seq)
        numbered_project = _is_project_number(seq)
        core = classify.strip_numbering(label)
        if not core or len(core) > 160:
            return False
        folded = fold(core)
        ref = self.ref
        marked = classify.is_roman(seq_text) or bool(re.fullmatch(r"[A-Za-z][.)]?", seq_text)) or not seq_text
        marker = _marker(seq_text, label)
        funding = classify.funding_from_text(core, ref) if len(folded) < 80 else None
        if funding and (not has_money or not numbered_project):
            self.funding, self.programme, self.activity = funding, None, None
            self.funding_from_sheet = False
            self.funding_start = self.section_start = r
            self.funding_marker, self.section_marker = marker, None
            return self._section_done(r, cells, label, money, has_money)
        programme = None
        if folded.startswith(("chuong trinh", "ct ")) or folded.startswith("nhom"):
            programme = classify.programme_from_text(core, ref)
            if programme is None:
                self.issue(
                    "INFO", "unrecognised_section", f"section '{label[:80]}' names no known programme", r + 1
                )
        elif not numbered_project or not has_money:
            programme = ref.programme_names.exact(core)
        activity = None
        if programme is None and (not numbered_project or not has_money):
            activity = ref.activity_names.exact(core)
        if programme or activity or folded.startswith(("chuong trinh", "ct ")):
            self.programme = programme or (ref.activities[activity].programme_code if activity else None)
            self.activity = activity
            self.section_start = r
            self.section_marker = marker
            return self._section_done(r, cells, label, money, has_money)
        if marked and not has_money and not numbered_project and seq_text:
            self.issue(
                "INFO",
                "unrecognised_section",
                f"section '{label[:80]}' names no known funding or programme",
                r + 1,
            )
            self.programme = self.activity = None
            self.section_start = r
            self.section_marker = marker
            self.ignore(r, "section", label)
            return True
        return False

    def _section_done(
        self, r: int, cells: list[Any], label: str, money: list[tuple[int, str, int]], has_money: bool
    ) -> bool:
        if has_money:
            amounts = self._amounts(r, cells, money)
            self.out.totals.append(
                TotalRow(
                    self.sheet,
                    r + 1,
                    "section",
                    label[:120],
                    self.funding,
                    self.programme,
                    self.activity,
                    amounts.get("total_vnd"),
                    amounts.get("support_vnd"),
                    amounts.get("counterpart_vnd"),
                    None,
                    first_row=r + 2,
                )
            )
        self.ignore(r, "section", label)
        return True

    def _project(
        self, r: int, cells: list[Any], money: list[tuple[int, str, int]], filled: list[int]
    ) -> None:
        """A project row; ``filled`` are the columns of its non-empty cells (see :func:`_filled`)."""
        row = ProjectRow(self.sheet, r + 1)
        names = self.raw_names  # every column of the sheet has a name
        row.raw = {names[c]: v if (v := cells[c]).__class__ in _PLAIN else _json_value(v) for c in filled}
        if r in self.converted_rows:
            row.converted = self.grid.legacy_encoding
        n = len(cells)
        texts = {f: _text(cells[c]) if c < n else "" for f, c in self.text_cols}
        for name in TEXT_FIELDS:
            value = texts.get(name)
            if value:
                setattr(row, name, value)
        code = self.col.get("project_code")
        if code is not None and code < n and not _is_empty(cells[code]):
            row.project_code = _text(cells[code])
        for name, amount in self._amounts(r, cells, money).items():
            setattr(row, name, amount)
        if self.derived_amount is not None:
            _derive_amount(row, self.derived_amount)
        for name, c in self.count_cols:
            if c < n and not _is_empty(value := cells[c]):
                kind = value.__class__
                if kind is int or (kind is float and value.is_integer()):  # parse_int_count's fast path
                    count = int(value)
                    if -MAX_COUNT <= count <= MAX_COUNT:
                        setattr(row, name, count)
                        continue
                parsed = values.parse_int_count(value)
                if parsed.ok:
                    setattr(row, name, parsed.value)
                else:
                    self.issue(
                        "ERROR",
                        "bad_count",
                        f"{name}: cannot read {cells[c]!r} as a whole number",
                        r + 1,
                        column=column_letter(c),
                        value=_text(cells[c])[:80],
                    )
        self._year_and_period(r, cells, row)
        self._classify(r, row, texts)
        self.out.rows.append(row)

    def _year_and_period(self, r: int, cells: list[Any], row: ProjectRow) -> None:
        c = self.col.get("year")
        if c is not None and c < len(cells) and not _is_empty(cells[c]):
            parsed = values.parse_year(cells[c])
            if parsed.ok:
                row.year = parsed.value
            else:
                self.issue(
                    "WARN",
                    "bad_year",
                    f"cannot read {cells[c]!r} as a year",
                    r + 1,
                    column=column_letter(c),
                    value=_text(cells[c])[:40],
                )
        c = self.col.get("period")
        if c is not None and c < len(cells) and not _is_empty(cells[c]):
            parsed_period = values.parse_period(cells[c])
            if parsed_period.ok and parsed_period.value:
                start, end = parsed_period.value
                row.period_start, row.period_end = start.isoformat(), end.isoformat()
                if parsed_period.ambiguous:
                    self.issue(
                        "INFO",
                        "ambiguous_date",
                        f"period {cells[c]!r} read as {start}..{end} ({parsed_period.note})",
                        r + 1,
                        column=column_letter(c),
                    )
            else:
                self.issue(
                    "WARN",
                    "bad_period",
                    f"cannot read {cells[c]!r} as a period",
                    r + 1,
                    column=column_letter(c),
                    value=_text(cells[c])[:80],
                )

    def _classify(self, r: int, row: ProjectRow, texts: dict[str, str]) -> None:
        ref = self.ref
        get = texts.get
        funding_text = get("funding_source")
        if funding_text:
            row.funding_source = classify.funding_from_cell(funding_text, ref)
            if row.funding_source is None:
                self.issue(
                    "ERROR",
                    "unknown_funding_source",
                    f"funding source '{funding_text}' is not known",
                    r + 1,
                    value=funding_text,
                )
            elif self.funding and row.funding_source != self.funding:
                where = "sheet" if self.funding_from_sheet else "section"
                self.issue(
                    "WARN",
                    "funding_source_mismatch",
                    f"the funding source column says {row.funding_source} ('{funding_text}') but the row "
                    f"is in a {self.funding} {where}; the column is kept",
                    r + 1,
                    value=funding_text,
                )
        elif self.funding:
            row.funding_source = self.funding
            row.inferred.append("funding_source")
        programme_text = get("programme")
        if programme_text:
            row.programme_code = classify.programme_from_text(programme_text, ref)
            if row.programme_code is None:
                activity = classify.activity_from_text(programme_text, ref)
                row.programme_code = ref.activities[activity].programme_code if activity else None
                row.activity_code = activity
        elif self.programme:
            row.programme_code = self.programme
            row.inferred.append("programme_code")
        activity_text = get("activity")
        if activity_text:
            row.activity_code = classify.activity_from_text(activity_text, ref, row.programme_code)
        elif self.activity and row.activity_code is None:
            row.activity_code = self.activity
            row.inferred.append("activity_code")
        if row.activity_code is None:
            text = row.title or ""
            row.activity_code = classify.activity_from_keywords(text, ref, row.programme_code)
            if row.activity_code:
                row.inferred.append("activity_code")
        if row.activity_code:
            for name in ref.activities[row.activity_code].counts & _ONE_PER_PROJECT:
                if getattr(row, name) is None:
                    setattr(row, name, 1)
                    row.inferred.append(name)
        if row.activity_code and row.programme_code is None:
            row.programme_code = ref.activities[row.activity_code].programme_code
            row.inferred.append("programme_code")
        elif row.activity_code and ref.activities[row.activity_code].programme_code != row.programme_code:
            self.issue(
                "WARN",
                "programme_activity_mismatch",
                f"activity {row.activity_code} belongs to "
                f"{ref.activities[row.activity_code].programme_code}, not {row.programme_code}",
                r + 1,
            )
        sector_text = get("sector")
        title, beneficiary = row.title, row.beneficiary
        free_text = f"{title} {beneficiary}" if title and beneficiary else (title or beneficiary or "")
        if sector_text:
            row.sector_code = classify.sector_from_cell(sector_text, ref)
        if row.sector_code is None and free_text:
            row.sector_code = classify.sector_from_keywords(free_text, ref)
            if row.sector_code:
                row.inferred.append("sector_code")
        chain_text = get("value_chain")
        if chain_text:
            row.value_chain_code = classify.value_chain_from_cell(chain_text, ref)
        if row.value_chain_code is None and free_text:
            row.value_chain_code = classify.value_chain_from_keywords(free_text, ref)
            if row.value_chain_code:
                row.inferred.append("value_chain_code")


def read_sheet(grid: SheetGrid, reference: Reference, context: SheetContext) -> SheetOutcome | None:
    """The sheet's table, or None when no header is found in its first rows."""
    header = find_header(grid.rows, grid.merges, reference)
    if header is None:
        return None
    return _SheetReader(grid, header, reference, context).run()
