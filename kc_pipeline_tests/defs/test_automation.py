"""The drop-folder sensor and the nightly schedule, over a real temporary drop folder."""

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from kc_pipeline.defs.automation import TIMEZONE, UNIT_YEAR_TAG, drop_folder_sensor, nightly_reconcile
from kc_pipeline.defs.partitions import register_years
from kc_pipeline.defs.resources import DropFolder
from kc_pipeline.defs.runner import run_pipeline
from kc_pipeline.defs.warehouse import Warehouse
from kc_pipeline_tests.defs.test_raw import write_district_file


@pytest.fixture
def incoming(tmp_path: Path) -> Path:
    return tmp_path / "incoming"


def tick(incoming: Path, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources={"drop_folder": DropFolder(incoming_dir=str(incoming))}
    )
    result = drop_folder_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def keys(result: dg.SensorResult) -> list[str]:
    return [r.partition_key for r in result.run_requests or []]


def touch_later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_a_new_file_runs_once_when_it_has_settled(incoming: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    write_district_file(incoming / "2021" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    first = tick(incoming, instance, None)
    assert keys(first) == []  # seen once: it may still be being copied
    second = tick(incoming, instance, first.cursor)
    assert keys(second) == ["dai-tu|2021"]
    [request] = second.run_requests
    assert request.tags[UNIT_YEAR_TAG] == "dai-tu|2021" and request.run_key
    assert [r.partition_keys for r in second.dynamic_partitions_requests] == [["2021"]]
    third = tick(incoming, instance, second.cursor)
    assert keys(third) == []  # processed once


def test_a_file_still_being_written_waits(incoming: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    path = incoming / "2021" / "dai-tu" / "a.xlsx"
    write_district_file(path, "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # half copied
    result = tick(incoming, instance, None)
    path.write_bytes(data)  # the copy goes on: size changes between ticks
    result = tick(incoming, instance, result.cursor)
    assert keys(result) == []
    result = tick(incoming, instance, result.cursor)  # unchanged since the last tick: settled
    assert keys(result) == ["dai-tu|2021"]


def test_same_bytes_renamed_do_not_run_again_and_a_change_does(incoming: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    path = incoming / "2021" / "dai-tu" / "a.xlsx"
    write_district_file(path, "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    cursor = tick(incoming, instance, tick(incoming, instance, None).cursor).cursor
    renamed = path.with_name("danh_muc_2021.xlsx")
    path.rename(renamed)
    result = tick(incoming, instance, cursor)
    result = tick(incoming, instance, result.cursor)
    assert keys(result) == []  # the same content: same run key, nothing to do
    write_district_file(renamed, "UBND HUYỆN ĐẠI TỪ", 2021, 3)  # corrected file
    touch_later(renamed)
    result = tick(incoming, instance, tick(incoming, instance, result.cursor).cursor)
    assert keys(result) == ["dai-tu|2021"]
    assert result.run_requests[0].tags["kc/reason"] == "changed"
    renamed.unlink()  # removed: the unit-year must be reloaded (its projects closed)
    result = tick(incoming, instance, result.cursor)
    assert keys(result) == ["dai-tu|2021"] and result.run_requests[0].tags["kc/reason"] == "removed"


def test_lock_files_are_ignored_and_symlinks_out_refused(incoming: Path, tmp_path: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    folder = incoming / "2021" / "vo-nhai"
    folder.mkdir(parents=True)
    (folder / "~$a.xlsx").write_bytes(b"lock")
    (folder / ".~lock.a.xlsx#").write_bytes(b"lock")
    outside = tmp_path / "secret.xlsx"
    write_district_file(outside, "UBND HUYỆN VÕ NHAI", 2021, 1)
    (folder / "link.xlsx").symlink_to(outside)
    result = tick(incoming, instance, tick(incoming, instance, None).cursor)
    assert keys(result) == []
    state = json.loads(result.cursor)
    assert state["files"] == {}


def test_the_cursor_survives_a_restart_and_keeps_every_file(incoming: Path) -> None:
    instance = dg.DagsterInstance.ephemeral()
    write_district_file(incoming / "2021" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    write_district_file(incoming / "2022" / "vo-nhai" / "b.xlsx", "UBND HUYỆN VÕ NHAI", 2022, 2)
    cursor = tick(incoming, instance, tick(incoming, instance, None).cursor).cursor
    state = json.loads(cursor)
    assert set(state["files"]) == {"2021/dai-tu/a.xlsx", "2022/vo-nhai/b.xlsx"}
    restarted = dg.DagsterInstance.ephemeral()  # a new process with the stored cursor
    assert keys(tick(incoming, restarted, cursor)) == []


def test_nightly_schedule_runs_at_two_in_vietnam_over_ranges(incoming: Path) -> None:
    assert nightly_reconcile.execution_timezone == TIMEZONE == "Asia/Ho_Chi_Minh"
    assert nightly_reconcile.cron_schedule == "0 2 * * *"
    write_district_file(incoming / "2021" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    write_district_file(incoming / "2021" / "dinh-hoa" / "a.xlsx", "UBND HUYỆN ĐỊNH HÓA", 2021, 2)
    write_district_file(incoming / "2022" / "tinh" / "a.xlsx", "SỞ CÔNG THƯƠNG TỈNH THÁI NGUYÊN", 2022, 2)
    with dg.instance_for_test() as instance:
        register_years(instance, [2021, 2022])
        when = datetime(2026, 11, 27, 2, 0, tzinfo=ZoneInfo(TIMEZONE))
        drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(incoming.parent / "staging"))
        warehouse = Warehouse(url=f"sqlite:///{incoming.parent / 'kc.sqlite'}")
        resources = {"drop_folder": drop, "warehouse": warehouse}
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, resources=resources
        ) as context:
            requests = nightly_reconcile(context)
        ranges = [
            (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in requests
        ]
        # A range is a rectangle of units x years: dai-tu and dinh-hoa are neighbouring units with
        # the same year, so they share one; tinh|2022 is on its own.
        assert ranges == [("dai-tu|2021", "dinh-hoa|2021"), ("tinh|2022", "tinh|2022")]
        assert all(r.run_key.startswith("nightly:2026-11-27:") for r in requests)
        assert run_pipeline(drop, warehouse, instance).success  # everything loaded
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, resources=resources
        ) as context:
            assert nightly_reconcile(context) == []  # nothing changed since: no run
            shutil.rmtree(incoming / "2022")  # a unit-year taken away: its projects must be closed
            [request] = nightly_reconcile(context)
            assert request.tags["dagster/asset_partition_range_start"] == "tinh|2022"


def test_the_sensor_and_the_nightly_schedule_log_every_workbook_they_do_not_take(
    incoming: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    write_district_file(incoming / "2021" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 1)
    write_district_file(incoming / "2021" / "bac-kan" / "bk.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 1)
    write_district_file(incoming / "2021" / "loose.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 1)

    def logged() -> list[str]:
        """The warnings about files not taken since the last call (Dagster logs to stderr)."""
        return [line.split(" - WARNING - ", 1)[1] for line in capfd.readouterr().err.splitlines()
                if " - WARNING - not taken: " in line]  # fmt: skip

    expected = [
        "not taken: 2021/bac-kan/bk.xlsx: unknown unit folder 'bac-kan'",
        "not taken: 2021/loose.xlsx: not in a unit folder",
    ]
    with dg.instance_for_test() as instance:
        capfd.readouterr()
        tick(incoming, instance, None)
        messages = logged()
        assert [m[: len(e)] for m, e in zip(messages, expected, strict=True)] == expected, messages
        drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(incoming.parent / "staging"))
        warehouse = Warehouse(url=f"sqlite:///{incoming.parent / 'kc.sqlite'}")
        when = datetime(2026, 11, 27, 2, 0, tzinfo=ZoneInfo(TIMEZONE))
        with dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=when,
            resources={"drop_folder": drop, "warehouse": warehouse},
        ) as context:
            [request] = nightly_reconcile(context)
        assert request.tags["dagster/asset_partition_range_start"] == "dai-tu|2021"
        messages = logged()
        assert [m[: len(e)] for m, e in zip(messages, expected, strict=True)] == expected, messages


def test_a_drop_folder_gone_asks_for_no_run(incoming: Path, tmp_path: Path) -> None:
    """An unmounted share must not read as every file removed (which would close every project)."""
    write_district_file(incoming / "2021" / "dai-tu" / "a.xlsx", "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    with dg.instance_for_test() as instance:
        settled = tick(incoming, instance, tick(incoming, instance, None).cursor)
        assert keys(settled) == ["dai-tu|2021"]
        drop = DropFolder(incoming_dir=str(incoming), staging_dir=str(tmp_path / "staging"))
        warehouse = Warehouse(url=f"sqlite:///{tmp_path / 'kc.sqlite'}")
        assert run_pipeline(drop, warehouse, instance).success
        shutil.move(incoming, tmp_path / "elsewhere")
        incoming.mkdir()  # the mount point, without its share
        gone = tick(incoming, instance, settled.cursor)
        assert keys(gone) == [] and "holds no year folder" in str(gone.skip_reason)
        when = datetime(2026, 11, 27, 2, 0, tzinfo=ZoneInfo(TIMEZONE))
        resources = {"drop_folder": drop, "warehouse": warehouse}
        with dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, resources=resources
        ) as context:
            skipped = nightly_reconcile(context)
        assert isinstance(skipped, dg.SkipReason) and "holds no year folder" in str(skipped.skip_message)
        shutil.rmtree(incoming)  # no folder at all
        assert "does not exist" in str(tick(incoming, instance, settled.cursor).skip_reason)
