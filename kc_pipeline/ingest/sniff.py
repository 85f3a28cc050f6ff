"""Know what a file really is before any parser sees it, and refuse what would hurt us.

District offices send whatever Excel saved: real .xlsx, old .xls, password-protected workbooks
(which are OLE2 containers, not zips), CSV or HTML renamed to .xlsx, and files still being copied.
Each gets a specific reason here instead of a parser's ``BadZipFile``. For real zips the central
directory is checked against size and ratio limits, and no XML part may declare a DTD (entity
expansion and external entities are refused before any XML parser runs).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

import defusedxml  # noqa: F401  (imported so a missing install fails loudly here)
import openpyxl

# openpyxl parses through defusedxml when it is installed; refuse to run unprotected.
assert openpyxl.DEFUSEDXML, "defusedxml must be installed so openpyxl refuses XML entity attacks"

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
READABLE_TYPES = frozenset({"xlsx", "xlsm"})


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Limits a district workbook never comes near; a file beyond them is rejected unread."""

    max_file_bytes: int = 64 * 1024 * 1024
    max_entries: int = 2_000
    max_total_uncompressed: int = 256 * 1024 * 1024
    max_entry_uncompressed: int = 160 * 1024 * 1024
    max_ratio: float = 150.0  # uncompressed / compressed, for entries above ratio_floor
    ratio_floor: int = 4 * 1024 * 1024
    prolog_bytes: int = 4096
    max_prolog_bytes: int = 1024 * 1024  # comments and white space allowed before an XML root element
    # A sheet's cells are read into a dense grid from A1 to its last cell: a stray cell at XFD1048576
    # would make that 17 billion cells (python-calamine aborts the process trying to allocate them).
    max_sheet_cells: int = 5_000_000
    max_workbook_cells: int = 10_000_000
    max_cell_chars: int = 32_767  # Excel's own limit; a longer cell was not written by a spreadsheet


DEFAULT_LIMITS = ZipLimits()


