"""Cell-value parsers: every rule of the brief as a table row, plus the traps found in real headers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import unicodedata

import pytest

from kc_pipeline.ingest.values import (
    Parsed,
    excel_serial_to_date,
    money_scale_from_text,
    parse_amount_vnd,
    parse_date,
    parse_int_count,
    parse_number,
    parse_period,
    parse_year,
)

NBSP = "\u00a0"
D = dt.date
EMPTY = (None, True, False, "")  # value, ok, ambiguous, part of the note


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def not_ok(note: str = "") -> tuple[None, bool, bool, str]:
    return None, False, False, note


def check(p: Parsed[object], value: object, ok: bool, ambiguous: bool, note: str) -> None:
    assert (p.value, p.ok, p.ambiguous) == (value, ok, ambiguous)
    assert bool(p.note) == (not ok or ambiguous), "a note is given exactly when not ok or ambiguous"
    if note:
        assert note in p.note


def test_parsed_is_frozen_and_slotted() -> None:
    p = Parsed(1, True)
    assert (p.value, p.ok, p.ambiguous, p.note) == (1, True, False, "")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.value = 2  # type: ignore[misc]
    assert not hasattr(p, "__dict__")


NUMBER_CASES = [
    ("1.234.567", (1234567, True, False, "")),
    ("1,5", (1.5, True, False, "")),
    ("1.234,5", (1234.5, True, False, "")),
    ("1,234,567.5", (1234567.5, True, False, "")),
    ("1,234,567", (1234567, True, False, "")),
    ("1.500", (1500, True, True, "could mean 1.5")),
    ("1,500", (1.5, True, True, "decimal comma")),
    ("-1.500", (-1500, True, True, "thousands")),
    ("0.500", (0.5, True, False, "")),  # a zero group is never thousands
    ("1234.567", (1234.567, True, False, "")),  # four digits before the dot: no grouping
    ("1.5", (1.5, True, False, "")),
    ("12.75", (12.75, True, False, "")),
    ("1,50", (1.5, True, False, "")),
    ("1 234 567", (1234567, True, False, "")),
    (f"1{NBSP}234{NBSP}567", (1234567, True, False, "")),
    ("1\u202f234,5", (1234.5, True, False, "")),
    (f"{NBSP} 42 {NBSP}", (42, True, False, "")),
    ("1.234.567 đ", (1234567, True, False, "")),
    ("500.000 đ", (500000, True, False, "")),  # explicit đồng are whole, so not ambiguous
    ("500.000đ.", (500000, True, False, "")),
    ("1.234.567 đồng", (1234567, True, False, "")),
    (nfd("1.234.567 đồng"), (1234567, True, False, "")),
    ("1.234.567 VNĐ", (1234567, True, False, "")),
    ("1.234.567 vnd", (1234567, True, False, "")),
    ("VNĐ 1.234.567", (1234567, True, False, "")),
    ("đ 12,5", (12.5, True, False, "")),
    ("1.234.567₫", (1234567, True, False, "")),
    ("(1.234.567)", (-1234567, True, False, "")),
    ("(1.234.567 đ)", (-1234567, True, False, "")),
    ("-1.234.567", (-1234567, True, False, "")),
    ("−12,5", (-12.5, True, False, "")),
    ("(1.234)", (-1234, True, True, "could mean 1.234")),
    ("-1.234", (-1234, True, True, "could mean 1.234")),
    ("+7", (7, True, False, "")),
    ("1.5E+06", (1_500_000, True, False, "")),
    ("-", EMPTY),
    ("–", EMPTY),
    ("—", EMPTY),
    ("x", EMPTY),
    ("X", EMPTY),
    ("", EMPTY),
    ("   ", EMPTY),
    (NBSP, EMPTY),
    (None, EMPTY),
    (float("nan"), EMPTY),
    ("#REF!", not_ok("excel error #REF!")),
    ("#N/A", not_ok("excel error #N/A")),
    ("#DIV/0!", not_ok("excel error #DIV/0!")),
    ("#VALUE!", not_ok("excel error #VALUE!")),
    ("#NAME?", not_ok("excel error #NAME?")),
    ("#NUM!", not_ok("excel error #NUM!")),
    ("#NULL!", not_ok("excel error #NULL!")),
    (" #ref! ", not_ok("excel error #REF!")),
    (1234.5, (1234.5, True, False, "")),
    (-3.25, (-3.25, True, False, "")),
    (12, (12, True, False, "")),
    (0, (0, True, False, "")),
    (float("inf"), not_ok("infinite")),
    (True, not_ok("true/false")),
    (False, not_ok("true/false")),
    ("không", not_ok("not a number")),
    ("150 triệu", not_ok("magnitude")),
    ("12 kg", not_ok("unexpected text")),
    ("1.2.3", not_ok("malformed")),
    ("1..2", not_ok("malformed")),
    ("12 5", not_ok("malformed")),
    ("1.234,5,6", not_ok("malformed")),
    ("(1.234", not_ok("not a number")),
    ("1.234-", not_ok("not a number")),
    ("1-2", not_ok("not a number")),
    ("50%", not_ok("unexpected text")),
    ("đ 5 đ", not_ok("both sides")),
    (D(2021, 3, 1), not_ok("date")),
    (dt.timedelta(hours=1), not_ok("time")),
]


@pytest.mark.parametrize(("raw", "expected"), NUMBER_CASES)
def test_parse_number(raw: object, expected: tuple[object, bool, bool, str]) -> None:
    p = parse_number(raw)
    check(p, *expected)
    if p.value is not None:
        assert isinstance(p.value, int | float) and not isinstance(p.value, bool)


SCALE_CASES = [
    ("đồng", 1),
    ("VNĐ", 1),
    ("vnd", 1),
    ("đ", 1),
    ("Đ", 1),
    ("nghìn đồng", 1000),
    ("ngàn đồng", 1000),
    ("1000đ", 1000),
    ("1.000 đ", 1000),
    ("1,000 đồng", 1000),
    ("nghìn", 1000),
    ("Nghìn", 1000),
    ("ng.đ", 1000),
    ("triệu đồng", 1_000_000),
    ("triệu", 1_000_000),
    ("tr.đ", 1_000_000),
    ("trđ", 1_000_000),
    ("tr.đồng", 1_000_000),
    ("Tr.đ", 1_000_000),
    ("TRĐ", 1_000_000),
    ("triệu VNĐ", 1_000_000),
    ("1.000.000 đ", 1_000_000),
    ("tỷ đồng", 1_000_000_000),
    ("Tỷ", 1_000_000_000),
    ("Đơn vị tính: triệu đồng", 1_000_000),
    (nfd("Đơn vị tính: triệu đồng"), 1_000_000),
    ("DON VI TINH: TRIEU DONG", 1_000_000),
    ("don vi tinh: trieu dong", 1_000_000),
    ("Kinh phí (1000đ)", 1000),
    ("Tổng kinh phí (đồng)", 1),
    (nfd("Tổng kinh phí (đồng)"), 1),
    ("Tong kinh phi (dong)", 1),
    ("ĐVT: Tr.đ", 1_000_000),
    ("ĐVT: đồng", 1),
    ("Đơn vị tính đồng", 1),
    ("Số tiền, đ", 1),
    ("Kinh phí (VNĐ)", 1),
    ("Kinh phí (tỷ)", 1_000_000_000),
    ("Vốn đối ứng (triệu đồng)", 1_000_000),
    ("Vốn giải ngân (đồng)", 1),
    ("Kinh phí (triệu đồng) trong đó đối ứng (đồng)", 1_000_000),  # the first unit named wins
    ("Kinh phí", None),
    ("Tổng số", None),
    ("", None),
    # "đ"-words, "đồng"-words and "tỷ"/"ngân"-words that are not money units
    ("Vốn đối ứng", None),
    ("Số người đào tạo", None),
    ("Số lao động", None),
    ("Hoạt động", None),
    ("Hợp đồng số", None),
    ("Huyện Đồng Hỷ", None),
    ("Đồng Hỷ", None),
    ("Tên công ty", None),
    ("Tỷ lệ (%)", None),
    ("Tỷ trọng", None),
    ("Ngân sách tỉnh", None),
    ("Triệu tập", None),
    ("Đ/c", None),
    ("Đ.vị thực hiện", None),
    ("Đơn vị thực hiện", None),
    ("Năm 2021", None),
]


@pytest.mark.parametrize(("text", "scale"), SCALE_CASES)
def test_money_scale_from_text(text: str, scale: int | None) -> None:
    assert money_scale_from_text(text) == scale


AMOUNT_CASES = [
    (150, 1_000_000, (150_000_000, True, False, "")),
    (150.0, 1000, (150_000, True, False, "")),
    (12.5, 1000, (12_500, True, False, "")),
    (0.0015, 1000, (2, True, False, "")),  # 1.5 đồng rounds half up
    (0.0025, 1000, (3, True, False, "")),  # 2.5 đồng: half up, not to even
    (2.5, 1, (3, True, False, "")),
    (1.2345678, 1000, (1235, True, False, "")),
    (-2.5, 1, (-3, True, False, "")),  # negatives kept, half away from zero
    (-150, 1000, (-150_000, True, False, "")),
    ("150", 1000, (150_000, True, False, "")),
    ("150 triệu", 1, (150_000_000, True, False, "")),
    ("150 triệu", 1000, (150_000_000, True, False, "")),  # the cell's own unit overrides the column
    (nfd("150 triệu"), 1, (150_000_000, True, False, "")),
    ("150 trieu", 1, (150_000_000, True, False, "")),
    ("1,2 tỷ", 1, (1_200_000_000, True, False, "")),
    ("1,2 tỷ đồng", 1000, (1_200_000_000, True, False, "")),
    ("50 tr", 1, (50_000_000, True, False, "")),
    ("50tr", 1000, (50_000_000, True, False, "")),
    ("50 tr.đ", 1, (50_000_000, True, False, "")),
    ("500.000đ", 1_000_000, (500_000, True, False, "")),
    ("2.000.000 đồng", 1_000_000, (2_000_000, True, False, "")),
    ("35,5 triệu đồng", 1, (35_500_000, True, False, "")),
    (f"35,5{NBSP}triệu{NBSP}đồng", 1, (35_500_000, True, False, "")),
    ("\u200b100000000", 1, (100_000_000, True, False, "")),  # zero-width space pasted from the web
    ("\ufeff100.000.000", 1, (100_000_000, True, False, "")),  # byte-order mark
    ("100\u00ad000\u2060000 đ", 1, (100_000_000, True, False, "")),  # soft hyphen, word joiner
    ("500 nghìn", 1, (500_000, True, False, "")),
    ("500k", 1, (500_000, True, False, "")),
    ("1.234,5", 1000, (1_234_500, True, False, "")),
    ("1,2345", 1000, (1235, True, False, "")),
    ("-1.234.567", 1, (-1_234_567, True, False, "")),
    ("(35,5)", 1_000_000, (-35_500_000, True, False, "")),
    ("1.500", 1_000_000, (1_500_000_000, True, True, "could mean 1.5")),
    ("1,500", 1_000_000, (1_500_000, True, True, "could mean 1500")),
    ("1.500", 1, (1500, True, False, "")),  # whole đồng settle it
    ("1,500 đ", 1000, (1500, True, False, "")),
    ("", 1000, EMPTY),
    ("-", 1000, (0, True, False, "")),  # a dash is zero, as accounting tables write it
    ("—", 1, (0, True, False, "")),
    (None, 1000, EMPTY),
    (float("nan"), 1000, EMPTY),
    ("#VALUE!", 1000, not_ok("excel error #VALUE!")),
    ("không", 1000, not_ok("not an amount")),
    ("12 cái", 1000, not_ok("unknown unit")),
    ("1.2.3", 1000, not_ok("malformed")),
    (True, 1000, not_ok("true/false")),
    (D(2021, 1, 1), 1000, not_ok("date")),
]


@pytest.mark.parametrize(("raw", "scale", "expected"), AMOUNT_CASES)
def test_parse_amount_vnd(raw: object, scale: int, expected: tuple[object, bool, bool, str]) -> None:
    p = parse_amount_vnd(raw, scale)
    check(p, *expected)
    if p.value is not None:
        assert type(p.value) is int


COUNT_CASES = [
    (125, (125, True, False, "")),
    (125.0, (125, True, False, "")),
    (124.99999999999999, (125, True, False, "")),  # formula noise
    ("125", (125, True, False, "")),
    ("125 lao động", (125, True, False, "")),
    (nfd("125 lao động"), (125, True, False, "")),
    ("125 người", (125, True, False, "")),
    (f"125{NBSP}người", (125, True, False, "")),
    ("\u200b125\u200b", (125, True, False, "")),
    ("02", (2, True, False, "")),
    ("1.200", (1200, True, False, "")),  # counts are whole, so not ambiguous
    ("1,200", (1200, True, False, "")),
    ("1.234.567", (1_234_567, True, False, "")),
    ("12.0", (12, True, False, "")),
    ("12,00", (12, True, False, "")),
    (0, (0, True, False, "")),
    (-3, (-3, True, False, "")),  # kept for validation to reject
    (12.5, not_ok("not a whole number")),
    ("12,5", not_ok("not a whole number")),
    ("12.5", not_ok("not a whole number")),
    ("50%", not_ok("after count")),
    ("1,2 nghìn", not_ok("after count")),
    ("khoảng 125", not_ok("before count")),
    ("nhiều", not_ok("not a count")),
    ("#N/A", not_ok("excel error #N/A")),
    (True, not_ok("true/false")),
    (float("inf"), not_ok("infinite")),
    ("", EMPTY),
    ("x", EMPTY),
    ("–", (0, True, False, "")),  # a dash is zero
    (None, EMPTY),
    (float("nan"), EMPTY),
]


@pytest.mark.parametrize(("raw", "expected"), COUNT_CASES)
def test_parse_int_count(raw: object, expected: tuple[object, bool, bool, str]) -> None:
    p = parse_int_count(raw)
    check(p, *expected)
    if p.value is not None:
        assert type(p.value) is int


YEAR_CASES = [
    (2021, (2021, True, False, "")),
    (2021.0, (2021, True, False, "")),
    ("2021", (2021, True, False, "")),
    ("2021.0", (2021, True, False, "")),
    ("Năm 2021", (2021, True, False, "")),
    ("năm 2021", (2021, True, False, "")),
    (nfd("Năm 2021"), (2021, True, False, "")),
    ("NĂM 2021", (2021, True, False, "")),
    ("nam 2021", (2021, True, False, "")),
    ("năm2021", (2021, True, False, "")),
    (f"{NBSP}2021{NBSP}", (2021, True, False, "")),
    (D(2021, 3, 1), (2021, True, False, "")),
    (dt.datetime(2021, 12, 31, 23, 59), (2021, True, False, "")),
    ("15/03/2021", (2021, True, False, "")),
    ("03/05/2021", (2021, True, False, "")),  # day/month in doubt, the year is not
    (1990, (1990, True, False, "")),
    (2100, (2100, True, False, "")),
    (1989, not_ok("outside 1990-2100")),
    (2101, not_ok("outside 1990-2100")),
    ("1899", not_ok("outside")),
    (44256.0, not_ok("outside")),  # a date serial is not a year
    (D(1985, 1, 1), not_ok("outside")),
    (2021.5, not_ok("not a year")),
    ("2021-2022", not_ok("not a year")),
    ("Quý III/2021", not_ok("not a year")),
    ("31/02/2021", not_ok("no such date")),
    ("#REF!", not_ok("excel error #REF!")),
    (True, not_ok("true/false")),
    ("", EMPTY),
    ("-", EMPTY),
    (None, EMPTY),
]


@pytest.mark.parametrize(("raw", "expected"), YEAR_CASES)
def test_parse_year(raw: object, expected: tuple[object, bool, bool, str]) -> None:
    p = parse_year(raw)
    check(p, *expected)
    if p.value is not None:
        assert type(p.value) is int


DATE_CASES = [
    (D(2021, 3, 15), (D(2021, 3, 15), True, False, "")),
    (dt.datetime(2021, 3, 15, 10, 30), (D(2021, 3, 15), True, False, "")),
    (44270, (D(2021, 3, 15), True, False, "")),
    (44270.75, (D(2021, 3, 15), True, False, "")),
    (59, (D(1900, 2, 28), True, True, "probably not a date")),
    (60, not_ok("1900-02-29")),
    (0, not_ok("serial 0 is not a date")),
    ("15/03/2021", (D(2021, 3, 15), True, False, "")),
    ("15/3/2021", (D(2021, 3, 15), True, False, "")),
    ("15-03-2021", (D(2021, 3, 15), True, False, "")),
    ("15.03.2021", (D(2021, 3, 15), True, False, "")),
    ("15/03/21", (D(2021, 3, 15), True, False, "")),
    ("15 / 03 / 2021", (D(2021, 3, 15), True, False, "")),
    (f"{NBSP}15/03/2021{NBSP}", (D(2021, 3, 15), True, False, "")),
    ("15/03/2021 00:00:00", (D(2021, 3, 15), True, False, "")),
    ("2021-03-15", (D(2021, 3, 15), True, False, "")),
    ("2021-03-05", (D(2021, 3, 5), True, False, "")),  # ISO is never in doubt
    ("2021-03-15 00:00:00", (D(2021, 3, 15), True, False, "")),
    ("2021-03-15T08:00:00", (D(2021, 3, 15), True, False, "")),
    ("ngày 15 tháng 3 năm 2021", (D(2021, 3, 15), True, False, "")),
    ("Ngày 05 tháng 03 năm 2021", (D(2021, 3, 5), True, False, "")),
    (nfd("ngày 15 tháng 3 năm 2021"), (D(2021, 3, 15), True, False, "")),
    ("ngay 15 thang 3 nam 2021", (D(2021, 3, 15), True, False, "")),
    ("15 tháng 3 năm 2021", (D(2021, 3, 15), True, False, "")),
    ("ngày 15/3/2021", (D(2021, 3, 15), True, False, "")),
    ("03/05/2021", (D(2021, 5, 3), True, True, "2021-03-05")),
    ("5/3/2021", (D(2021, 3, 5), True, True, "month first")),
    ("05/05/2021", (D(2021, 5, 5), True, False, "")),  # same either way
    ("12/11/21", (D(2021, 11, 12), True, True, "2021-12-11")),
    ("13/12/2021", (D(2021, 12, 13), True, False, "")),
    ("31/02/2021", not_ok("no such date")),
    ("29/02/2021", not_ok("no such date")),
    ("29/02/2024", (D(2024, 2, 29), True, False, "")),
    ("2021-02-30", not_ok("no such date")),
    ("15/13/2021", not_ok("no such date")),
    ("ngày 31 tháng 4 năm 2021", not_ok("no such date")),
    ("15/03-2021", not_ok("not a date")),  # mixed separators
    ("44256", not_ok("not a date")),  # a serial typed as text is too easily a year or a count
    ("Quý III/2021", not_ok("not a date")),
    ("chưa có", not_ok("not a date")),
    ("#N/A", not_ok("excel error #N/A")),
    (True, not_ok("true/false")),
    (dt.timedelta(hours=8), not_ok("time or duration")),
    ("", EMPTY),
    ("—", EMPTY),
    (None, EMPTY),
    (float("nan"), EMPTY),
]


@pytest.mark.parametrize(("raw", "expected"), DATE_CASES)
def test_parse_date(raw: object, expected: tuple[object, bool, bool, str]) -> None:
    p = parse_date(raw)
    check(p, *expected)
    if p.value is not None:
        assert type(p.value) is dt.date


SERIAL_CASES = [
    (1, (D(1900, 1, 1), True, True, "before 1902")),
    (1.0, (D(1900, 1, 1), True, True, "before 1902")),
    (59, (D(1900, 2, 28), True, True, "probably not a date")),
    (60, not_ok("does not exist")),
    (60.5, not_ok("1900-02-29")),
    (61, (D(1900, 3, 1), True, True, "before 1902")),
    (999, (D(1902, 9, 25), True, True, "before 1902")),
    (1000, (D(1902, 9, 26), True, False, "")),
    (36526, (D(2000, 1, 1), True, False, "")),
    (44197, (D(2021, 1, 1), True, False, "")),
    (44256.99999, (D(2021, 3, 1), True, False, "")),  # time of day dropped
    (2958465, (D(9999, 12, 31), True, False, "")),
    (2958465.5, (D(9999, 12, 31), True, False, "")),
    (0, not_ok("serial 0 is not a date")),
    (0.75, not_ok("serial 0 is not a date")),
    (-1, not_ok("outside")),
    (-0.5, not_ok("outside")),
    (2958466, not_ok("2958466")),
    (float("nan"), not_ok("outside")),
    (float("inf"), not_ok("outside")),
]


@pytest.mark.parametrize(("serial", "expected"), SERIAL_CASES)
def test_excel_serial_to_date(serial: float, expected: tuple[object, bool, bool, str]) -> None:
    check(excel_serial_to_date(serial), *expected)


def whole_year(y: int) -> tuple[D, D]:
    return D(y, 1, 1), D(y, 12, 31)


PERIOD_CASES = [
    (D(2021, 3, 15), ((D(2021, 3, 15), D(2021, 3, 15)), True, False, "")),
    (dt.datetime(2021, 3, 15, 9), ((D(2021, 3, 15), D(2021, 3, 15)), True, False, "")),
    ("15/03/2021", ((D(2021, 3, 15), D(2021, 3, 15)), True, False, "")),
    ("2021-03-15", ((D(2021, 3, 15), D(2021, 3, 15)), True, False, "")),
    ("03/05/2021", ((D(2021, 5, 3), D(2021, 5, 3)), True, True, "month first")),
    (44256.0, ((D(2021, 3, 1), D(2021, 3, 1)), True, False, "")),  # not a year, so a serial
    ("Quý III/2021", ((D(2021, 7, 1), D(2021, 9, 30)), True, False, "")),
    ("Quý 3/2021", ((D(2021, 7, 1), D(2021, 9, 30)), True, False, "")),
    ("quý I năm 2022", ((D(2022, 1, 1), D(2022, 3, 31)), True, False, "")),
    ("Quý II/2021", ((D(2021, 4, 1), D(2021, 6, 30)), True, False, "")),
    ("QUÝ IV/2021", ((D(2021, 10, 1), D(2021, 12, 31)), True, False, "")),
    (nfd("Quý IV năm 2021"), ((D(2021, 10, 1), D(2021, 12, 31)), True, False, "")),
    ("Quy 4 - 2021", ((D(2021, 10, 1), D(2021, 12, 31)), True, False, "")),
    ("Q1/2024", ((D(2024, 1, 1), D(2024, 3, 31)), True, False, "")),
    ("Tháng 5/2021", ((D(2021, 5, 1), D(2021, 5, 31)), True, False, "")),
    ("T5/2021", ((D(2021, 5, 1), D(2021, 5, 31)), True, False, "")),
    ("5/2021", ((D(2021, 5, 1), D(2021, 5, 31)), True, False, "")),
    ("05/2021", ((D(2021, 5, 1), D(2021, 5, 31)), True, False, "")),
    ("tháng 02 năm 2024", ((D(2024, 2, 1), D(2024, 2, 29)), True, False, "")),
    (nfd("Tháng 5/2021"), ((D(2021, 5, 1), D(2021, 5, 31)), True, False, "")),
    ("2021-2022", ((D(2021, 1, 1), D(2022, 12, 31)), True, False, "")),
    ("2021 - 2022", ((D(2021, 1, 1), D(2022, 12, 31)), True, False, "")),
    ("2021–2025", ((D(2021, 1, 1), D(2025, 12, 31)), True, False, "")),
    ("Giai đoạn 2021-2025", ((D(2021, 1, 1), D(2025, 12, 31)), True, False, "")),
    ("Năm 2021", (whole_year(2021), True, False, "")),
    ("năm 2021", (whole_year(2021), True, False, "")),
    ("2021", (whole_year(2021), True, False, "")),
    (2021, (whole_year(2021), True, False, "")),
    (2021.0, (whole_year(2021), True, False, "")),
    ("từ 01/3/2021 đến 30/6/2021", ((D(2021, 3, 1), D(2021, 6, 30)), True, False, "")),
    (nfd("Từ ngày 01/3/2021 đến ngày 30/6/2021"), ((D(2021, 3, 1), D(2021, 6, 30)), True, False, "")),
    ("01/3/2021 - 30/6/2021", ((D(2021, 3, 1), D(2021, 6, 30)), True, False, "")),
    ("01-3-2021 - 30-6-2021", ((D(2021, 3, 1), D(2021, 6, 30)), True, False, "")),
    ("01/03/2021-30/06/2021", ((D(2021, 3, 1), D(2021, 6, 30)), True, False, "")),
    ("5/2021 - 8/2021", ((D(2021, 5, 1), D(2021, 8, 31)), True, False, "")),
    ("Quý I/2021 - Quý III/2021", ((D(2021, 1, 1), D(2021, 9, 30)), True, False, "")),
    ("01/3/2021 - 03/6/2021", ((D(2021, 3, 1), D(2021, 6, 3)), True, True, "month first")),
    ("6 tháng cuối năm 2021", ((D(2021, 7, 1), D(2021, 12, 31)), True, False, "")),
    ("6 tháng đầu năm 2021", ((D(2021, 1, 1), D(2021, 6, 30)), True, False, "")),
    (nfd("6 tháng đầu năm 2021"), ((D(2021, 1, 1), D(2021, 6, 30)), True, False, "")),
    ("9 tháng đầu năm 2021", ((D(2021, 1, 1), D(2021, 9, 30)), True, False, "")),
    ("30/6/2021 - 01/3/2021", not_ok("ends before it starts")),
    ("2022-2021", not_ok("ends before it starts")),
    ("Quý V/2021", not_ok("not a period")),
    ("Tháng 13/2021", not_ok("no month 13")),
    ("13 tháng đầu năm 2021", not_ok("no 13 months")),
    ("Năm 1850", not_ok("outside")),
    (1850, ((D(1905, 1, 23), D(1905, 1, 23)), True, False, "")),  # no year in range: an Excel serial
    ("31/02/2021", not_ok("no such date")),
    ("đang thực hiện", not_ok("not a period")),
    ("#NAME?", not_ok("excel error #NAME?")),
    (True, not_ok("true/false")),
    ("", EMPTY),
    ("x", EMPTY),
    (None, EMPTY),
    (float("nan"), EMPTY),
]


@pytest.mark.parametrize(("raw", "expected"), PERIOD_CASES)
def test_parse_period(raw: object, expected: tuple[object, bool, bool, str]) -> None:
    p = parse_period(raw)
    check(p, *expected)
    if p.value is not None:
        start, end = p.value
        assert type(start) is dt.date and type(end) is dt.date and start <= end


def test_numpy_scalars_take_the_slow_path() -> None:
    np = pytest.importorskip("numpy")
    assert parse_number(np.int64(5)).value == 5
    assert parse_amount_vnd(np.float64(2.5), 1000).value == 2500
    assert parse_int_count(np.int32(7)).value == 7
    assert parse_date(np.float64(44256)).value == D(2021, 3, 1)
    assert not parse_int_count(np.bool_(True)).ok
