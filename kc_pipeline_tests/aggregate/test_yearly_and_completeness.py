"""out_yearly_summary, out_yearly_trend and out_reporting_completeness against numbers worked out by hand."""

import os
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from kc_pipeline.aggregate.completeness import completeness_rows, load_deadlines
from kc_pipeline.aggregate.rebuild import replace_table
from kc_pipeline.aggregate.yearly import yearly_summary_rows, yearly_trend_rows
from kc_pipeline.reference import load_reference
from kc_pipeline.warehouse.loader import load_unit_year
from kc_pipeline.warehouse.schema import out_yearly_summary
from kc_pipeline_tests.validate.workbooks import MACHINE, TRAINING
from kc_pipeline_tests.warehouse.batches import batch, district_file, project


def arrive(path: Path, day: date) -> Path:
    stamp = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def build(engine: Engine, tmp_path: Path) -> None:
    """Đại Từ 2021 (sent twice, the first superseded), Võ Nhai 2021, Đại Từ 2022, the province 2026."""
    old = district_file(
        tmp_path / "old" / "2021" / "dai-tu" / "a.xlsx",
        [project(1, MACHINE + " 1", 999_000_000), project(2, MACHINE + " 2", 999_000_000)],
    )
    load_unit_year(engine, "171", 2021, *batch(arrive(old, date(2021, 12, 1))))
    new = district_file(
        tmp_path / "new" / "2021" / "dai-tu" / "a.xlsx",
        [
            project(1, MACHINE + " 1", 100_000_000),  # support 100 triệu + counterpart 100 triệu
            project(3, TRAINING + " 3", 40_000_000, trainees=25),  # no counterpart
            project(4, MACHINE + " 4", 60_000_000, funding="KCQG"),
        ],
    )
    load_unit_year(engine, "171", 2021, *batch(arrive(new, date(2021, 12, 30))))  # after the deadline
    vo_nhai = district_file(
        tmp_path / "2021" / "vo-nhai" / "b.xlsx",
        [project(1, MACHINE + " 5", 50_000_000)],
        title="UBND HUYỆN VÕ NHAI",
    )
    load_unit_year(engine, "170", 2021, *batch(arrive(vo_nhai, date(2021, 12, 10))))
    later = district_file(
        tmp_path / "2022" / "dai-tu" / "c.xlsx",
        [project(1, MACHINE + " 6", 80_000_000), project(2, MACHINE + " 7", 90_000_000)],
    )
    load_unit_year(engine, "171", 2022, *batch(arrive(later, date(2022, 12, 5))))
    province = district_file(
        tmp_path / "2026" / "tinh" / "d.xlsx",
        [project(1, MACHINE + " 8", 70_000_000)],
        title="SỞ CÔNG THƯƠNG TỈNH THÁI NGUYÊN",
    )
    load_unit_year(engine, "19", 2026, *batch(arrive(province, date(2026, 3, 1))))


def test_yearly_summary_counts_current_versions_only(warehouse_engine: Engine, tmp_path: Path) -> None:
    build(warehouse_engine, tmp_path)
    with warehouse_engine.connect() as conn:
        rows = yearly_summary_rows(conn)
    got = {
        (r["year"], r["unit_code"], r["funding_source"], r["activity_code"]): (
            r["projects"],
            r["support_vnd"],
            r["counterpart_vnd"],
            r["trainees"],
        )
        for r in rows
    }
    assert got == {
        (2021, "171", "KCDP", "machinery_transfer"): (1, 100_000_000, 100_000_000, 0),  # not the 999 triệu
        (2021, "171", "KCDP", "vocational_training"): (1, 40_000_000, 0, 25),
        (2021, "171", "KCQG", "machinery_transfer"): (1, 60_000_000, 60_000_000, 0),
        (2021, "170", "KCDP", "machinery_transfer"): (1, 50_000_000, 50_000_000, 0),
        (2022, "171", "KCDP", "machinery_transfer"): (2, 170_000_000, 170_000_000, 0),
        (2026, "19", "KCDP", "machinery_transfer"): (1, 70_000_000, 70_000_000, 0),
    }
    assert all(r["programme_code"] in ("technology", "human_resources") for r in rows)
    replace_table(warehouse_engine, out_yearly_summary, rows)
    with warehouse_engine.connect() as conn:
        assert len(conn.execute(select(out_yearly_summary)).all()) == 6


