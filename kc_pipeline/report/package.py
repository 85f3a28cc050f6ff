"""The workbook's zip package, with one part made of deflate pieces compressed beforehand.

A national project list is about 150 MB of sheet XML. Compressing it is most of the cost of
writing the workbook, so the list is compressed piece by piece (one piece per year, see
:mod:`kc_pipeline.report.listing`) and a piece whose rows did not change is reused as compressed
bytes. Raw deflate streams can be concatenated when every piece but the last ends with a sync
flush (an empty stored block, byte-aligned, not final); the zip entry's CRC-32 is combined from the
pieces' CRCs (zlib's ``crc32_combine``, which Python does not expose) without the uncompressed
bytes. Everything else in the package is small and recompressed from openpyxl's own zip.
"""

from __future__ import annotations

import io
import shutil
import struct
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO

ZIP_LEVEL = 6  # the small parts, as openpyxl writes them
_ZIP32_LIMIT = 0xFFFFFFFF
_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1  # 1980-01-01: the same bytes for the same workbook
_DOS_TIME = 0
_GF2_DIM = 32


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, index = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[index]
        vector >>= 1
        index += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, matrix[n]) for n in range(_GF2_DIM)]


def crc32_combine(crc1: int, crc2: int, length2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B): zlib's algorithm (zero bytes applied by squaring)."""
    if length2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(_GF2_DIM - 1)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if length2 & 1:
            crc1 = _gf2_times(even, crc1)
        length2 >>= 1
        if not length2:
            break
        odd = _gf2_square(even)
        if length2 & 1:
            crc1 = _gf2_times(odd, crc1)
        length2 >>= 1
        if not length2:
            break
    return crc1 ^ crc2


@dataclass(frozen=True)
class Piece:
    """Raw deflate bytes of some uncompressed bytes: their CRC-32 and length."""

    crc: int
    size: int
    data: bytes

    @staticmethod
    def of(raw: bytes, level: int, final: bool) -> Piece:
        """Compress ``raw`` on its own; a piece that is not ``final`` ends with a sync flush."""
        compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
        data = compressor.compress(raw) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_SYNC_FLUSH)
        return Piece(zlib.crc32(raw), len(raw), data)


class PieceSpool:
    """Non-final pieces appended to a temporary file, with the CRC and sizes of their concatenation."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.crc = 0
        self.size = 0
        self.compressed = 0

    def add(self, crc: int, size: int, data: bytes) -> None:
        self.crc = crc32_combine(self.crc, crc, size) if self.size else crc
        self.size += size
        self.compressed += len(data)
        self.file.write(data)


@dataclass(frozen=True)
class PrecompressedPart:
    """A zip entry: a head piece, the spooled pieces and a final tail piece."""

    head: Piece
    spool: PieceSpool
    tail: Piece

    @property
    def crc(self) -> int:
        crc = crc32_combine(self.head.crc, self.spool.crc, self.spool.size)
        return crc32_combine(crc, self.tail.crc, self.tail.size)

    @property
    def size(self) -> int:
        return self.head.size + self.spool.size + self.tail.size

    @property
    def compressed(self) -> int:
        return len(self.head.data) + self.spool.compressed + len(self.tail.data)

    def write(self, out: IO[bytes]) -> None:
        out.write(self.head.data)
        self.spool.file.flush()
        self.spool.file.seek(0)
        shutil.copyfileobj(self.spool.file, out, 1 << 20)
        out.write(self.tail.data)


@dataclass(frozen=True)
class _Entry:
    name: bytes
    crc: int
    size: int
    compressed: int
    offset: int


def write_package(package: bytes, parts: Mapping[str, PrecompressedPart], out: IO[bytes]) -> None:
    """Copy openpyxl's ``package`` to ``out`` in the same order, with ``parts`` replacing its entries."""
    entries: list[_Entry] = []
    with zipfile.ZipFile(io.BytesIO(package)) as source:
        for info in source.infolist():
            part = parts.get(info.filename)
            if part is None:
                raw = source.read(info)
                piece = Piece.of(raw, ZIP_LEVEL, final=True)
                entries.append(_local(out, info.filename, piece.crc, piece.size, len(piece.data), piece.data))
            else:
                entries.append(_local(out, info.filename, part.crc, part.size, part.compressed, part.write))
    missing = set(parts) - {e.name.decode() for e in entries}
    if missing:
        raise RuntimeError(f"openpyxl wrote no {sorted(missing)} to replace")
    _central_directory(out, entries)


def _local(
    out: IO[bytes], name: str, crc: int, size: int, compressed: int, data: bytes | Callable[[IO[bytes]], None]
) -> _Entry:
    if size > _ZIP32_LIMIT or compressed > _ZIP32_LIMIT:
        raise ValueError(f"{name}: {size:,} bytes is too large for a workbook part")
    encoded = name.encode()
    offset = out.tell()
    out.write(
        struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0,
            zipfile.ZIP_DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            crc,
            compressed,
            size,
            len(encoded),
            0,
        )
        + encoded
    )
    if isinstance(data, bytes):
        out.write(data)
    else:
        data(out)
    if out.tell() - offset - 30 - len(encoded) != compressed:
        raise RuntimeError(f"{name}: wrote a different number of bytes than declared")
    return _Entry(encoded, crc, size, compressed, offset)


def _central_directory(out: IO[bytes], entries: list[_Entry]) -> None:
    start = out.tell()
    for e in entries:
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                3 << 8 | 20,
                20,
                0,
                zipfile.ZIP_DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                e.crc,
                e.compressed,
                e.size,
                len(e.name),
                0,
                0,
                0,
                0,
                0o100644 << 16,
                e.offset,
            )
            + e.name
        )
    end = out.tell()
    if end > _ZIP32_LIMIT:
        raise ValueError("the workbook is too large for a zip without ZIP64")
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), end - start, start, 0))
