"""Target tracking: every number below is worked out by hand from the six projects of ``projects()``.

The six projects (support in triệu đồng; priority sectors are every sector except ``other``):

    #  year  source  activity             sector                chain            support trainees models clus
    1  2021  KCDP    vocational_training  handicraft            -                50      30       -      -
    2  2021  KCQG    machinery_transfer   agro_food_processing  tea              200     -        -      -
    3  2021  KCDP    demo_model           agro_food_processing  tea              150     -        1      -
    4  2023  KCDP    machinery_transfer   agro_food_processing  forest_products  120     -        -      -
    5  2023  KCDP    vocational_training  other                 -                40      25       -      -
    6  2023  KCDP    cluster_planning     -                     -                90      -        -      2

plus one 2020 project outside the period that no indicator may count. 2022 has no projects.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pandas as pd
import pytest

from kc_pipeline.aggregate.targets import (
    OUTPUT_COLUMNS,
    PERIOD,
    Target,
    load_targets,
    target_progress,
)
from kc_pipeline.reference import Reference, ReferenceDataError, load_reference

M = 1_000_000  # đồng per triệu đồng


@pytest.fixture(scope="module")
def ref() -> Reference:
    return load_reference()


def projects() -> pd.DataFrame:
    rows = [
        # year, source, programme, activity, sector, value chain, support, trainees, models, clusters
        (2020, "KCDP", "technology", "machinery_transfer", "handicraft", None, 999 * M, None, None, None),
        (2021, "KCDP", "human_resources", "vocational_training", "handicraft", None, 50 * M, 30, None, None),
        (2021, "KCQG", "technology", "machinery_transfer", "agro_food_processing", "tea", 200 * M, None, None,
         None),
        (2021, "KCDP", "technology", "demo_model", "agro_food_processing", "tea", 150 * M, None, 1, None),
        (2023, "KCDP", "technology", "machinery_transfer", "agro_food_processing", "forest_products", 120 * M,
         None, None, None),
        (2023, "KCDP", "human_resources", "vocational_training", "other", None, 40 * M, 25, None, None),
        (2023, "KCDP", "linkage_clusters", "cluster_planning", None, None, 90 * M, None, None, 2),
    ]  # fmt: skip
    columns = [
        "year",
        "funding_source",
        "programme_code",
        "activity_code",
        "sector_code",
        "value_chain_code",
        "support_vnd",
        "trainees",
        "models",
        "clusters",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    ints = ("year", "support_vnd", "trainees", "models", "clusters")
    return frame.astype({**dict.fromkeys(ints, "Int64"), **dict.fromkeys(columns[1:6], "string")})


def target(measure: str = "count_projects", goal: float = 4, unit: str = "đề án", **extra: object) -> Target:
    return Target(
        indicator_code="t", label_vi="Chỉ tiêu thử", unit=unit, measure=measure, target_period=goal, **extra
    )  # type: ignore[arg-type]


def by_year(frame: pd.DataFrame) -> dict[int, dict[str, object]]:
    return {int(r["year"]): r for r in frame.to_dict("records")}


def run(ref: Reference, t: Target, **kwargs: object) -> dict[int, dict[str, object]]:
    return by_year(target_progress(projects(), [t], ref, **kwargs))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------- measures


def test_count_projects_with_each_cumulative_status_and_a_year_without_projects(ref: Reference) -> None:
    out = run(ref, target(activity_code=frozenset({"machinery_transfer"}), goal=4))
    assert sorted(out) == [2021, 2022, 2023]  # up to the last year with data; 2020 is outside
    # 2021: 1 of 4 = 25% against 1/5 = 20% expected -> on track; 1 a year projects 5 -> achieved
    assert out[2021]["actual_value"] == 1.0 and out[2021]["progress_pct"] == 25.0
    assert out[2021]["expected_pct"] == 20.0 and out[2021]["status"] == "on_track"
    assert out[2021]["projection_2025"] == 5.0 and out[2021]["projected_status"] == "achieved"
    # 2022: no projects, the actual carries forward; 25% < 80% of 40% = 32% -> behind
    assert out[2022]["actual_value"] == 1.0 and out[2022]["expected_pct"] == 40.0
    assert out[2022]["status"] == "behind"
    assert out[2022]["projection_2025"] == 2.5 and out[2022]["projected_status"] == "short"
    # 2023: 2 of 4 = 50%; 80% of 60% = 48% <= 50% < 60% -> at risk; 2 / 3 years × 5 = 3.33
    assert out[2023]["actual_value"] == 2.0 and out[2023]["progress_pct"] == 50.0
    assert out[2023]["status"] == "at_risk"
    assert out[2023]["projection_2025"] == pytest.approx(10 / 3) and out[2023]["projected_status"] == "short"
    assert all(r["target_value"] == 4.0 for r in out.values())


def test_count_projects_achieved_and_the_project_outside_the_period_is_not_counted(ref: Reference) -> None:
    out = run(ref, target(goal=5))
    assert out[2021]["actual_value"] == 3.0  # the 2020 project is not in 2021–2025
    assert out[2023]["actual_value"] == 6.0
    assert out[2023]["progress_pct"] == 120.0 and out[2023]["status"] == "achieved"
    assert out[2023]["projection_2025"] == 10.0  # 6 / 3 × 5


def test_support_in_trieu_dong_is_converted_from_dong(ref: Reference) -> None:
    out = run(ref, target("sum_support_vnd", goal=1000, unit="triệu đồng"))
    assert out[2021]["actual_value"] == 400.0  # 50 + 200 + 150
    assert out[2023]["actual_value"] == 650.0  # + 120 + 40 + 90
    assert out[2023]["progress_pct"] == 65.0 and out[2023]["status"] == "on_track"
    assert out[2023]["projection_2025"] == pytest.approx(650 / 3 * 5)
    in_dong = run(ref, target("sum_support_vnd", goal=1000 * M, unit="đồng"))
    assert in_dong[2023]["actual_value"] == 650.0 * M and in_dong[2023]["progress_pct"] == 65.0


@pytest.mark.parametrize(
    ("measure", "actual_2021", "actual_2023"),
    [("sum_trainees", 30.0, 55.0), ("sum_models", 1.0, 1.0), ("sum_clusters", 0.0, 2.0)],
)
def test_count_columns_are_summed_and_missing_counts_add_nothing(
    ref: Reference, measure: str, actual_2021: float, actual_2023: float
) -> None:
    out = run(ref, target(measure, goal=100, unit="lao động"))
    assert out[2021]["actual_value"] == actual_2021
    assert out[2023]["actual_value"] == actual_2023


def test_filters_take_several_codes_separated_by_pipes(ref: Reference) -> None:
    activities = run(
        ref,
        target(
            activity_code=frozenset({"vocational_training", "demo_model"}), funding_source=frozenset({"KCDP"})
        ),
    )
    assert [activities[y]["actual_value"] for y in (2021, 2022, 2023)] == [2.0, 2.0, 3.0]  # #1, #3; then #5
    tea = run(ref, target(value_chain_code=frozenset({"tea"}), funding_source=frozenset({"KCQG", "KCDP"})))
    assert tea[2023]["actual_value"] == 2.0  # #2 and #3
    sectors = run(
        ref,
        target(
            "sum_support_vnd", goal=100, unit="triệu đồng", sector_code=frozenset({"handicraft", "other"})
        ),
    )
    assert sectors[2023]["actual_value"] == 90.0  # #1 (50) + #5 (40); #6 has no sector


# --------------------------------------------------------------------------------------- shares


def test_share_of_support_in_priority_sectors(ref: Reference) -> None:
    out = run(ref, target("share_priority_support", goal=85, unit="%"))
    # 2021: all 400 triệu in priority sectors -> 100%, a share at or above target before 2025 is on track
    assert out[2021]["actual_value"] == 100.0 and out[2021]["status"] == "on_track"
    assert out[2021]["progress_pct"] == pytest.approx(100 / 85 * 100)
    assert out[2021]["expected_pct"] == 100.0
    assert out[2022]["actual_value"] == 100.0  # no 2022 projects: the 2021–2022 share is the 2021 one
    # 2023: priority 400 + 120 = 520 of 650 (#5 is "other", #6 has no sector) = 80%; 80 >= 90% of 85 = 76.5
    assert out[2023]["actual_value"] == pytest.approx(80.0) and out[2023]["status"] == "at_risk"
    assert out[2023]["progress_pct"] == pytest.approx(80 / 85 * 100)
    assert out[2023]["projection_2025"] == pytest.approx(80.0) and out[2023]["projected_status"] == "short"


@pytest.mark.parametrize(
    ("goal", "years", "status", "projected"),
    [
        (90, [2023], "behind", "short"),  # 80 < 90% of 90 = 81
        (80, [2023], "on_track", "achieved"),  # exactly at target, period not over yet
        (75, [2025], "achieved", "achieved"),  # the 2021–2025 share is still 80%, and the period is over
    ],
)
def test_share_status_compares_the_share_with_the_target(
    ref: Reference, goal: float, years: list[int], status: str, projected: str
) -> None:
    out = run(ref, target("share_priority_support", goal=goal, unit="%"), years=years)
    (row,) = out.values()
    assert row["actual_value"] == pytest.approx(80.0)
    assert row["status"] == status and row["projected_status"] == projected


def test_share_with_a_filter_uses_the_filtered_support_as_denominator(ref: Reference) -> None:
    out = run(ref, target("share_priority_support", goal=85, unit="%", funding_source=frozenset({"KCDP"})))
    assert out[2021]["actual_value"] == 100.0  # #1 and #3: 200 of 200
    assert out[2023]["actual_value"] == pytest.approx(320 / 450 * 100)  # 50 + 150 + 120 of 450


def test_share_without_any_support_yet_is_no_data(ref: Reference) -> None:
    only_2023 = projects().query("year == 2023")
    out = by_year(target_progress(only_2023, [target("share_priority_support", goal=85, unit="%")], ref))
    # 0 of 0: actual reads 0 (NOT NULL in the warehouse), the status and the NULLs say there is no data
    assert out[2021]["actual_value"] == 0.0 and out[2021]["status"] == "no_data"
    assert math.isnan(out[2021]["progress_pct"]) and math.isnan(out[2021]["projection_2025"])
    assert out[2021]["projected_status"] == "no_data"
    assert out[2023]["actual_value"] == pytest.approx(120 / 250 * 100)


# ------------------------------------------------------------------------------ years and pacing


def test_per_year_targets_set_the_expected_pace(ref: Reference) -> None:
    out = run(ref, target(goal=10, yearly=(3, 1, 2, 2, 2)))
    assert [out[y]["expected_pct"] for y in (2021, 2022, 2023)] == [30.0, 40.0, 60.0]
    assert out[2021]["status"] == "on_track"  # 3 of 10 = 30% = 30% expected
    assert out[2022]["status"] == "behind"  # still 30% < 80% of 40% = 32%
    assert out[2023]["status"] == "on_track"  # 6 of 10 = 60%


def test_per_year_expected_reaches_exactly_100_despite_rounding() -> None:
    t = target(goal=100, yearly=(20, 20, 20, 20, 19.5))  # 99.5: within 1%
    assert t.expected_pct(2025) == 100.0
    assert t.expected_pct(2021) == pytest.approx(20 / 99.5 * 100)


def test_explicit_years_carry_the_actual_forward(ref: Reference) -> None:
    out = run(ref, target(activity_code=frozenset({"machinery_transfer"}), goal=4), years=[2025, 2024])
    assert sorted(out) == [2024, 2025]
    assert out[2024]["actual_value"] == 2.0 and out[2024]["expected_pct"] == 80.0
    assert out[2024]["status"] == "behind"  # 50% < 80% of 80% = 64%
    assert out[2024]["projection_2025"] == 2.5  # 2 / 4 × 5
    assert out[2025]["status"] == "behind" and out[2025]["projection_2025"] == 2.0


def test_years_outside_the_period_are_refused(ref: Reference) -> None:
    with pytest.raises(ValueError, match="2026"):
        target_progress(projects(), [target()], ref, years=[2025, 2026])


def test_no_projects_in_the_period_gives_an_empty_table_with_the_contract_columns(ref: Reference) -> None:
    out = target_progress(projects().query("year == 2020"), [target()], ref)
    assert out.empty and tuple(out.columns) == OUTPUT_COLUMNS


def test_one_row_per_indicator_and_year(ref: Reference) -> None:
    two = [target(), Target("u", "Khác", "%", "share_priority_support", 50)]
    out = target_progress(projects(), two, ref)
    assert list(zip(out["indicator_code"], out["year"], strict=True)) == [
        ("t", 2021), ("t", 2022), ("t", 2023), ("u", 2021), ("u", 2022), ("u", 2023)
    ]  # fmt: skip
    assert out["year"].dtype == "int64" and out["actual_value"].dtype == "float64"


def test_a_missing_project_column_is_named(ref: Reference) -> None:
    with pytest.raises(ValueError, match="trainees"):
        target_progress(projects().drop(columns=["trainees"]), [target("sum_trainees", unit="lao động")], ref)


# ----------------------------------------------------------------------------------- the file


HEADER = [
    "indicator_code",
    "label_vi",
    "unit",
    "measure",
    "funding_source",
    "programme_code",
    "activity_code",
    "sector_code",
    "value_chain_code",
    "target_period",
    *(f"target_{y}" for y in PERIOD),
    "note",
]
GOOD = {
    "indicator_code": "classes",
    "label_vi": "Số lớp đào tạo nghề",
    "unit": "lớp",
    "measure": "count_projects",
    "activity_code": "vocational_training",
    "target_period": "150",
    "note": "test",
}


def write_targets(path: Path, *rows: dict[str, str], header: list[str] = HEADER) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_shipped_sample_targets_load_and_say_they_are_a_sample(ref: Reference) -> None:
    targets = {t.indicator_code: t for t in load_targets(reference=ref)}
    assert len(targets) >= 8
    assert all(
        t.note.startswith("SAMPLE:") and "replace with the adopted plan" in t.note for t in targets.values()
    )
    money = targets["support_funding"]
    assert money.unit == "triệu đồng" and money.scale == M and sum(money.yearly) == money.target_period
    assert targets["priority_sector_share"].measure == "share_priority_support"
    assert targets["tea_machinery"].value_chain_code == frozenset({"tea"})
    assert targets["trainees"].activity_code == frozenset({"vocational_training", "startup_training"})


def test_file_filters_split_on_pipes_and_partial_years_share_the_rest(tmp_path: Path, ref: Reference) -> None:
    path = write_targets(
        tmp_path / "t.csv",
        {
            **GOOD,
            "funding_source": "KCQG | KCDP",
            "target_period": "10",
            "target_2021": "3",
            "target_2022": "1",
        },
    )
    (t,) = load_targets(path, ref)
    assert t.funding_source == frozenset({"KCQG", "KCDP"})
    assert t.yearly == (3.0, 1.0, 2.0, 2.0, 2.0)  # 10 − 3 − 1 = 6 over three years
    assert t.target_period == 10.0 and t.label_vi == "Số lớp đào tạo nghề"


def test_per_year_targets_within_one_percent_are_accepted(tmp_path: Path, ref: Reference) -> None:
    years = {f"target_{y}": "20" for y in PERIOD} | {"target_2025": "20.9"}
    (t,) = load_targets(write_targets(tmp_path / "t.csv", {**GOOD, "target_period": "100", **years}), ref)
    assert sum(t.yearly) == pytest.approx(100.9)


def test_per_year_columns_may_be_left_out(tmp_path: Path, ref: Reference) -> None:
    header = [c for c in HEADER if not c.startswith("target_2")]
    (t,) = load_targets(write_targets(tmp_path / "t.csv", GOOD, header=header), ref)
    assert t.yearly == () and t.expected_pct(2023) == 60.0


FIVE_YEARS = {f"target_{y}": "25" for y in PERIOD}  # 125 in all

BROKEN: dict[str, tuple[dict[str, str], str]] = {
    # case: (the second data row, on line 3, and a piece of the message)
    "unknown measure": ({"measure": "count_beneficiaries"}, "unknown measure 'count_beneficiaries'"),
    "unknown activity among pipes": (
        {"activity_code": "vocational_training|welding"},
        "unknown activity_code 'welding'",
    ),
    "unknown funding source": ({"funding_source": "KCTW"}, "unknown funding_source 'KCTW'"),
    "unknown programme": ({"programme_code": "training"}, "unknown programme_code 'training'"),
    "unknown sector": ({"sector_code": "steel"}, "unknown sector_code 'steel'"),
    "unknown value chain": ({"value_chain_code": "coffee"}, "unknown value_chain_code 'coffee'"),
    "activity outside the programme filter": (
        {"programme_code": "technology"},
        "'vocational_training' belongs to programme 'human_resources'",
    ),
    "non-numeric target": ({"target_period": "một trăm"}, "'target_period' is not a number"),
    "decimal comma": ({"target_period": "1,5"}, "'target_period' is not a number"),
    "thousands separator": ({"target_period": "110.000"}, "thousands separators"),
    "negative target": ({"target_period": "-5"}, "'target_period' is negative"),
    "negative per-year target": ({"target_2023": "-1"}, "'target_2023' is negative"),
    "zero target": ({"target_period": "0"}, "target_period must be a positive number"),
    "empty target": ({"target_period": ""}, "'target_period' is empty"),
    "per-year sum disagrees": (
        {"target_period": "100", **FIVE_YEARS},
        "add up to 125, not target_period 100",
    ),
    "partial per-year above the period": (
        {"target_period": "100", "target_2021": "60", "target_2022": "60"},
        "add up to 120, above target_period 100",
    ),
    "duplicate indicator": ({"label_vi": "Trùng"}, "duplicate indicator_code 'classes' (first on line 2)"),
    "bad indicator code": ({"indicator_code": "lớp học"}, "indicator_code must be letters"),
    "share above 100": (
        {"measure": "share_priority_support", "unit": "%", "activity_code": "", "target_period": "120"},
        "a share cannot exceed 100%",
    ),
    "share not in percent": (
        {"measure": "share_priority_support", "activity_code": ""},
        "unit of share_priority_support must be '%'",
    ),
    "share with per-year targets": (
        {"measure": "share_priority_support", "unit": "%", "target_period": "80", "target_2021": "80"},
        "per-year targets do not apply to a share",
    ),
    "money in an unknown unit": ({"measure": "sum_support_vnd"}, "unit of sum_support_vnd must be among"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_targets_file_names_file_and_line(tmp_path: Path, ref: Reference, case: str) -> None:
    change, message = BROKEN[case]
    first = {**GOOD, "indicator_code": "first"} if case != "duplicate indicator" else GOOD
    path = write_targets(tmp_path / "targets.csv", first, {**GOOD, **change})
    with pytest.raises(ReferenceDataError) as caught:
        load_targets(path, ref)
    assert str(caught.value).startswith(f"{path}:3: "), str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ([c for c in HEADER if c != "measure"], "missing column(s) measure"),
        ([*HEADER, "target_2026"], "'target_2026' is not target_2021…target_2025"),
    ],
)
def test_a_broken_header_names_line_one(
    tmp_path: Path, ref: Reference, header: list[str], message: str
) -> None:
    row = {k: v for k, v in GOOD.items() if k in header}
    path = write_targets(tmp_path / "targets.csv", row, header=header)
    with pytest.raises(ReferenceDataError) as caught:
        load_targets(path, ref)
    assert str(caught.value).startswith(f"{path}:1: ") and message in str(caught.value)


def test_a_missing_or_empty_targets_file_is_named(tmp_path: Path, ref: Reference) -> None:
    with pytest.raises(ReferenceDataError, match="reference file is missing"):
        load_targets(tmp_path / "absent.csv", ref)
    empty = write_targets(tmp_path / "empty.csv")
    with pytest.raises(ReferenceDataError, match="no targets"):
        load_targets(empty, ref)


def test_targets_built_in_code_obey_the_file_rules() -> None:
    with pytest.raises(ValueError, match="measure"):
        target("sum_everything")
    with pytest.raises(ValueError, match="5 per-year targets"):
        target(yearly=(1, 2, 1))
