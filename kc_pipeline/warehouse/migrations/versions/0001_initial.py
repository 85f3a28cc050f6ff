"""Initial warehouse: reference tables, source files, projects with history, quarantine, loads.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Frozen history: spell out every table, column, type and name here; never import
``kc_pipeline.warehouse.schema`` (it describes only the newest schema). Names are given with
``op.f`` so they do not depend on the naming convention of the metadata at migration time; a
name longer than the database allows (63 on PostgreSQL) is shortened by SQLAlchemy the same way
``schema.py`` is.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    """A surrogate key: BIGSERIAL on PostgreSQL, INTEGER (the rowid alias) on SQLite."""
    return sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "ref_org_units",
        sa.Column("unit_code", sa.String(length=16), nullable=False, comment="GSO code"),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=16), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", name=op.f("pk_ref_org_units")),
    )
    op.create_table(
        "ref_activities",
        sa.Column("activity_code", sa.String(length=64), nullable=False),
        sa.Column("programme_code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("counts", sa.String(length=64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("activity_code", name=op.f("pk_ref_activities")),
    )
    op.create_table(
        "ref_programmes",
        sa.Column("programme_code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("programme_code", name=op.f("pk_ref_programmes")),
    )
    op.create_table(
        "ref_funding_sources",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_ref_funding_sources")),
    )

    op.create_table(
        "core_source_files",
        sa.Column("file_id", sa.String(length=64), nullable=False, comment="sha256 of the file's bytes"),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False, comment="relative to the drop folder"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, comment="loaded, superseded or rejected"),
        sa.Column("rows_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_loaded", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_quarantined", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_ignored", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("file_id", "unit_code", "year", name=op.f("pk_core_source_files")),
    )
    op.create_index(
        op.f("ix_core_source_files_unit_code_year_status"),
        "core_source_files",
        ["unit_code", "year", "status"],
        unique=False,
    )

    op.create_table(
        "core_projects",
        _id(),
        sa.Column("project_key", sa.String(length=160), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("commune", sa.Text(), nullable=True),
        sa.Column("funding_source", sa.String(length=16), nullable=True),
        sa.Column("programme_code", sa.String(length=64), nullable=True),
        sa.Column("activity_code", sa.String(length=64), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("beneficiary", sa.Text(), nullable=True),
        sa.Column("sector_code", sa.String(length=64), nullable=True),
        sa.Column("value_chain_code", sa.String(length=64), nullable=True),
        sa.Column("support_vnd", sa.BigInteger(), nullable=True),
        sa.Column("counterpart_vnd", sa.BigInteger(), nullable=True),
        sa.Column("total_vnd", sa.BigInteger(), nullable=True),
        sa.Column("trainees", sa.Integer(), nullable=True),
        sa.Column("models", sa.Integer(), nullable=True),
        sa.Column("clusters", sa.Integer(), nullable=True),
        sa.Column("project_code", sa.Text(), nullable=True),
        sa.Column("implementer", sa.Text(), nullable=True),
        sa.Column("district", sa.Text(), nullable=True),
        sa.Column("period_start", sa.String(length=10), nullable=True),
        sa.Column("period_end", sa.String(length=10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "inferred",
            sa.Text(),
            nullable=True,
            comment="JSON list of the fields that were inferred, not read from a column",
        ),
        sa.Column(
            "warnings", sa.Text(), nullable=True, comment="JSON list of WARN findings the row was loaded with"
        ),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_file_id", sa.String(length=64), nullable=False),
        sa.Column("source_sheet", sa.Text(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True, comment="NULL: the current version"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_projects")),
    )
    # At most one current version (valid_to NULL) per project, enforced by the database.
    op.create_index(
        "uq_core_projects_current",
        "core_projects",
        ["project_key"],
        unique=True,
        sqlite_where=sa.text("valid_to IS NULL"),
        postgresql_where=sa.text("valid_to IS NULL"),
    )
    op.create_index(op.f("ix_core_projects_year_unit_code"), "core_projects", ["year", "unit_code"])
    op.create_index(op.f("ix_core_projects_funding_source_year"), "core_projects", ["funding_source", "year"])
    op.create_index(op.f("ix_core_projects_activity_code_year"), "core_projects", ["activity_code", "year"])
    op.create_index(
        op.f("ix_core_projects_project_key_valid_from"), "core_projects", ["project_key", "valid_from"]
    )

    op.create_table(
        "core_quarantined_rows",
        _id(),
        sa.Column("source_file_id", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("source_sheet", sa.Text(), nullable=False),
        sa.Column("source_row", sa.Integer(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False, comment="JSON: the row's cells by heading, as written"),
        sa.Column(
            "reasons",
            sa.Text(),
            nullable=False,
            comment="JSON list: check, severity, column, value, message",
        ),
        sa.Column("quarantined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_quarantined_rows")),
        # 79 characters: PostgreSQL gets "uq_core_quarantined_rows_source_file_id_unit_code_year__831d".
        sa.UniqueConstraint(
            "source_file_id",
            "unit_code",
            "year",
            "source_sheet",
            "source_row",
            name=op.f("uq_core_quarantined_rows_source_file_id_unit_code_year_source_sheet_source_row"),
        ),
    )
    op.create_index(
        op.f("ix_core_quarantined_rows_year_unit_code"), "core_quarantined_rows", ["year", "unit_code"]
    )

    op.create_table(
        "core_loads",
        _id(),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_core_loads")),
    )
    op.create_index(op.f("ix_core_loads_unit_code_year"), "core_loads", ["unit_code", "year"])


def downgrade() -> None:
    op.drop_index(op.f("ix_core_loads_unit_code_year"), table_name="core_loads")
    op.drop_table("core_loads")
    op.drop_index(op.f("ix_core_quarantined_rows_year_unit_code"), table_name="core_quarantined_rows")
    op.drop_table("core_quarantined_rows")
    for name in (
        "ix_core_projects_project_key_valid_from",
        "ix_core_projects_activity_code_year",
        "ix_core_projects_funding_source_year",
        "ix_core_projects_year_unit_code",
    ):
        op.drop_index(op.f(name), table_name="core_projects")
    op.drop_index("uq_core_projects_current", table_name="core_projects")
    op.drop_table("core_projects")
    op.drop_index(op.f("ix_core_source_files_unit_code_year_status"), table_name="core_source_files")
    op.drop_table("core_source_files")
    op.drop_table("ref_funding_sources")
    op.drop_table("ref_programmes")
    op.drop_table("ref_activities")
    op.drop_table("ref_org_units")
