"""The project list cache: a re-run renders only what changed, and gives what a fresh render gives.

Every test writes a real warehouse (SQLite and PostgreSQL) and real district files, writes the
report, changes the warehouse the way a nightly load does, writes it again, and compares it with a
report written from scratch, part by part of the package.
"""

import dataclasses
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine

from kc_pipeline.report import listing, render_pool
from kc_pipeline.report.data import ReportData
from kc_pipeline.report.package import crc32_combine
from kc_pipeline.report.writer import write_report
from kc_pipeline_tests.report.test_narrative import load, report
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING
from kc_pipeline_tests.warehouse.batches import project

YEARS = (2021, 2022, 2023)


def year_projects(year: int, support: int = 100_000_000, extra: int = 0) -> list[list]:
    return [
        project(1, f"{MACHINE} {year} 1", support),
        project(2, f"{TRAINING} {year} 2", 40_000_000, trainees=20 + year % 10),
        project(3, f'=HYPERLINK("x") {MACHINE} {year} 3', 90_000_000, beneficiary=" Cơ sở có dấu cách "),
        *(project(10 + i, f"{MACHINE} {year} mới {i}", 5_000_000 + i) for i in range(extra)),
    ]


def build(engine: Engine, tmp_path: Path) -> None:
    for year in YEARS:
        load(engine, tmp_path / "v1", year, year_projects(year))


def parts(path: Path) -> dict[str, bytes]:
    """Every part of the package but its creation time, uncompressed; each part's CRC is checked."""
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        return {name: package.read(name) for name in package.namelist() if name != "docProps/core.xml"}


class Renders:
    """Counts the blocks rendered (not taken from the cache), by first row."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.first_rows: list[int] = []
        real = listing._render_block

        def counting(renderer, chunks, first_row, first_number, pool):  # type: ignore[no-untyped-def]
            self.first_rows.append(first_row)
            return real(renderer, chunks, first_row, first_number, pool)

        monkeypatch.setattr(listing, "_render_block", counting)


def fresh(data: ReportData, tmp_path: Path, name: str) -> dict[str, bytes]:
    """The report written with an empty cache of its own."""
    out = tmp_path / name / "reports"
    files = write_report(data, out)
    return parts(files.workbook)


def listed_titles(path: Path) -> list[str]:
    ws = openpyxl.load_workbook(path, read_only=True)["Danh sách đề án"]
    return [row[6] for row in ws.iter_rows(min_row=4, values_only=True) if row[0] is not None]


@pytest.mark.parametrize("change", ["new_version", "inserted", "closed"])
def test_a_changed_year_is_rendered_again_and_the_report_is_as_if_written_from_scratch(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    build(warehouse_engine, tmp_path)
    out = tmp_path / "reports"
    before = parts(write_report(report(warehouse_engine, 2021, 2023), out).workbook)
    renders = Renders(monkeypatch)
    write_report(report(warehouse_engine, 2021, 2023), out)
    assert renders.first_rows == []  # nothing changed: every year from the cache

    if change == "new_version":  # same count, one project's support changed
        load(warehouse_engine, tmp_path / "v2", 2022, year_projects(2022, support=123_000_000))
    elif change == "inserted":
        load(warehouse_engine, tmp_path / "v2", 2022, year_projects(2022, extra=2))
    else:  # a project left the file: closed
        load(warehouse_engine, tmp_path / "v2", 2022, year_projects(2022)[:2])
    data = report(warehouse_engine, 2021, 2023)
    again = write_report(data, out)
    if change == "new_version":
        assert renders.first_rows == [7]  # 2022 only; 2021 and 2023 from the cache
    else:
        assert renders.first_rows == [7, 7 + {"inserted": 5, "closed": 2}[change]]  # 2023 moved down

    assert parts(again.workbook) == fresh(data, tmp_path, "scratch")
    assert parts(again.workbook) != before
    titles = listed_titles(again.workbook)
    assert (f"{MACHINE} 2022 mới 1" in titles) is (change == "inserted")
    assert (f'=HYPERLINK("x") {MACHINE} 2022 3' in titles) is (change != "closed")


def test_a_damaged_cache_entry_is_never_used(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(warehouse_engine, tmp_path)
    out = tmp_path / "reports"
    write_report(report(warehouse_engine, 2021, 2023), out)
    entries = sorted((out.parent / ".reports-cache").rglob("*.blk"))
    assert len(entries) == len(YEARS)
    # Damaged entries (a disk error, a half-copied backup) are rendered again, not trusted; and the
    # entry of 2022 as it was must not stand for 2022 after a new load.
    for entry in entries[:2]:
        entry.write_bytes(entry.read_bytes()[:-10] + b"0123456789")
    entries[2].write_bytes(entries[2].read_bytes()[:-100])
    load(warehouse_engine, tmp_path / "v2", 2022, year_projects(2022, support=321_000_000))
    data = report(warehouse_engine, 2021, 2023)
    renders = Renders(monkeypatch)
    again = write_report(data, out)
    assert sorted(renders.first_rows) == [4, 7, 10]
    assert parts(again.workbook) == fresh(data, tmp_path, "scratch")
    ws = openpyxl.load_workbook(again.workbook, read_only=True)["Danh sách đề án"]
    supports = {row[6]: row[11] for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    assert supports[f"{MACHINE} 2022 1"] == 321_000_000
    assert len(sorted((out.parent / ".reports-cache").rglob("*.blk"))) == len(YEARS)  # old ones pruned


def test_a_load_racing_with_the_read_leaves_the_block_uncached(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(warehouse_engine, tmp_path)
    data = report(warehouse_engine, 2021, 2023)
    real = listing._unchanged
    monkeypatch.setattr(listing, "_unchanged", lambda block: False)  # the warehouse moved meanwhile
    out = tmp_path / "reports"
    write_report(data, out)
    assert not list((out.parent / ".reports-cache").rglob("*.blk"))
    monkeypatch.setattr(listing, "_unchanged", real)
    write_report(data, out)
    assert len(list((out.parent / ".reports-cache").rglob("*.blk"))) == len(YEARS)


def test_crc32_combine_is_zlibs() -> None:
    a, b = "Hỗ trợ máy sao chè ".encode() * 1000, b"<row/>" * 777
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b""), 0) == zlib.crc32(a)


def test_a_rebuilt_warehouse_with_the_same_ids_never_reuses_the_old_years(tmp_path: Path) -> None:
    """Two warehouses loaded the same way give the same ids and counts; one amount differs. The
    second report, in the same folder, must show its own amount, not the first's cached years."""
    from kc_pipeline.warehouse.engine import make_engine, upgrade

    out = tmp_path / "reports"
    written = []
    for name, support in (("first", 40_000_000), ("rebuilt", 41_000_000)):
        engine = make_engine(f"sqlite:///{tmp_path / name / 'kc.sqlite'}")
        upgrade(engine)
        for year in YEARS:
            projects = year_projects(year)
            projects[1] = project(2, f"{TRAINING} {year} 2", support, trainees=20 + year % 10)
            load(engine, tmp_path / name, year, projects)
        data = report(engine, 2021, 2023)
        written.append(parts(write_report(data, out).workbook))
        assert written[-1] == fresh(data, tmp_path, f"scratch-{name}")
        engine.dispose()
    assert written[0] != written[1]


