from pathlib import Path

import dagster as dg
import pytest

from kc_pipeline.defs import runner
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline.report import chart
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
