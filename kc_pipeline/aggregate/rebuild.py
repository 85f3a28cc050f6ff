"""Replace a whole out_* table in one transaction: readers see the old version or the new, never half."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Table, delete


def replace_table(engine: Engine, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    with engine.begin() as conn:
        conn.execute(delete(table))
        if rows:
            conn.execute(table.insert(), list(rows))
    return len(rows)
