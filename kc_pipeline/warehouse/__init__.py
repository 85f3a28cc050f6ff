"""The warehouse: schema, migrations, loading with history, and queries (no Dagster here)."""
