"""Cell values of district khuyến công spreadsheets, read into typed values.

python-calamine hands over ``str``, ``float``, ``int``, ``bool``, ``date``, ``datetime``, ``timedelta`` or
``""``. Districts type many numbers and dates by hand in Vietnamese conventions ("1.234.567", "1,5 tỷ",
"Quý III/2021"), so every parser returns a :class:`Parsed` instead of raising: one bad cell must not stop a
100k-row file, and a cell read under an assumption is flagged ``ambiguous`` so a human can confirm it.
These run on every cell: native numbers take a fast path, regexes are compiled once and only text pays for
normalisation.
"""

from __future__ import annotations

import calendar
import datetime
import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, TypeVar

from kc_pipeline.text import fold, visible

__all__ = [
    "Parsed",
    "excel_serial_to_date",
    "money_scale_from_text",
    "parse_amount_vnd",
    "parse_date",
    "parse_int_count",
    "parse_number",
    "parse_period",
    "parse_year",
]

T = TypeVar("T")

Period = tuple[datetime.date, datetime.date]


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    """A cell's reading plus how far to trust it, so callers can report bad cells instead of crashing."""

    value: T | None  # None when empty or unparseable
    ok: bool  # False when the cell was non-empty but could not be parsed
    ambiguous: bool = False  # parsed under an assumption a human should confirm
    note: str = ""  # short English explanation when not ok or ambiguous


_EMPTY: Parsed[Any] = Parsed(None, True)


def _fail(note: str) -> Parsed[Any]:
    return Parsed(None, False, False, note)


# --------------------------------------------------------------------------------------------- shared text

_DASHES = frozenset({"-", "--", "–", "—", "−"})
_PLACEHOLDERS = _DASHES | {"x", "X"}  # typed into cells that have no value
# A dash in an amount or count cell is zero, as accounting tables (and Excel's accounting format) write it.
_ZERO = Parsed(0, True)
_EXCEL_ERRORS = frozenset(
    {"#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA"}
)
_SPACES = re.compile(r"\s+")
_SIGNS = "-−–—+"
_BRACKETS_AND_SIGNS = frozenset("()" + _SIGNS)
_YEAR_MIN, _YEAR_MAX = 1990, 2100


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _stripped(raw: str) -> str:
    """A cell's text without surrounding space, nor the invisible characters (a zero-width space or
    byte-order mark pasted with "100.000.000") that would make it no number."""
    s = raw.strip()
    return s if s.isprintable() else visible(s).strip()


def _screen(s: str) -> Parsed[Any] | None:
    """Blank, placeholder and Excel-error text, which all parsers treat alike; None when it needs parsing."""
    if not s or s in _PLACEHOLDERS:
        return _EMPTY
    if s[0] == "#":
        error = s.upper()
        if error in _EXCEL_ERRORS:
            return _fail(f"excel error {error}")
    return None


def _fallback(raw: object, parse: Callable[[Any], Parsed[Any]], what: str) -> Parsed[Any]:
    """Slow path for None, bools, dates and look-alikes of the native types (numpy scalars, str enums)."""
    if raw is None:
        return _EMPTY
    if isinstance(raw, bool):
        return _fail(f"true/false is not {what}")
    if isinstance(raw, str):
        return parse(str(raw))
    if isinstance(raw, numbers.Integral):
        return parse(int(raw))
    if isinstance(raw, numbers.Real):
        return parse(float(raw))
    if isinstance(raw, datetime.timedelta):
        return _fail(f"a time or duration is not {what}")
    if isinstance(raw, datetime.date):
        return _fail(f"a date is not {what}")
    return _fail(f"{type(raw).__name__} is not {what}")


def _whole(x: float) -> int | None:
    """Integer value of a float, tolerating formula noise such as 2020.9999999999998; None otherwise."""
    if x.is_integer():
        return int(x)
    if math.isfinite(x):
        n = round(x)
        if abs(x - n) <= 1e-9 * max(1.0, abs(x)):
            return n
    return None


def _nan_or_inf(x: float) -> Parsed[Any]:
    """NaN is how pandas spells an empty cell; infinity is a broken formula."""
    return _EMPTY if x != x else _fail("infinite number")


