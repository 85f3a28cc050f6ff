"""The run's plan: the files a run takes, the dirty unit-years, and the workbooks it does not take."""

from pathlib import Path

from kc_pipeline.ingest.plan import plan_run
from kc_pipeline.reference import load_reference
from kc_pipeline.warehouse.engine import make_engine, upgrade
from kc_pipeline_tests.defs.test_raw import write_district_file


def test_the_plan_carries_every_workbook_no_run_takes_and_only_real_unit_years_are_dirty(
    tmp_path: Path,
) -> None:
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2025" / "vo-nhai" / "a.xlsx", "UBND HUYỆN VÕ NHAI", 2025, 1)
    write_district_file(incoming / "2025" / "bac-kan" / "bk.xlsx", "UBND HUYỆN VÕ NHAI", 2025, 1)
    write_district_file(incoming / "2025" / "loose.xlsx", "UBND HUYỆN VÕ NHAI", 2025, 1)
    url = f"sqlite:///{tmp_path / 'kc.sqlite'}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        plan = plan_run(incoming, tmp_path / "staging", load_reference(), engine, url)
    finally:
        engine.dispose()
    assert [f.relative for f in plan.files] == ["2025/vo-nhai/a.xlsx"]
    assert plan.dirty == {("vo-nhai", 2025)}
    assert [(n.relative, n.code) for n in plan.not_taken] == [
        ("2025/bac-kan/bk.xlsx", "unknown_unit_folder"),
        ("2025/loose.xlsx", "not_in_unit_folder"),
    ]
