"""The warehouse resource: a database URL from the environment, never shown with its password."""

import os
from functools import cached_property

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from kc_pipeline.warehouse.engine import default_url, display_url, is_postgres, make_engine, upgrade


class Warehouse(dg.ConfigurableResource):
    """SQLite by default (data/warehouse/kc.sqlite), PostgreSQL in production (KC_WAREHOUSE_URL)."""

    url: str

    _engine: Engine | None = PrivateAttr(default=None)

    def engine(self) -> Engine:
        """The engine, with the schema migrated to the latest version (cheap when it already is)."""
        if self._engine is None:
            self._engine = make_engine(self.url)
            upgrade(self._engine)
        return self._engine

    @cached_property
    def display(self) -> str:
        return display_url(self.url)

    @property
    def kind(self) -> str:
        return "postgres" if is_postgres(self.engine()) else "sqlite"

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()


def warehouse_resource() -> Warehouse:
    """From ``KC_WAREHOUSE_URL`` (read by Dagster at launch, never stored) or the SQLite default."""
    if os.environ.get("KC_WAREHOUSE_URL"):
        return Warehouse(url=dg.EnvVar("KC_WAREHOUSE_URL"))
    return Warehouse(url=default_url())