# ------------------------------------------------------------------------------------------------- numbers

# One numeral with whatever text is around it: "(1.234,5 đ)", "-1 234 567", "VNĐ 500.000", "125 người".
_NUMERIC = re.compile(r"(?P<head>[^0-9]*?)(?P<num>[0-9](?:[0-9.,\s]*[0-9])?)(?P<tail>[^0-9]*)")
_SCIENTIFIC = re.compile(r"[-+]?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]+")

_CURRENCIES = ("d", "dong", "vnd", "vn d")  # folded "đ", "đồng", "VNĐ", "VN đ"
_MAGNITUDES = {"nghin": 1_000, "ngan": 1_000, "k": 1_000, "trieu": 1_000_000, "tr": 1_000_000, "ty": 10**9}
# Units written inside an amount cell, keyed by their folded form: "tr.đ" -> "tr d", "trđ" -> "trd".
_AMOUNT_UNITS: dict[str, int] = {
    **dict.fromkeys(_CURRENCIES, 1),
    **_MAGNITUDES,
    **{f"{m} {c}": scale for m, scale in _MAGNITUDES.items() for c in _CURRENCIES},
    "trd": 1_000_000,
    "ngd": 1_000,
    "ng d": 1_000,
}


def _unit_scale(unit: str) -> int | None:
    return _AMOUNT_UNITS.get(fold(unit.replace("₫", "đ")))


def _lex(s: str) -> tuple[bool, str, str, str] | None:
    """Split "(1.234 đ)" into (negative, numeral, text before, text after); None unless one signed numeral.

    Accounting negatives are bracketed; a sign or bracket left anywhere else means the cell is not a number.
    """
    m = _NUMERIC.fullmatch(s)
    if m is None:
        return None
    head, num, tail = m.group("head", "num", "tail")
    head, tail = head.strip(), tail.strip()
    opened = head.startswith("(")
    if opened:
        head = head[1:].lstrip()
    negative = False
    if head and head[0] in _SIGNS:
        negative, head = head[0] != "+", head[1:].lstrip()
    closed = tail.endswith(")")
    if closed:
        tail = tail[:-1].rstrip()
    elif tail.startswith(")"):
        closed, tail = True, tail[1:].lstrip()
    tail = tail.rstrip(". ")
    if opened != closed or not _BRACKETS_AND_SIGNS.isdisjoint(head + tail):
        return None
    return negative or opened, num, head, tail


def _numeral(num: str, whole: bool) -> tuple[str, str] | None:
    """Canonical decimal string of a numeral ("1.234,5" -> "1234.5") and an ambiguity note; None if malformed.

    The separator that comes last is the decimal one; a lone separator followed by exactly three digits
    could be either, so it is read the Vietnamese way and noted, unless ``whole`` (counts) settles it.
    """
    if num.isdigit():
        return num, ""
    spaced = not num.replace(".", "").replace(",", "").isdigit()
    if spaced:
        num = _SPACES.sub(" ", num)
    dots, commas = num.count("."), num.count(",")
    if spaced:
        if dots and commas:
            return None
        group, point = " ", ("." if dots else "," if commas else "")
    elif dots and commas:
        group, point = (",", ".") if num.rfind(".") > num.rfind(",") else (".", ",")
    elif dots + commas == 1:
        return _one_separator(num, "." if dots else ",", whole)
    else:
        group, point = ("." if dots else ","), ""
    integer, _, fraction = num.partition(point) if point else (num, "", "")
    if point and not fraction.isdigit():
        return None
    groups = integer.split(group)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    digits = "".join(groups)
    return (f"{digits}.{fraction}" if fraction else digits), ""


def _one_separator(num: str, sep: str, whole: bool) -> tuple[str, str]:
    left, right = num.split(sep)
    decimal = f"{left}.{right}"
    if len(right) != 3 or len(left) > 3 or left[0] == "0":
        return decimal, ""
    thousands = left + right
    if whole:
        return thousands, ""
    shown = decimal.rstrip("0").rstrip(".")
    if sep == ".":
        return thousands, f"{num!r} read as {thousands} (dot as thousands separator); could mean {shown}"
    return decimal, f"{num!r} read as {shown} (Vietnamese decimal comma); could mean {thousands}"


