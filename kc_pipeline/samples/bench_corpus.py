"""The benchmark's drop folders: a national-scale corpus, its double, and a few very large files.

Why a module of its own: ``make bench`` must measure the pipeline at the scale a ministry loads
(every province, hundreds of workbooks of a few hundred projects), and the sample corpus is one
small file per unit-year. This builds on the sample generator (:func:`plan_file` for the layout,
presentation and projects of a file, the layout writers for the bytes), so every benchmark file
is one the reader's tests know how to read:

* each unit-year gets ``parts`` files ``<name>_part-NN.xlsx``, each of ``projects`` projects drawn
  from further ``plan_file`` streams of the same unit-year; a project key (code, or the hash of
  funding source, title and beneficiary) appears once per unit-year, so parts never collide;
* the large-file corpus is ``files`` workbooks of ``rows`` projects each, one per unit;
* everything is deterministic, written by two processes, and cached under the work dir in a
  folder named by a hash of the generator's source and the parameters, so a second ``make bench``
  reuses it and a changed generator writes a new one.

The doubled corpus (``parts * 2`` files per unit-year) begins with exactly the national files
(planning a unit-year is sequential, so parts ``0..parts-1`` come out the same), hard-linked
rather than written again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from kc_pipeline.keys import project_key
from kc_pipeline.reference import OrgUnit, Reference, load_reference
from kc_pipeline.samples import vocabulary as vocab
from kc_pipeline.samples.generator import FilePlan, _units_in, plan_file, write_plan

WRITE_WORKERS = 2
_MARKER = ".complete"


@dataclass(frozen=True)
class CorpusSpec:
    """A drop folder of ``parts`` files of ``projects`` projects for every unit valid in each year."""

    years: tuple[int, ...]
    parts: int
    projects: int
    seed: int = 2021

    @property
    def kind(self) -> str:
        return "corpus"


@dataclass(frozen=True)
class LargeSpec:
    """``files`` workbooks of ``rows`` projects each, one per unit, all for ``year``."""

    files: int
    rows: int
    year: int = 2025
    seed: int = 2021

    @property
    def kind(self) -> str:
        return "large"


NATIONAL = CorpusSpec(years=tuple(range(2014, 2026)), parts=5, projects=200)  # 600 files, 120,000 projects
QUICK = CorpusSpec(years=(2023, 2024, 2025), parts=2, projects=50)  # 60 files, 3,000 projects
LARGE = LargeSpec(files=10, rows=20_000)
QUICK_LARGE = LargeSpec(files=2, rows=2_000)


@dataclass(frozen=True)
class Corpus:
    """A written drop folder: its root, its workbooks (sorted) and how many projects they hold."""

    root: Path
    paths: tuple[Path, ...]
    projects: int
    generated_s: float  # 0 when the cache was used

    @property
    def cached(self) -> bool:
        return self.generated_s == 0.0


# ------------------------------------------------------------------------------------------ planning


def _part_seed(seed: int, part: int, draw: int) -> int:
    """A distinct ``plan_file`` seed for each (part, draw); the sample corpus's own seed is never reused."""
    return seed * 1_000_000 + (part + 1) * 10_000 + draw


def _sort_key(ref: Reference) -> Any:
    programme_order = {code: i for i, code in enumerate(ref.programmes)}
    activity_order = {code: i for i, code in enumerate(ref.activities)}

    def key(p: dict[str, Any]) -> tuple[bool, int, int]:
        return (
            p["funding_source"] != "KCQG",
            programme_order[p["programme_code"]],
            activity_order[p["activity_code"]],
        )

    return key


