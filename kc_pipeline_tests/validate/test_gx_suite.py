"""The GX suite: each check catches its bad row and passes a clean one, failures map back to rows."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict
from typing import Any

import pandas as pd
import pytest

from kc_pipeline.reference import Reference, load_reference
from kc_pipeline.validate.gx_suite import (
    ExpectationSpec,
    Failure,
    GxSuiteError,
    build_expectations,
    run_suite,
    run_suite_per_file,
)

INT_COLUMNS = ("year", "source_row", "support_vnd", "counterpart_vnd", "total_vnd", "trainees")
CEILING = 50_000_000_000
CLEAN: dict[str, Any] = {
    "file_id": "f1",
    "source_sheet": "Sheet1",
    "source_row": 10,
    "year": 2024,
    "unit_code": "171",
    "funding_source": "KCDP",
    "programme_code": "human_resources",
    "activity_code": "vocational_training",
    "sector_code": None,
    "value_chain_code": None,
    "title": "Đào tạo nghề mây tre đan",
    "support_vnd": 150_000_000,
    "counterpart_vnd": 50_000_000,
    "total_vnd": 200_000_000,
    "trainees": 35,
    "project_key": "clean",
}
Key = tuple[str, str, str, str | None, str | None, int | None, Any]


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference()


@pytest.fixture(scope="module")
def specs(reference: Reference) -> list[ExpectationSpec]:
    return build_expectations(reference, amount_ceiling_vnd=CEILING)


def frame(*rows: dict[str, Any]) -> pd.DataFrame:
    """Rows over :data:`CLEAN`, with unit_year derived as the frame builder does and Int64 integers."""
    records = []
    for row in rows:
        record = {**CLEAN, **row}
        record.setdefault("unit_year", f"{record['unit_code']}:{record['year']}")
        records.append(record)
    df = pd.DataFrame.from_records(records, columns=[*CLEAN, "unit_year"])
    for name in INT_COLUMNS:
        df[name] = pd.array(df[name].tolist(), dtype="Int64")
    return df


def keys(failures: list[Failure]) -> set[Key]:
    return {
        (f.check_name, f.severity, f.column, f.file_id, f.source_sheet, f.source_row, f.value)
        for f in failures
    }


BAD_ROW = 11

CASES: list[tuple[str, dict[str, Any], set[tuple[str, str, str, Any]]]] = [
    ("null title", {"title": None}, {("title_not_null", "ERROR", "title", None)}),
    (
        "null year",
        {"year": None},
        {
            ("year_not_null", "ERROR", "year", None),
            ("year_within_unit_validity", "ERROR", "unit_year", "171:None"),
        },
    ),
    ("null support", {"support_vnd": None}, {("support_vnd_not_null", "ERROR", "support_vnd", None)}),
    (
        "unknown unit",
        {"unit_code": "999"},
        {
            ("unit_code_in_reference", "ERROR", "unit_code", "999"),
            ("year_within_unit_validity", "ERROR", "unit_year", "999:2024"),
        },
    ),
    (
        "unknown funding",
        {"funding_source": "XX"},
        {("funding_source_in_reference", "ERROR", "funding_source", "XX")},
    ),
    (
        "unknown programme",
        {"programme_code": "nope"},
        {("programme_code_in_reference", "ERROR", "programme_code", "nope")},
    ),
    (
        "unknown activity",
        {"activity_code": "nope"},
        {("activity_code_in_reference", "ERROR", "activity_code", "nope")},
    ),
    (
        "negative support",
        {"support_vnd": -1},
        {("amounts_within_bounds_support_vnd", "ERROR", "support_vnd", -1)},
    ),
    (
        "support above ceiling",
        {"support_vnd": CEILING + 1},
        {("amounts_within_bounds_support_vnd", "ERROR", "support_vnd", CEILING + 1)},
    ),
    ("support at ceiling", {"support_vnd": CEILING, "counterpart_vnd": 0}, set()),
    (
        "negative counterpart",
        {"counterpart_vnd": -5},
        {("amounts_within_bounds_counterpart_vnd", "ERROR", "counterpart_vnd", -5)},
    ),
    (
        "total above ceiling",
        {"total_vnd": CEILING * 10},
        {("amounts_within_bounds_total_vnd", "ERROR", "total_vnd", CEILING * 10)},
    ),
    (
        "district unit after 2025-06-30",
        {"year": 2030},
        {("year_within_unit_validity", "ERROR", "unit_year", "171:2030")},
    ),
    (
        "vocational training without trainees",
        {"trainees": None},
        {("trainees_for_training_activities", "ERROR", "trainees", None)},
    ),
    (
        "workshop without trainees",
        {"activity_code": "workshop_training", "programme_code": "management_capacity", "trainees": None},
        set(),
    ),
    (
        "unknown sector",
        {"sector_code": "bogus"},
        {("sector_code_in_reference", "WARN", "sector_code", "bogus")},
    ),
    (
        "unknown value chain",
        {"value_chain_code": "bogus"},
        {("value_chain_code_in_reference", "WARN", "value_chain_code", "bogus")},
    ),
    ("known sector and value chain", {"sector_code": "handicraft", "value_chain_code": "tea"}, set()),
]


@pytest.mark.parametrize(("change", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_check_catches_its_row_and_passes_the_clean_one(
    specs: list[ExpectationSpec], change: dict[str, Any], expected: set[tuple[str, str, str, Any]]
) -> None:
    df = frame({}, {"source_row": BAD_ROW, "project_key": "bad", **change})
    want = {(name, sev, col, "f1", "Sheet1", BAD_ROW, value) for name, sev, col, value in expected}
    assert keys(run_suite(df, specs)) == want


def test_clean_rows_pass(specs: list[ExpectationSpec]) -> None:
    df = frame({}, {"source_row": 11, "project_key": "other", "file_id": "f2"})
    assert run_suite(df, specs) == []


def test_duplicate_key_fails_both_rows_in_one_file_but_not_across_files(specs: list[ExpectationSpec]) -> None:
    df = frame(
        {"source_row": 5, "project_key": "dup"},
        {"source_row": 9, "project_key": "dup", "source_sheet": "Sheet2"},
        {"file_id": "f2", "source_row": 5, "project_key": "dup"},
    )
    assert keys(run_suite(df, specs)) == {
        ("project_key_unique_in_file", "ERROR", "project_key", "f1", "Sheet1", 5, "dup"),
        ("project_key_unique_in_file", "ERROR", "project_key", "f1", "Sheet2", 9, "dup"),
    }


def test_failures_map_back_to_file_sheet_and_row(specs: list[ExpectationSpec]) -> None:
    df = frame(
        {"file_id": "a", "source_sheet": "KCĐP 2024", "source_row": 7, "project_key": "1"},
        {
            "file_id": "b",
            "source_sheet": "Biểu 01",
            "source_row": 42,
            "project_key": "2",
            "funding_source": "XX",
        },
        {"file_id": "b", "source_sheet": "Biểu 02", "source_row": 8, "project_key": "3", "support_vnd": -9},
        {"file_id": "c", "source_sheet": "Sheet1", "source_row": 3, "project_key": "4"},
    )
    failures = run_suite(df, specs)
    assert [(f.file_id, f.source_sheet, f.source_row, f.check_name, f.value) for f in failures] == [
        ("b", "Biểu 01", 42, "funding_source_in_reference", "XX"),
        ("b", "Biểu 02", 8, "amounts_within_bounds_support_vnd", -9),
    ]
    for failure in failures:  # JSON-safe, numpy scalars included
        assert json.loads(json.dumps(asdict(failure)))["source_row"] == failure.source_row
        assert type(failure.source_row) is int
    assert "XX" in failures[0].message


def test_one_batch_equals_one_validation_per_file(specs: list[ExpectationSpec]) -> None:
    rows: list[dict[str, Any]] = []
    for n, file_id in enumerate(("f1", "f2", "f3")):
        rows += [
            {"file_id": file_id, "source_row": 1, "project_key": "same-in-every-file"},
            {"file_id": file_id, "source_row": 2, "project_key": "dup"},
            {"file_id": file_id, "source_row": 3, "project_key": "dup", "trainees": None},
            {
                "file_id": file_id,
                "source_row": 4,
                "project_key": "x",
                "unit_code": "999",
                "sector_code": "bogus",
            },
            {"file_id": file_id, "source_row": 5, "project_key": "y", "support_vnd": -n, "title": None},
        ]
    df = frame(*rows)
    one_batch = run_suite(df, specs)
    assert len(one_batch) == 3 * 7 + 2  # 7 per file, plus negative support in f2 and f3 (f1 has 0)
    assert one_batch == run_suite_per_file(df, specs)


def test_empty_frame_gives_no_failures(specs: list[ExpectationSpec]) -> None:
    empty = frame({}).iloc[0:0]
    assert run_suite(empty, specs) == []
    assert run_suite_per_file(empty, specs) == []


def test_missing_column_is_an_error_not_a_pass(specs: list[ExpectationSpec]) -> None:
    with pytest.raises(ValueError, match="unit_year"):
        run_suite(frame({}).drop(columns=["unit_year"]), specs)


def broken_spec() -> ExpectationSpec:
    """An expectation GX cannot evaluate: min above max makes it raise inside the metric."""
    return ExpectationSpec(
        check_name="impossible_bounds",
        severity="ERROR",
        description="min above max makes GX raise inside the metric.",
        column="support_vnd",
        expectation_type="ExpectColumnValuesToBeBetween",
        kwargs={"column": "support_vnd", "min_value": 10, "max_value": 1},
    )


def test_an_expectation_gx_cannot_evaluate_raises(specs: list[ExpectationSpec]) -> None:
    broken = broken_spec()
    with pytest.raises(GxSuiteError, match="impossible_bounds"):
        run_suite(frame({}), [*specs, broken])


def test_specs_take_value_sets_from_the_reference(reference: Reference, specs: list[ExpectationSpec]) -> None:
    by_name = {s.check_name: s for s in specs}
    assert len(by_name) == len(specs)
    assert set(by_name["unit_code_in_reference"].kwargs["value_set"]) == set(reference.units)
    assert set(by_name["sector_code_in_reference"].kwargs["value_set"]) == set(reference.sectors)
    pairs = set(by_name["year_within_unit_validity"].kwargs["value_set"])
    assert "171:2025" in pairs and "171:2026" not in pairs and "19:2100" in pairs
    training = by_name["trainees_for_training_activities"].condition
    assert training is not None and set(training[1]) == {
        code for code, a in reference.activities.items() if "trainees" in a.counts
    }
    assert {s.severity for s in specs if s.column in ("sector_code", "value_chain_code")} == {"WARN"}
    assert by_name["amounts_within_bounds_total_vnd"].kwargs["max_value"] == CEILING


def test_no_progress_bars_and_no_analytics(
    specs: list[ExpectationSpec], capfd: pytest.CaptureFixture[str]
) -> None:
    from kc_pipeline.validate import gx_suite

    capfd.readouterr()
    run_suite(frame({}, {"source_row": 11, "project_key": "k", "title": None}), specs)
    err = capfd.readouterr().err
    assert "Calculating Metrics" not in err and "it/s" not in err and "%|" not in err
    context = gx_suite._gx().batch_definition.data_asset.datasource.data_context
    assert context.progress_bars is not None and context.progress_bars.globally is False
    assert context.variables.analytics_enabled is False


def test_gx_objects_are_built_once(specs: list[ExpectationSpec]) -> None:
    from kc_pipeline.validate import gx_suite

    df = frame({})
    run_suite(df, specs)
    state, hits = gx_suite._gx(), gx_suite._gx_suite.cache_info().hits
    run_suite(df, specs)
    assert gx_suite._gx() is state
    assert gx_suite._gx_suite.cache_info().hits > hits


def test_importing_the_module_and_building_specs_does_not_import_gx() -> None:
    code = (
        "import sys\n"
        "import kc_pipeline.validate.gx_suite as m\n"
        "from kc_pipeline.reference import load_reference\n"
        "m.build_expectations(load_reference())\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'great_expectations'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_gx_does_not_fingerprint_the_frames_it_validates(
    specs: list[ExpectationSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    from great_expectations.execution_engine import pandas_execution_engine

    hashed: list[int] = []
    real = pandas_execution_engine.hash_pandas_dataframe
    monkeypatch.setattr(
        pandas_execution_engine, "hash_pandas_dataframe", lambda df: hashed.append(len(df)) or real(df)
    )
    bad = frame({"source_row": 11, "project_key": "k", "title": None}, {"source_row": 12, "project_key": "j"})
    failures = run_suite(bad, specs)
    assert hashed == []
    assert [(f.source_row, f.check_name) for f in failures if f.source_row == 11]
