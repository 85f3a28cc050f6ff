"""The project list sheet ("Danh sách đề án"), made year by year and kept compressed between runs.

A national list is 120,000 rows, about 150 MB of sheet XML: rendering it cell by cell and
compressing it took most of a report's time, at every run, though a nightly run changes one
unit-year. So the list is made of blocks (one per year from the warehouse; a frame is one block),
each read in chunks of CHUNK_ROWS, rendered column by column (a repeated name is escaped once) and
compressed on its own (:mod:`kc_pipeline.report.package`). A block whose rows carry a fingerprint
is kept in a cache folder beside the report folder, under a key made of:

- the fingerprint of the year's current rows (:class:`kc_pipeline.report.data.WarehouseProjects`
  says why any change to them changes it), taken before the block is read and checked again after
  (a load that raced with the read leaves the block uncached);
- the block's first row (rows are numbered across the whole list);
- everything else the block's bytes depend on: this code, the names from the reference data, the
  style ids of the list's cells, the sample size and the compression level.

So a cached block is the same bytes that rendering it again would give, and a stale block is never
used. What the sheet needs from all rows (column widths, totals, header heights) is kept with each
block. Whether a text column wraps is decided per chunk, on a sample of that chunk, as it was
decided for a whole table (the same for a list of up to CHUNK_ROWS rows); a text too long for its
column wraps in any case, so only text that fits is affected. The cache is only a cache: an entry
that cannot be read or written is rendered again, and a failed write never touches the report.

Blocks that are not in the cache are shared out between this process and the report's workers
(:mod:`kc_pipeline.report.render_pool`) when the list is large: each block's first row is known
from the year's count of current projects, so they need not be rendered in order. A worker renders
with the same code, style ids and names (checked through the same layout digest as the cache
key), so its block is the bytes this process would have made; the counts are checked against the
rows rendered, and a load that moved them meanwhile has the whole list rendered again in order.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import math
import os
import struct
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import openpyxl
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from kc_pipeline import collector
from kc_pipeline.report import render_pool
from kc_pipeline.report import workbook as book
from kc_pipeline.report.data import (
    CHUNK_ROWS,
    BlockSource,
    ProjectBlock,
    ProjectChunk,
    ReportData,
    WarehouseProjects,
)
from kc_pipeline.report.package import Piece, PieceSpool, PrecompressedPart, crc32_combine
from kc_pipeline.report.workbook import (
    COUNT,
    HEADER_ROW,
    MAX_TEXT,
    VND,
    YEAR,
    Block,
    Col,
    Names,
    Sheet,
    _clean_text,
    _fast_value,
    _header_length,
    _measure,
    _number,
    _RowXml,
    _text_length,
    _text_tail,
    _xml_text,
    _year,
    style_id_of,
)

SHEET = "Danh sách đề án"
LIST_LEVEL = 1  # zlib level of the list's rows: three times faster than 6, for a 40% larger file
CACHE_VERSION = 1
COLUMNS = (
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
)
SUMMED = ("support_vnd", "counterpart_vnd", "total_vnd", "trainees", "models", "clusters")
_SUMMED_AT = 11  # the column of support_vnd (from 0); the other sums follow it
_ROLES = ("data", "total")
_NUMERIC = frozenset({int, float, type(None)})
_TEXT = frozenset({str, type(None)})
_INTS = frozenset({int, type(None)})
# First or last characters that make a printable text need more than escaping: a formula start, or a
# space that XML would drop (the only printable character that str.isspace is true for).
_EDGE = frozenset(book._FORMULA_FIRST) | {" "}
_EXACT = 10**16  # ints below this print the same with str() and with .16g
_SOURCES = (Path(__file__), Path(book.__file__), Path(__file__).with_name("data.py"))


def cache_dir_for(out_dir: Path, report_name: str) -> Path:
    """Beside the report folder, hidden: the report folder holds only reports staff open."""
    return out_dir.parent / f".{out_dir.name}-cache" / report_name


# ------------------------------------------------------------------------------------------ blocks


@dataclass
class Rendered:
    """A block's compressed rows and what the sheet needs to know of them."""

    rows: int
    crc: int
    size: int
    data: bytes
    lengths: list[int]  # display length per column over every row; -1: nothing measured
    sampled: list[int]  # the same over the wrapping samples
    wrapped: list[bool]  # columns that wrap in at least one chunk
    totals: list[int | float]  # per SUMMED column
    cacheable: bool = True  # False when a cell took a style made outside the list's own set
    jobs: list[Future[Piece]] = field(default_factory=list)  # compressions still running

    def settle(self) -> Rendered:
        """Wait for the block's compressed chunks and join them into ``data``."""
        if self.jobs:
            data = []
            for job in self.jobs:
                piece = job.result()
                self.crc = crc32_combine(self.crc, piece.crc, piece.size) if self.size else piece.crc
                self.size += piece.size
                data.append(piece.data)
            self.data, self.jobs = b"".join(data), []
        return self

    def meta(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "crc": self.crc, "size": self.size, "lengths": self.lengths,
            "sampled": self.sampled, "wrapped": self.wrapped, "totals": self.totals,
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }  # fmt: skip