def plan_unit_year(
    ref: Reference, unit: OrgUnit, year: int, parts: int, projects: int, seed: int = 2021
) -> list[FilePlan]:
    """The ``parts`` files of one unit-year, ``projects`` projects each, no project key twice.

    Part ``p`` takes its layout and presentation from ``plan_file`` with its own seed, then draws
    projects from further seeds of the same unit-year (same layout, so same legacy font) until it
    has enough, skipping any whose money scale differs (amounts must stay exact in the sheet's unit).
    Part ``p`` depends only on parts before it, so a longer run of parts starts with the same files.
    """
    seen: set[str] = set()
    plans: list[FilePlan] = []
    order = _sort_key(ref)
    abbr = vocab.UNIT_ABBR.get(unit.slug, unit.unit_code)
    for part in range(parts):
        base = plan_file(ref, unit, year, _part_seed(seed, part, 0))
        chosen: list[dict[str, Any]] = []
        draw = 0
        while len(chosen) < projects:
            source = base if draw == 0 else plan_file(ref, unit, year, _part_seed(seed, part, draw))
            draw += 1
            if draw > 200 + projects * 2:
                raise RuntimeError(f"{unit.slug} {year}: cannot draw {projects} distinct projects")
            if source.document.money_scale != base.document.money_scale:
                continue
            for project in source.projects:
                funding, title, who = project["funding_source"], project["title"], project["beneficiary"]
                key = project_key(unit.unit_code, year, funding, title, None, who)
                if key in seen:
                    continue
                seen.add(key)
                chosen.append(dict(project))
                if len(chosen) == projects:
                    break
        chosen.sort(key=order)
        has_code = any(key == "project_code" for key, _ in base.document.columns)
        sequence = {"KCQG": 0, "KCDP": 0}
        for project in chosen:
            project["project_code"] = None
            if has_code:
                source_code = project["funding_source"]
                sequence[source_code] += 1
                prefix = "KCQG" if source_code == "KCQG" else "KCĐP"
                number = sequence[source_code]
                project["project_code"] = f"{prefix}-{year}-{abbr}-P{part + 1:02d}-{number:03d}"
        name = f"{base.relative_path.stem}_part-{part + 1:02d}{base.relative_path.suffix}"
        plans.append(replace(base, relative_path=base.relative_path.with_name(name), projects=tuple(chosen)))
    return plans


def unit_years(ref: Reference, years: Iterable[int]) -> list[tuple[str, int]]:
    """(unit slug, year) for every unit valid in each year, in the sample corpus's order."""
    return [(unit.slug, year) for year in years for unit in _units_in(ref, year)]


def large_units(ref: Reference, spec: LargeSpec) -> list[str]:
    """The unit slugs of the large files: one file per unit, cycling if there are more files than units."""
    units = [unit.slug for unit in _units_in(ref, spec.year)]
    if spec.files > len(units):
        raise ValueError(f"{spec.files} large files but only {len(units)} units in {spec.year}")
    return units[: spec.files]


# ------------------------------------------------------------------------------------------- writing


@lru_cache(maxsize=1)
def _reference() -> Reference:
    return load_reference()


def _write_unit_year(
    out_dir: str, slug: str, year: int, parts: int, projects: int, seed: int, first_part: int
) -> tuple[list[str], int]:
    """Worker: plan a unit-year and write its parts from ``first_part`` on; (relative paths, projects)."""
    ref = _reference()
    unit = ref.units_by_slug[slug]
    written: list[str] = []
    count = 0
    for plan in plan_unit_year(ref, unit, year, parts, projects, seed)[first_part:]:
        write_plan(plan, Path(out_dir))
        written.append(plan.relative_path.as_posix())
        count += len(plan.projects)
    return written, count


def source_digest(spec: CorpusSpec | LargeSpec) -> str:
    """Hash of the generator's source (every module of ``kc_pipeline.samples``), openpyxl's version
    and ``spec``: the cache key of a corpus."""
    import importlib.metadata

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(here.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(importlib.metadata.version("openpyxl").encode())
    digest.update(json.dumps({"kind": spec.kind, **asdict(spec)}, sort_keys=True).encode())
    return digest.hexdigest()[:12]


def _cached(root: Path) -> Corpus | None:
    marker = root / _MARKER
    if not marker.is_file():
        return None
    manifest = json.loads(marker.read_text(encoding="utf-8"))
    return Corpus(root, tuple(root / p for p in manifest["files"]), manifest["projects"], 0.0)


def _finish(tmp: Path, root: Path, files: Sequence[str], projects: int, started: float) -> Corpus:
    """Mark ``tmp`` complete and move it into place, so a half-written corpus is never reused."""
    files = sorted(files)
    (tmp / _MARKER).write_text(json.dumps({"files": files, "projects": projects}), encoding="utf-8")
    if root.exists():
        shutil.rmtree(root)
    tmp.rename(root)
    return Corpus(root, tuple(root / f for f in files), projects, time.perf_counter() - started)


def _prune(work_dir: Path, prefix: str, keep: Path) -> None:
    """Remove older corpora of the same kind (another generator version): they are never used again."""
    for old in work_dir.glob(f"{prefix}-*"):
        if old != keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _run(tasks: list[tuple[Any, ...]], workers: int) -> tuple[list[str], int]:
    files: list[str] = []
    projects = 0
    if workers <= 1:
        results = [_write_unit_year(*task) for task in tasks]
    else:
        import multiprocessing

        # forkserver: the caller may already run threads (a sandbox pool), which fork must not copy.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = list(pool.map(_write_unit_year, *zip(*tasks, strict=True)))
    for written, count in results:
        files.extend(written)
        projects += count
    return files, projects


def build_corpus(work_dir: Path, spec: CorpusSpec = NATIONAL, workers: int = WRITE_WORKERS) -> Corpus:
    """The drop folder for ``spec`` under ``work_dir`` (``corpus-<hash>``), written once and reused."""
    root = work_dir / f"corpus-{source_digest(spec)}"
    if (found := _cached(root)) is not None:
        return found
    started = time.perf_counter()
    work_dir.mkdir(parents=True, exist_ok=True)
    tmp = work_dir / f"tmp-{root.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tasks = [
        (str(tmp), slug, year, spec.parts, spec.projects, spec.seed, 0)
        for slug, year in unit_years(_reference(), spec.years)
    ]
    files, projects = _run(tasks, workers)
    corpus = _finish(tmp, root, files, projects, started)
    _prune(work_dir, "corpus", root)
    return corpus


