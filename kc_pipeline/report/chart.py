"""A PNG chart of funding by year per funding source, for the Dagster UI (no Excel needed to see it)."""

from __future__ import annotations

import io

import pandas as pd


def funding_chart_png(summary: pd.DataFrame, title: str) -> bytes:
    """Bar chart of support (triệu đồng) by year, one bar per funding source."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.6), dpi=100)
    try:
        if not summary.empty:
            table = summary.pivot_table(
                index="year", columns="funding_source", values="support_vnd", aggfunc="sum"
            )
            (table.fillna(0) / 1_000_000).plot.bar(
                ax=axes, color={"KCDP": "#2f6f9f", "KCQG": "#d98b2b"}, rot=0
            )
        axes.set_title(title)
        axes.set_xlabel("Năm")
        axes.set_ylabel("Triệu đồng")
        axes.grid(axis="y", alpha=0.3)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)
