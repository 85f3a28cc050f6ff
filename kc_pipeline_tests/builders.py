"""Workbooks for the reader's tests, written on the spot into ``tmp_path``: no binary fixtures.

Real .xlsx files come from openpyxl; broken ones are real files edited afterwards at the zip level
(:func:`rewrite_zip`, :func:`declare_entry_size`, :func:`truncate`), and OLE2 containers (.xls and
password-protected workbooks) from :func:`ole2_file`.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# A one-row header naming seven fields; amounts in triệu đồng.
HEADER = [
    "STT",
    "Tên đề án",
    "Đơn vị thụ hưởng",
    "Địa điểm",
    "Tổng kinh phí (triệu đồng)",
    "Kinh phí khuyến công hỗ trợ (triệu đồng)",
    "Kinh phí đối ứng (triệu đồng)",
    "Ghi chú",
]
TITLES = ["UBND HUYỆN ĐẠI TỪ", "PHÒNG KINH TẾ VÀ HẠ TẦNG", "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021"]


def project(
    seq: int,
    title: str,
    beneficiary: str = "Hộ kinh doanh Nguyễn Văn An",
    commune: str = "Xã Hùng Sơn",
    total: Any = 300,
    support: Any = 200,
    counterpart: Any = 100,
    note: str = "",
) -> list[Any]:
    """A data row laid out like :data:`HEADER`."""
    return [seq, title, beneficiary, commune, total, support, counterpart, note]


# ------------------------------------------------------------------------------------------ workbooks


@dataclass
class Sheet:
    """One worksheet: every row from A1 (``None``/"" for an empty cell), merges and per-cell fonts."""

    name: str
    rows: Sequence[Sequence[Any]] = ()
    merges: Sequence[str] = ()  # "A1:H1", in sheet coordinates
    fonts: Mapping[str, str] = field(default_factory=dict)  # "B5" -> font name
    state: str = "visible"  # "visible", "hidden" or "veryHidden"
    default_font: str | None = None  # font for every written cell without its own entry in ``fonts``


def table_rows(
    header_rows: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]], titles: Sequence[Any] = ()
) -> list[list[Any]]:
    """Title rows (a string goes into column A), then the header rows, then the data rows."""
    out: list[list[Any]] = [[t] if isinstance(t, str) else list(t) for t in titles]
    out.extend(list(r) for r in header_rows)
    out.extend(list(r) for r in rows)
    return out


def write_workbook(path: Path, sheets: Sequence[Sheet]) -> Path:
    """Write ``sheets`` in order to ``path`` (parents created); returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        ws = book.create_sheet(spec.name)
        for r, cells in enumerate(spec.rows, start=1):
            for c, value in enumerate(cells, start=1):
                if value is None or value == "":
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                font = spec.fonts.get(cell.coordinate, spec.default_font)
                if font:
                    cell.font = Font(name=font)
        for coordinate, font in spec.fonts.items():  # fonts on cells that hold nothing yet are kept too
            ws[coordinate].font = Font(name=font)
        for ref in spec.merges:
            ws.merge_cells(ref)
        ws.sheet_state = spec.state
    book.save(path)
    return path


def write_table(
    path: Path,
    header_rows: Sequence[Sequence[Any]] = (HEADER,),
    rows: Sequence[Sequence[Any]] = (),
    *,
    titles: Sequence[Any] = (),
    merges: Sequence[str] = (),
    sheet_name: str = "Sheet1",
    fonts: Mapping[str, str] | None = None,
    default_font: str | None = None,
    hidden_sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    very_hidden_sheets: Mapping[str, Sequence[Sequence[Any]]] | None = None,
    extra_sheets: Sequence[Sheet] = (),
    merge_titles: bool = False,
) -> Path:
    """One table sheet (titles, header rows, data rows), plus any hidden or extra sheets after it.

    ``merge_titles`` merges each title row across the header's width, as clerks do.
    """
    all_rows = table_rows(header_rows, rows, titles)
    merge_list = list(merges)
    if merge_titles and titles:
        width = max(len(r) for r in header_rows)
        merge_list += [f"A{r}:{get_column_letter(width)}{r}" for r in range(1, len(titles) + 1)]
    sheets = [Sheet(sheet_name, all_rows, merge_list, dict(fonts or {}), default_font=default_font)]
    sheets += [Sheet(name, rows_, state="hidden") for name, rows_ in (hidden_sheets or {}).items()]
    sheets += [Sheet(name, rows_, state="veryHidden") for name, rows_ in (very_hidden_sheets or {}).items()]
    sheets += list(extra_sheets)
    return write_workbook(path, sheets)


# ------------------------------------------------------------------------------------- zip surgery