def build_doubled_corpus(work_dir: Path, spec: CorpusSpec = NATIONAL, workers: int = WRITE_WORKERS) -> Corpus:
    """Twice the files of ``spec`` per unit-year (``doubled-<hash>``): the national files, hard-linked
    (copied where links are impossible), then as many new parts beside them."""
    doubled = replace(spec, parts=spec.parts * 2)
    root = work_dir / f"doubled-{source_digest(doubled)}"
    if (found := _cached(root)) is not None:
        return found
    national = build_corpus(work_dir, spec, workers)
    started = time.perf_counter()
    tmp = work_dir / f"tmp-{root.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    files = link_tree(national.root, tmp, national.paths)
    tasks = [
        (str(tmp), slug, year, doubled.parts, doubled.projects, doubled.seed, spec.parts)
        for slug, year in unit_years(_reference(), spec.years)
    ]
    more, projects = _run(tasks, workers)
    corpus = _finish(tmp, root, [*files, *more], national.projects + projects, started)
    _prune(work_dir, "doubled", root)
    return corpus


def build_large_corpus(work_dir: Path, spec: LargeSpec = LARGE, workers: int = WRITE_WORKERS) -> Corpus:
    """``spec.files`` workbooks of ``spec.rows`` projects (``large-<hash>``), one unit each."""
    root = work_dir / f"large-{source_digest(spec)}"
    if (found := _cached(root)) is not None:
        return found
    started = time.perf_counter()
    work_dir.mkdir(parents=True, exist_ok=True)
    tmp = work_dir / f"tmp-{root.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tasks = [
        (str(tmp), slug, spec.year, 1, spec.rows, spec.seed + 1, 0)
        for slug in large_units(_reference(), spec)
    ]
    files, projects = _run(tasks, workers)
    corpus = _finish(tmp, root, files, projects, started)
    _prune(work_dir, "large", root)
    return corpus


def link_tree(source: Path, target: Path, paths: Iterable[Path]) -> list[str]:
    """Hard-link ``paths`` (under ``source``) into ``target`` at the same relative places; returns them.

    A drop folder for a run costs no copy, and the cached files stay untouched as long as whoever
    changes a file replaces it (write elsewhere, then rename) instead of writing into it.
    """
    out: list[str] = []
    for path in paths:
        relative = path.relative_to(source)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, destination)
        except OSError:
            shutil.copy2(path, destination)
        out.append(relative.as_posix())
    return out


def change_one_project(drop: Path, relative: str, spec: CorpusSpec, bump: int = 1) -> None:
    """Rewrite one workbook of a corpus with its first project's support raised by ``bump`` million đồng.

    The file is written beside the drop folder and renamed over the old one, so a hard link to the
    cached corpus is replaced, never written through; its mtime is now, as a real re-send's would be.
    """
    ref = _reference()
    year_text, slug, name = Path(relative).parts[-3:]
    part = int(name.rsplit("_part-", 1)[1].split(".")[0]) - 1
    unit = ref.units_by_slug[slug]
    plan = plan_unit_year(ref, unit, int(year_text), part + 1, spec.projects, spec.seed)[part]
    projects = [dict(p) for p in plan.projects]
    first = projects[0]
    first["support_vnd"] += bump * 1_000_000
    first["total_vnd"] = first["support_vnd"] + first["counterpart_vnd"]
    scratch = drop.parent / f".rewrite-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    written = write_plan(replace(plan, projects=tuple(projects)), scratch)
    now = time.time()
    os.utime(written.path, (now, now))
    os.replace(written.path, drop / relative)
    shutil.rmtree(scratch, ignore_errors=True)