def parse_number(raw: object) -> Parsed[float]:
    """A plain number in Vietnamese ("1.234,5") or English ("1,234.5") notation; currency words are dropped.

    A lone "1.500" is flagged ambiguous (1500 or 1.5?) unless an explicit "đ" shows it is whole đồng.

    Magnitude words ("150 triệu") are refused here because only :func:`parse_amount_vnd` knows money scale.
    """
    kind = type(raw)
    if kind is float:
        return Parsed(raw, True) if math.isfinite(raw) else _nan_or_inf(raw)
    if kind is int:
        return Parsed(raw, True)
    if kind is str:
        return _number_text(raw)
    return _fallback(raw, parse_number, "a number")


def _number_text(raw: str) -> Parsed[float]:
    s = _stripped(raw)
    if s.isdigit() and s.isascii():
        return Parsed(float(s), True)
    screened = _screen(s)
    if screened is not None:
        return screened
    lexed = _lex(s)
    if lexed is None:
        if _SCIENTIFIC.fullmatch(s):
            return Parsed(float(s), True)
        return _fail(f"not a number: {_short(s)}")
    negative, num, head, tail = lexed
    unit = head or tail
    if head and tail:
        return _fail(f"text on both sides of the number: {_short(s)}")
    if unit:
        scale = _unit_scale(unit)
        if scale is None:
            return _fail(f"unexpected text {_short(unit)} in number")
        if scale != 1:
            return _fail(f"unit {_short(unit)} changes the magnitude; read it as an amount")
    read = _numeral(num, whole=bool(unit))  # đồng have no fraction, so "500.000 đ" is not in doubt
    if read is None:
        return _fail(f"malformed number: {_short(s)}")
    canon, note = read
    value = float(canon)
    return Parsed(-value if negative else value, True, bool(note), note)


def _round_half_up(x: Decimal) -> int:
    """Half away from zero, as accountants round; Decimal keeps "35,5 triệu" and "1,2 tỷ" exact."""
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# Technical bounds, far beyond any real project: an amount must fit a BIGINT column and a float exactly
# (below 2**53), a count an INTEGER; a longer run of digits is refused before Python converts it.
MAX_AMOUNT_VND = 10**15
MAX_COUNT = 10**9
_MAX_DIGITS = 24


def _bounded(parsed: Parsed[int], limit: int, what: str) -> Parsed[int]:
    if parsed.value is not None and abs(parsed.value) > limit:
        return _fail(f"{what} {parsed.value:.3g} is out of range (above {limit:.0e})")
    return parsed


def _too_many_digits(s: str) -> bool:
    return len(s) > _MAX_DIGITS and sum(ch.isdigit() for ch in s) > _MAX_DIGITS


def parse_amount_vnd(raw: object, scale: int) -> Parsed[int]:
    """Money as integer đồng: a number times the column's ``scale``, unless the text names its own unit.

    ``scale`` comes from :func:`money_scale_from_text` on the header. Negative amounts are kept, so
    validation can reject them visibly rather than the parser hiding them. A lone "1.500" is only
    ambiguous when the unit is larger than the đồng, which has no fraction. Amounts beyond
    :data:`MAX_AMOUNT_VND` are refused: later stages store them in 64-bit columns.
    """
    return _bounded(_amount(raw, scale), MAX_AMOUNT_VND, "amount")


def _amount(raw: object, scale: int) -> Parsed[int]:
    kind = type(raw)
    if kind is int:
        return Parsed(raw * scale, True)
    if kind is float:
        if raw.is_integer():
            return Parsed(int(raw) * scale, True)
        if not math.isfinite(raw):
            return _nan_or_inf(raw)
        x = raw * scale
        if abs(abs(x) % 1.0 - 0.5) > 1e-6:  # clear of a tie, float rounding cannot flip the result
            return Parsed(round(x), True)
        return Parsed(_round_half_up(Decimal(repr(raw)) * scale), True)
    if kind is str:
        return _amount_text(raw, scale)
    return _fallback(raw, lambda v: parse_amount_vnd(v, scale), "an amount")