def read_part(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


def part_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return archive.namelist()


def rewrite_zip(
    src: Path,
    dst: Path | None = None,
    *,
    replace: Mapping[str, bytes | Callable[[bytes], bytes]] | None = None,
    add: Mapping[str, bytes] | None = None,
    drop: Sequence[str] = (),
    compresslevel: int | None = None,
) -> Path:
    """Copy a workbook's zip with parts replaced (bytes, or a function of the old bytes), added or dropped."""
    dst = dst or src
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as archive:
        parts = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as out:
        for name, data in parts:
            if name in drop:
                continue
            if name in replace:
                new = replace.pop(name)
                data = new(data) if callable(new) else new
            out.writestr(name, data)
        for name, data in {**replace, **(add or {})}.items():
            out.writestr(name, data)
    return dst


def declare_entry_size(path: Path, name: str, size: int) -> Path:
    """Patch the uncompressed size that the zip directory declares for ``name`` (data left as is)."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    patched = 0
    # (signature, offset of the uncompressed size, of the name length, of the name)
    for signature, size_at, length_at, name_at in ((b"PK\x01\x02", 24, 28, 46), (b"PK\x03\x04", 22, 26, 30)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, at + length_at)[0]
            if bytes(data[at + name_at : at + name_at + length]) == encoded:
                struct.pack_into("<I", data, at + size_at, size)
                patched += 1
            start = at + 4
    assert patched == 2, f"{name} not found in both directory and local header of {path}"
    path.write_bytes(bytes(data))
    return path


def truncate(path: Path, dst: Path | None = None, fraction: float = 0.5) -> Path:
    """The first ``fraction`` of a file, as left by an interrupted copy."""
    data = path.read_bytes()
    dst = dst or path
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


def first_sheet_part(path: Path) -> str:
    return next(n for n in part_names(path) if n.startswith("xl/worksheets/sheet"))


# ------------------------------------------------------------------------------------------ OLE2

_SECTOR = 512
_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def ole2_file(stream_names: Sequence[str]) -> bytes:
    """A minimal but well-formed OLE2 compound file holding empty streams with the given names.

    ``["EncryptionInfo", "EncryptedPackage"]`` is how Excel stores a password-protected .xlsx;
    ``["Workbook"]`` is an Excel 97-2003 .xls.
    """
    assert len(stream_names) <= 3, "one directory sector holds the root and three streams"
    header = bytearray(_SECTOR)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)  # minor, major, byte order, shifts
    struct.pack_into("<I", header, 44, 1)  # FAT sectors
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)  # mini stream cutoff
    struct.pack_into("<IIII", header, 60, _END, 0, _END, 0)  # mini FAT, DIFAT
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0]: FAT in sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, _FREE)

    fat = bytearray(b"\xff" * _SECTOR)
    struct.pack_into("<II", fat, 0, _FAT, _END)

    def entry(name: str, kind: int, child: int = _FREE, right: int = _FREE) -> bytes:
        raw = bytearray(128)
        encoded = (name + "\x00").encode("utf-16-le")
        raw[0 : len(encoded)] = encoded
        struct.pack_into("<HBB", raw, 64, len(encoded), kind, 1)  # name length, type, black
        struct.pack_into("<III", raw, 68, _FREE, right, child)  # left, right, child
        struct.pack_into("<I", raw, 116, _END)  # start sector (empty)
        return bytes(raw)

    entries = [entry("Root Entry", 5, child=1 if stream_names else _FREE)]
    for i, name in enumerate(stream_names, start=1):
        entries.append(entry(name, 2, right=i + 1 if i < len(stream_names) else _FREE))
    directory = b"".join(entries).ljust(_SECTOR, b"\x00")
    return bytes(header) + bytes(fat) + directory


SST_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def shared_strings_xml(*strings: str, prolog: str = "") -> bytes:
    """A sharedStrings.xml part; ``prolog`` goes between the XML declaration and the root element."""
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f'<sst xmlns="{SST_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()


def use_shared_strings(src: Path, dst: Path, sst: bytes, cell: str = "A1") -> Path:
    """Copy a workbook with ``sst`` as its registered xl/sharedStrings.xml and ``cell`` of the first
    sheet pointing at string 0 (openpyxl writes inline strings and no shared-strings part)."""
    sheet = first_sheet_part(src)

    def point(xml: bytes) -> bytes:
        start = xml.index(f'<c r="{cell}"'.encode())
        end = xml.index(b"</c>", start) + len(b"</c>")
        return xml[:start] + f'<c r="{cell}" t="s"><v>0</v></c>'.encode() + xml[end:]

    def register_type(xml: bytes) -> bytes:
        override = (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" />'
        )
        return xml.replace(b"</Types>", override.encode() + b"</Types>")

    def register_rel(xml: bytes) -> bytes:
        rel = (
            '<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml" Id="rIdSst" />'
        )
        return xml.replace(b"</Relationships>", rel.encode() + b"</Relationships>")

    return rewrite_zip(
        src,
        dst,
        replace={
            sheet: point,
            "[Content_Types].xml": register_type,
            "xl/_rels/workbook.xml.rels": register_rel,
        },
        add={"xl/sharedStrings.xml": sst},
    )
