"""Unit × year partitions: the Dagster UI shows them as a grid of who has reported for which year.

Units are static (the reference list of reporting units, by folder slug); years are dynamic and
added when files for a new year arrive, so the grid never shows decades nobody reports for.
"""

from __future__ import annotations

from collections.abc import Iterable

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
