"""out_yearly_summary and out_yearly_trend: what reporting staff count, from current versions only.

The trend table answers "năm sau cao hơn năm trước" per funding source (and for all sources
together) with the numbers, so the claim is checked rather than written by hand.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from kc_pipeline.warehouse.schema import core_projects

GROUP = ("year", "unit_code", "funding_source", "programme_code", "activity_code")
MEASURES = ("support_vnd", "counterpart_vnd", "total_vnd", "trainees", "models", "clusters")


def yearly_summary_rows(conn: Connection) -> list[dict[str, Any]]:
    """One row per year × unit × funding source × programme × activity, from current versions."""
    p = core_projects.c
    query = (
        select(
            *(p[c] for c in GROUP),
            func.count().label("projects"),
            *(func.coalesce(func.sum(p[m]), 0).label(m) for m in MEASURES),
        )
        .where(p.valid_to.is_(None))
        .group_by(*(p[c] for c in GROUP))
        .order_by(*(p[c] for c in GROUP))
    )
    return [
        {**{c: r[c] for c in GROUP}, "projects": int(r["projects"]), **{m: int(r[m]) for m in MEASURES}}
        for r in conn.execute(query).mappings()
    ]


def yearly_trend_rows(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per year and funding source (and ALL): totals and the change against the previous year."""
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in summary:
        for source in (row["funding_source"], "ALL"):
            totals[(row["year"], source)][0] += row["projects"]
            totals[(row["year"], source)][1] += row["support_vnd"]
    out = []
    for (year, source), (projects, support) in sorted(totals.items()):
        previous = totals.get((year - 1, source))
        change: dict[str, Any] = {
            "previous_projects": None,
            "previous_support_vnd": None,
            "projects_change": None,
            "support_change_vnd": None,
            "support_change_pct": None,
            "higher_than_previous": None,
        }
        if previous is not None:
            change = {
                "previous_projects": previous[0],
                "previous_support_vnd": previous[1],
                "projects_change": projects - previous[0],
                "support_change_vnd": support - previous[1],
                "support_change_pct": round((support - previous[1]) / previous[1] * 100, 2)
                if previous[1]
                else None,
                "higher_than_previous": projects > previous[0] and support > previous[1],
            }
        out.append(
            {"year": year, "funding_source": source, "projects": projects, "support_vnd": support, **change}
        )
    return out