def _merge(into: list[int], other: Sequence[int]) -> None:
    for i, n in enumerate(other):
        if n > into[i]:
            into[i] = n


class _Renderer:
    """Rows of the list as XML, a column at a time, with style ids, names and limits looked up once."""

    def __init__(self, sheet: Sheet, names: Names) -> None:
        self.sheet = sheet
        self.names = names
        self.letters = [get_column_letter(i) for i in range(1, len(COLUMNS) + 1)]
        self.caps = [c.max_width for c in COLUMNS]
        self.headers = [_header_length(c.header) for c in COLUMNS]
        self.plain = sheet._style("data", None, False, False)
        self.wrapping = sheet._style("data", None, True, False)
        self.quoted = {wrap: sheet._style("data", None, wrap, True) for wrap in (False, True)}
        self.numbers = [sheet._style("data", c.number_format, False, False) for c in COLUMNS]
        self.specs = [book._NUMBER_SPECS.get(c.number_format or "") for c in COLUMNS]
        self.lookups: list[Callable[[object], str | None]] = [
            names.unit, names.source, names.programme, names.activity, names.sector, names.value_chain,
        ]  # fmt: skip

    def values(self, chunk: ProjectChunk, first_number: int) -> list[Sequence[object]]:
        """The 20 columns of the sheet from the chunk's fields (codes become names)."""
        (year, unit, source, programme, activity, title, beneficiary, commune, sector, chain_,
         *rest) = chunk.columns  # fmt: skip
        n = len(chunk)
        years = year if all(type(v) is int for v in year) else [_year(v) for v in year]
        unit, source, programme, activity, sector, chain_ = (
            _names(codes, lookup)
            for codes, lookup in zip(
                (unit, source, programme, activity, sector, chain_), self.lookups, strict=True
            )
        )
        return [
            range(first_number, first_number + n), years, unit, source, programme, activity,
            title, beneficiary, commune, sector, chain_, *rest,
        ]  # fmt: skip

    def render(self, chunk: ProjectChunk, first_row: int, first_number: int) -> tuple[str, Rendered]:
        """The chunk's rows as XML, joined from streams: per-row texts and constants between them.

        Each cell is ``<c r="`` letter, the row number, then a tail made once per distinct value
        (or the value's digits between constant parts), so no cell is formatted on its own.
        """
        n = len(chunk)
        rows = range(first_row, first_row + n)
        step = max(1, math.ceil(n / book.SAMPLE_ROWS))
        width = len(COLUMNS)
        out = Rendered(n, 0, 0, b"", [-1] * width, [-1] * width, [False] * width, [0] * len(SUMMED))
        numbers = list(map(str, rows))
        streams = _Streams()
        streams.constant('<row r="')
        streams.each(numbers)
        streams.constant('">')
        for i, values in enumerate(self.values(chunk, first_number)):
            kinds = set(map(type, values))
            streams.constant(f'<c r="{self.letters[i]}')
            streams.each(numbers)
            if kinds <= _TEXT:
                self._text(i, values, step, out, streams)
            elif kinds <= _NUMERIC:
                self._numbers(i, values, step, out, kinds, streams)
            else:
                self._other(i, values, rows, step, out, streams)
                out.cacheable = False
            if i >= _SUMMED_AT and i - _SUMMED_AT < len(SUMMED):
                total = sum(filter(None, values)) if kinds <= _INTS else sum(map(_number, values))
                out.totals[i - _SUMMED_AT] = total
        streams.constant("</row>")
        return streams.join(n), out

    def _wraps(self, i: int, sampled: int) -> bool:
        return max(sampled, self.headers[i]) + 2 > self.caps[i]

    def _text(self, i: int, values: Sequence[object], step: int, out: Rendered, streams: _Streams) -> None:
        """Text and empty cells; each distinct text is cleaned, measured and escaped once.

        Most texts need nothing but escaping (printable, short, no formula start, no edge spaces,
        not too long for the column): they take the column's style in one pass; the others go
        through the same rules one by one.
        """
        distinct: set[Any] = set(values)
        distinct.discard(None)
        lengths: dict[Any, int] = {v: len(v) for v in distinct}
        cleaned: dict[Any, str] = {}
        for value in [v for v in distinct if not v.isprintable() or len(v) > MAX_TEXT]:
            cleaned[value] = clean = _clean_text(value)
            lengths[value] = _text_length(clean)
        lengths[None] = -1
        sampled = max(map(lengths.__getitem__, values[::step]), default=-1)
        del lengths[None]
        wraps = self._wraps(i, sampled)
        cap = self.caps[i]
        fits = cap - 2  # a text longer than this wraps whatever its column does
        head = f'" s="{self.wrapping if wraps else self.plain}" t="inlineStr"><is><t>'

        def special(value: str) -> str:
            clean = cleaned.get(value, value)
            wrap = wraps or lengths[value] > fits
            if clean and clean[0] in book._FORMULA_FIRST:
                style = self.quoted[wrap]
            else:
                style = self.wrapping if wrap else self.plain
            return '"' + _text_tail(style, clean)

        tails: dict[Any, str] = {
            v: head + _xml_text(v) + "</t></is></c>"
            if v
            and (wraps or lengths[v] <= fits)
            and v not in cleaned
            and v[0] not in _EDGE
            and v[-1] not in _EDGE
            else special(v)
            for v in distinct
        }
        tails[None] = f'" s="{self.plain}"/>'
        out.lengths[i] = max(lengths.values(), default=-1)
        out.sampled[i] = sampled
        out.wrapped[i] = wraps
        streams.each(list(map(tails.__getitem__, values)))

    def _numbers(
        self, i: int, values: Sequence[object], step: int, out: Rendered, kinds: set[type], streams: _Streams
    ) -> None:
        """Numbers (ints and floats) and empty cells; NaN and infinities are empty."""
        style = self.numbers[i]
        finite = [v for v in values if type(v) is int or (v is not None and math.isfinite(v))]  # type: ignore[arg-type]
        sample = [v for v in values[::step] if type(v) is int or (v is not None and math.isfinite(v))]  # type: ignore[arg-type]
        out.lengths[i] = self._number_length(i, finite)
        out.sampled[i] = self._number_length(i, sample)
        out.wrapped[i] = self._wraps(i, out.sampled[i])
        if len(finite) == len(values):  # no empty cell: the digits go between two constants
            streams.constant(f'" s="{style}"><v>')
            if kinds == {int} and (not finite or (max(finite) < _EXACT and min(finite) > -_EXACT)):
                streams.each(list(map(str, values)))  # an int prints as .16g does below 10**16
            else:
                streams.each(list(map(format, values, repeat(".16g"))))
            streams.constant("</v></c>")
            return
        tails = {
            v: f'" s="{style}"><v>{v:.16g}</v></c>'
            if type(v) is int or (v is not None and math.isfinite(v))  # type: ignore[arg-type]
            else f'" s="{self.plain}"/>'
            for v in set(values)
        }
        streams.each(list(map(tails.__getitem__, values)))

    def _number_length(self, i: int, numbers: Sequence[Any]) -> int:
        """The longest display: formatted numbers grow with their size, so the extremes decide."""
        if not numbers:
            return -1
        spec = self.specs[i]
        if spec is None:
            if all(type(v) is int for v in numbers):
                return max(len(str(min(numbers))), len(str(max(numbers))))
            return max(map(len, map(str, numbers)))
        if spec == "%":
            return max(len(f"{v * 100:.1f}") + 1 for v in (min(numbers), max(numbers)))
        return max(len(format(v, spec)) for v in (min(numbers), max(numbers)))

    def _other(
        self, i: int, values: Sequence[object], rows: range, step: int, out: Rendered, streams: _Streams
    ) -> None:
        """Any other value (bools, dates, numpy scalars, mixed types), cell by cell as other sheets do."""
        sample: dict[int, int] = {}
        for value in values[::step]:
            _measure(COLUMNS[i : i + 1], [value], sample)
        sampled = sample.get(1, -1)
        wraps = self._wraps(i, sampled)
        cells = _RowXml(self.sheet, "data", COLUMNS, {i + 1} if wraps else set())
        lengths = [-1] * len(COLUMNS)
        prefix = len(f'<c r="{self.letters[i]}')
        made = [
            cells.cell(i, r, v, lengths)[prefix + len(str(r)) :] for r, v in zip(rows, values, strict=True)
        ]
        out.lengths[i], out.sampled[i], out.wrapped[i] = lengths[i], sampled, wraps
        streams.each(made)


