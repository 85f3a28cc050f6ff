"""A PNG chart of funding by year per funding source, for the Dagster UI (no Excel needed to see it)."""

from __future__ import annotations

import io

import pandas as pd

COLOURS = {"KCDP": "#2f6f9f", "KCQG": "#d98b2b"}
# What drawing imports, for a run to import ahead while it waits (:mod:`kc_pipeline.warm`).
MODULES = ("matplotlib.backends.backend_agg", "matplotlib.figure")


def funding_chart_png(summary: pd.DataFrame, title: str) -> bytes:
    """Bar chart of support (triệu đồng) by year, one bar per funding source.

    Drawn on a bare ``Figure`` with the Agg canvas: importing ``pyplot`` (and pandas' plotting on
    top of it) costs more than the drawing, in every run that writes a report.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    if not summary.empty:
        table = summary.pivot_table(
            index="year", columns="funding_source", values="support_vnd", aggfunc="sum"
        )
        table = table.fillna(0) / 1_000_000
        width = 0.8 / max(1, len(table.columns))
        positions = range(len(table.index))
        for i, source in enumerate(table.columns):
            axes.bar(
                [p - 0.4 + width * (i + 0.5) for p in positions],
                table[source].tolist(),
                width,
                label=str(source),
                color=COLOURS.get(str(source)),
            )
        axes.set_xticks(list(positions), [str(year) for year in table.index])
        axes.legend(title="Nguồn kinh phí")
    axes.set_title(title)
    axes.set_xlabel("Năm")
    axes.set_ylabel("Triệu đồng")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