class UnreadableWorkbook(Exception):
    """The file cannot be read as a workbook; ``code`` names the reason for people and tests."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sniff(data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> str:
    """Return the workbook type ("xlsx" or "xlsm") or raise :class:`UnreadableWorkbook`."""
    if not data:
        raise UnreadableWorkbook("empty_file", "the file is empty (0 bytes)")
    if len(data) > limits.max_file_bytes:
        raise UnreadableWorkbook(
            "file_too_large", f"the file is {len(data):,} bytes, above the limit of {limits.max_file_bytes:,}"
        )
    if data.startswith(OLE2_MAGIC):
        raise _ole2_reason(data)
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK"):
        return _check_zip(data, limits)
    raise _text_reason(data)


def _ole2_reason(data: bytes) -> UnreadableWorkbook:
    names = data.replace(b"\x00", b"")
    if b"EncryptedPackage" in names or b"EncryptionInfo" in names:
        return UnreadableWorkbook(
            "encrypted_workbook", "the workbook is password-protected; save it again without a password"
        )
    if b"Workbook" in names or b"Book" in names:
        return UnreadableWorkbook(
            "legacy_xls", "this is an old Excel 97-2003 (.xls) file; open it in Excel and save as .xlsx"
        )
    return UnreadableWorkbook(
        "ole2_not_workbook", "this is an OLE2 document (Word/Excel 97-2003), not a .xlsx"
    )


def _text_reason(data: bytes) -> UnreadableWorkbook:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode Text" is UTF-16 with a BOM
        data = data[:8192].decode("utf-16", errors="replace").encode("utf-8")
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<html" in head[:512]:
        return UnreadableWorkbook("html_renamed", "this is an HTML/XML page renamed to .xlsx, not a workbook")
    if b"\x00" not in head:
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("cp1258", errors="replace")
        if any(sep in text for sep in (",", ";", "\t")):
            return UnreadableWorkbook(
                "csv_renamed", "this is a CSV/text file renamed to .xlsx, not a workbook"
            )
        return UnreadableWorkbook("text_renamed", "this is a text file renamed to .xlsx, not a workbook")
    return UnreadableWorkbook("unknown_format", "the file is not a recognised workbook format")


def _check_zip(data: bytes, limits: ZipLimits) -> str:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise UnreadableWorkbook(
            "truncated_file",
            "the file is incomplete or damaged (no zip directory); was it still being copied?",
        ) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise UnreadableWorkbook(
                "zip_bomb", f"the workbook has {len(entries):,} parts, above {limits.max_entries:,}"
            )
        names = {e.filename for e in entries}
        if len(names) != len(entries):  # which copy counts differs between readers: Excel refuses it
            seen: set[str] = set()
            twice = next(e.filename for e in entries if e.filename in seen or seen.add(e.filename))
            raise UnreadableWorkbook(
                "duplicate_zip_entry",
                f"the part {twice} appears twice in the file, which Excel refuses to open; save it again",
            )
        total = 0
        for entry in entries:
            total += entry.file_size
            if entry.file_size > limits.max_entry_uncompressed or total > limits.max_total_uncompressed:
                raise UnreadableWorkbook(
                    "zip_bomb",
                    f"the workbook expands to more than {limits.max_total_uncompressed // 2**20} MiB",
                )
            if entry.file_size > limits.ratio_floor:
                ratio = entry.file_size / max(entry.compress_size, 1)
                if ratio > limits.max_ratio:
                    raise UnreadableWorkbook(
                        "zip_bomb",
                        f"part {entry.filename} expands {ratio:,.0f}x, above {limits.max_ratio:,.0f}x",
                    )
        if "xl/workbook.bin" in names:
            raise UnreadableWorkbook(
                "xlsb_unsupported", "binary workbooks (.xlsb) are not accepted; save as .xlsx"
            )
        if "xl/workbook.xml" not in names:
            if "content.xml" in names:
                raise UnreadableWorkbook(
                    "ods_unsupported", "OpenDocument spreadsheets are not accepted; save as .xlsx"
                )
            raise UnreadableWorkbook(
                "not_a_workbook", "the zip is not an Excel workbook (no xl/workbook.xml)"
            )
        for entry in entries:
            if is_parsed_part(entry.filename):
                _check_prolog(archive, entry, limits)
        content_types = (
            _read_prolog(archive, "[Content_Types].xml", 1 << 16) if "[Content_Types].xml" in names else b""
        )
    return "xlsm" if b"macroEnabled" in content_types else "xlsx"


def is_parsed_part(name: str) -> bool:
    """Parts an XML parser of ours reads (calamine and :mod:`styles`); others are never parsed."""
    return (
        name in ("[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/sharedStrings.xml")
        or name.endswith(".rels")
        or (name.startswith("xl/worksheets/") and name.endswith(".xml"))
    )


def _read_prolog(archive: zipfile.ZipFile, name: str, size: int) -> bytes:
    try:
        with archive.open(name) as handle:
            return handle.read(size)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise UnreadableWorkbook("corrupt_zip_entry", f"part {name} is damaged: {exc}") from None


# What may come before an XML root element besides a DTD: white space, the declaration, PIs, comments.
_XML_MISC = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.DOTALL)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _check_prolog(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limits: ZipLimits) -> None:
    """Refuse a DTD before the root element, however much comment or white space hides it."""
    size = limits.prolog_bytes
    while True:
        head = _read_prolog(archive, entry.filename, size).replace(b"\x00", b"")  # UTF-16 too
        for bom in _BOMS:
            head = head.removeprefix(bom)
        rest = head[m.end() if (m := _XML_MISC.match(head)) else 0 :]
        if rest.startswith((b"<!DOCTYPE", b"<!ENTITY")) or b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise UnreadableWorkbook(
                "xml_entities", f"part {entry.filename} declares a DTD/entities, which workbooks never need"
            )
        if size >= entry.file_size or (len(rest) >= 16 and not rest.startswith((b"<?", b"<!--"))):
            return  # the root element (or the end of the part) is reached
        if size >= limits.max_prolog_bytes:
            raise UnreadableWorkbook(
                "xml_entities", f"part {entry.filename} has over {size:,} bytes before its root element"
            )
        size *= 4