class _Streams:
    """Row XML as parallel streams, zipped and joined once; neighbouring constants are merged."""

    def __init__(self) -> None:
        self.parts: list[str | Sequence[str]] = []

    def constant(self, text: str) -> None:
        if self.parts and isinstance(self.parts[-1], str):
            self.parts[-1] += text
        else:
            self.parts.append(text)

    def each(self, texts: Sequence[str]) -> None:
        self.parts.append(texts)

    def join(self, rows: int) -> str:
        streams = [repeat(p, rows) if isinstance(p, str) else p for p in self.parts]
        return "".join(chain.from_iterable(zip(*streams, strict=True)))


def _names(codes: Sequence[object], lookup: Callable[[object], str | None]) -> list[str | None]:
    """Codes to names, each distinct code looked up once (a national list repeats a few hundred)."""
    try:
        known = {code: lookup(code) for code in set(codes)}
    except TypeError:  # an unhashable value: look each one up
        return [lookup(code) for code in codes]
    return [known[code] for code in codes]


def _render_block(
    renderer: _Renderer,
    chunks: Iterator[ProjectChunk],
    first_row: int,
    first_number: int,
    pool: ThreadPoolExecutor,
) -> Rendered:
    """Render a block chunk by chunk; each chunk is compressed in ``pool`` while the next is made."""
    width = len(COLUMNS)
    block = Rendered(0, 0, 0, b"", [-1] * width, [-1] * width, [False] * width, [0] * len(SUMMED))
    for chunk in chunks:
        if not len(chunk):
            continue
        xml, part = renderer.render(chunk, first_row + block.rows, first_number + block.rows)
        block.jobs.append(pool.submit(Piece.of, xml.encode(), LIST_LEVEL, False))
        del xml
        block.rows += part.rows
        _merge(block.lengths, part.lengths)
        _merge(block.sampled, part.sampled)
        block.wrapped = [a or b for a, b in zip(block.wrapped, part.wrapped, strict=True)]
        block.totals = [a + b for a, b in zip(block.totals, part.totals, strict=True)]
        block.cacheable = block.cacheable and part.cacheable
    return block


