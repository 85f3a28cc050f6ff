"""Outliers: a đồng/triệu mix-up stands out; ordinary variation and small samples do not."""

import pandas as pd

from kc_pipeline.validate.outliers import outlier_mask


def frame(amounts: list[int | None], activity: str = "machinery_transfer") -> pd.DataFrame:
    return pd.DataFrame(
        {"activity_code": [activity] * len(amounts), "support_vnd": pd.array(amounts, dtype="Int64")}
    )


def test_a_factor_of_a_million_is_an_outlier() -> None:
    amounts = [100_000_000 + i * 7_000_000 for i in range(12)] + [150]
    assert outlier_mask(frame(amounts)).tolist() == [False] * 12 + [True]


def test_ordinary_spread_is_not_flagged_even_when_tight() -> None:
    amounts = [100_000_000] * 10 + [101_000_000, 99_000_000, 180_000_000]
    assert not outlier_mask(frame(amounts)).any()


def test_too_few_samples_flag_nothing_and_missing_amounts_are_ignored() -> None:
    assert not outlier_mask(frame([100_000_000, 150, 120_000_000])).any()
    assert not outlier_mask(frame([None] * 10)).any()


def test_history_supplies_the_distribution() -> None:
    history = frame([100_000_000 + i * 5_000_000 for i in range(20)])
    assert outlier_mask(frame([120_000, 110_000_000]), history=history).tolist() == [True, False]


def test_each_activity_is_its_own_distribution() -> None:
    rows = pd.concat(
        [
            frame([20_000_000 + i for i in range(10)], "information"),
            frame([900_000_000 + i for i in range(10)], "machinery_transfer"),
        ],
        ignore_index=True,
    )
    assert not outlier_mask(rows).any()