def test_trend_says_higher_only_when_both_projects_and_support_are(
    warehouse_engine: Engine, tmp_path: Path
) -> None:
    build(warehouse_engine, tmp_path)
    with warehouse_engine.connect() as conn:
        trend = {(r["year"], r["funding_source"]): r for r in yearly_trend_rows(yearly_summary_rows(conn))}
    all_2021, all_2022 = trend[(2021, "ALL")], trend[(2022, "ALL")]
    assert (all_2021["projects"], all_2021["support_vnd"]) == (4, 250_000_000)
    assert all_2021["previous_projects"] is None and all_2021["higher_than_previous"] is None
    assert (all_2022["projects_change"], all_2022["support_change_vnd"]) == (-2, -80_000_000)
    assert all_2022["support_change_pct"] == -32.0 and all_2022["higher_than_previous"] is False
    assert trend[(2022, "KCDP")]["support_change_vnd"] == 170_000_000 - 190_000_000
    assert (2022, "KCQG") not in trend  # no KCQG project in 2022
    assert trend[(2026, "ALL")]["previous_projects"] is None  # 2025 has no data: no comparison


def test_completeness_expects_only_units_that_existed(warehouse_engine: Engine, tmp_path: Path) -> None:
    build(warehouse_engine, tmp_path)
    reference = load_reference()
    with warehouse_engine.connect() as conn:
        rows = completeness_rows(conn, reference, load_deadlines())
    by_key = {(r["year"], r["unit_code"]): r for r in rows}
    assert {r["year"] for r in rows} == set(range(2021, 2027))
    assert sum(r["expected"] for r in rows if r["year"] == 2021) == 10  # the province and 9 districts
    assert by_key[(2021, "171")]["received"] == 1  # the superseded version does not count
    assert by_key[(2021, "171")]["on_time"] == 0  # its current file came on 30/12, after 20/12
    assert by_key[(2021, "170")]["on_time"] == 1
    assert by_key[(2021, "168")]["received"] == 0 and by_key[(2021, "168")]["on_time"] is None
    # District level ended on 30/6/2025: districts are expected in 2025, not in 2026.
    assert sum(r["expected"] for r in rows if r["year"] == 2025) == 10
    assert [r["unit_code"] for r in rows if r["year"] == 2026] == ["19"]
    assert by_key[(2026, "19")]["deadline"] == date(2026, 12, 20)
    assert by_key[(2021, "171")]["last_received_at"].date() == date(2021, 12, 30)


def test_a_unit_whose_files_were_all_rejected_is_told_apart_from_one_that_sent_nothing(
    warehouse_engine: Engine, tmp_path: Path
) -> None:
    build(warehouse_engine, tmp_path)
    broken = tmp_path / "2021" / "phu-luong" / "bao_cao.xlsx"
    broken.parent.mkdir(parents=True)
    broken.write_text("STT,Tên đề án\n1,Đào tạo nghề\n", encoding="utf-8")  # a CSV under an .xlsx name
    load_unit_year(warehouse_engine, "168", 2021, *batch(broken))
    with warehouse_engine.connect() as conn:
        rows = completeness_rows(conn, load_reference(), load_deadlines())
    by_key = {(r["year"], r["unit_code"]): r for r in rows}
    sent_broken, sent_nothing = by_key[(2021, "168")], by_key[(2021, "169")]
    assert (sent_broken["received"], sent_broken["rejected"], sent_broken["on_time"]) == (0, 1, None)
    assert (sent_nothing["received"], sent_nothing["rejected"], sent_nothing["on_time"]) == (0, 0, None)
    assert by_key[(2021, "171")]["rejected"] == 0