# ------------------------------------------------------------------------------- rendering blocks

# (block, cache key or None, its rendering, whether it was rendered now rather than taken from the cache)
Made = tuple[ProjectBlock, str | None, Rendered, bool]
# Rows below which a list is rendered in this process alone: a worker's share would not pay for its
# start-up and the rows' trip back.
SHARED_MIN_ROWS = 20_000


def _render_in_order(
    blocks: Sequence[ProjectBlock],
    renderer: _Renderer,
    cache: BlockCache,
    layout: str,
    pool: ThreadPoolExecutor,
) -> Iterator[Made]:
    """Each block from the cache or rendered here, in order, each placed after the rows actually
    rendered before it. Lazy: a block is made when the previous one is taken, so its compression
    (in ``pool``) runs while the next one is rendered, and at most two blocks are held at a time."""
    first_data = HEADER_ROW + 1
    count = 0
    for block in blocks:
        key, rendered = _from_cache(cache, layout, block, first_data + count)
        fresh = rendered is None
        if rendered is None:
            rendered = _render_block(renderer, block.chunks(), first_data + count, count + 1, pool)
        count += rendered.rows
        yield block, key, rendered, fresh


def _from_cache(
    cache: BlockCache, layout: str, block: ProjectBlock, first_row: int
) -> tuple[str | None, Rendered | None]:
    """The block's cache key at ``first_row`` (None when it cannot be cached) and its cached
    rendering, if any."""
    if block.fingerprint is None or cache.directory is None:
        return None, None
    key = _key(layout, block.fingerprint, first_row)
    return key, cache.get(key)