def _amount_text(raw: str, scale: int) -> Parsed[int]:
    s = _stripped(raw)
    if s in _DASHES:
        return _ZERO
    if _too_many_digits(s):
        return _fail(f"too many digits for an amount: {_short(s)}")
    if s.isdigit() and s.isascii():
        return Parsed(int(s) * scale, True)
    screened = _screen(s)
    if screened is not None:
        return screened
    lexed = _lex(s)
    if lexed is None:
        if _SCIENTIFIC.fullmatch(s):
            return Parsed(_round_half_up(Decimal(s) * scale), True)
        return _fail(f"not an amount: {_short(s)}")
    negative, num, head, tail = lexed
    if head and tail:
        return _fail(f"text on both sides of the amount: {_short(s)}")
    unit = head or tail
    if unit:
        own = _unit_scale(unit)
        if own is None:
            return _fail(f"unknown unit {_short(unit)} in amount")
        scale = own
    read = _numeral(num, whole=scale == 1)  # đồng have no fraction, so "500.000 đ" is not in doubt
    if read is None:
        return _fail(f"malformed amount: {_short(s)}")
    canon, note = read
    amount = _round_half_up(Decimal(canon) * scale) if "." in canon else int(canon) * scale
    return Parsed(-amount if negative else amount, True, bool(note), note)


# Leftmost unit wins. Bare "đồng"/"đ" counts only when it stands alone, in brackets or after "ĐVT:", since
# "lao động", "hợp đồng" and the district Đồng Hỷ fold to the same "dong"; "tỷ" must not be "tỷ lệ" (ratio)
# or "công ty"; "ngàn" needs a currency after it because "ngân sách" (budget) folds to "ngan".
_CURRENCY = r"(?:dong|d|vnd)"
_MONEY_UNIT = re.compile(
    rf"(?P<billion>(?<!cong )\bty\b(?!\s*(?:le|trong|gia|suat|so)\b))"
    rf"|(?P<million>\btrieu\b(?!\s*(?:tap|chung|phu)\b)|\btr[\s.]*{_CURRENCY}\b"
    rf"|\b1[.,\s]?000[.,\s]?000\s*{_CURRENCY}\b)"
    rf"|(?P<thousand>\bnghin\b|\bngan\s*{_CURRENCY}\b|\bng[\s.]*d\b|\b1[.,\s]?000\s*{_CURRENCY}\b)"
    rf"|(?P<dong>\bvn\s*d\b|(?:^|[(\[,:;/\-–])\s*(?:dong|d)\s*\.?\s*(?=$|[)\],;])"
    rf"|\b(?:dvt|d\.\s*v\.\s*t|don vi tinh|don vi)\s*[:.\-]?\s*(?:dong|d)\b)"
)
_UNIT_SCALES = {"billion": 1_000_000_000, "million": 1_000_000, "thousand": 1_000, "dong": 1}


def _loose(text: str) -> str:
    """Like :func:`fold` but keeping punctuation, which tells "(đ)" from the "đ" of "Đ/c" or "Đ.vị"."""
    text = unicodedata.normalize("NFD", text.lower()).replace("đ", "d")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text).strip()


def money_scale_from_text(text: str) -> int | None:
    """Đồng per unit named in a header or unit line ("Đơn vị tính: triệu đồng" -> 1_000_000); None if none."""
    if not text:
        return None
    m = _MONEY_UNIT.search(_loose(text))
    return None if m is None else _UNIT_SCALES[m.lastgroup or "dong"]


def parse_int_count(raw: object) -> Parsed[int]:
    """A count of trainees, models or clusters; a trailing noun ("125 người") is allowed, a fraction is not.

    Counts are whole, so "1.200" and "1,200" can only be thousands and are not flagged ambiguous.
    """
    return _bounded(_count(raw), MAX_COUNT, "count")


def _count(raw: object) -> Parsed[int]:
    kind = type(raw)
    if kind is int:
        return Parsed(raw, True)
    if kind is float:
        n = _whole(raw)
        if n is not None:
            return Parsed(n, True)
        return _nan_or_inf(raw) if not math.isfinite(raw) else _fail(f"{raw:g} is not a whole number")
    if kind is str:
        return _count_text(raw)
    return _fallback(raw, parse_int_count, "a count")


