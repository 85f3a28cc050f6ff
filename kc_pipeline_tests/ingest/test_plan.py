"""The run's plan: the files a run takes, the dirty unit-years, and the workbooks it does not take."""

from pathlib import Path

import pytest

from kc_pipeline.ingest.dropfolder import DropFolderUnavailable
from kc_pipeline.ingest.plan import plan_run
from kc_pipeline.reference import load_reference
from kc_pipeline.warehouse.engine import make_engine, upgrade
from kc_pipeline.warehouse.loader import load_unit_year
from kc_pipeline_tests.defs.test_raw import write_district_file
from kc_pipeline_tests.warehouse.batches import batch


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


def test_a_drop_folder_that_cannot_say_what_it_holds_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kc.sqlite'}"
    engine = make_engine(url)
    empty_share = tmp_path / "share"
    empty_share.mkdir()
    try:
        upgrade(engine)
        for folder in (tmp_path / "missing", tmp_path / "kc.sqlite"):  # no folder, a file
            with pytest.raises(DropFolderUnavailable, match="does not exist or is not a folder"):
                plan_run(folder, tmp_path / "staging", load_reference(), engine, url)
        # An empty warehouse has nothing to close: an empty folder is a first run.
        assert plan_run(empty_share, tmp_path / "staging", load_reference(), engine, url).dirty == set()
        incoming = tmp_path / "incoming"
        write_district_file(incoming / "2025" / "vo-nhai" / "a.xlsx", "UBND HUYỆN VÕ NHAI", 2025, 1)
        load_unit_year(engine, "170", 2025, *batch(incoming / "2025" / "vo-nhai" / "a.xlsx"))
        with pytest.raises(DropFolderUnavailable, match="holds no year folder"):
            plan_run(empty_share, tmp_path / "staging", load_reference(), engine, url)
    finally:
        engine.dispose()