def _shareable(blocks: Sequence[ProjectBlock]) -> bool:
    """Whether workers may render some of these blocks: there are workers to be had, more than
    one block, every block says how many rows it has and where another process finds them."""
    return (
        len(blocks) > 1
        and all(b.rows is not None and b.source is not None for b in blocks)
        and sum(b.rows or 0 for b in blocks) >= SHARED_MIN_ROWS
        and render_pool.worker_count() > 0
    )


@dataclass(frozen=True)
class BlockJob:
    """A block for a worker: where its rows are, where it starts in the list, and the layout digest
    the worker must find for its own renderer (else its bytes could differ from this process's)."""

    source: BlockSource
    reference_dir: str
    layout: str
    first_row: int
    first_number: int


def _render_shared(
    blocks: Sequence[ProjectBlock],
    renderer: _Renderer,
    cache: BlockCache,
    layout: str,
    pool: ThreadPoolExecutor,
) -> list[Made] | None:
    """The blocks, those not in the cache rendered by the workers and by this process at once: this
    one from the first block on, the workers from the last one back. Each block's place comes from
    the row counts known beforehand; None when a block rendered another number of rows (a load
    raced with the report), for the caller to render everything in order instead.

    A worker's block is used only as it came: one the worker could not render (an error, a broken
    pool) or that needed a style of its own (a value of an unusual type) is rendered here.
    """
    first_data = HEADER_ROW + 1
    reference_dir = str(renderer.names.ref.directory)
    jobs: list[BlockJob] = []
    keys: list[str | None] = []
    made: list[Made | None] = []
    count = 0
    for block in blocks:
        key, cached = _from_cache(cache, layout, block, first_data + count)
        keys.append(key)
        made.append((block, key, cached, False) if cached is not None else None)
        jobs.append(BlockJob(block.source, reference_dir, layout, first_data + count, count + 1))  # type: ignore[arg-type]
        count += cached.rows if cached is not None else block.rows  # type: ignore[operator]
    todo = collections.deque(i for i, m in enumerate(made) if m is None)
    workers = render_pool.shared_pool() if len(todo) > 1 else None
    running: dict[Future[Rendered], int] = {}

    def here(i: int) -> None:
        job = jobs[i]
        rendered = _render_block(renderer, blocks[i].chunks(), job.first_row, job.first_number, pool)
        made[i] = (blocks[i], keys[i], rendered, True)

    def send() -> None:
        nonlocal workers
        while workers is not None and len(todo) > 1 and len(running) < 2 * render_pool.workers_started():
            i = todo.pop()
            try:
                running[workers.submit(render_elsewhere, jobs[i])] = i
            except RuntimeError:  # a broken or shut-down pool: this process renders the rest
                todo.append(i)
                render_pool.discard()
                workers = None

    def take(futures: Iterable[Future[Rendered]]) -> None:
        for future in futures:
            i = running.pop(future)
            try:
                rendered = future.result()
            except Exception:  # the worker failed (or died): rendered here
                if isinstance(future.exception(), BrokenProcessPool):
                    render_pool.discard()
                here(i)
                continue
            if rendered.cacheable:
                made[i] = (blocks[i], keys[i], rendered, True)
            else:
                here(i)

    send()
    while todo:
        here(todo.popleft())
        take([f for f in list(running) if f.done()])
        send()
    take(as_completed(list(running)))
    out = [m for m in made if m is not None]
    if any(rendered.rows != block.rows for block, _, rendered, fresh in out if fresh):
        for _, _, rendered, _ in out:
            rendered.settle()  # let its compressions finish before they are dropped
        return None
    return out


