"""The bench's machinery on a tiny corpus: corpora, probes, process runs and tables, never timings.

Numbers come from ``make bench``; a timed test would only measure the machine running the tests.
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from kc_pipeline import bench
from kc_pipeline.keys import project_key
from kc_pipeline.reference import Reference, load_reference
from kc_pipeline.samples import bench_corpus
from kc_pipeline.samples.bench_corpus import CorpusSpec, LargeSpec
from kc_pipeline_tests.checks import read

TINY = CorpusSpec(years=(2024,), parts=2, projects=12)


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="module")
def tiny(work: Path) -> bench_corpus.Corpus:
    return bench_corpus.build_corpus(work, TINY, workers=2)


def _bytes(corpus: bench_corpus.Corpus) -> dict[str, bytes]:
    return {p.relative_to(corpus.root).as_posix(): p.read_bytes() for p in corpus.paths}


def test_corpus_has_parts_per_unit_year_and_is_cached(
    tiny: bench_corpus.Corpus, work: Path, ref: Reference
) -> None:
    units = len(bench_corpus.unit_years(ref, TINY.years))
    assert len(tiny.paths) == units * TINY.parts
    assert tiny.projects == units * TINY.parts * TINY.projects
    assert all(p.name.endswith(("_part-01.xlsx", "_part-02.xlsx")) for p in tiny.paths)
    assert Counter(p.parent for p in tiny.paths) == {p.parent: TINY.parts for p in tiny.paths}
    again = bench_corpus.build_corpus(work, TINY)
    assert again.cached and again.root == tiny.root and again.paths == tiny.paths


def test_corpus_is_deterministic(tiny: bench_corpus.Corpus, tmp_path: Path) -> None:
    other = bench_corpus.build_corpus(tmp_path, TINY, workers=1)  # one process: same bytes
    assert other.root.name == tiny.root.name
    assert _bytes(other) == _bytes(tiny)


def test_parts_never_share_a_project_key(ref: Reference) -> None:
    unit = ref.units_by_slug["dai-tu"]
    plans = bench_corpus.plan_unit_year(ref, unit, 2016, parts=3, projects=40)
    keys = [
        project_key(
            unit.unit_code, 2016, p["funding_source"], p["title"], p["project_code"], p["beneficiary"]
        )
        for plan in plans
        for p in plan.projects
    ]
    assert len(keys) == len(set(keys)) == 120
    assert len({plan.layout for plan in plans}) == 1  # the unit-year's layout, so one legacy font
    assert len({plan.relative_path for plan in plans}) == 3


def test_more_parts_start_with_the_same_files(ref: Reference) -> None:
    """What lets the doubled corpus hard-link the national files instead of writing them again."""
    unit = ref.units_by_slug["tinh"]
    assert bench_corpus.plan_unit_year(ref, unit, 2021, 4, 15)[:2] == bench_corpus.plan_unit_year(
        ref, unit, 2021, 2, 15
    )


def test_doubled_corpus_holds_the_national_files(tiny: bench_corpus.Corpus, work: Path) -> None:
    doubled = bench_corpus.build_doubled_corpus(work, TINY, workers=1)
    assert len(doubled.paths) == 2 * len(tiny.paths)
    assert doubled.projects == 2 * tiny.projects
    national = _bytes(tiny)
    assert {k: v for k, v in _bytes(doubled).items() if k in national} == national


def test_large_corpus(work: Path) -> None:
    large = bench_corpus.build_large_corpus(work, LargeSpec(files=2, rows=150), workers=1)
    assert len(large.paths) == 2 and large.projects == 300
    result = read(large.paths[0])
    assert result.status == "read" and len(result.rows) == 150


def test_change_one_project_replaces_the_file_not_the_cache(
    tiny: bench_corpus.Corpus, tmp_path: Path
) -> None:
    drop = tmp_path / "incoming"
    bench_corpus.link_tree(tiny.root, drop, tiny.paths)
    relative = tiny.paths[0].relative_to(tiny.root).as_posix()
    cached = tiny.paths[0].read_bytes()
    bench_corpus.change_one_project(drop, relative, TINY, bump=2)
    assert tiny.paths[0].read_bytes() == cached
    before, after = read(tiny.paths[0]), read(drop / relative)
    changed = [(a.support_vnd, b.support_vnd) for a, b in zip(before.rows, after.rows, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1] - changed[0][0] == 2_000_000
    assert not any(p.name.startswith(".rewrite") for p in tmp_path.iterdir())


def test_floor_probe_counts_sheet_rows(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row in (("STT", "Tên đề án"), (1, "Hỗ trợ máy sao chè"), (2, "Đào tạo nghề mây tre")):
        book.active.append(row)
    book.create_sheet("Sheet2").append(("x",))
    path = tmp_path / "tiny.xlsx"
    book.save(path)
    assert bench.floor_probe([path]) == 4
    assert bench.floor_probe([path, path]) == 8


def test_each_read_repetition_starts_with_new_readers(tiny: bench_corpus.Corpus) -> None:
    from kc_pipeline.ingest.sandbox import shared_pool

    bench.fresh_read_workers()
    first = set(shared_pool().pids())
    bench.fresh_read_workers()
    second = set(shared_pool().pids())
    assert first and second and not first & second  # new workers, started before any timing
    seconds = bench.first_read_seconds(tiny.paths[:2], repeats=2)
    assert len(seconds) == 2 and all(s > 0 for s in seconds)


def test_run_process_times_and_reports_memory(tmp_path: Path) -> None:
    cmd = [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"]
    run = bench.run_process(cmd, dict(os.environ), tmp_path / "run", sample_memory=True)
    assert (run.returncode, run.stdout.strip(), run.stderr.strip()) == (3, "out", "err")
    assert run.seconds > 0 and run.maxrss_bytes > 1024**2
    assert bench.tree_pss_bytes(os.getpid(), include_root=True) > 1024**2


def test_naive_pipeline_loads_the_same_projects(tmp_path: Path, ref: Reference) -> None:
    spec = CorpusSpec(years=(2022,), parts=1, projects=6)
    corpus = bench_corpus.build_corpus(tmp_path, spec, workers=1)
    url = f"sqlite:///{tmp_path / 'naive.sqlite'}"
    report = bench.naive_pipeline(corpus.root, url)
    # openpyxl does not decode legacy fonts, so the naive pipeline finds no header in the TCVN3 file.
    assert report == {
        "files": len(corpus.paths),
        "rows": corpus.projects - spec.projects,
        "loaded": report["rows"],
    }


def test_ratio_table_speeds_are_against_the_baseline() -> None:
    lines = [bench.Line("slow", [4.0, 5.0, 3.9], 1000), bench.Line("fast", [1.0, 0.9, 1.2], 1000, "note")]
    table = bench.ratio_table("T", lines, "slow", "rows", "slow")
    assert table.splitlines()[0] == "T"
    assert "| slow | 4.000 | 3 | 250 | 1.00x |" in table
    assert "| fast (note) | 1.000 | 3 | 1,000 | 4.00x |" in table
    uneven = bench.ratio_table(
        "", [bench.Line("a", [1.0], 100), bench.Line("b", [1.0], 300)], "a", "rows", "a"
    )
    assert "| b | 1.000 | 1 | 300 | 3.00x |" in uneven


def _results(nothing: float, doubled: float, changed: float, peak: int) -> dict:
    def section(runs: list[float], files: int = 0, written: int = 0, **extra: object) -> dict:
        did = {"files": files, "dagster_runs": 0, "rows_written": written, "inserted": written, "updated": 0}
        return {"runs": runs, "did": [did] * len(runs), "peak_pss_bytes": peak, "maxrss_bytes": peak, **extra}

    read_section = {
        "lines": {
            bench.POOL: {"runs": [2.0], "count": 10},
            bench.FLOOR_POOL: {"runs": [1.0], "count": 10},
            bench.PANDAS: {"runs": [6.0], "count": 10},
        }
    }
    return {
        "read_national": read_section,
        "runs": {
            "corpus": {"files": 600, "projects": 120_000},
            "startup": {"runs": [1.5, 1.6, 1.7]},
            "cold": section([10.0], files=600, written=120_000),
            "naive": section([150.0]),
            "nothing_changed": section([1.6 + nothing], startup=[1.6], beyond=[nothing]),
            "one_changed": section([1.6 + changed], files=5, written=1, beyond=[changed]),
            "doubled": {
                "corpus": {"files": 1200, "projects": 240_000},
                "cold": section([20.0], files=1200, written=240_000),
                "nothing_changed": section([1.6 + doubled], beyond=[doubled]),
            },
        },
    }


def test_goals_pass_and_miss() -> None:
    verdicts = {
        g.goal.split(":")[0].split(",")[0]: g.verdict
        for g in bench.goals(_results(0.5, 0.6, 3.0, 500 * 1024**2))
    }
    assert set(verdicts.values()) == {"PASS"}, verdicts
    missed = bench.goals(_results(2.5, 3.5, 5.0, 2 * 1024**3))
    assert [g.verdict for g in missed] == ["PASS", "PASS", "MISS", "MISS", "MISS", "MISS", "PASS"]
    table = bench.goals_table(missed)
    assert table.count("| MISS |") == 4 and "2,048 MiB" in table


def test_rendered_runs_and_results_are_json(tmp_path: Path) -> None:
    results = _results(0.5, 0.6, 3.0, 500 * 1024**2)
    text = bench.render_runs(results["runs"])
    assert "| nothing changed (national) | 1 | 2.10 | 0.50 | 0 | 0 |" in text
    assert "15.00x" in text  # naive 150 s against cold 10 s
    json.dumps(results | {"goals": [g.__dict__ for g in bench.goals(results)]})
    results["read_national"].update(files=600, rows=10, projects=8)
    everything = bench.render_all(results | {"machine": {"python": "CPython"}, "versions": {"pandas": "2"}})
    assert everything.index("Cold run") < everything.index("Goals (issue 9)") < everything.index("pandas 2")
