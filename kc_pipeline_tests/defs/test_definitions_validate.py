"""The code location loads the way Dagster's own tools load it, not only as an import in a test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg

from kc_pipeline.paths import PROJECT_ROOT

VALIDATE_TIMEOUT_S = 180  # imports pandas, Great Expectations and matplotlib: slow on a loaded CI machine


def test_definitions_are_loadable_in_process() -> None:
    from kc_pipeline.definitions import defs

    dg.Definitions.validate_loadable(defs)


def test_dagster_definitions_validate_passes(tmp_path: Path) -> None:
    """``dagster definitions validate -w workspace.yaml`` from the repository root, as a deploy runs it."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml", home / "dagster.yaml")  # the local profile must load too
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster)] if dagster.is_file() else [sys.executable, "-m", "dagster"]
    result = subprocess.run(
        [*command, "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=VALIDATE_TIMEOUT_S,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "All code locations passed validation" in output, output
