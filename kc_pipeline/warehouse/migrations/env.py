"""Alembic environment for the warehouse.

``kc_pipeline.warehouse.engine.upgrade`` hands over its open connection (``config.attributes``) so
that the migration runs inside its transaction and lock; otherwise (e.g. ``alembic`` run by a
developer with a config built in code) it connects to ``default_url()``. Logging is left alone:
the pipeline (and Dagster) configure it, not this script.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kc_pipeline.warehouse import schema
from kc_pipeline.warehouse.engine import default_url, make_engine, normalize_url

config = context.config
# For autogenerate: new revisions are written by comparing the database with schema.py.
target_metadata = schema.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """``alembic upgrade --sql``: write the DDL for a DBA instead of running it."""
    url = normalize_url(default_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(default_url())
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
