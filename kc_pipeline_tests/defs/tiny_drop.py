"""A drop folder of two unit-years and four projects: the smallest input that exercises every asset."""

from pathlib import Path

from kc_pipeline.defs.resources import DropFolder
from kc_pipeline_tests.warehouse.batches import A, B, C, D, district_file

# What the drop folder below loads: the partitions it fills and the current projects it leaves.
TINY_PARTITIONS = frozenset({"dai-tu|2021", "vo-nhai|2022"})
TINY_PROJECTS = 4


def tiny_drop(root: Path) -> DropFolder:
    """``root/incoming`` with dai-tu 2021 (three projects) and vo-nhai 2022 (one); staging beside it."""
    incoming = root / "incoming"
    district_file(incoming / "2021" / "dai-tu" / "a.xlsx", [A, B, C])
    district_file(incoming / "2022" / "vo-nhai" / "b.xlsx", [D], title="UBND HUYỆN VÕ NHAI")
    return DropFolder(incoming_dir=str(incoming), staging_dir=str(root / "staging"))
