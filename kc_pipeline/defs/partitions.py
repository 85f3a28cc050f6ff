"""Unit × year partitions: the Dagster UI shows them as a grid of who has reported for which year.

Units are static (the reference list of reporting units, by folder slug); years are dynamic and
added when files for a new year arrive, so the grid never shows decades nobody reports for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import dagster as dg

from kc_pipeline.reference import load_reference

YEAR_PARTITIONS = "year"
year_partitions = dg.DynamicPartitionsDefinition(name=YEAR_PARTITIONS)
unit_partitions = dg.StaticPartitionsDefinition(sorted(u.slug for u in load_reference().units.values()))
unit_year_partitions = dg.MultiPartitionsDefinition({"unit": unit_partitions, "year": year_partitions})


def partition_key(unit_slug: str, year: int) -> str:
    return dg.MultiPartitionKey({"unit": unit_slug, "year": str(year)})


def unit_year(key: str | dg.MultiPartitionKey) -> tuple[str, int]:
    """(unit slug, year) of a partition key."""
    keys = key.keys_by_dimension if isinstance(key, dg.MultiPartitionKey) else _split(key)
    return keys["unit"], int(keys["year"])


def _split(key: str) -> dict[str, str]:
    unit, year = key.split("|")  # dimension names sorted: unit, year
    return {"unit": unit, "year": year}


def register_years(instance: dg.DagsterInstance, years: Iterable[int]) -> list[str]:
    """Add year partitions not yet known to the instance; returns the ones added."""
    known = set(instance.get_dynamic_partitions(YEAR_PARTITIONS))
    new = sorted({str(y) for y in years} - known)
    if new:
        instance.add_dynamic_partitions(YEAR_PARTITIONS, new)
    return new


def partition_ranges(
    units: Sequence[str],
    years: Sequence[str],
    wanted: Iterable[tuple[str, int]],
    sizes: Mapping[tuple[str, int], int] | None = None,
    budget: int | None = None,
) -> list[tuple[str, str]]:
    """Partition key ranges (first, last) that together select exactly the ``wanted`` unit-years.

    Dagster reads a range of a multi-partitioned asset as a rectangle: every unit from the first's
    to the last's, in ``units`` order, times every year from the first's to the last's, in
    ``years`` order (the dynamic dimension's order, which is the order years were added). So each
    range here is a rectangle of wanted unit-years: consecutive units with the same runs of
    consecutive years share one. With a ``budget``, a rectangle whose ``sizes`` (bytes of
    workbooks) pass it is cut into smaller rectangles by years, then by units; a single unit-year
    above the budget is a range of its own.
    """
    sizes = sizes or {}
    position = {year: i for i, year in enumerate(years)}
    by_unit: dict[str, set[int]] = {}
    for slug, year in wanted:
        by_unit.setdefault(slug, set()).add(position[str(year)])
    # Consecutive units with the same runs of years share rectangles.
    groups: list[tuple[list[str], list[tuple[int, int]], int]] = []
    for u, slug in enumerate(units):
        if slug not in by_unit:
            continue
        spans = [(run[0], run[-1]) for run in _runs(sorted(by_unit[slug]))]
        if groups and groups[-1][1] == spans and groups[-1][2] == u - 1:
            groups[-1][0].append(slug)
            groups[-1] = (groups[-1][0], spans, u)
        else:
            groups.append(([slug], spans, u))
    out: list[tuple[str, str]] = []
    for group_units, spans, _ in groups:
        for first, last in spans:
            for chunk_units, chunk_years in _cut(group_units, list(years[first : last + 1]), sizes, budget):
                out.append(
                    (
                        str(partition_key(chunk_units[0], int(chunk_years[0]))),
                        str(partition_key(chunk_units[-1], int(chunk_years[-1]))),
                    )
                )
    return out


def _runs(positions: list[int]) -> list[list[int]]:
    """Consecutive runs of sorted integers."""
    runs: list[list[int]] = []
    for p in positions:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


def _cut(
    units: list[str], years: list[str], sizes: Mapping[tuple[str, int], int], budget: int | None
) -> list[tuple[list[str], list[str]]]:
    def size(us: list[str], ys: list[str]) -> int:
        return sum(sizes.get((u, int(y)), 0) for u in us for y in ys)

    if budget is None or size(units, years) <= budget:
        return [(units, years)]
    if len(years) > 1:
        groups = _greedy(years, lambda ys: size(units, ys), budget)
        return [part for group in groups for part in _cut(units, group, sizes, budget)]
    return [(group, years) for group in _greedy(units, lambda us: size(us, years), budget)]


def _greedy(items: list[str], size_of: Callable[[list[str]], int], budget: int) -> list[list[str]]:
    """Consecutive groups of ``items``, each within ``budget`` unless one item alone passes it."""
    groups: list[list[str]] = []
    for item in items:
        if groups and size_of([*groups[-1], item]) <= budget:
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups
