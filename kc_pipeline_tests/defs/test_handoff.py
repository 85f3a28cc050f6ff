"""In-memory handoff between the steps of a run: same result as the staged files, nothing left over."""

from pathlib import Path

import dagster as dg
from sqlalchemy import text

from kc_pipeline.defs import handoff
from kc_pipeline.defs.core import core_validated_rows
from kc_pipeline.defs.load import core_projects
from kc_pipeline.defs.partitions import register_years
from kc_pipeline.defs.raw import raw_district_workbooks
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline_tests.defs.tiny_drop import TINY_PROJECTS, tiny_drop


def _current(url: str) -> list[tuple]:
    engine = Warehouse(url=url).engine()
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT project_key, content_hash, source_sheet, source_row FROM core_projects "
                "WHERE valid_to IS NULL ORDER BY project_key"
            )
        ).all()
    return [tuple(r) for r in rows]


def test_a_run_hands_rows_over_in_memory_and_leaves_nothing_behind(tmp_path: Path) -> None:
    drop = tiny_drop(tmp_path / "a")
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    report = run_pipeline(drop, Warehouse(url=url), dg.DagsterInstance.ephemeral())
    assert report.success
    assert handoff.pending(report.runs) == 0
    assert len(_current(url)) == TINY_PROJECTS
    assert sum(f["projects"] for f in report.files) == TINY_PROJECTS


def test_steps_in_separate_runs_read_the_staged_files_and_load_the_same(tmp_path: Path) -> None:
    """Each asset in its own run (as a step-per-process executor would): nothing to take from memory."""
    in_memory = tiny_drop(tmp_path / "a")
    url_a = f"sqlite:///{tmp_path / 'a.sqlite'}"
    assert run_pipeline(in_memory, Warehouse(url=url_a), dg.DagsterInstance.ephemeral()).success

    separate = tiny_drop(tmp_path / "b")
    url_b = f"sqlite:///{tmp_path / 'b.sqlite'}"
    instance = dg.DagsterInstance.ephemeral()
    register_years(instance, [2021, 2022])
    resources = {"drop_folder": separate, "warehouse": Warehouse(url=url_b)}
    for asset in (raw_district_workbooks, core_validated_rows, core_projects):
        for key in ("dai-tu|2021", "vo-nhai|2022"):
            result = dg.materialize([asset], instance=instance, resources=resources, partition_key=key)
            assert result.success
            assert handoff.pending([result.run_id]) == 0  # the next asset is not in this run: nothing put
    assert _current(url_b) == _current(url_a)


def test_holds_tells_a_value_is_waiting_without_taking_it() -> None:
    handoff.put("run-h", "asset", "2021|dai-tu", ["row"])
    try:
        assert handoff.holds("run-h", "asset", "2021|dai-tu")
        assert handoff.holds("run-h", "asset", "2021|dai-tu")  # asking does not take it
        assert not handoff.holds("run-h", "asset", "2022|dai-tu")
        assert handoff.take("run-h", "asset", "2021|dai-tu") == ["row"]
        assert not handoff.holds("run-h", "asset", "2021|dai-tu")
    finally:
        handoff.discard_run("run-h")
