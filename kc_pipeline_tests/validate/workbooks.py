"""District workbooks for validation tests: one table, amounts in đồng unless told otherwise."""

from pathlib import Path
from typing import Any

import openpyxl

HEADER = (
    "STT",
    "Tên đề án",
    "Đơn vị thụ hưởng",
    "Nguồn kinh phí",
    "Tổng kinh phí",
    "Kinh phí khuyến công hỗ trợ",
    "Kinh phí đối ứng",
    "Số lao động",
)


def row(
    seq: int,
    title: str,
    total: Any,
    support: Any,
    counterpart: Any,
    trainees: Any = None,
    funding: str = "KCĐP",
    beneficiary: str | None = None,
) -> list[Any]:
    return [seq, title, beneficiary or f"Cơ sở số {seq}", funding, total, support, counterpart, trainees]


def write(
    path: Path,
    rows: list[list[Any]],
    *,
    unit_line: str = "Đơn vị tính: đồng",
    total_row: list[Any] | None = None,
    title: str = "UBND HUYỆN ĐẠI TỪ",
) -> Path:
    """A one-sheet district file at ``path`` (put it under <year>/<unit>/ for unit and year)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.append(["DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021"])
    ws.append([unit_line])
    ws.append(list(HEADER))
    for r in rows:
        ws.append(r)
    if total_row is not None:
        ws.append(total_row)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text a clerk typed, not a formula
    wb.save(path)
    return path


MACHINE = "Hỗ trợ ứng dụng máy sao chè tại cơ sở"
TRAINING = "Đào tạo nghề mây tre đan cho lao động nông thôn"
WORKSHOP = "Hội thảo tập huấn sản xuất sạch hơn"