def render_elsewhere(job: BlockJob) -> Rendered:
    """Runs in a worker (:mod:`kc_pipeline.report.render_pool`): the block, compressed, as the
    report's process would render it."""
    renderer = _worker_renderer(job.reference_dir, job.layout)
    engine = _worker_engine(job.source.url)
    rows = WarehouseProjects(engine, job.source.year, job.source.year, job.source.unit_code)
    with collector.paused(), ThreadPoolExecutor(1, thread_name_prefix="kc-report-zlib") as pool:
        return _render_block(
            renderer, rows.year_chunks(job.source.year), job.first_row, job.first_number, pool
        ).settle()


@functools.cache
def _worker_renderer(reference_dir: str, layout: str) -> _Renderer:
    """A renderer on a workbook of the list's styles alone, registered first as in the report's, so
    with the same ids; its names from the same reference data, checked by the layout digest."""
    from kc_pipeline.reference import load_reference

    wb = Workbook(write_only=True)
    styles = register_styles(wb)
    names = Names(load_reference(Path(reference_dir)))
    if _layout_digest(names, styles) != layout:
        raise RuntimeError("the worker's layout differs from the report's (code or reference data changed)")
    return _Renderer(Sheet(wb, SHEET, "", ""), names)


@functools.cache
def _worker_engine(url: str) -> Engine:
    from kc_pipeline.warehouse.engine import make_engine

    return make_engine(url)


# ------------------------------------------------------------------------------------------- cache


