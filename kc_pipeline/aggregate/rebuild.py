"""Replace a whole out_* table in one transaction: readers see the old version or the new, never half.

Two runs may rebuild the same table at once (two ``kc-pipeline run``, or a run beside the UI). On
PostgreSQL both would delete the old rows and insert their own, and the second insert would break
the table's key, so each rebuild first takes a transaction-scoped advisory lock on the table; the
second one then starts from the first one's rows. SQLite serializes writers already.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Table, delete, text


def table_lock_key(table: Table) -> int:
    """A stable signed 64-bit advisory-lock key for rebuilding ``table``."""
    digest = hashlib.sha256(f"kc-pipeline:rebuild:{table.name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def replace_table(engine: Engine, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": table_lock_key(table)})
        conn.execute(delete(table))
        if rows:
            conn.execute(table.insert(), list(rows))
    return len(rows)
