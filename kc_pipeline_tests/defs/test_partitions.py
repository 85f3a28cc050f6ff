"""Partition ranges: each must be a rectangle that selects exactly the unit-years wanted."""

import random

import dagster as dg
import pytest

from kc_pipeline.defs.partitions import partition_ranges, unit_year

UNITS = ["a", "b", "c", "d"]


def _definition(years: list[str]) -> tuple[dg.MultiPartitionsDefinition, dg.DagsterInstance]:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("y", years)  # in this order, as a real instance keeps them
    definition = dg.MultiPartitionsDefinition(
        {"unit": dg.StaticPartitionsDefinition(UNITS), "year": dg.DynamicPartitionsDefinition(name="y")}
    )
    return definition, instance


def _selected(ranges: list[tuple[str, str]], years: list[str]) -> list[tuple[str, int]]:
    """What Dagster itself materializes for each range tag, as the runner and schedule pass them."""
    definition, instance = _definition(years)
    out = []
    for first, last in ranges:
        keys = definition.get_partition_keys_in_range(dg.PartitionKeyRange(first, last), instance)
        out.extend(unit_year(k) for k in keys)
    return out


def test_non_rectangular_sets_are_cut_into_rectangles() -> None:
    years = ["2014", "2025"]
    wanted = {("a", 2025), ("b", 2014)}  # next to each other in key order, but not a rectangle
    ranges = partition_ranges(UNITS, years, wanted)
    assert sorted(_selected(ranges, years)) == sorted(wanted)


def test_years_follow_the_instance_order_not_numeric_order() -> None:
    years = ["2020", "2021", "2019"]  # 2019's files arrived last
    wanted = {("a", 2019), ("a", 2020)}
    ranges = partition_ranges(UNITS, years, wanted)
    assert sorted(_selected(ranges, years)) == sorted(wanted)
    assert len(ranges) == 2  # not adjacent in the instance's order


def test_a_full_grid_is_one_range() -> None:
    years = ["2021", "2022", "2023"]
    wanted = {(u, int(y)) for u in UNITS for y in years}
    assert partition_ranges(UNITS, years, wanted) == [("a|2021", "d|2023")]
    assert partition_ranges(UNITS, years, set()) == []


@pytest.mark.parametrize("seed", range(40))
def test_random_sets_are_selected_exactly_once(seed: int) -> None:
    rng = random.Random(seed)
    years = [str(y) for y in rng.sample(range(2014, 2022), 6)]
    wanted = {(u, int(y)) for u in UNITS for y in years if rng.random() < 0.6}
    sizes = {key: rng.randint(1, 10) for key in wanted}
    budget = rng.choice([None, 5, 12, 30])
    ranges = partition_ranges(UNITS, years, wanted, sizes, budget)
    selected = _selected(ranges, years)
    assert len(selected) == len(set(selected))  # nothing twice
    assert set(selected) == wanted
    if budget is not None:
        for first, last in ranges:
            chunk = _selected([(first, last)], years)
            assert len(chunk) == 1 or sum(sizes[k] for k in chunk) <= budget


def test_a_unit_year_over_the_budget_runs_alone() -> None:
    years = ["2024", "2025"]
    wanted = {("a", 2024), ("a", 2025), ("b", 2024), ("b", 2025)}
    sizes = {("a", 2024): 100, ("a", 2025): 1, ("b", 2024): 1, ("b", 2025): 1}
    ranges = partition_ranges(UNITS, years, wanted, sizes, budget=10)
    assert ("a|2024", "a|2024") in ranges
    assert sorted(_selected(ranges, years)) == sorted(wanted)
