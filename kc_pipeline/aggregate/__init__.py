"""The out_* tables: yearly aggregates, reporting completeness and target tracking (no Dagster here)."""