def _count_text(raw: str) -> Parsed[int]:
    s = _stripped(raw)
    if s in _DASHES:
        return _ZERO
    if _too_many_digits(s):
        return _fail(f"too many digits for a count: {_short(s)}")
    if s.isdigit() and s.isascii():
        return Parsed(int(s), True)
    screened = _screen(s)
    if screened is not None:
        return screened
    lexed = _lex(s)
    if lexed is None:
        return _fail(f"not a count: {_short(s)}")
    negative, num, head, tail = lexed
    if head:
        return _fail(f"unexpected text {_short(head)} before count")
    if tail:
        noun = fold(tail)
        if not noun or noun.split(" ", 1)[0] in _MAGNITUDES:
            return _fail(f"unexpected text {_short(tail)} after count")
    read = _numeral(num, whole=True)
    if read is None:
        return _fail(f"malformed count: {_short(s)}")
    canon = read[0]
    if "." in canon:
        exact = Decimal(canon)
        if exact != exact.to_integral_value():
            return _fail(f"{canon} is not a whole number")
        canon = str(int(exact))
    n = int(canon)
    return Parsed(-n if negative else n, True)


# --------------------------------------------------------------------------------------------------- dates

_TIME = r"(?:[ t][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"  # str(datetime) leaves " 00:00:00"
_ISO_DATE = re.compile(rf"([0-9]{{4}})([-/.])([0-9]{{1,2}})\2([0-9]{{1,2}}){_TIME}")
_DMY_DATE = re.compile(
    rf"(?:ng[àa]y\s*)?([0-9]{{1,2}})\s*([-/.])\s*([0-9]{{1,2}})\s*\2\s*([0-9]{{4}}|[0-9]{{2}}){_TIME}"
)
_LONG_DATE = re.compile(r"(?:ngay )?([0-9]{1,2}) thang ([0-9]{1,2}) nam ([0-9]{4})")  # on folded text
_SERIAL_MAX = 2958465  # 9999-12-31
_SERIAL_EPOCH = datetime.date(1899, 12, 30).toordinal()


def excel_serial_to_date(serial: float) -> Parsed[datetime.date]:
    """Excel 1900-system serial to a date, honouring the Lotus leap-year bug; the time fraction is dropped.

    Serials below 1000 land before 1902, so they are returned but flagged: most are counts in a date column.
    """
    if not 0 <= serial < _SERIAL_MAX + 1:  # also refuses NaN
        return _fail(f"serial {serial:.15g} is outside Excel's date range")
    n = int(serial)
    if n == 0:
        return _fail("serial 0 is not a date")
    if n == 60:
        return _fail("serial 60 is 1900-02-29, which does not exist (Lotus 1-2-3 leap-year bug)")
    day = datetime.date.fromordinal(_SERIAL_EPOCH + n + (n < 60))
    if n < 1000:
        return Parsed(day, True, True, f"serial {n} is before 1902; probably not a date")
    return Parsed(day, True)


_SERIAL_60 = datetime.date(1900, 3, 1)  # date cells before it hold the serials 0-60
_SERIAL_1000 = datetime.date(1902, 9, 26)


def _date_cell(day: datetime.date) -> Parsed[datetime.date]:
    """A date cell as python-calamine converted it: the serial is gone, so the same doubts as in
    :func:`excel_serial_to_date` are read off the date (serial 60, the non-existent 29/2/1900, comes
    out as 28/2/1900)."""
    if day < _SERIAL_60:
        return _fail(f"date cell {day} holds an Excel serial of 0-60, not a date")
    if day < _SERIAL_1000:
        return Parsed(day, True, True, f"date cell {day} is before 1902; probably not a date")
    return Parsed(day, True)


