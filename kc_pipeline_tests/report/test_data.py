"""What a report reads from the warehouse, and that reading it never waits for a load."""

from pathlib import Path

from sqlalchemy import Engine, text

from kc_pipeline.reference import load_reference
from kc_pipeline.report.data import load_report_data
from kc_pipeline_tests.report.test_listing import YEARS, build


def test_a_report_reads_while_a_load_holds_the_write_lock(warehouse_engine: Engine, tmp_path: Path) -> None:
    """On SQLite a transaction that may write takes the database's write lock first (BEGIN
    IMMEDIATE); the report's reads must not, or a report would wait for a load (and a load for
    a report, and the report's workers for each other)."""
    build(warehouse_engine, tmp_path)
    with warehouse_engine.begin() as loading:  # a load in progress: the write lock taken
        loading.execute(text("UPDATE core_projects SET title = title WHERE id < 0"))
        data = load_report_data(warehouse_engine, load_reference(), YEARS[0], YEARS[-1])
        blocks = data.project_blocks()
        rows = [sum(len(chunk) for chunk in block.chunks()) for block in blocks]
    assert rows == [block.rows for block in blocks] == [3, 3, 3]