@dataclass
class BlockCache:
    """Rendered blocks as files ``<key>.blk``: a JSON header, then the compressed rows."""

    directory: Path | None
    used: set[str] = field(default_factory=set)

    def get(self, key: str) -> Rendered | None:
        if self.directory is None:
            return None
        try:
            with (self.directory / f"{key}.blk").open("rb") as handle:
                (size,) = struct.unpack("<I", handle.read(4))
                meta = json.loads(handle.read(size))
                data = handle.read()
        except (OSError, ValueError, struct.error):
            return None
        if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
            return None  # a damaged entry is rendered again
        self.used.add(key)
        return Rendered(
            meta["rows"], meta["crc"], meta["size"], data, meta["lengths"], meta["sampled"], meta["wrapped"],
            meta["totals"],
        )  # fmt: skip

    def put(self, key: str, block: Rendered) -> None:
        """Written whole under a temporary name and renamed: a reader sees the entry or nothing."""
        if self.directory is None:
            return
        header = json.dumps(block.meta()).encode()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.directory, prefix=f".{key}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(struct.pack("<I", len(header)) + header + block.data)
                os.replace(name, self.directory / f"{key}.blk")
            finally:
                Path(name).unlink(missing_ok=True)
        except OSError:
            return  # no cache this time; the report itself does not depend on it
        self.used.add(key)

    def prune(self) -> None:
        """Forget blocks this report no longer uses (another year's rows, an older layout)."""
        if self.directory is None or not self.directory.is_dir():
            return
        for path in self.directory.glob("*.blk"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


def _layout_digest(names: Names, styles: Sequence[int]) -> str:
    """Everything but the rows that a block's bytes depend on."""
    ref = names.ref
    catalogue = {
        "units": {c: u.name for c, u in ref.units.items()},
        "sources": {c: s.name_vi for c, s in ref.funding_sources.items()},
        "programmes": {c: p.name_vi for c, p in ref.programmes.items()},
        "activities": {c: a.name_vi for c, a in ref.activities.items()},
        "sectors": {c: s.name_vi for c, s in ref.sectors.items()},
        "value_chains": {c: v.name_vi for c, v in ref.value_chains.items()},
    }
    digest = hashlib.sha256()
    for source in _SOURCES:
        digest.update(source.read_bytes())
    settings = [CACHE_VERSION, openpyxl.__version__, list(styles), book.SAMPLE_ROWS, CHUNK_ROWS, LIST_LEVEL]
    digest.update(json.dumps([settings, catalogue], sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------- sheet


def register_styles(wb: Workbook) -> list[int]:
    """The list's styles, registered before any other sheet's so that their ids never move."""
    owner = SimpleNamespace(parent=wb)
    return [
        style_id_of(owner, role, number_format, wrap, quote)
        for role in _ROLES
        for number_format, wrap, quote in [
            (None, False, False), (None, True, False), (None, False, True), (None, True, True),
            *((f, False, False) for f in (YEAR, VND, COUNT)),
        ]
    ]  # fmt: skip


class ProjectList:
    """The project list sheet, written last, as a part of the package made of compressed pieces."""

    def __init__(self, wb: Workbook, data: ReportData, names: Names) -> None:
        self.wb, self.data, self.names = wb, data, names
        self.styles = register_styles(wb)
        self.part: PrecompressedPart | None = None
        self.ws: Any = None

    def write(self, spool: IO[bytes]) -> None:
        """Render or reuse each block, in order, into ``spool``; then the rows around them.

        The cyclic garbage collector is paused meanwhile: the list makes millions of short-lived
        objects, none of them in a cycle, and each collection would walk the whole heap (all of
        Dagster's, in the asset's process). Blocks are compressed in a second thread (zlib lets go
        of the GIL), each finished while the next one is rendered.
        """
        with collector.paused(), ThreadPoolExecutor(1, thread_name_prefix="kc-report-zlib") as pool:
            self._write(spool, pool)

    def _write(self, spool: IO[bytes], pool: ThreadPoolExecutor) -> None:
        data = self.data
        sheet = Sheet(self.wb, SHEET, "", "")
        self.ws = sheet.ws
        sheet.caps = {index: column.max_width for index, column in enumerate(COLUMNS, 1)}
        renderer = _Renderer(sheet, self.names)
        cache = BlockCache(data.cache_dir)
        blocks = data.project_blocks()
        shared = _shareable(blocks)
        layout = _layout_digest(self.names, self.styles) if data.cache_dir is not None or shared else ""
        made = _render_shared(blocks, renderer, cache, layout, pool) if shared else None
        if made is None:
            made = _render_in_order(blocks, renderer, cache, layout, pool)
        pieces = PieceSpool(spool)
        width = len(COLUMNS)
        lengths, sampled = [-1] * width, [-1] * width
        wrapped, totals = [False] * width, [0] * len(SUMMED)
        count = 0

        def place(block: ProjectBlock, key: str | None, rendered: Rendered, fresh: bool) -> None:
            rendered.settle()
            if fresh and key is not None and rendered.cacheable and _unchanged(block):
                cache.put(key, rendered)
            pieces.add(rendered.crc, rendered.size, rendered.data)
            rendered.data = b""  # in the spool now

        previous: Made | None = None
        for item in made:  # each block placed once the next is made: its compression ran meanwhile
            if previous is not None:
                place(*previous)
            previous = item
            rendered = item[2]
            count += rendered.rows
            _merge(lengths, rendered.lengths)
            _merge(sampled, rendered.sampled)
            wrapped = [a or b for a, b in zip(wrapped, rendered.wrapped, strict=True)]
            totals = [a + b for a, b in zip(totals, rendered.totals, strict=True)]
        if previous is not None:
            place(*previous)
        self.part = self._finish(sheet, pieces, count, lengths, sampled, wrapped, totals)
        cache.prune()

    def _finish(
        self,
        sheet: Sheet,
        pieces: PieceSpool,
        count: int,
        lengths: list[int],
        sampled: list[int],
        wrapped: list[bool],
        totals: list[int | float],
    ) -> PrecompressedPart:
        """Title, note, header and total rows around the blocks; widths, view and printing."""
        data = self.data
        title = f"DANH SÁCH ĐỀ ÁN KHUYẾN CÔNG {data.period} – {data.unit_name}"
        note = "Đơn vị tiền: đồng." if count else f"{book._no_projects(data)} Đơn vị tiền: đồng."
        total = dict(zip(SUMMED, totals, strict=True))
        total_row = [
            *[None] * 6, f"Tổng cộng ({count} đề án)", *[None] * 4,
            total["support_vnd"], total["counterpart_vnd"], total["total_vnd"],
            total["trainees"], total["models"], total["clusters"], None, None, None,
        ]  # fmt: skip
        header_row, last_data = HEADER_ROW, HEADER_ROW + count
        main = Block(header_row, header_row + 1, last_data, len(COLUMNS))
        sheet.main = main
        for i, column in enumerate(COLUMNS):
            lengths[i] = max(lengths[i], _header_length(column.header))
        wraps = {i for i, wrap in enumerate(wrapped, 1) if wrap}
        totals_xml = _RowXml(sheet, "total", COLUMNS, wraps)(last_data + 1, total_row, lengths)
        measured = {
            i: max(n, _header_length(c.header))
            for i, (n, c) in enumerate(zip(sampled, COLUMNS, strict=True), 1)
        }
        _measure(COLUMNS, total_row, measured)
        heights = sheet._header_heights([_HeaderOnly(main, COLUMNS)], sheet._widths(measured))  # type: ignore[list-item]
        cells = [
            sheet._cell("header", get_column_letter(i), header_row, _fast_value(c.header), None)
            for i, c in enumerate(COLUMNS, 1)
        ]
        head_rows = (
            f'<row r="1">{sheet._cell("title", "A", 1, _fast_value(title), None)}</row>'
            f'<row r="2">{sheet._cell("note", "A", 2, _fast_value(note), None)}</row>'
            f'<row r="{header_row}" ht="{heights[header_row]}" customHeight="1">{"".join(cells)}</row>'
        )
        ws = sheet.ws
        for column, width in sheet._widths({i: n for i, n in enumerate(lengths, 1) if n >= 0}).items():
            ws.column_dimensions[get_column_letter(column)].width = width
        sheet._set_view_and_printing(main)
        ws.close()
        head, tail = book.sheet_skeleton(ws, f"A1:{get_column_letter(len(COLUMNS))}{last_data + 1}")
        return PrecompressedPart(
            Piece.of(head + head_rows.encode(), LIST_LEVEL, final=False),
            pieces,
            Piece.of(f'<row r="{last_data + 1}">{totals_xml}</row>'.encode() + tail, LIST_LEVEL, final=True),
        )

    @property
    def part_name(self) -> str:
        return str(self.ws.path).lstrip("/")


@dataclass(frozen=True)
class _HeaderOnly:
    """What :meth:`Sheet._header_heights` reads of a table."""

    block: Block
    columns: tuple[Col, ...]


def _key(layout: str, fingerprint: str, first_row: int) -> str:
    return hashlib.sha256(f"{layout}\n{fingerprint}\n{first_row}".encode()).hexdigest()[:40]


def _unchanged(block: ProjectBlock) -> bool:
    """The warehouse still holds the rows the fingerprint names, so the block read is those rows."""
    return block.current is not None and block.current() == block.fingerprint