# ------------------------------------------------------------------------- years rendered by workers


def failing_render(job: listing.BlockJob) -> listing.Rendered:
    """Runs in a worker, in place of ``listing.render_elsewhere``: a worker that fails."""
    raise RuntimeError("the worker failed")


def own_style_render(job: listing.BlockJob) -> listing.Rendered:
    """Runs in a worker: a block that took a style outside the list's own set (an unusual value)."""
    return dataclasses.replace(listing.render_elsewhere(job), cacheable=False)


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """One worker beside this process, whatever the machine, and even for a small list."""
    monkeypatch.setenv("KC_REPORT_WORKERS", "1")
    monkeypatch.setattr(listing, "SHARED_MIN_ROWS", 0)
    render_pool.discard()
    yield
    render_pool.discard()


def alone(data: ReportData, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """The report written by this process alone, with an empty cache."""
    with monkeypatch.context() as m:
        m.setenv("KC_REPORT_WORKERS", "0")
        render_pool.discard()
        written = fresh(data, tmp_path, "alone")
    render_pool.discard()
    return written


def test_years_rendered_by_a_worker_give_the_bytes_this_process_gives(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: None
) -> None:
    build(warehouse_engine, tmp_path)
    data = report(warehouse_engine, 2021, 2023)
    expected = alone(data, tmp_path, monkeypatch)
    renders = Renders(monkeypatch)
    out = tmp_path / "reports"
    written = write_report(data, out)
    assert renders.first_rows == [4]  # 2021 here; 2022 and 2023 by the worker
    assert parts(written.workbook) == expected
    # The worker's years are cached as this process's are: the next report renders nothing.
    assert len(list((out.parent / ".reports-cache").rglob("*.blk"))) == len(YEARS)
    renders.first_rows.clear()
    assert parts(write_report(data, out).workbook) == expected
    assert renders.first_rows == []


@pytest.mark.parametrize("worker", [failing_render, own_style_render], ids=["fails", "own_style"])
def test_a_year_the_worker_could_not_render_as_this_process_would_is_rendered_here(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: None, worker: Any
) -> None:
    build(warehouse_engine, tmp_path)
    data = report(warehouse_engine, 2021, 2023)
    expected = alone(data, tmp_path, monkeypatch)
    monkeypatch.setattr(listing, "render_elsewhere", worker)
    renders = Renders(monkeypatch)
    written = write_report(data, tmp_path / "reports")
    assert sorted(renders.first_rows) == [4, 7, 10]
    assert parts(written.workbook) == expected


def test_rows_that_moved_while_the_workers_read_are_rendered_again_in_order(
    warehouse_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: None
) -> None:
    """The blocks' places come from row counts taken before reading; a load between the two (here:
    counts one row too high) must not leave a gap or an overlap in the list."""
    build(warehouse_engine, tmp_path)
    data = report(warehouse_engine, 2021, 2023)
    expected = alone(data, tmp_path, monkeypatch)
    real = ReportData.project_blocks
    monkeypatch.setattr(
        ReportData,
        "project_blocks",
        lambda self: [dataclasses.replace(b, rows=b.rows + 1) for b in real(self)],
    )
    renders = Renders(monkeypatch)
    written = write_report(data, tmp_path / "reports")
    assert renders.first_rows == [4, 4, 7, 10]  # the shared attempt's first year, then all in order
    assert parts(written.workbook) == expected


def test_an_in_memory_warehouse_is_rendered_in_this_process_alone() -> None:
    from kc_pipeline.report.data import shareable_url
    from kc_pipeline.warehouse.engine import make_engine

    assert shareable_url(make_engine("sqlite://")) is None
    assert shareable_url(make_engine("sqlite:///:memory:")) is None
    assert shareable_url(make_engine("sqlite:///kc.sqlite")) == "sqlite:///kc.sqlite"
    url = "postgresql+psycopg://kc:s3cret@db.example:5432/kc"
    assert shareable_url(make_engine(url)) == url  # the worker needs the password too
