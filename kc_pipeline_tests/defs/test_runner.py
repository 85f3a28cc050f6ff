from pathlib import Path

import dagster as dg
import pytest

from kc_pipeline.defs import runner
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.ingest import sandbox
from kc_pipeline.report import chart, render_pool
from kc_pipeline.validate import gx_service
from kc_pipeline_tests.defs.tiny_drop import tiny_drop


def test_a_run_with_work_imports_the_reports_chart_modules_ahead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warmed: list[tuple[str, ...]] = []
    real = runner.warm_imports
    monkeypatch.setattr(runner, "warm_imports", lambda names: warmed.append(tuple(names)) or real(names))
    drop = tiny_drop(tmp_path / "a")
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'a.sqlite'}")
    assert runner.run_pipeline(drop, warehouse, dg.DagsterInstance.ephemeral()).success
    assert warmed == [chart.MODULES]
    assert runner.run_pipeline(drop, warehouse, dg.DagsterInstance.ephemeral()).success  # nothing changed
    assert warmed == [chart.MODULES]


def test_the_cli_run_ends_the_readers_and_gx_before_the_report_and_its_workers_come(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of these processes holds 100-300 MB: kept through the report, beside its workers, they
    raised a cold national run's peak from 0.80 to 0.93 GB."""
    seen: list[tuple[bool, list[int]]] = []
    real = render_pool.warm

    def warm() -> object:
        seen.append((gx_service.running(), sandbox.shared_pool().pids()))
        return real()

    monkeypatch.setattr(render_pool, "warm", warm)
    drop = tiny_drop(tmp_path / "a")
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'a.sqlite'}")
    assert runner.run_pipeline(drop, warehouse, dg.DagsterInstance.ephemeral(), release=True).success
    assert seen == [(False, [])]
    # A caller that runs again keeps them for its next run.
    drop = tiny_drop(tmp_path / "b")
    warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'b.sqlite'}")
    assert runner.run_pipeline(drop, warehouse, dg.DagsterInstance.ephemeral()).success
    assert seen[1][0] and seen[1][1]


def test_the_chart_modules_are_what_drawing_imports() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, pandas as pd\n"
        "from kc_pipeline.report.chart import MODULES, funding_chart_png\n"
        "before = set(sys.modules)\n"
        "summary = pd.DataFrame({'year': [2024], 'funding_source': ['KCDP'], 'support_vnd': [1]})\n"
        "funding_chart_png(summary, 't')\n"
        "print(all(m in sys.modules for m in MODULES), all(m not in before for m in MODULES))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.split() == ["True", "True"]