def parse_date(raw: object) -> Parsed[datetime.date]:
    """A date from a date cell, an Excel serial or day-first Vietnamese text ("15/3/2021", "15 tháng 3 …")."""
    kind = type(raw)
    if kind is datetime.date:
        return _date_cell(raw)
    if kind is datetime.datetime:
        return _date_cell(raw.date())
    if kind is float or kind is int:
        return _EMPTY if raw != raw else excel_serial_to_date(raw)
    if kind is str:
        s = _stripped(raw)
        screened = _screen(s)
        if screened is not None:
            return screened
        read = _date_text(s)
        return _fail(f"not a date: {_short(s)}") if read is None else read
    if isinstance(raw, datetime.datetime):  # pandas Timestamp
        return Parsed(raw.date(), True)
    if isinstance(raw, datetime.date):
        return Parsed(datetime.date(raw.year, raw.month, raw.day), True)
    return _fallback(raw, parse_date, "a date")


def _make_date(year: int, month: int, day: int, text: str) -> Parsed[datetime.date]:
    try:
        return Parsed(datetime.date(year, month, day), True)
    except ValueError:
        return _fail(f"no such date: {_short(text)}")


def _date_text(s: str) -> Parsed[datetime.date] | None:
    """Date written as text (stripped, screened); None when it has no date shape at all."""
    low = (s if s.isascii() else unicodedata.normalize("NFC", s)).lower()
    m = _ISO_DATE.fullmatch(low)
    if m:
        return _make_date(int(m[1]), int(m[3]), int(m[4]), s)
    m = _DMY_DATE.fullmatch(low)
    if m:
        day, month, year = int(m[1]), int(m[3]), int(m[4])
        if len(m[4]) == 2:
            year += 2000
        read = _make_date(year, month, day, s)
        if read.ok and day != month and day <= 12 and month <= 12:
            other = datetime.date(year, day, month)
            note = f"{s!r} read day-first as {read.value}; could be {other} (month first)"
            return Parsed(read.value, True, True, note)
        return read
    m = _LONG_DATE.fullmatch(fold(s))
    if m:
        return _make_date(int(m[3]), int(m[2]), int(m[1]), s)
    return None


def parse_year(raw: object) -> Parsed[int]:
    """A year from a number, "Năm 2021" or a date, limited to 1990–2100 so that stray amounts are caught."""
    kind = type(raw)
    if kind is int:
        return _year(raw)
    if kind is float:
        n = _whole(raw)
        if n is not None:
            return _year(n)
        return _nan_or_inf(raw) if not math.isfinite(raw) else _fail(f"{raw:g} is not a year")
    if kind is str:
        return _year_text(raw)
    if isinstance(raw, datetime.date):
        return _year(raw.year)
    return _fallback(raw, parse_year, "a year")


_YEAR_TEXT = re.compile(r"(?:nam ?)?([0-9]{4})(?: 0+)?")  # folded "Năm 2021", "2021", "2021.0"


def _year(n: int) -> Parsed[int]:
    if _YEAR_MIN <= n <= _YEAR_MAX:
        return Parsed(n, True)
    return _fail(f"year {n} outside {_YEAR_MIN}-{_YEAR_MAX}")


def _year_text(raw: str) -> Parsed[int]:
    s = _stripped(raw)
    if len(s) == 4 and s.isdigit() and s.isascii():
        return _year(int(s))
    screened = _screen(s)
    if screened is not None:
        return screened
    m = _YEAR_TEXT.fullmatch(fold(s))
    if m:
        return _year(int(m[1]))
    read = _date_text(s)
    if read is None:
        return _fail(f"not a year: {_short(s)}")
    return read if read.value is None else _year(read.value.year)  # the year is sure even if day/month is not


# ------------------------------------------------------------------------------------------------- periods

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
# All on folded text, where "Quý III/2021" is "quy iii 2021" and "T5/2021" is "t5 2021".
_QUARTER = re.compile(r"(?:quy|qui|q) ?(iv|i{1,3}|[1-4]) (?:nam )?([0-9]{4})")
_MONTHS_OF_YEAR = re.compile(r"([0-9]{1,2}) thang (dau|cuoi) nam ([0-9]{4})")
_MONTH = re.compile(r"(?:thang |t ?)?([0-9]{1,2}) (?:nam )?([0-9]{4})")
_YEAR_ONLY = re.compile(r"(?:nam )?([0-9]{4})")
# On NFC lower-case text.
_RANGE_PREFIX = re.compile(r"(?:từ|tu|giai đoạn|giai doan|thời gian|thoi gian)\s*:?\s+")
_RANGE_SEP = re.compile(r"\s*(?:đến|den|tới|toi|[-–—~])\s*")


