"""kc-pipeline as a clerk runs it: real files, real output, exit codes."""

import gc
import json
from pathlib import Path

import pytest

from kc_pipeline.cli import main
from kc_pipeline_tests.defs.test_raw import write_district_file


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("samples", "inspect", "run", "bench"):
        assert command in out
    assert "data/incoming/<year>/<unit>/" in out


def test_inspect_json_has_the_contract_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "2021" / "dai-tu" / "ds.xlsx"
    write_district_file(path, "UBND HUYỆN ĐẠI TỪ", 2021, 2)
    assert main(["inspect", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["unit_code"] == "171" and doc["year"] == 2021
    assert [r["title"] for r in doc["rows"]] == [
        "Hỗ trợ ứng dụng máy sao chè số 1",
        "Hỗ trợ ứng dụng máy sao chè số 2",
    ]
    row = doc["rows"][0]
    for key in (
        "year",
        "unit_code",
        "commune",
        "funding_source",
        "programme_code",
        "activity_code",
        "title",
        "beneficiary",
        "sector_code",
        "support_vnd",
        "counterpart_vnd",
        "trainees",
        "source_sheet",
        "source_row",
    ):
        assert key in row
    assert row["funding_source"] == "KCDP" and row["support_vnd"] == 100_000_001
    assert {i["rule"] for i in doc["ignored"]} >= {"title", "header", "total"}
    assert all({"source_sheet", "source_row", "rule"} <= set(i) for i in doc["ignored"])
    assert all({"severity", "code", "message"} <= set(i) for i in doc["issues"])


def test_inspect_text_and_rejected_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("STT,Tên đề án\n1,x\n", encoding="utf-8")
    assert main(["inspect", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "rejected" in out and "csv_renamed" in out


def test_run_prints_a_line_per_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KC_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2023" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2023, 3)
    warehouse = f"sqlite:///{tmp_path / 'kc.sqlite'}"
    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["success"] is True
    [line] = doc["files"]
    assert line["projects"] == 3 and line["errors"] == 0 and line["unit_code"] == "173"


def test_run_keeps_automatic_collection_paused_and_restores_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The runner collects between chunks itself; imports and planning need no collections.
    import kc_pipeline.cli as cli
    import kc_pipeline.defs.runner as runner

    seen: list[bool] = []
    plan, run_pipeline = cli._plan, runner.run_pipeline

    def planned(*args: object) -> object:
        seen.append(gc.isenabled())
        return plan(*args)  # type: ignore[arg-type]

    def ran(*args: object, **kwargs: object) -> runner.RunReport:
        seen.append(gc.isenabled())
        return run_pipeline(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "_plan", planned)
    monkeypatch.setattr(runner, "run_pipeline", ran)
    monkeypatch.setenv("KC_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2023" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2023, 2)
    warehouse = f"sqlite:///{tmp_path / 'kc.sqlite'}"
    assert gc.isenabled()
    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["success"] is True
    assert seen == [False, False]
    assert gc.isenabled()


def test_validate_is_a_dry_run_with_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kc_pipeline_tests.validate.workbooks import MACHINE, row, write

    good = write(
        tmp_path / "in" / "2021" / "dai-tu" / "good.xlsx",
        [row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000)],
    )
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert main(["validate", str(good.parent), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    [summary] = doc["files"]
    keys = (
        "path",
        "file_id",
        "status",
        "rows_read",
        "rows_valid",
        "rows_warned",
        "rows_quarantined",
        "rows_ignored",
        "conflicts",
    )
    assert all(k in summary for k in keys)
    assert summary["rows_valid"] == 1 and doc["totals"]["rows_quarantined"] == 0
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written

    bad = write(
        tmp_path / "in" / "2021" / "vo-nhai" / "bad.xlsx",
        [row(1, MACHINE, 300_000_000, "một trăm", 200_000_000)],
        title="UBND HUYỆN VÕ NHAI",
    )
    assert main(["validate", str(tmp_path / "in")]) == 1
    out = capsys.readouterr().out
    assert "quarantined    1" in out and "bad_amount" in out and "Nothing was written." in out
    assert bad.exists()

    assert main(["validate", str(tmp_path / "missing.xlsx")]) == 2
    with pytest.raises(SystemExit) as usage:
        main(["validate"])
    assert usage.value.code == 2


def test_a_run_with_nothing_changed_imports_neither_dagster_nor_gx(tmp_path: Path) -> None:
    """The second run finds every unit-year loaded and the out_* tables current: it answers from the
    plan alone, in a fresh process that never imports Dagster or GX and leaves no GX service
    running (one started beside the plan is stopped; see the next test)."""
    import os
    import subprocess
    import sys

    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2023" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2023, 3)
    warehouse = f"sqlite:///{tmp_path / 'kc.sqlite'}"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env |= {"KC_STAGING_DIR": str(tmp_path / "staging"), "KC_REPORTS_DIR": str(tmp_path / "reports")}
    probe = (
        "import json, sys\n"
        "from kc_pipeline.cli import main\n"
        f"code = main(['run', '--incoming', {str(incoming)!r}, '--warehouse', {warehouse!r}, '--json'])\n"
        "from kc_pipeline.validate import gx_service\n"
        "print(json.dumps({'code': code, 'dagster': 'dagster' in sys.modules,\n"
        "    'gx': 'great_expectations' in sys.modules, 'service': gx_service.running()}), file=sys.stderr)\n"
    )

    def run() -> tuple[dict, dict]:
        done = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout), json.loads(done.stderr.strip().splitlines()[-1])

    first, imported = run()
    assert first["success"] and len(first["runs"]) == 2 and imported["dagster"]
    again, imported = run()
    assert again == first | {"runs": [], "files": [], "loads": [], "unchanged_unit_years": 1}
    assert imported == {"code": 0, "dagster": False, "gx": False, "service": False}


@pytest.mark.parametrize("spare_core", [True, False])
def test_gx_loads_beside_the_plan_when_a_core_is_free_and_stops_when_nothing_changed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    spare_core: bool,
) -> None:
    """GX's import is a nightly run's longest wait before validation: with a core to spare it runs
    while this process plans. Without one it would only slow the plan, so it waits for the plan."""
    from kc_pipeline import cli
    from kc_pipeline.validate import gx_service

    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2023" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2023, 3)
    warehouse = f"sqlite:///{tmp_path / 'kc.sqlite'}"
    monkeypatch.setenv("KC_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.setenv("KC_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setattr(cli, "_spare_core", lambda: spare_core)
    running_while_planning: list[bool] = []
    real_plan = cli._plan

    def plan(*args: object) -> object:
        running_while_planning.append(gx_service.running())
        return real_plan(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(cli, "_plan", plan)
    files = []
    try:
        for _ in range(2):  # the first run loads the file; the second finds nothing changed
            gx_service.stop()  # each run is a process of its own
            assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--json"]) == 0
            files.append(len(json.loads(capsys.readouterr().out)["files"]))
        assert running_while_planning == [spare_core, spare_core]
        assert not gx_service.running()  # stopped by the run that found nothing to do, or never started
    finally:
        gx_service.stop()
    assert files == [1, 0]


def _run_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Staging and reports in ``tmp_path``, an ephemeral Dagster instance; returns the warehouse URL."""
    monkeypatch.setenv("KC_STAGING_DIR", str(tmp_path / "staging"))
    monkeypatch.setenv("KC_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return f"sqlite:///{tmp_path / 'kc.sqlite'}"


def test_run_lists_every_workbook_it_does_not_take_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook outside <year>/<unit>/ is never passed over in silence: `validate` reads it, so
    `run` must say it did not, and why, in JSON and in text, also when nothing else changed."""
    warehouse = _run_env(tmp_path, monkeypatch)
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2025" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2025, 1)
    write_district_file(incoming / "2025" / "bac-kan" / "bk.xlsx", "UBND HUYỆN PHÚ BÌNH", 2025, 1)
    write_district_file(incoming / "2025" / "loose.xlsx", "UBND HUYỆN PHÚ BÌNH", 2025, 1)
    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["success"] is True and [Path(f["path"]).name for f in doc["files"]] == ["x.xlsx"]
    assert [(n["relative_path"], n["code"]) for n in doc["not_taken"]] == [
        ("2025/bac-kan/bk.xlsx", "unknown_unit_folder"),
        ("2025/loose.xlsx", "not_in_unit_folder"),
    ]
    assert doc["not_taken"][0]["path"] == str((incoming / "2025" / "bac-kan" / "bk.xlsx").resolve())
    assert doc["not_taken"][0]["reason"].startswith("unknown unit folder 'bac-kan'")
    assert doc["not_taken"][1]["reason"].startswith("not in a unit folder")

    # Nothing changed since: the run answers from its plan, and still names both files.
    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse]) == 0
    out = capsys.readouterr().out
    assert "not taken " + str((incoming / "2025" / "bac-kan" / "bk.xlsx").resolve()) in out
    assert "unknown unit folder 'bac-kan'" in out
    assert "2025/loose.xlsx: not in a unit folder" in out
    assert "0 files (0 rejected), 2 not taken" in out


def test_run_shows_file_level_warnings_as_validate_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A total row the rows do not add up to, or a title naming another unit, warns about the file,
    not a row: `run` counts and prints those warnings like `validate` does."""
    from kc_pipeline_tests.validate.workbooks import MACHINE, row, write

    warehouse = _run_env(tmp_path, monkeypatch)
    incoming = tmp_path / "incoming"
    sums = write(
        incoming / "2021" / "phu-luong" / "pl.xlsx",
        [
            row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000),
            row(2, MACHINE, 50_000_000, 20_000_000, 30_000_000),
        ],
        total_row=["", "Tổng cộng", "", "", 350_000_000, 999_000_000, 230_000_000],
        title="UBND HUYỆN PHÚ LƯƠNG",
    )
    elsewhere = write(
        incoming / "2021" / "pho-yen" / "py.xlsx",
        [row(1, MACHINE, 300_000_000, 100_000_000, 200_000_000)],
        title="UBND HUYỆN ĐẠI TỪ",  # the folder says Phổ Yên
    )
    assert main(["validate", str(incoming), "--json"]) == 0
    validated = {Path(f["path"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    assert [f["check"] for f in validated["pl.xlsx"]["file_findings"]] == ["reconcile_support_vnd"]
    assert [f["check"] for f in validated["py.xlsx"]["file_findings"]] == ["unit_mismatch"]

    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--json"]) == 0
    lines = {Path(f["path"]).name: f for f in json.loads(capsys.readouterr().out)["files"]}
    for name in ("pl.xlsx", "py.xlsx"):
        assert lines[name]["file_findings"] == validated[name]["file_findings"]
        assert lines[name]["warnings"] == 1 and lines[name]["rows_valid"] == validated[name]["rows_valid"]

    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--full"]) == 0
    out = capsys.readouterr().out.splitlines()

    def under(path: Path) -> str:
        """The line printed right under the file's own line."""
        return out[next(i for i, line in enumerate(out) if line.endswith(str(path.resolve()))) + 1]

    assert under(sums).split()[:2] == ["WARN", "Sheet"]
    assert "reconcile_support_vnd" in under(sums) and "999,000,000" in under(sums)
    assert under(elsewhere).split()[:3] == ["WARN", "file", "unit_mismatch:"]
    assert "2 files (0 rejected), 0 not taken" in next(line for line in out if " files (" in line)
    assert "2 file-level warnings" in next(line for line in out if " files (" in line)


def test_a_drop_folder_gone_or_emptied_of_years_closes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped --incoming or an unmounted share would read as every file withdrawn: refused."""
    import sqlite3

    warehouse = _run_env(tmp_path, monkeypatch)
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2025" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2025, 2)
    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse, "--json"]) == 0
    capsys.readouterr()

    def current() -> int:
        with sqlite3.connect(tmp_path / "kc.sqlite") as conn:
            return conn.execute("SELECT COUNT(*) FROM core_projects WHERE valid_to IS NULL").fetchone()[0]

    assert current() == 2
    mount_point = tmp_path / "share"
    mount_point.mkdir()
    for folder, why in ((tmp_path / "typo", "does not exist"), (mount_point, "holds no year folder")):
        assert main(["run", "--incoming", str(folder), "--warehouse", warehouse]) == 2
        assert why in capsys.readouterr().err
        assert current() == 2
    # Withdrawing every file on purpose still works: the year folders stay, empty.
    (incoming / "2025" / "phu-binh" / "x.xlsx").unlink()
    assert main(["run", "--incoming", str(incoming), "--warehouse", warehouse]) == 0
    assert current() == 0


@pytest.mark.parametrize("url", ["garbage", "mysql://root@127.0.0.1/kc", "sqlit:///kc.sqlite"])
def test_a_warehouse_url_that_names_no_usable_database_is_a_usage_error(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_env(tmp_path, monkeypatch)
    incoming = tmp_path / "incoming"
    write_district_file(incoming / "2025" / "phu-binh" / "x.xlsx", "UBND HUYỆN PHÚ BÌNH", 2025, 1)
    assert main(["run", "--incoming", str(incoming), "--warehouse", url]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "postgresql://user@host:5432/database or sqlite:///" in err
    monkeypatch.setenv("KC_WAREHOUSE_URL", url)
    assert main(["summary"]) == 2
    assert "KC_WAREHOUSE_URL" in capsys.readouterr().err
