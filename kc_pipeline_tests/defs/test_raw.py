"""The raw asset through Dagster itself: partitions, staging and metadata on a real drop folder."""

from pathlib import Path

import dagster as dg
import openpyxl
import pytest

from kc_pipeline.defs.partitions import partition_key, register_years, unit_year, unit_year_partitions
from kc_pipeline.defs.raw import RAW_WORKBOOKS, partition_manifest_path, raw_district_workbooks
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse


def write_district_file(path: Path, unit_title: str, year: int, projects: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([unit_title])
    ws.append([f"DANH MỤC ĐỀ ÁN KHUYẾN CÔNG ĐỊA PHƯƠNG NĂM {year}"])
    ws.append(
        [
            "STT",
            "Tên đề án",
            "Đơn vị thụ hưởng",
            "Kinh phí khuyến công hỗ trợ (đồng)",
            "Kinh phí đối ứng (đồng)",
        ]
    )
    for i in range(1, projects + 1):
        ws.append([i, f"Hỗ trợ ứng dụng máy sao chè số {i}", f"Cơ sở chè {i}", 100_000_000 + i, 150_000_000])
    ws.append(
        ["", "Tổng cộng", "", sum(100_000_000 + i for i in range(1, projects + 1)), 150_000_000 * projects]
    )
    wb.save(path)


@pytest.fixture
def drop(tmp_path: Path) -> DropFolder:
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2021" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 3)
    write_district_file(incoming / "2022" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2022, 4)
    write_district_file(incoming / "2022" / "vo-nhai" / "b.xlsx", "UBND HUYỆN VÕ NHAI", 2022, 2)
    (incoming / "2022" / "vo-nhai" / "~$b.xlsx").write_bytes(b"lock")
    return DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(url=f"sqlite:///{tmp_path / 'kc.sqlite'}")


def test_partition_keys_round_trip() -> None:
    key = partition_key("dai-tu", 2021)
    assert str(key) == "dai-tu|2021"
    assert unit_year(key) == ("dai-tu", 2021)
    assert unit_year("tinh|2025") == ("tinh", 2025)


def test_one_partition_materializes_with_row_count_and_preview(drop: DropFolder) -> None:
    instance = dg.DagsterInstance.ephemeral()
    register_years(instance, [2021, 2022])
    result = dg.materialize(
        [raw_district_workbooks],
        instance=instance,
        resources={"drop_folder": drop},
        partition_key="dai-tu|2022",
    )
    assert result.success
    [materialization] = result.asset_materializations_for_node(RAW_WORKBOOKS)
    metadata = materialization.metadata
    assert metadata["dagster/row_count"].value == 4
    assert metadata["files"].value == 1
    assert metadata["issues_error"].value == 0
    titles = [record.data["title"] for record in metadata["preview"].value.records]
    assert titles[0] == "Hỗ trợ ứng dụng máy sao chè số 1" and len(titles) == 4
    manifest = partition_manifest_path(drop, "dai-tu", 2022)
    assert manifest.is_file()
    assert not partition_manifest_path(drop, "dai-tu", 2021).exists()  # only the partition asked for


def test_run_pipeline_marks_only_unit_years_with_files(drop: DropFolder, warehouse: Warehouse) -> None:
    instance = dg.DagsterInstance.ephemeral()
    report = run_pipeline(drop, warehouse, instance)
    assert report.success
    assert report.partitions == ["dai-tu|2021", "dai-tu|2022", "vo-nhai|2022"]
    assert sorted(Path(d["path"]).name for d in report.documents) == ["a.xlsx", "a.xlsx", "b.xlsx"]
    assert sum(len(d["rows"]) for d in report.documents) == 9
    materialized = instance.get_materialized_partitions(dg.AssetKey(RAW_WORKBOOKS))
    assert materialized == {"dai-tu|2021", "dai-tu|2022", "vo-nhai|2022"}
    keys = unit_year_partitions.get_partition_keys(dynamic_partitions_store=instance)
    assert "tinh|2021" in keys and "tinh|2021" not in materialized


def test_definitions_load() -> None:
    from kc_pipeline.definitions import defs

    assert defs.resolve_assets_def(RAW_WORKBOOKS).partitions_def == unit_year_partitions


def test_only_changed_unit_years_run_again(drop: DropFolder, warehouse: Warehouse) -> None:
    instance = dg.DagsterInstance.ephemeral()
    first = run_pipeline(drop, warehouse, instance)
    assert first.success and first.partitions == ["dai-tu|2021", "dai-tu|2022", "vo-nhai|2022"]
    nothing = run_pipeline(drop, warehouse, instance)
    assert nothing.success and nothing.runs == [] and nothing.unchanged == 3  # no run at all, not even out_*
    path = Path(drop.incoming_dir) / "2022" / "vo-nhai" / "b.xlsx"
    write_district_file(path, "UBND HUYỆN VÕ NHAI", 2022, 5)
    changed = run_pipeline(drop, warehouse, instance)
    assert changed.partitions == ["vo-nhai|2022"] and changed.unchanged == 2
    assert [(x["unit"], x["inserted"]) for x in changed.loads] == [("vo-nhai", 3)]
    path.unlink()
    removed = run_pipeline(drop, warehouse, instance)
    assert removed.partitions == ["vo-nhai|2022"]
    assert [(x["unit"], x["closed"]) for x in removed.loads] == [("vo-nhai", 5)]
    full = run_pipeline(drop, warehouse, instance, full=True)
    assert full.success and full.partitions == ["dai-tu|2021", "dai-tu|2022"]  # every unit-year with files
    assert sum(x["inserted"] + x["updated"] + x["closed"] for x in full.loads) == 0