def parse_period(raw: object) -> Parsed[Period]:
    """An implementation period as (first day, last day): a date, month, quarter, half, year(s) or a range.

    A whole number from 1990 to 2100 is a year; any other number is an Excel serial date.
    """
    kind = type(raw)
    if kind is str:
        return _period_text(raw)
    if kind is int or kind is float:
        if raw != raw:
            return _EMPTY
        year = raw if kind is int else _whole(raw)
        if year is not None and _YEAR_MIN <= year <= _YEAR_MAX:
            return _span(year, 1, year, 12)
        return _single_day(excel_serial_to_date(raw))
    if isinstance(raw, datetime.date):
        return _single_day(parse_date(raw))
    return _fallback(raw, parse_period, "a period")


def _single_day(read: Parsed[datetime.date]) -> Parsed[Period]:
    value = None if read.value is None else (read.value, read.value)
    return Parsed(value, read.ok, read.ambiguous, read.note)


def _span(year: int, month: int, end_year: int, end_month: int) -> Parsed[Period]:
    for y in (year, end_year):
        if not _YEAR_MIN <= y <= _YEAR_MAX:
            return _fail(f"year {y} outside {_YEAR_MIN}-{_YEAR_MAX}")
    for mo in (month, end_month):
        if not 1 <= mo <= 12:
            return _fail(f"there is no month {mo}")
    last = calendar.monthrange(end_year, end_month)[1]
    return Parsed((datetime.date(year, month, 1), datetime.date(end_year, end_month, last)), True)


def _period_text(raw: str) -> Parsed[Period]:
    s = _stripped(raw)
    screened = _screen(s)
    if screened is not None:
        return screened
    if not s.isascii():
        s = unicodedata.normalize("NFC", s)
    single = _period_single(s)
    if single is not None and single.ok:
        return single
    low = s.lower()
    prefix = _RANGE_PREFIX.match(low)
    if prefix:
        low = low[prefix.end() :]
    failure = single
    for sep in _RANGE_SEP.finditer(low):
        left, right = low[: sep.start()], low[sep.end() :]
        a, b = _period_single(left), _period_single(right)
        if a is None or b is None or a.value is None or b.value is None:
            continue
        start, end = a.value[0], b.value[1]
        if start > end:
            failure = _fail(f"period ends before it starts: {_short(s)}")
            continue
        # A day above 12 on one side shows the writer puts the day first, which settles the other side.
        a_unsure, b_unsure = a.ambiguous and not _day_first(right), b.ambiguous and not _day_first(left)
        note = "; ".join(p.note for p, unsure in ((a, a_unsure), (b, b_unsure)) if unsure)
        return Parsed((start, end), True, a_unsure or b_unsure, note)
    return failure if failure is not None else _fail(f"not a period: {_short(s)}")


def _day_first(text: str) -> bool:
    m = _DMY_DATE.fullmatch(text.strip())
    return m is not None and int(m[1]) > 12


def _period_single(s: str) -> Parsed[Period] | None:
    """One period without a range separator; None when ``s`` has no period shape at all."""
    s = s.strip()
    if not s:
        return None
    key = fold(s)
    m = _QUARTER.fullmatch(key)
    if m:
        q, year = _ROMAN[m[1]], int(m[2])
        return _span(year, 3 * q - 2, year, 3 * q)
    m = _MONTHS_OF_YEAR.fullmatch(key)
    if m:
        n, year = int(m[1]), int(m[3])
        if not 1 <= n <= 12:
            return _fail(f"a year has no {n} months")
        return _span(year, 1, year, n) if m[2] == "dau" else _span(year, 13 - n, year, 12)
    m = _MONTH.fullmatch(key)
    if m:
        month, year = int(m[1]), int(m[2])
        return _span(year, month, year, month)
    m = _YEAR_ONLY.fullmatch(key)
    if m:
        year = int(m[1])
        return _span(year, 1, year, 12)
    read = _date_text(s)
    return None if read is None else _single_day(read)
