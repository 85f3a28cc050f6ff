"""Amounts far from what the same activity usually costs: the signature of a đồng/triệu mix-up.

A robust z-score on log10(support) per activity, over every row of the batch (all units and
years together, plus any history given), and at least ten times away from the median; only a
warning, since a big project can be real.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_SAMPLES = 8
Z_LIMIT = 3.5
# And at least a factor of ten from the median: a tight activity must not flag ordinary variation.
MIN_LOG10_DISTANCE = 1.0


def outlier_mask(
    frame: pd.DataFrame, column: str = "support_vnd", history: pd.DataFrame | None = None
) -> pd.Series:
    """True for rows whose amount is an outlier within its activity (robust z > Z_LIMIT)."""
    out = pd.Series(False, index=frame.index)
    if frame.empty:
        return out
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    logs = np.log10(values.where(values > 0))
    pool = pd.DataFrame({"activity_code": frame["activity_code"], "log": logs})
    if history is not None and not history.empty:
        past = pd.to_numeric(history[column], errors="coerce").astype("float64")
        pool = pd.concat(
            [
                pool,
                pd.DataFrame(
                    {"activity_code": history["activity_code"], "log": np.log10(past.where(past > 0))}
                ),
            ]
        )
    stats = pool.dropna().groupby("activity_code")["log"].agg(["median", "count"])
    mad = (
        pool.dropna()
        .groupby("activity_code")["log"]
        .agg(lambda s: float(np.median(np.abs(s - np.median(s)))))
    )
    stats["mad"] = mad
    stats = stats[(stats["count"] >= MIN_SAMPLES) & (stats["mad"] > 0)]
    joined = pd.DataFrame({"activity_code": frame["activity_code"], "log": logs}).join(
        stats, on="activity_code"
    )
    distance = (joined["log"] - joined["median"]).abs()
    z = 0.6745 * distance / joined["mad"]
    return out | ((z > Z_LIMIT) & (distance >= MIN_LOG10_DISTANCE)).fillna(False)
