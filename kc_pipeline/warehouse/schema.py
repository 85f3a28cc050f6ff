"""The warehouse tables: a public API that reporting staff and other tools read.

Names and columns follow the contract in the design notes; they change only through Alembic
migrations (``kc_pipeline/warehouse/migrations``). Money is integer đồng (BIGINT); codes are text.
``core_projects`` keeps every version of a project: the current one has ``valid_to`` NULL, and a
partial unique index makes two current versions of one project impossible at the database level.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from kc_pipeline.keys import CONTENT_COLUMNS

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ref_org_units = Table(
    "ref_org_units",
    metadata,
    Column("unit_code", String(16), primary_key=True, comment="GSO code"),
    Column("name", Text, nullable=False),
    Column("unit_type", String(32), nullable=False),
    Column("parent_code", String(16)),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("slug", String(64), nullable=False),
)

ref_activities = Table(
    "ref_activities",
    metadata,
    Column("activity_code", String(64), primary_key=True),
    Column("programme_code", String(64), nullable=False),
    Column("name_vi", Text, nullable=False),
    Column("counts", String(64), nullable=False, server_default=""),
)

ref_programmes = Table(
    "ref_programmes",
    metadata,
    Column("programme_code", String(64), primary_key=True),
    Column("name_vi", Text, nullable=False),
)

ref_funding_sources = Table(
    "ref_funding_sources",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name_vi", Text, nullable=False),
)

core_source_files = Table(
    "core_source_files",
    metadata,
    Column("file_id", String(64), nullable=False, comment="sha256 of the file's bytes"),
    Column("unit_code", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("path", Text, nullable=False, comment="relative to the drop folder"),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("loaded_at", DateTime(timezone=True)),
    Column("superseded_at", DateTime(timezone=True)),
    Column("status", String(16), nullable=False, comment="loaded, superseded or rejected"),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("rows_loaded", Integer, nullable=False, server_default="0"),
    Column("rows_quarantined", Integer, nullable=False, server_default="0"),
    Column("rows_ignored", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    PrimaryKeyConstraint("file_id", "unit_code", "year"),
    Index(None, "unit_code", "year", "status"),
)

PROJECT_DATA_COLUMNS = CONTENT_COLUMNS  # the project's own values, in the table's column order

core_projects = Table(
    "core_projects",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("project_key", String(160), nullable=False),
    Column("year", Integer, nullable=False),
    Column("unit_code", String(16), nullable=False),
    Column("commune", Text),
    Column("funding_source", String(16)),
    Column("programme_code", String(64)),
    Column("activity_code", String(64)),
    Column("title", Text),
    Column("beneficiary", Text),
    Column("sector_code", String(64)),
    Column("value_chain_code", String(64)),
    Column("support_vnd", BigInteger),
    Column("counterpart_vnd", BigInteger),
    Column("total_vnd", BigInteger),
    Column("trainees", Integer),
    Column("models", Integer),
    Column("clusters", Integer),
    Column("project_code", Text),
    Column("implementer", Text),
    Column("district", Text),
    Column("period_start", String(10)),
    Column("period_end", String(10)),
    Column("note", Text),
    Column("inferred", Text, comment="JSON list of the fields that were inferred, not read from a column"),
    Column("warnings", Text, comment="JSON list of WARN findings the row was loaded with"),
    Column("content_hash", String(64), nullable=False),
    Column("source_file_id", String(64), nullable=False),
    Column("source_sheet", Text, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True), comment="NULL: the current version"),
    Index(
        "uq_core_projects_current",
        "project_key",
        unique=True,
        sqlite_where=text("valid_to IS NULL"),
        postgresql_where=text("valid_to IS NULL"),
    ),
    Index(None, "year", "unit_code"),
    Index(None, "funding_source", "year"),
    Index(None, "activity_code", "year"),
    Index(None, "project_key", "valid_from"),
)

core_quarantined_rows = Table(
    "core_quarantined_rows",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("source_file_id", String(64), nullable=False),
    Column("unit_code", String(16)),
    Column("year", Integer),
    Column("source_sheet", Text, nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("raw", Text, nullable=False, comment="JSON: the row's cells by heading, as written"),
    Column("reasons", Text, nullable=False, comment="JSON list: check, severity, column, value, message"),
    Column("quarantined_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("source_file_id", "unit_code", "year", "source_sheet", "source_row"),
    Index(None, "year", "unit_code"),
)

core_loads = Table(
    "core_loads",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("unit_code", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("files", Integer, nullable=False),
    Column("inserted", Integer, nullable=False),
    Column("updated", Integer, nullable=False),
    Column("unchanged", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("quarantined", Integer, nullable=False),
    Column("conflicts", Integer, nullable=False),
    Index(None, "unit_code", "year"),
)

# ----------------------------------------------------------------------------------- out_* tables
# Rebuilt whole by the aggregate stage, each in one transaction (readers see the old or the new).

out_yearly_summary = Table(
    "out_yearly_summary",
    metadata,
    Column("year", Integer, nullable=False),
    Column("unit_code", String(16), nullable=False),
    Column("funding_source", String(16), nullable=False),
    Column("programme_code", String(64), nullable=False),
    Column("activity_code", String(64), nullable=False),
    Column("projects", Integer, nullable=False),
    Column("support_vnd", BigInteger, nullable=False),
    Column("counterpart_vnd", BigInteger, nullable=False),
    Column("total_vnd", BigInteger, nullable=False),
    Column("trainees", Integer, nullable=False),
    Column("models", Integer, nullable=False),
    Column("clusters", Integer, nullable=False),
    PrimaryKeyConstraint("year", "unit_code", "funding_source", "programme_code", "activity_code"),
)

out_yearly_trend = Table(
    "out_yearly_trend",
    metadata,
    Column("year", Integer, nullable=False),
    Column("funding_source", String(16), nullable=False, comment="KCQG, KCDP or ALL"),
    Column("projects", Integer, nullable=False),
    Column("support_vnd", BigInteger, nullable=False),
    Column("previous_projects", Integer, comment="NULL for the first year"),
    Column("previous_support_vnd", BigInteger),
    Column("projects_change", Integer),
    Column("support_change_vnd", BigInteger),
    Column("support_change_pct", Float),
    Column("higher_than_previous", Boolean, comment="projects and support both higher than the year before"),
    PrimaryKeyConstraint("year", "funding_source"),
)

out_reporting_completeness = Table(
    "out_reporting_completeness",
    metadata,
    Column("year", Integer, nullable=False),
    Column("unit_code", String(16), nullable=False),
    Column("expected", Integer, nullable=False, comment="1 when the unit existed in the year"),
    Column("received", Integer, nullable=False, comment="current files loaded for the unit-year"),
    Column(
        "rejected",
        Integer,
        nullable=False,
        server_default="0",
        comment="current files of the unit-year that were rejected (unreadable, no table, ...)",
    ),
    Column("on_time", Integer, comment="1 when the first file arrived by the deadline; NULL if none arrived"),
    Column("deadline", Date, nullable=False),
    Column("first_received_at", DateTime(timezone=True)),
    Column("last_received_at", DateTime(timezone=True)),
    PrimaryKeyConstraint("year", "unit_code"),
)

out_target_progress = Table(
    "out_target_progress",
    metadata,
    Column("indicator_code", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("label_vi", Text, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("target_value", Float, nullable=False),
    Column("actual_value", Float, nullable=False),
    Column("progress_pct", Float),
    Column("expected_pct", Float),
    Column("status", String(16), nullable=False),
    Column("projection_2025", Float),
    Column("projected_status", String(16)),
    PrimaryKeyConstraint("indicator_code", "year"),
)
