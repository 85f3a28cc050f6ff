"""A real worker process for the fault tests: ``python -m kc_pipeline_tests.warehouse.load_worker``.

Arguments: warehouse URL, a JSON file holding ``{"unit": ..., "year": ..., "files": [...],
"rows": [...]}``, and a mode: ``pause-after:<step>`` writes ``<json>.paused`` at that step and
sleeps (the test kills it there), ``wait-for:<file>`` starts loading when that file appears, and
``plain`` just loads. The load summary is written to ``<json>.done``.
"""

import json
import sys
import time
from pathlib import Path

from kc_pipeline.warehouse.engine import make_engine, upgrade
from kc_pipeline.warehouse.loader import load_unit_year


def main(url: str, batch_path: str, mode: str) -> None:
    batch = json.loads(Path(batch_path).read_text(encoding="utf-8"))
    engine = make_engine(url)
    upgrade(engine)

    def hook(step: str) -> None:
        if mode == f"pause-after:{step}":
            Path(batch_path + ".paused").write_text(step)
            time.sleep(120)

    if mode.startswith("wait-for:"):
        go = Path(mode.split(":", 1)[1])
        deadline = time.monotonic() + 30
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
    summary = load_unit_year(engine, batch["unit"], batch["year"], batch["files"], batch["rows"], hook=hook)
    Path(batch_path + ".done").write_text(json.dumps(summary.to_dict()))


if __name__ == "__main__":
    main(*sys.argv[1:4])
