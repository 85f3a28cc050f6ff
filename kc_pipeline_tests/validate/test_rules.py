"""Rules kept as data: parsing, the missing-value strategies, severities, and staff-added rules."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kc_pipeline.paths import reference_dir
from kc_pipeline.reference import ReferenceDataError, load_reference
from kc_pipeline.validate.rules import Rule, load_rules, parse_expression, violations


def frame(**columns: list) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "activity_code": ["machinery_transfer"] * n,
        "programme_code": ["technology"] * n,
        "funding_source": ["KCDP"] * n,
    }
    base.update(columns)
    df = pd.DataFrame(base)
    for name in ("support_vnd", "counterpart_vnd", "total_vnd", "trainees", "models", "clusters", "year"):
        df[name] = pd.array(df[name].tolist() if name in df else [None] * n, dtype="Int64")
    return df


def rule_named(rule_id: str) -> Rule:
    return next(r for r in load_rules() if r.rule_id == rule_id)


def test_expressions_are_whitelisted() -> None:
    assert parse_expression("support_vnd + counterpart_vnd").fields == {"support_vnd", "counterpart_vnd"}
    for bad in ("__import__('os')", "support_vnd.real", "title", "support_vnd if 1 else 2", "'a'", "a ** 2"):
        with pytest.raises(ValueError):
            parse_expression(bad)


def test_total_equals_parts_with_tolerance_and_skip_if_any_missing() -> None:
    rule = rule_named("total_is_support_plus_counterpart")
    df = frame(
        total_vnd=[300_000, 300_000_000, 300_000_500, None],
        support_vnd=[100_000, 100_000_000, 100_000_000, 100],
        counterpart_vnd=[100_000, 200_000_000, 200_000_000, 100],
    )
    # 300,000 != 200,000 breaks it; 500 đồng of rounding is within the tolerance; a missing total skips.
    assert violations(rule, df, load_reference()).tolist() == [True, False, False, False]


def test_never_skip_counts_missing_as_zero_and_applies_only_to_its_activity() -> None:
    rule = rule_named("counterpart_for_machinery")
    df = frame(counterpart_vnd=[None, 0, 5_000_000, None], support_vnd=[1, 1, 1, 1])
    df.loc[3, "activity_code"] = "information"
    assert violations(rule, df, load_reference()).tolist() == [True, True, False, False]


def test_trainees_rule_follows_the_catalogue_counts() -> None:
    rule = rule_named("trainees_for_training")
    df = frame(trainees=[None, 0, 25, None])
    df["activity_code"] = [
        "vocational_training",
        "startup_training",
        "vocational_training",
        "workshop_training",
    ]
    assert violations(rule, df, load_reference()).tolist() == [True, True, False, False]


def test_warn_rule_for_amounts_below_one_million() -> None:
    rule = rule_named("support_at_least_one_million")
    assert rule.severity == "WARN"
    df = frame(support_vnd=[150, 150_000_000])
    assert violations(rule, df, load_reference()).tolist() == [True, False]


def test_skip_if_all_values_missing(tmp_path: Path) -> None:
    directory = tmp_path / "reference"
    shutil.copytree(reference_dir(), directory)
    with (directory / "validation_rules.csv").open("a", encoding="utf-8") as handle:
        handle.write(
            "models_and_clusters,Mô hình hoặc cụm,models + clusters,>,0,SKIP_IF_ALL_VALUES_MISSING,WARN,,\n"
        )
    rule = next(r for r in load_rules(directory) if r.rule_id == "models_and_clusters")
    df = frame(models=[None, 0, 2, None], clusters=[None, None, None, 1])
    assert violations(rule, df, load_reference(directory)).tolist() == [False, True, False, False]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bad,x,title,>,0,NEVER_SKIP,ERROR,,", "unknown field 'title'"),
        ("bad,x,support_vnd,=>,0,NEVER_SKIP,ERROR,,", "operator must be one of"),
        ("bad,x,support_vnd,>,0,SOMETIMES,ERROR,,", "missing_value_strategy"),
        ("bad,x,support_vnd,>,0,NEVER_SKIP,FATAL,,", "severity must be ERROR or WARN"),
        ("bad,x,support_vnd,>,0,NEVER_SKIP,ERROR,activity:dancing,", "unknown activity code"),
        ("total_is_support_plus_counterpart,x,support_vnd,>,0,NEVER_SKIP,ERROR,,", "duplicate rule_id"),
    ],
)
def test_a_broken_rule_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    directory = tmp_path / "reference"
    shutil.copytree(reference_dir(), directory)
    path = directory / "validation_rules.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, line]) + "\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError) as error:
        load_rules(directory)
    assert f"validation_rules.csv:{len(lines) + 1}:" in str(error.value)
    assert message in str(error.value)
