"""The out_* assets after a whole run on the sample corpus: filled for every year, sums that agree."""

from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import text

from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.samples import generate_corpus
from kc_pipeline.warehouse.engine import make_engine


@pytest.fixture
def loaded(warehouse_url: str, tmp_path: Path) -> tuple[str, dg.DagsterInstance, list[int]]:
    files = generate_corpus(tmp_path / "incoming", range(2019, 2026))
    drop = DropFolder(incoming_dir=str(tmp_path / "incoming"), staging_dir=str(tmp_path / "staging"))
    instance = dg.DagsterInstance.ephemeral()
    report = run_pipeline(drop, Warehouse(url=warehouse_url), instance)
    assert report.success, report.error
    return warehouse_url, instance, sorted({f.year for f in files})


def test_out_tables_are_filled_for_every_year_and_add_up(
    loaded: tuple[str, dg.DagsterInstance, list[int]],
) -> None:
    url, instance, years = loaded
    engine = make_engine(url)
    try:
        with engine.connect() as conn:

            def one(sql: str) -> tuple:
                return tuple(conn.execute(text(sql)).one())

            core = one(
                "SELECT count(*), sum(support_vnd), sum(counterpart_vnd), sum(coalesce(trainees, 0)) "
                "FROM core_projects WHERE valid_to IS NULL"
            )
            summary = one(
                "SELECT sum(projects), sum(support_vnd), sum(counterpart_vnd), sum(trainees) "
                "FROM out_yearly_summary"
            )
            assert tuple(int(x) for x in summary) == tuple(int(x) for x in core)
            trend = one(
                "SELECT sum(projects), sum(support_vnd) FROM out_yearly_trend WHERE funding_source = 'ALL'"
            )
            assert tuple(int(x) for x in trend) == (int(core[0]), int(core[1]))
            for table in ("out_yearly_summary", "out_reporting_completeness"):
                got = sorted(conn.execute(text(f"SELECT DISTINCT year FROM {table}")).scalars())
                assert got == years, table
            completeness = one(
                "SELECT count(*), sum(expected), sum(CASE WHEN received > 0 THEN 1 ELSE 0 END) "
                "FROM out_reporting_completeness"
            )
            assert completeness == (70, 70, 70)  # 10 units x 7 years, every one reported
            progress_years = sorted(
                conn.execute(text("SELECT DISTINCT year FROM out_target_progress")).scalars()
            )
            assert progress_years == [y for y in years if y >= 2021]
            machinery = one(
                "SELECT actual_value FROM out_target_progress "
                "WHERE indicator_code = 'machinery_establishments' AND year = 2025"
            )
            counted = one(
                "SELECT count(*) FROM core_projects WHERE valid_to IS NULL "
                "AND activity_code = 'machinery_transfer' AND year BETWEEN 2021 AND 2025"
            )
            assert machinery[0] == counted[0]
    finally:
        engine.dispose()
    for key in (
        "out_yearly_summary",
        "out_yearly_trend",
        "out_reporting_completeness",
        "out_target_progress",
    ):
        event = instance.get_latest_materialization_event(dg.AssetKey(key))
        assert event is not None, key
        metadata = event.asset_materialization.metadata  # type: ignore[union-attr]
        assert "| " in metadata["preview"].value and metadata["dagster/row_count"].value > 0
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("out_yearly_trend"), "funding_not_lower_than_previous_year")]
    )
    assert checks  # the WARN check ran


def test_summary_prints_the_year(
    loaded: tuple[str, dg.DagsterInstance, list[int]], capsys: pytest.CaptureFixture[str]
) -> None:
    from kc_pipeline.cli import main

    url = loaded[0]
    assert main(["summary", "--warehouse", url, "--year", "2021"]) == 0
    out = capsys.readouterr().out
    assert "Năm 2021" in out and "Khuyến công địa phương (KCDP)" in out and "So với năm 2020" in out
    assert main(["summary", "--warehouse", url, "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert {r["year"] for r in doc["rows"]} == set(loaded[2])


def test_the_run_writes_the_report_for_the_whole_period(
    loaded: tuple[str, dg.DagsterInstance, list[int]],
) -> None:
    import os
    import re

    url, instance, years = loaded
    period = f"{years[0]}-{years[-1]}"
    reports = Path(os.environ["KC_REPORTS_DIR"])
    narrative = (reports / f"bao_cao_khuyen_cong_{period}.md").read_text(encoding="utf-8")
    assert (reports / f"bao_cao_khuyen_cong_{period}.xlsx").is_file()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            local = conn.execute(
                text("SELECT sum(projects) FROM out_yearly_summary WHERE funding_source = 'KCDP'")
            ).scalar_one()
            per_year = dict(
                conn.execute(text("SELECT year, sum(projects) FROM out_yearly_summary GROUP BY year")).all()
            )
    finally:
        engine.dispose()
    assert f"Khuyến công địa phương: thực hiện {int(local)} đề án" in narrative
    stated = {int(y): int(n) for y, n in re.findall(r"năm (\d{4}): (\d+) đề án", narrative)}
    assert stated == {int(y): int(n) for y, n in per_year.items()}
    event = instance.get_latest_materialization_event(dg.AssetKey("out_staff_report"))
    metadata = event.asset_materialization.metadata  # type: ignore[union-attr]
    assert "data:image/png;base64," in metadata["chart"].value
    assert metadata["narrative"].value == narrative
