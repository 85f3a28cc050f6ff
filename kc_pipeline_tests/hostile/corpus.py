"""The hostile corpus: files district offices (or attackers) can drop, each written by code.

Every :class:`Hostile` case writes its file(s) into a drop folder and says what must become of
them: ``loaded``, ``partly_quarantined``, ``rejected`` with a specific reason code, or ``ignored``
(the drop folder must not even pick the file up), and what "nothing lost" means for it. The tests
put each case beside a good file and run the real pipeline (:mod:`.test_hostile_inputs`).

No binary fixtures: workbooks come from openpyxl or from raw OOXML parts zipped here, OLE2
containers from :func:`kc_pipeline_tests.builders.ole2_file`. Costly payloads (the zip bomb, the
400 MB cell) are built once per session and cached in memory as compressed bytes.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.sax.saxutils import escape

import openpyxl
from sqlalchemy import Connection, text

from kc_pipeline.ingest.legacy_fonts import encode
from kc_pipeline_tests.builders import (
    Sheet,
    declare_entry_size,
    ole2_file,
    rewrite_zip,
    shared_strings_xml,
    truncate,
    use_shared_strings,
    write_workbook,
)
from kc_pipeline_tests.validate.workbooks import HEADER, MACHINE, TRAINING, row, write

Outcome = Literal["loaded", "partly_quarantined", "rejected", "ignored"]
HOSTILE_DIR = "2021/dai-tu"  # where hostile files go unless a case says otherwise
# The good file: another unit, same year; Định Hóa is next to Đại Từ in the partition order, so both
# unit-years run in one Dagster run (a contiguous partition range), which keeps each case fast.
GOOD_DIR = "2021/dinh-hoa"
TITLE = "UBND HUYỆN ĐẠI TỪ"
Check = Callable[[Connection, "Context"], None]


@dataclass
class Context:
    """What a case's extra check can see: the drop folder and the hostile files' ids by name."""

    incoming: Path
    file_ids: dict[str, str] = field(default_factory=dict)  # file name -> sha256
    documents: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Hostile:
    name: str
    build: Callable[[Path], list[Path]]  # writes into the drop folder; returns the hostile file(s)
    outcome: Outcome
    nothing_lost: str
    reason: str | None = None  # the rejection code, for ``rejected``
    loaded_rows: int | None = None  # rows_loaded recorded for the hostile file(s), when it loads
    quarantined_rows: int | None = None
    before: Callable[[Path], None] | None = None  # an earlier drop-folder state, run first
    good_dir: str = GOOD_DIR
    good_rows: Sequence[Sequence[Any]] | None = None  # the good file's rows, when the case needs its own
    good_header: Sequence[str] = HEADER
    check: Check | None = None

    def __str__(self) -> str:
        return self.name


# ------------------------------------------------------------------------------------------- rows


def project(
    seq: int,
    title: str,
    support: int = 100_000_000,
    *,
    beneficiary: str | None = None,
    funding: str = "KCĐP",
    trainees: int | None = None,
) -> list[Any]:
    """A project row of :data:`HEADER` (amounts in đồng): support plus as much counterpart."""
    counterpart = 0 if trainees else support
    return row(
        seq,
        title,
        support + counterpart,
        support,
        counterpart,
        trainees,
        funding,
        beneficiary or f"Cơ sở chè số {seq}",
    )


def projects(n: int, start: int = 1, label: str = "") -> list[list[Any]]:
    return [
        project(i, f"{MACHINE} {label}số {i}", 100_000_000 + i * 1_000_000) for i in range(start, start + n)
    ]


GOOD_ROWS = [
    project(1, f"{MACHINE} Định Hóa số 1", 80_000_000),
    project(2, f"{TRAINING} Định Hóa", 40_000_000, trainees=25),
]


def good_file(
    incoming: Path,
    directory: str = GOOD_DIR,
    rows: Sequence[Sequence[Any]] | None = None,
    header: Sequence[str] = HEADER,
) -> Path:
    """The tiny good file every case runs beside: it must load whatever the hostile file does."""
    titles = ("UBND HUYỆN ĐỊNH HÓA", "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021", "Đơn vị tính: đồng")
    sheet = table_sheet(rows or GOOD_ROWS, header=header, titles=titles)
    return write_workbook(incoming / directory / "good.xlsx", [sheet])


def hostile_path(incoming: Path, name: str, directory: str = HOSTILE_DIR) -> Path:
    path = incoming / directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def plain(incoming: Path, name: str = "hostile.xlsx", rows: Sequence[Sequence[Any]] | None = None) -> Path:
    """A well-formed district file of the hostile unit-year."""
    return write(hostile_path(incoming, name), [list(r) for r in rows or projects(3)], title=TITLE)


def table_sheet(
    rows: Sequence[Sequence[Any]],
    name: str = "Sheet1",
    header: Sequence[Any] = HEADER,
    titles: Sequence[str] = (TITLE, "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021", "Đơn vị tính: đồng"),
    **kwargs: Any,
) -> Sheet:
    return Sheet(name, [[t] for t in titles] + [list(header)] + [list(r) for r in rows], **kwargs)


# ------------------------------------------------------------------------------ raw OOXML workbooks

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


class Raw(str):
    """A cell written verbatim (``<c ...>...</c>``), for what openpyxl will not write."""


def col_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_xml(ref: str, value: Any) -> str:
    if isinstance(value, Raw):
        return value.replace("{ref}", ref)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def sheet_xml(
    rows: Sequence[Sequence[Any]], *, dimension: str | None = None, merges: Sequence[str] = (), tail: str = ""
) -> str:
    body = "".join(
        f'<row r="{r}">'
        + "".join(cell_xml(f"{col_letters(c)}{r}", v) for c, v in enumerate(cells))
        + "</row>"
        for r, cells in enumerate(rows, start=1)
    )
    merged = (
        f'<mergeCells count="{len(merges)}">'
        + "".join(f'<mergeCell ref="{m}"/>' for m in merges)
        + "</mergeCells>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_MAIN}">'
        + (f'<dimension ref="{dimension}"/>' if dimension else "")
        + f"<sheetData>{body}</sheetData>"
        + (merged if merges else "")
        + tail
        + "</worksheet>"
    )


def table_rows(rows: Sequence[Sequence[Any]], header: Sequence[Any] = HEADER) -> list[list[Any]]:
    titles = [[TITLE], ["DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021"], ["Đơn vị tính: đồng"]]
    return titles + [list(header)] + [list(r) for r in rows]


SheetSpec = tuple[str, str | bytes] | tuple[str, str | bytes, str]


def xlsx_parts(sheets: Sequence[SheetSpec], shared_strings: bytes | None = None) -> dict[str, bytes]:
    """The parts of a workbook: ``(name, sheet xml[, state])`` per sheet, and shared strings."""
    overrides = [f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>']
    book, rels = [], []
    for i, spec in enumerate(sheets, start=1):
        name, state = spec[0], (spec[2] if len(spec) > 2 else "visible")  # type: ignore[misc]
        overrides.append(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
        )
        book.append(f'<sheet name="{escape(name)}" sheetId="{i}" state="{state}" r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>')
    if shared_strings is not None:
        overrides.append(
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/>'
        )
        rels.append(f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>')
    parts: dict[str, bytes] = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{_PKG}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
            '+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>{"".join(overrides)}</Types>'
        ).encode(),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ).encode(),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f"<sheets>{''.join(book)}</sheets></workbook>"
        ).encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{_PKG}/relationships">'
            f"{''.join(rels)}</Relationships>"
        ).encode(),
    }
    for i, spec in enumerate(sheets, start=1):
        xml = spec[1]
        parts[f"xl/worksheets/sheet{i}.xml"] = xml.encode() if isinstance(xml, str) else xml
    if shared_strings is not None:
        parts["xl/sharedStrings.xml"] = shared_strings
    return parts


def raw_xlsx(path: Path, sheets: Sequence[SheetSpec], *, shared_strings: bytes | None = None) -> Path:
    """A workbook zipped from raw parts (see :func:`xlsx_parts`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in xlsx_parts(sheets, shared_strings).items():
            archive.writestr(name, data)
    return path


def streamed_xlsx(sheet: bytes, big_part: str, head: bytes, unit: bytes, repeat: int, tail: bytes) -> bytes:
    """A one-sheet workbook whose ``big_part`` is ``head + unit * repeat + tail``, deflated while it
    is written, so that building a part of hundreds of MB costs no memory."""
    parts = xlsx_parts(
        [("Sheet1", sheet)], shared_strings=b"" if big_part == "xl/sharedStrings.xml" else None
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            if name != big_part:
                out.writestr(name, data)
        info = zipfile.ZipInfo(big_part)
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as handle:
            handle.write(head)
            per_block = max(1, (1 << 20) // len(unit))
            block = unit * per_block
            for _ in range(repeat // per_block):
                handle.write(block)
            handle.write(unit * (repeat % per_block))
            handle.write(tail)
    return buffer.getvalue()


# ------------------------------------------------------------------------------------ builders


def _write(incoming: Path, name: str, data: bytes) -> list[Path]:
    path = hostile_path(incoming, name)
    path.write_bytes(data)
    return [path]


@functools.cache
def _plain_bytes(rows: int = 3) -> bytes:
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"kc-plain-{os.getpid()}-{rows}.xlsx"
    try:
        write(tmp, projects(rows), title=TITLE)
        return tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)


def empty_file(incoming: Path) -> list[Path]:
    return _write(incoming, "empty.xlsx", b"")


def truncated(fraction: float) -> Callable[[Path], list[Path]]:
    def build(incoming: Path) -> list[Path]:
        full = plain(incoming, "copying.xlsx", projects(40))
        return [truncate(full, fraction=fraction)]

    return build


def encrypted(incoming: Path) -> list[Path]:
    return _write(incoming, "mat_khau.xlsx", ole2_file(["EncryptionInfo", "EncryptedPackage"]))


def encrypted_malformed(incoming: Path) -> list[Path]:
    """OLE2 with absurd sizes: 2**31 FAT sectors, 2**30-byte sectors, a 2**62-byte stream."""
    data = bytearray(ole2_file(["EncryptionInfo", "EncryptedPackage"]))
    struct.pack_into("<H", data, 30, 30)  # sector shift: 1 GiB sectors
    struct.pack_into("<I", data, 44, 0x7FFF_FFFF)  # number of FAT sectors
    struct.pack_into("<I", data, 48, 0xFFFF_FFF0)  # first directory sector, past any file
    struct.pack_into("<I", data, 56, 0xFFFF_FFFF)  # mini-stream cutoff
    for entry in range(1, 3):  # stream sizes of the two streams, in their directory entries
        struct.pack_into("<Q", data, 1024 + 128 * entry + 120, 1 << 62)
    return _write(incoming, "mat_khau_hong.xlsx", bytes(data))


def legacy_xls(incoming: Path) -> list[Path]:
    return _write(incoming, "bao_cao_2003.xlsx", ole2_file(["Workbook", "\x05SummaryInformation"]))


def csv_renamed(incoming: Path) -> list[Path]:
    text_ = "STT,Tên đề án,Đơn vị thụ hưởng,Kinh phí\n1,Hỗ trợ máy sao chè,Cơ sở chè số 1,100000000\n"
    return _write(incoming, "xuat_csv.xlsx", text_.encode("utf-8-sig"))


def html_renamed(incoming: Path) -> list[Path]:
    page = (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<head><meta charset="utf-8"></head><body><table><tr><td>STT</td><td>Tên đề án</td></tr>'
        "<tr><td>1</td><td>Hỗ trợ máy sao chè</td></tr></table></body></html>"
    )
    return _write(incoming, "web_page.xlsx", page.encode())


def corrupt_entry(incoming: Path) -> list[Path]:
    """Six bytes flipped in the middle of the sheet's deflate stream (past what the sniffer reads)."""
    path = plain(incoming, "hong.xlsx", projects(150))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_len + extra_len
    assert info.file_size > 4 * 4096, "the damage must lie beyond the sniffer's prolog read"
    at = start + info.compress_size * 2 // 3
    for k in range(6):
        data[at + k] ^= 0xFF
    path.write_bytes(bytes(data))
    return [path]


def _with_shared_strings(incoming: Path, name: str, sst: bytes) -> list[Path]:
    base = plain(incoming, f"_{name}")
    path = use_shared_strings(base, hostile_path(incoming, name), sst, cell="B5")
    base.unlink()
    return [path]


def billion_laughs(incoming: Path) -> list[Path]:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    sst = shared_strings_xml("&lol9;", prolog=f"<!DOCTYPE sst [{entities}]>")
    return _with_shared_strings(incoming, "laughs.xlsx", sst)


def quadratic_blowup(incoming: Path) -> list[Path]:
    sst = shared_strings_xml("&a;" * 40_000, prolog=f'<!DOCTYPE sst [<!ENTITY a "{"a" * 40_000}">]>')
    return _with_shared_strings(incoming, "quadratic.xlsx", sst)


def xxe(incoming: Path) -> list[Path]:
    sst = shared_strings_xml("&xxe;", prolog='<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    return _with_shared_strings(incoming, "xxe.xlsx", sst)


def xxe_behind_comments(incoming: Path) -> list[Path]:
    """The DTD hidden behind 300 KB of comments, past a sniffer that reads only the first 4 KB."""
    prolog = "<!-- padding -->" * 20_000 + '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>'
    return _with_shared_strings(incoming, "xxe_hidden.xlsx", shared_strings_xml("&xxe;", prolog=prolog))


@functools.cache
def _zip_bomb_bytes() -> bytes:
    """3 million identical rows (about 200 MB of XML) in a file of a few hundred KB."""
    unit = '<row><c t="inlineStr"><is><t>Hỗ trợ máy sao chè</t></is></c></row>'.encode()
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_MAIN}"><sheetData>'.encode()
    return streamed_xlsx(b"", "xl/worksheets/sheet1.xml", head, unit, 3_000_000, b"</sheetData></worksheet>")


def zip_bomb(incoming: Path) -> list[Path]:
    return _write(incoming, "bom.xlsx", _zip_bomb_bytes())


@functools.cache
def _huge_cell_bytes() -> bytes:
    """One shared string of 400 MB, compressed to well under a megabyte."""
    sheet = sheet_xml(table_rows([[1, Raw('<c r="{ref}" t="s"><v>0</v></c>'), "Cơ sở", "KCĐP", 2, 1, 1]]))
    head = f'<?xml version="1.0"?><sst xmlns="{_MAIN}" count="1" uniqueCount="1"><si><t>'.encode()
    return streamed_xlsx(
        sheet.encode(), "xl/sharedStrings.xml", head, b"A" * 1000, 400_000, b"</t></si></sst>"
    )


def huge_cell(incoming: Path) -> list[Path]:
    return _write(incoming, "o_400MB.xlsx", _huge_cell_bytes())


def big_cell_under_guards(incoming: Path) -> list[Path]:
    """A 3.5 MB cell: below the zip guards (the part under their ratio floor), far above Excel's limit."""
    rows = table_rows([[1, "B" * 3_500_000, "Cơ sở", "KCĐP", 2, 1, 1]])
    return [raw_xlsx(hostile_path(incoming, "o_3MB.xlsx"), [("Sheet1", sheet_xml(rows))])]


def sparse(incoming: Path) -> list[Path]:
    rows = table_rows(projects(2))
    tail_cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    xml = sheet_xml(rows).replace("</sheetData>", tail_cell + "</sheetData>")
    return [raw_xlsx(hostile_path(incoming, "thua.xlsx"), [("Sheet1", xml)])]


def duplicate_part(incoming: Path) -> list[Path]:
    """The sheet's part twice in the zip: a far cell in the first copy, a plain table in the second.
    Readers disagree on which copy counts, so the guards could check one and the parser read the other."""
    rows = table_rows(projects(2))
    tail_cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    far = sheet_xml(rows).replace("</sheetData>", tail_cell + "</sheetData>")
    path = raw_xlsx(hostile_path(incoming, "hai_ban.xlsx"), [("Sheet1", sheet_xml(rows))])
    with zipfile.ZipFile(path) as archive:
        parts = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": the point of the file
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                archive.writestr(name, far.encode())
            archive.writestr(name, data)
    return [path]


def formatted_far_cell(incoming: Path) -> list[Path]:
    """An empty but formatted cell at XFD1048576 (Ctrl+End, then a border): no value, no huge grid."""
    tail_cell = '<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    xml = sheet_xml(table_rows(projects(2))).replace("</sheetData>", tail_cell + "</sheetData>")
    return [raw_xlsx(hostile_path(incoming, "o_xa_dinh_dang.xlsx"), [("Sheet1", xml)])]


def sparse_without_references(incoming: Path) -> list[Path]:
    """The same far corner reached by cells that give no ``r`` (16,384 of them in the last row), so
    only the sandbox's memory limit can stop the 17-billion-cell grid."""
    rows = table_rows(projects(2))
    far_row = '<row r="1048576">' + "<c><v>1</v></c>" * 16_384 + "</row>"
    xml = sheet_xml(rows).replace("</sheetData>", far_row + "</sheetData>")
    return [raw_xlsx(hostile_path(incoming, "thua_khong_r.xlsx"), [("Sheet1", xml)])]


def too_many_parts(incoming: Path) -> list[Path]:
    path = plain(incoming, "nhieu_phan.xlsx")
    rewrite_zip(path, add={f"customXml/item{i}.xml": b"<x/>" for i in range(2_500)})
    return [path]


def wrong_dimension(declared: str) -> Callable[[Path], list[Path]]:
    def build(incoming: Path) -> list[Path]:
        xml = sheet_xml(table_rows(projects(4)), dimension=declared)
        return [
            raw_xlsx(
                hostile_path(incoming, f"dimension_{declared.replace(':', '_')}.xlsx"), [("Sheet1", xml)]
            )
        ]

    return build


def hidden_sheets(incoming: Path) -> list[Path]:
    sheets = [
        table_sheet(projects(2)),
        table_sheet(projects(3, 10, "ẩn "), name="An", state="hidden"),
        table_sheet(projects(3, 20, "rất ẩn "), name="RatAn", state="veryHidden"),
    ]
    return [write_workbook(hostile_path(incoming, "an.xlsx"), sheets)]


def table_only_hidden(incoming: Path) -> list[Path]:
    sheets = [Sheet("Trang1", [["Xem sheet khác"]]), table_sheet(projects(3), name="DuLieu", state="hidden")]
    return [write_workbook(hostile_path(incoming, "chi_an.xlsx"), sheets)]


def empty_sheets(incoming: Path) -> list[Path]:
    sheets = [Sheet("Trong1"), table_sheet(projects(3)), Sheet("Trong2"), Sheet("Trong3", [[None], [""]])]
    return [write_workbook(hostile_path(incoming, "trang.xlsx"), sheets)]


def only_empty_sheets(incoming: Path) -> list[Path]:
    return [write_workbook(hostile_path(incoming, "rong.xlsx"), [Sheet("Sheet1"), Sheet("Sheet2")])]


def merged_cells(incoming: Path) -> list[Path]:
    """A two-row header with a merged group over the amounts, and a beneficiary merged over two rows."""
    header_top = ["STT", "Tên đề án", "Đơn vị thụ hưởng", "Nguồn kinh phí", "Kinh phí (đồng)", None, None]
    header_low = [None, None, None, None, "Tổng số", "KC hỗ trợ", "Đối ứng"]
    data = [
        [1, f"{MACHINE} số 1", "HTX chè Tân Cương", "KCĐP", 200_000_000, 100_000_000, 100_000_000],
        [2, f"{MACHINE} số 2", None, "KCĐP", 240_000_000, 120_000_000, 120_000_000],
        [3, f"{MACHINE} số 3", "Cơ sở chè số 3", "KCĐP", 260_000_000, 130_000_000, 130_000_000],
    ]
    rows = [[TITLE], ["DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021"], header_top, header_low, *data]
    merges = ["A1:G1", "A2:G2", "E3:G3", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "C5:C6"]
    return [write_workbook(hostile_path(incoming, "gop_o.xlsx"), [Sheet("Sheet1", rows, merges)])]


def header_drift_reordered(incoming: Path) -> list[Path]:
    header = [
        "Kinh phí khuyến công hỗ trợ",
        "Tên đề án",
        "Ghi chú nội bộ",
        "STT",
        "Kinh phí đối ứng",
        "Đơn vị thụ hưởng",
        "Cột thêm 2021",
        "Nguồn kinh phí",
        "Tổng kinh phí",
    ]
    data = [[p[5], p[1], "ghi chú", p[0], p[6], p[2], "x", p[3], p[4]] for p in projects(3)]
    sheet = table_sheet(data, header=header)
    return [write_workbook(hostile_path(incoming, "dao_cot.xlsx"), [sheet])]


def header_drift_nfd_spaces(incoming: Path) -> list[Path]:
    header = [unicodedata.normalize("NFD", h) + "  " for h in HEADER]
    header[1] = "  " + unicodedata.normalize("NFD", "Tên\nđề án") + " \t"
    return [
        write_workbook(hostile_path(incoming, "tieu_de_nfd.xlsx"), [table_sheet(projects(3), header=header)])
    ]


def subtotals(incoming: Path) -> list[Path]:
    a, b, c = projects(3)
    data = [
        ["I", "KHUYẾN CÔNG ĐỊA PHƯƠNG"],
        a,
        b,
        [None, "Cộng I", None, None, a[4] + b[4], a[5] + b[5], a[6] + b[6]],
        ["II", "KHUYẾN CÔNG ĐỊA PHƯƠNG (bổ sung)"],
        c,
        [None, "Cộng II", None, None, c[4], c[5], c[6]],
        [None, "Tổng cộng", None, None, a[4] + b[4] + c[4], a[5] + b[5] + c[5], a[6] + b[6] + c[6]],
    ]
    return [write_workbook(hostile_path(incoming, "cong.xlsx"), [table_sheet(data)])]


def error_cells(incoming: Path) -> list[Path]:
    rows = projects(5)
    for r, error in zip(rows[1:4], ("#REF!", "#N/A", "#DIV/0!"), strict=True):
        r[5] = Raw(f'<c r="{{ref}}" t="e"><v>{error}</v></c>')
    return [raw_xlsx(hostile_path(incoming, "loi_o.xlsx"), [("Sheet1", sheet_xml(table_rows(rows)))])]


def formulas_without_values(incoming: Path) -> list[Path]:
    rows = projects(4)
    for i, r in enumerate(rows[2:], start=7):  # data starts on row 5
        r[4] = Raw(f'<c r="{{ref}}"><f>F{i}+G{i}</f></c>')  # never calculated: no cached value
    return [raw_xlsx(hostile_path(incoming, "cong_thuc.xlsx"), [("Sheet1", sheet_xml(table_rows(rows)))])]


VI_NUMBERS = [
    ("1.234.567.000", 1_234_567_000),
    ("150 triệu", 150_000_000),
    ("1,5 tỷ", 1_500_000_000),
    ("200.000.000đ", 200_000_000),
    ("1\u00a0234\u00a0567", 1_234_567),
    ("98.765.432 VNĐ", 98_765_432),
]


def vietnamese_numbers(incoming: Path) -> list[Path]:
    data = [
        row(i, f"{MACHINE} số {i}", None, text_, 10_000_000, None, "KCĐP", f"Cơ sở {i}")
        for i, (text_, _) in enumerate(VI_NUMBERS, start=1)
    ]
    return [write_workbook(hostile_path(incoming, "so_viet.xlsx"), [table_sheet(data)])]


def _supports(conn: Connection, ctx: Context, name: str) -> list[int]:
    return list(
        conn.execute(
            text(
                "SELECT support_vnd FROM core_projects WHERE source_file_id = :f AND valid_to IS NULL "
                "ORDER BY source_row"
            ),
            {"f": ctx.file_ids[name]},
        ).scalars()
    )


def check_vietnamese_numbers(conn: Connection, ctx: Context) -> None:
    assert _supports(conn, ctx, "so_viet.xlsx") == [v for _, v in VI_NUMBERS]


AMBIGUOUS = ["1.500", "1,500", "1.5", "2.500,5", "1,234,567"]


def ambiguous_numbers(incoming: Path) -> list[Path]:
    header = list(HEADER)
    header[5] = "Kinh phí khuyến công hỗ trợ (triệu đồng)"
    header[6] = "Kinh phí đối ứng (đồng)"
    data = [
        row(i, f"{MACHINE} số {i}", None, v, 50_000_000, None, "KCĐP", f"Cơ sở {i}")
        for i, v in enumerate(AMBIGUOUS, 1)
    ]
    sheet = table_sheet(data, header=header, titles=(TITLE, "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021"))
    return [write_workbook(hostile_path(incoming, "so_mo_ho.xlsx"), [sheet])]


def _with_period(
    values: Sequence[Any], name: str, number_format: str | None = None
) -> Callable[[Path], list[Path]]:
    def build(incoming: Path) -> list[Path]:
        path = hostile_path(incoming, name)
        book = openpyxl.Workbook()
        ws = book.active
        for t in (TITLE, "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021", "Đơn vị tính: đồng"):
            ws.append([t])
        ws.append([*HEADER, "Thời gian thực hiện"])
        for i, value in enumerate(values, start=1):
            ws.append([*project(i, f"{MACHINE} số {i}"), value])
            if number_format:
                ws.cell(row=ws.max_row, column=len(HEADER) + 1).number_format = number_format
        book.save(path)
        return [path]

    return build


VI_DATES = [
    "15/03/2021",
    "Quý III/2021",
    "2021-2022",
    "05/06/2021",
    "31/02/2021",
    "03/15/2021",
    "tháng 13/2021",
]
SERIALS = [0, 60, 44_197, 2_958_466, -1]


def nfd_text(incoming: Path) -> list[Path]:
    data = [
        project(
            i,
            unicodedata.normalize("NFD", f"{MACHINE} Hùng Sơn số {i}"),
            beneficiary=unicodedata.normalize("NFD", f"Hợp tác xã Đồng Hỷ {i}"),
        )
        for i in (1, 2)
    ]
    return [write_workbook(hostile_path(incoming, "nfd.xlsx"), [table_sheet(data)])]


def check_nfc(conn: Connection, ctx: Context) -> None:
    titles = conn.execute(
        text("SELECT title || '|' || beneficiary FROM core_projects WHERE source_file_id = :f"),
        {"f": ctx.file_ids["nfd.xlsx"]},
    ).scalars()
    for value in titles:
        assert unicodedata.is_normalized("NFC", value) and "Hùng Sơn" in value and "Đồng Hỷ" in value


def legacy_text(encoding: Literal["tcvn3", "vni"], font: str) -> Callable[[Path], list[Path]]:
    def build(incoming: Path) -> list[Path]:
        data = [
            project(
                i,
                encode(f"Đào tạo nghề mây tre đan xã Hùng Sơn {i}", encoding),
                trainees=20,
                beneficiary=encode(f"Hợp tác xã Bình Minh {i}", encoding),
            )
            for i in (1, 2)
        ]
        fonts = {f"{col}{r}": font for r in (5, 6) for col in "BC"}
        name = f"{encoding}.xlsx"
        return [write_workbook(hostile_path(incoming, name), [table_sheet(data, fonts=fonts)])]

    return build


def check_legacy(name: str) -> Check:
    def check(conn: Connection, ctx: Context) -> None:
        found = conn.execute(
            text(
                "SELECT title, beneficiary FROM core_projects WHERE source_file_id = :f ORDER BY source_row"
            ),
            {"f": ctx.file_ids[name]},
        ).all()
        assert [tuple(r) for r in found] == [
            (f"Đào tạo nghề mây tre đan xã Hùng Sơn {i}", f"Hợp tác xã Bình Minh {i}") for i in (1, 2)
        ]

    return check


def control_characters(incoming: Path) -> list[Path]:
    """Raw tabs and newlines, and Excel's escapes for characters XML cannot hold (``_x000B_``)."""
    sst = shared_strings_xml("Hỗ trợ máy_x000B_ sao chè_x0007_ Hùng\tSơn\nsố 1", "Cơ sở_x001F_ chè_x0000_ A")
    rows = projects(2)
    rows[0][1] = Raw('<c r="{ref}" t="s"><v>0</v></c>')
    rows[0][2] = Raw('<c r="{ref}" t="s"><v>1</v></c>')
    return [
        raw_xlsx(
            hostile_path(incoming, "dieu_khien.xlsx"),
            [("Sheet1", sheet_xml(table_rows(rows)))],
            shared_strings=sst,
        )
    ]


def check_no_control_characters(conn: Connection, ctx: Context) -> None:
    values = conn.execute(
        text("SELECT title, beneficiary FROM core_projects WHERE source_file_id = :f ORDER BY source_row"),
        {"f": ctx.file_ids["dieu_khien.xlsx"]},
    ).all()
    for value in (v for r in values for v in r):
        assert value.isprintable(), repr(value)
    assert values[0][0].startswith("Hỗ trợ máy sao chè") and "Hùng Sơn số 1" in values[0][0]


FORMULA_LIKE = ['=HYPERLINK("http://evil.example","Bấm vào")', "+84 912 345 678", "-1 dự án", "@SUM(A1:A9)"]


def formula_like_text(incoming: Path) -> list[Path]:
    data = [
        project(i, f"{MACHINE} số {i}", beneficiary=text_) for i, text_ in enumerate(FORMULA_LIKE, start=1)
    ]
    return [raw_xlsx(hostile_path(incoming, "cong_thuc_gia.xlsx"), [("Sheet1", sheet_xml(table_rows(data)))])]


def check_formula_like(conn: Connection, ctx: Context) -> None:
    found = conn.execute(
        text("SELECT beneficiary FROM core_projects WHERE source_file_id = :f ORDER BY source_row"),
        {"f": ctx.file_ids["cong_thuc_gia.xlsx"]},
    ).scalars()
    assert list(found) == FORMULA_LIKE  # stored as the text it is; never evaluated


def codes_as_numbers(incoming: Path) -> list[Path]:
    """Project codes typed as numbers and shown as "001" by a number format."""
    path = hostile_path(incoming, "ma_so.xlsx")
    book = openpyxl.Workbook()
    ws = book.active
    for t in (TITLE, "DANH MỤC ĐỀ ÁN KHUYẾN CÔNG NĂM 2021", "Đơn vị tính: đồng"):
        ws.append([t])
    ws.append(["Mã đề án", *HEADER])
    for i, p in enumerate(projects(3), start=1):
        ws.append([i, *p])
        ws.cell(row=ws.max_row, column=1).number_format = "000"
    book.save(path)
    return [path]


def check_codes(conn: Connection, ctx: Context) -> None:
    codes = conn.execute(
        text("SELECT project_code FROM core_projects WHERE source_file_id = :f ORDER BY source_row"),
        {"f": ctx.file_ids["ma_so.xlsx"]},
    ).scalars()
    assert list(codes) == ["1", "2", "3"]  # the number the cell holds, as text, the same on every read


def coded(rows: Sequence[Sequence[Any]], codes: Sequence[str]) -> list[list[Any]]:
    return [[code, *r] for code, r in zip(codes, rows, strict=True)]


CODED_HEADER = ["Mã đề án", *HEADER]


def duplicate_codes(incoming: Path) -> list[Path]:
    data = coded(projects(4), ["KC-01", "KC-02", "KC-02", "KC-03"])
    return [write_workbook(hostile_path(incoming, "trung_ma.xlsx"), [table_sheet(data, header=CODED_HEADER)])]


def same_code_two_units(incoming: Path) -> list[Path]:
    data = coded(projects(2), ["KC-01", "KC-02"])
    return [write_workbook(hostile_path(incoming, "ma_chung.xlsx"), [table_sheet(data, header=CODED_HEADER)])]


def check_same_code_two_units(conn: Connection, ctx: Context) -> None:
    found = conn.execute(
        text(
            "SELECT unit_code, project_key FROM core_projects "
            "WHERE project_code = 'KC-01' AND valid_to IS NULL"
        )
    ).all()
    assert sorted(r.unit_code for r in found) == ["167", "171"] and len({r.project_key for r in found}) == 2


V1 = [
    project(1, f"{MACHINE} A", 100_000_000),
    project(2, f"{MACHINE} B", 120_000_000),
    project(3, f"{TRAINING} C", 50_000_000, trainees=30),
]
V2 = [
    project(1, f"{MACHINE} A", 110_000_000),
    project(2, f"{MACHINE} B", 120_000_000),
    project(4, f"{MACHINE} D", 90_000_000),
]


def _set_mtime(path: Path, when: float) -> None:
    os.utime(path, (when, when))


def resubmission_before(incoming: Path) -> None:
    _set_mtime(plain(incoming, "ke_hoach.xlsx", V1), 1_630_000_000)


def resubmission(incoming: Path) -> list[Path]:
    (incoming / HOSTILE_DIR / "ke_hoach.xlsx").unlink()
    return [plain(incoming, "ke_hoach_sua.xlsx", V2)]


def check_resubmission(conn: Connection, ctx: Context) -> None:
    statuses = dict(
        conn.execute(text("SELECT path, status FROM core_source_files WHERE unit_code = '171'")).all()
    )
    assert statuses == {
        f"{HOSTILE_DIR}/ke_hoach.xlsx": "superseded",
        f"{HOSTILE_DIR}/ke_hoach_sua.xlsx": "loaded",
    }
    history = conn.execute(
        text(
            "SELECT title, support_vnd, valid_to IS NULL FROM core_projects "
            "WHERE unit_code = '171' ORDER BY id"
        )
    ).all()
    current = sorted((t, s) for t, s, is_current in history if is_current)
    assert current == sorted((p[1], p[5]) for p in V2)
    closed = sorted((t, s) for t, s, is_current in history if not is_current)
    assert closed == [(f"{MACHINE} A", 100_000_000), (f"{TRAINING} C", 50_000_000)]  # closed, never deleted


def late_version_before(incoming: Path) -> None:
    _set_mtime(plain(incoming, "ke_hoach_moi.xlsx", V2), 1_640_000_000)


def late_older_beside(incoming: Path) -> list[Path]:
    path = plain(incoming, "ke_hoach_cu.xlsx", V1)
    _set_mtime(path, 1_630_000_000)  # older than the file already loaded, arriving after it
    return [path]


def check_late_beside(conn: Connection, ctx: Context) -> None:
    quarantined = conn.execute(
        text("SELECT reasons FROM core_quarantined_rows WHERE unit_code = '171'")
    ).scalars()
    assert all("project_key_conflict" in r for r in quarantined)
    rows = conn.execute(text("SELECT count(*) FROM core_projects WHERE unit_code = '171'")).scalar_one()
    assert rows >= len(V2)  # every version loaded before is still there (current or closed)


def late_older_replacing(incoming: Path) -> list[Path]:
    (incoming / HOSTILE_DIR / "ke_hoach_moi.xlsx").unlink()
    path = plain(incoming, "ke_hoach_moi.xlsx", V1)  # a late sync puts the old copy back under the name
    _set_mtime(path, 1_630_000_000)
    return [path]


def check_late_replacing(conn: Connection, ctx: Context) -> None:
    history = conn.execute(
        text("SELECT title, support_vnd, valid_to IS NULL FROM core_projects WHERE unit_code = '171'")
    ).all()
    assert sorted((t, s) for t, s, c in history if c) == sorted((p[1], p[5]) for p in V1)
    assert (f"{MACHINE} D", 90_000_000, False) in [tuple(r) for r in history]  # the newer rows closed, kept
    files = conn.execute(text("SELECT status FROM core_source_files WHERE unit_code = '171'")).scalars()
    assert sorted(files) == ["loaded", "superseded"]


def still_copying_before(incoming: Path) -> None:
    full = plain(incoming, "dang_chep.xlsx", projects(5))
    truncate(full, fraction=0.5)  # the first run sees the copy half done


def copy_completed(incoming: Path) -> list[Path]:
    (incoming / HOSTILE_DIR / "dang_chep.xlsx").unlink()
    return [plain(incoming, "dang_chep.xlsx", projects(5))]


def check_copy_completed(conn: Connection, ctx: Context) -> None:
    statuses = conn.execute(
        text("SELECT status, rows_read FROM core_source_files WHERE unit_code = '171' ORDER BY rows_read")
    ).all()
    assert [tuple(r) for r in statuses] == [("superseded", 0), ("loaded", 9)]  # the half copy is history


def twin_names(incoming: Path) -> list[Path]:
    data = _plain_bytes(3)
    names = [unicodedata.normalize(form, "báo cáo đề án.xlsx") for form in ("NFC", "NFD")]
    assert names[0] != names[1]
    return [p for name in names for p in _write(incoming, name, data)]


def check_twins(conn: Connection, ctx: Context) -> None:
    ids = set(ctx.file_ids.values())
    assert len(ids) == 1
    recorded = conn.execute(
        text("SELECT count(*) FROM core_source_files WHERE file_id = :f"), {"f": ids.pop()}
    )
    assert recorded.scalar_one() == 1


def symlink_out(incoming: Path) -> list[Path]:
    outside = incoming.parent / "outside" / "secret.xlsx"
    outside.parent.mkdir(parents=True, exist_ok=True)
    outside.write_bytes(_plain_bytes(3))
    link = hostile_path(incoming, "lien_ket.xlsx")
    link.symlink_to(outside)
    return [link]


def fifo(incoming: Path) -> list[Path]:
    path = hostile_path(incoming, "ong.xlsx")
    os.mkfifo(path)  # a reader that opens it would wait for a writer forever
    return [path]


def lock_and_temp_files(incoming: Path) -> list[Path]:
    made = []
    for name in (
        "~$ke_hoach.xlsx",
        ".~lock.ke_hoach.xlsx#",
        "ke_hoach.xlsx.tmp",
        "ke_hoach.xlsx.part",
        ".an.xlsx",
    ):
        made += _write(incoming, name, b"\x00garbage" * 10)
    return made


def directory_named_xlsx(incoming: Path) -> list[Path]:
    path = hostile_path(incoming, "thu_muc.xlsx")
    path.mkdir()
    (path / "inside.xlsx").write_bytes(_plain_bytes(3))
    return [path]


def file_outside_units(incoming: Path) -> list[Path]:
    """Files where no unit-year folder is: the root, an unknown unit, a year that is no year."""
    made = []
    for where in ("", "2021", "2021/khong-co-don-vi", "nam-2021/dai-tu", "2021/dai-tu/con"):
        path = incoming / where / "lac.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_plain_bytes(3))
        made.append(path)
    return made


def xlsb(incoming: Path) -> list[Path]:
    path = plain(incoming, "nhi_phan.xlsx")
    rewrite_zip(path, drop=["xl/workbook.xml"], add={"xl/workbook.bin": b"\x83\x01\x00"})
    return [path]


def ods(incoming: Path) -> list[Path]:
    path = hostile_path(incoming, "libre.xlsx")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return [path]


def traversal_entry(incoming: Path) -> list[Path]:
    path = plain(incoming, "duong_dan.xlsx")
    rewrite_zip(path, add={"../../../../tmp/kc_pwned.txt": b"pwned", "/etc/kc_pwned": b"pwned"})
    return [path]


def check_nothing_extracted(conn: Connection, ctx: Context) -> None:
    assert not Path("/tmp/kc_pwned.txt").exists() and not Path("/etc/kc_pwned").exists()


def macro_workbook(incoming: Path) -> list[Path]:
    path = write(hostile_path(incoming, "macro.xlsm"), projects(3), title=TITLE)

    def macro_type(xml: bytes) -> bytes:
        main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
        return xml.replace(main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
            b"</Types>",
            b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
        )

    rewrite_zip(
        path, replace={"[Content_Types].xml": macro_type}, add={"xl/vbaProject.bin": ole2_file(["VBA"])}
    )
    return [path]


def header_only(incoming: Path) -> list[Path]:
    return [write_workbook(hostile_path(incoming, "chi_tieu_de.xlsx"), [table_sheet([])])]


def absurd_amounts(incoming: Path) -> list[Path]:
    rows = projects(5)
    rows[1][5] = 1e20
    rows[2][5] = -50_000_000
    rows[3][5] = "vô cùng"
    return [write_workbook(hostile_path(incoming, "so_la.xlsx"), [table_sheet(rows)])]


def dangling_shared_string(incoming: Path) -> list[Path]:
    rows = projects(3)
    rows[1][1] = Raw('<c r="{ref}" t="s"><v>999999</v></c>')
    sst = shared_strings_xml("only one")
    return [
        raw_xlsx(
            hostile_path(incoming, "sst_thieu.xlsx"),
            [("Sheet1", sheet_xml(table_rows(rows)))],
            shared_strings=sst,
        )
    ]


def missing_sheet_part(incoming: Path) -> list[Path]:
    path = plain(incoming, "thieu_sheet.xlsx")
    rewrite_zip(path, drop=["xl/worksheets/sheet1.xml"])
    return [path]


def invalid_utf8(incoming: Path) -> list[Path]:
    xml = sheet_xml(table_rows(projects(3))).encode().replace("Cơ sở chè số 2".encode(), b"C\xff\xfe s\xc0")
    return [raw_xlsx(hostile_path(incoming, "utf8_hong.xlsx"), [("Sheet1", xml)])]


def deep_nesting(incoming: Path) -> list[Path]:
    tail = "<extLst>" + "<ext>" * 100_000 + "</ext>" * 100_000 + "</extLst>"
    xml = sheet_xml(table_rows(projects(3)), tail=tail)
    return [raw_xlsx(hostile_path(incoming, "long_sau.xlsx"), [("Sheet1", xml)])]


def declared_size_lie(incoming: Path) -> list[Path]:
    """The zip directory claims the sheet inflates to 4 GiB."""
    path = plain(incoming, "kich_thuoc_gia.xlsx")
    return [declare_entry_size(path, "xl/worksheets/sheet1.xml", 0xFFFF_FFF0)]


def bidi_and_invisible(incoming: Path) -> list[Path]:
    title = f"{MACHINE} \u202eXÁC NHẬN\u202c số 1\u200b"
    return [write_workbook(hostile_path(incoming, "an_ky_tu.xlsx"), [table_sheet([project(1, title)])])]


def real_xlsx_named_xls(incoming: Path) -> list[Path]:
    return _write(incoming, "that_ra_xlsx.xls", _plain_bytes(3))


def many_sheets(incoming: Path) -> list[Path]:
    sheets = [table_sheet(projects(1, i, f"sheet {i} "), name=f"S{i}") for i in range(1, 121)]
    return [write_workbook(hostile_path(incoming, "nhieu_sheet.xlsx"), sheets)]


# ------------------------------------------------------------------------------------------ corpus


def rejected(name: str, build: Callable[[Path], list[Path]], reason: str, lost: str) -> Hostile:
    return Hostile(name, build, "rejected", lost, reason=reason)


def loaded(name: str, build: Callable[[Path], list[Path]], rows: int, lost: str, **kw: Any) -> Hostile:
    return Hostile(name, build, "loaded", lost, loaded_rows=rows, **kw)


def partly(
    name: str, build: Callable[[Path], list[Path]], rows: int | None, bad: int | None, lost: str, **kw: Any
) -> Hostile:
    return Hostile(name, build, "partly_quarantined", lost, loaded_rows=rows, quarantined_rows=bad, **kw)


def ignored(name: str, build: Callable[[Path], list[Path]], lost: str) -> Hostile:
    return Hostile(name, build, "ignored", lost)


REFUSED_UNREAD = "refused from the zip directory, never inflated"
ENTITIES = "entity expansion or fetching refused before any XML parser runs"
CORPUS: list[Hostile] = [
    # -- not a workbook, or not yet one
    rejected("empty_file", empty_file, "empty_file", "recorded as rejected with its reason"),
    rejected("truncated_half", truncated(0.5), "truncated_file", "rejected, not half-read"),
    rejected("truncated_directory_missing", truncated(0.98), "truncated_file", "the zip directory missing"),
    rejected("encrypted_workbook", encrypted, "encrypted_workbook", "told to save it without a password"),
    rejected(
        "encrypted_malformed_sizes",
        encrypted_malformed,
        "encrypted_workbook",
        "absurd OLE2 sizes are never parsed, so nothing is allocated from them",
    ),
    rejected("legacy_xls", legacy_xls, "legacy_xls", "an Excel 97-2003 file: told to save as .xlsx"),
    rejected("csv_renamed", csv_renamed, "csv_renamed", "rejected as CSV, not parsed"),
    rejected("html_renamed", html_renamed, "html_renamed", "rejected as HTML, not parsed"),
    rejected("xlsb_renamed", xlsb, "xlsb_unsupported", "a binary workbook: rejected with its reason"),
    rejected("ods_renamed", ods, "ods_unsupported", "an OpenDocument file: rejected with its reason"),
    rejected(
        "corrupt_zip_entry",
        corrupt_entry,
        "corrupt_zip_entry",
        "a damaged sheet is rejected whole (checksum), never read as garbage rows",
    ),
    rejected(
        "dangling_shared_string",
        dangling_shared_string,
        "unreadable_sheet",
        "a cell pointing at a missing shared string: rejected, not read as blank",
    ),
    rejected("missing_sheet_part", missing_sheet_part, "corrupt_zip_entry", "a listed sheet that is missing"),
    rejected(
        "invalid_utf8", invalid_utf8, "unreadable_sheet", "bytes that are no UTF-8: rejected, not mojibake"
    ),
    # -- XML and zip attacks
    rejected("billion_laughs", billion_laughs, "xml_entities", ENTITIES),
    rejected("quadratic_blowup", quadratic_blowup, "xml_entities", ENTITIES),
    rejected("xxe_external_entity", xxe, "xml_entities", ENTITIES),
    rejected("xxe_behind_300kb_of_comments", xxe_behind_comments, "xml_entities", ENTITIES),
    rejected("zip_bomb_millions_of_rows", zip_bomb, "zip_bomb", REFUSED_UNREAD),
    rejected("cell_of_400_mb", huge_cell, "zip_bomb", REFUSED_UNREAD),
    rejected("declared_size_4_gib", declared_size_lie, "zip_bomb", REFUSED_UNREAD),
    rejected("too_many_zip_parts", too_many_parts, "zip_bomb", REFUSED_UNREAD),
    rejected(
        "duplicate_zip_part",
        duplicate_part,
        "duplicate_zip_entry",
        "a part named twice is ambiguous (readers disagree on which copy counts): refused unread",
    ),
    rejected(
        "cell_of_3_mb_under_the_zip_guards",
        big_cell_under_guards,
        "cell_too_large",
        "a cell above Excel's 32,767 characters: rejected, not stored",
    ),
    rejected(
        "sparse_a1_and_xfd1048576",
        sparse,
        "sheet_too_large",
        "a 17-billion-cell grid refused before allocation, naming the far cell",
    ),
    loaded(
        "formatted_empty_cell_at_xfd1048576",
        formatted_far_cell,
        2,
        "a formatted but empty far cell holds no value: the table loads, no false rejection",
    ),
    rejected(
        "sparse_without_cell_references",
        sparse_without_references,
        "too_much_memory",
        "the reader process dies on a 512 GiB allocation; only this file is lost to the run",
    ),
    loaded("deeply_nested_xml", deep_nesting, 3, "100,000 nested elements after the data: read normally"),
    loaded(
        "zip_entry_path_traversal",
        traversal_entry,
        3,
        "parts named ../../tmp/... are never extracted",
        check=check_nothing_extracted,
    ),
    loaded("macro_enabled_workbook", macro_workbook, 3, "macros are never run; the table is read"),
    # -- structure
    loaded("dimension_smaller_than_data", wrong_dimension("A1:B2"), 4, "the declared dimension is ignored"),
    loaded("dimension_a1_xfd1048576", wrong_dimension("A1:XFD1048576"), 4, "no grid built from a dimension"),
    loaded(
        "hidden_and_very_hidden_sheets",
        hidden_sheets,
        2,
        "only the visible table loads; the hidden sheets are named in an INFO issue",
    ),
    rejected("table_only_in_a_hidden_sheet", table_only_hidden, "no_table", "nothing visible: rejected"),
    loaded("empty_sheets_around_the_table", empty_sheets, 3, "empty sheets skipped"),
    rejected("only_empty_sheets", only_empty_sheets, "no_table", "no table: rejected"),
    loaded("header_only", header_only, 0, "a table with no projects: recorded with 0 rows"),
    loaded(
        "merged_header_and_data_cells",
        merged_cells,
        3,
        "a two-row merged header mapped; a merged beneficiary filled down",
    ),
    loaded(
        "header_drift_reordered_and_extra",
        header_drift_reordered,
        3,
        "columns found by name wherever they are; unknown ones listed",
    ),
    loaded(
        "header_drift_nfd_and_spaces",
        header_drift_nfd_spaces,
        3,
        "NFD headings with stray spaces and line breaks still match",
    ),
    loaded("subtotal_rows_mid_table", subtotals, 3, "section and subtotal rows ignored by named rules"),
    loaded("many_sheets", many_sheets, 120, "120 sheets, one project each: all read"),
    # -- cells
    partly(
        "error_cells_ref_na_div0",
        error_cells,
        2,
        3,
        "rows whose amount is #REF!, #N/A or #DIV/0! quarantined with the error; the others load",
    ),
    partly(
        "formulas_without_cached_values",
        formulas_without_values,
        2,
        2,
        "rows whose total was never calculated are quarantined, not loaded as 0",
    ),
    loaded(
        "vietnamese_number_forms",
        vietnamese_numbers,
        len(VI_NUMBERS),
        "every written amount becomes the exact number of đồng",
        check=check_vietnamese_numbers,
    ),
    partly(
        "ambiguous_numbers",
        ambiguous_numbers,
        4,
        1,
        "'1.500' and '1,500' read the Vietnamese way and warned with the other reading; an amount that "
        "is impossible either way (1,234,567 triệu) quarantined",
    ),
    loaded(
        "vietnamese_dates",
        _with_period(VI_DATES, "ngay_thang.xlsx"),
        len(VI_DATES),
        "every project loads; a period that is no date is kept as written, with a warning",
    ),
    loaded(
        "excel_serial_dates_0_60_out_of_range",
        _with_period(SERIALS, "serial.xlsx", "dd/mm/yyyy"),
        len(SERIALS),
        "every project loads; impossible serial dates are warned, never crash",
    ),
    loaded("nfd_text", nfd_text, 2, "text stored in NFC", check=check_nfc),
    loaded(
        "tcvn3_text",
        legacy_text("tcvn3", ".VnTime"),
        2,
        "TCVN3 text converted by its font",
        check=check_legacy("tcvn3.xlsx"),
    ),
    loaded(
        "vni_text",
        legacy_text("vni", "VNI-Times"),
        2,
        "VNI text converted by its font",
        check=check_legacy("vni.xlsx"),
    ),
    loaded(
        "control_characters",
        control_characters,
        2,
        "control characters (raw and _x000B_-escaped) dropped, the words kept",
        check=check_no_control_characters,
    ),
    loaded(
        "formula_like_text",
        formula_like_text,
        len(FORMULA_LIKE),
        "=, +, -, @ text stored as the text it is",
        check=check_formula_like,
    ),
    loaded(
        "bidi_and_zero_width_characters",
        bidi_and_invisible,
        1,
        "invisible and direction-changing characters kept as data (reports write values only)",
    ),
    partly(
        "absurd_amounts",
        absurd_amounts,
        2,
        3,
        "1e20, a negative and a word as amounts: those rows quarantined with reasons",
    ),
    loaded(
        "codes_stored_as_numbers",
        codes_as_numbers,
        3,
        "codes kept as the number's digits, stable",
        check=check_codes,
    ),
    partly(
        "duplicate_codes_in_one_file",
        duplicate_codes,
        2,
        2,
        "both rows with the same code quarantined naming each other; the rest load",
    ),
    loaded(
        "same_code_in_two_units",
        same_code_two_units,
        2,
        "codes are scoped to unit and year",
        good_rows=coded(GOOD_ROWS, ["KC-01", "KC-09"]),
        good_header=CODED_HEADER,
        check=check_same_code_two_units,
    ),
    # -- versions and names
    loaded(
        "resubmission",
        resubmission,
        3,
        "the new version supersedes the old; changed and vanished projects closed, never deleted",
        before=resubmission_before,
        check=check_resubmission,
    ),
    partly(
        "late_older_version_beside_the_new",
        late_older_beside,
        1,
        2,
        "projects in both current files quarantined naming each other, never silently overwritten; "
        "one only the old copy lists loads again (the folder is the truth); nothing deleted",
        before=late_version_before,
        check=check_late_beside,
    ),
    loaded(
        "late_older_version_replacing_the_new",
        late_older_replacing,
        3,
        "the folder is the truth: the old copy loads, the newer rows are closed and kept",
        before=late_version_before,
        check=check_late_replacing,
    ),
    loaded(
        "still_being_copied_then_complete",
        copy_completed,
        5,
        "rejected while half-copied, loaded once complete; the half copy recorded as superseded",
        before=still_copying_before,
        check=check_copy_completed,
    ),
    loaded(
        "nfc_nfd_twin_file_names",
        twin_names,
        3,
        "the same bytes under NFC and NFD names: read, loaded and recorded once",
        check=check_twins,
    ),
    loaded("real_xlsx_named_xls", real_xlsx_named_xls, 3, "the content decides, not the name"),
    # -- not submissions at all
    ignored("symlink_out_of_the_drop_folder", symlink_out, "a link to a file outside is not followed"),
    ignored("fifo_named_xlsx", fifo, "a named pipe is never opened (a reader would wait forever)"),
    ignored(
        "excel_lock_and_temporary_files", lock_and_temp_files, "lock and partial files are no submissions"
    ),
    ignored("directory_named_xlsx", directory_named_xlsx, "a folder is not a file; nothing inside is read"),
    ignored(
        "files_outside_unit_year_folders",
        file_outside_units,
        "files outside <year>/<unit>/ belong to no unit-year and are not read",
    ),
]
assert len({c.name for c in CORPUS}) == len(CORPUS)
