"""Copy the reference data into the ``ref_*`` tables, so SQL users can join codes to names.

The CSV files stay the source of truth; the tables are rewritten only when they differ, so a run
with nothing new writes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, delete, select

from kc_pipeline.reference import Reference
from kc_pipeline.warehouse.schema import ref_activities, ref_funding_sources, ref_org_units, ref_programmes


def reference_rows(reference: Reference) -> dict[Table, list[dict[str, Any]]]:
    return {
        ref_org_units: [
            {
                "unit_code": u.unit_code,
                "name": u.name,
                "unit_type": u.unit_type,
                "parent_code": u.parent_code,
                "valid_from": u.valid_from,
                "valid_to": u.valid_to,
                "slug": u.slug,
            }
            for u in reference.units.values()
        ],
        ref_activities: [
            {
                "activity_code": a.activity_code,
                "programme_code": a.programme_code,
                "name_vi": a.name_vi,
                "counts": "|".join(sorted(a.counts)),
            }
            for a in reference.activities.values()
        ],
        ref_programmes: [
            {"programme_code": p.programme_code, "name_vi": p.name_vi} for p in reference.programmes.values()
        ],
        ref_funding_sources: [
            {"code": f.code, "name_vi": f.name_vi} for f in reference.funding_sources.values()
        ],
    }


def sync_reference(engine: Engine, reference: Reference) -> int:
    """Rewrite the ref_* tables that differ from the reference data; returns how many were rewritten."""
    rewritten = 0
    with engine.begin() as conn:
        for table, rows in reference_rows(reference).items():
            current = [dict(r._mapping) for r in conn.execute(select(table))]
            key = table.primary_key.columns.keys()[0]
            if sorted(current, key=lambda r: r[key]) == sorted(rows, key=lambda r: r[key]):
                continue
            conn.execute(delete(table))
            if rows:
                conn.execute(table.insert(), rows)
            rewritten += 1
    return rewritten
