"""Write the report files atomically: a failure midway never leaves a half report behind."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kc_pipeline.report.data import ReportData
from kc_pipeline.report.listing import cache_dir_for
from kc_pipeline.report.narrative import narrative
from kc_pipeline.report.workbook import write_workbook


@dataclass(frozen=True)
class ReportFiles:
    workbook: Path
    narrative: Path
    text: str


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def report_name(data: ReportData) -> str:
    suffix = f"_{data.reference.units[data.unit_code].slug}" if data.unit_code else ""
    return f"bao_cao_khuyen_cong_{data.period}{suffix}"


def _atomic(target: Path, write: Callable[[Path], None]) -> None:
    """``write`` into a temporary file beside ``target``, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=f"{target.suffix}.tmp")
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # readable like any other file, not mkstemp's 0600
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_report(data: ReportData, out_dir: Path) -> ReportFiles:
    """Both files, each complete or not at all; the narrative only after the workbook succeeded.

    The project list's rendered years are kept beside ``out_dir`` (:func:`cache_dir_for`), so a run
    after one unit-year changed renders that year only.
    """
    name = report_name(data)
    if data.cache_dir is None:
        data = replace(data, cache_dir=cache_dir_for(out_dir, name))
    text = narrative(data)
    workbook = out_dir / f"{name}.xlsx"
    markdown = out_dir / f"{name}.md"
    _atomic(workbook, lambda path: write_workbook(data, path))
    _atomic(markdown, lambda path: path.write_text(text, encoding="utf-8"))
    return ReportFiles(workbook, markdown, text)
