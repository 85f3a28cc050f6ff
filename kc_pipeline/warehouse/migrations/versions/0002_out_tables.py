"""The out_* tables: yearly summary and trend, reporting completeness, target progress.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

Frozen history: every table and column spelled out (never import ``schema``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "out_yearly_summary",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("funding_source", sa.String(length=16), nullable=False),
        sa.Column("programme_code", sa.String(length=64), nullable=False),
        sa.Column("activity_code", sa.String(length=64), nullable=False),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("support_vnd", sa.BigInteger(), nullable=False),
        sa.Column("counterpart_vnd", sa.BigInteger(), nullable=False),
        sa.Column("total_vnd", sa.BigInteger(), nullable=False),
        sa.Column("trainees", sa.Integer(), nullable=False),
        sa.Column("models", sa.Integer(), nullable=False),
        sa.Column("clusters", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "year",
            "unit_code",
            "funding_source",
            "programme_code",
            "activity_code",
            name=op.f("pk_out_yearly_summary"),
        ),
    )
    op.create_table(
        "out_yearly_trend",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("funding_source", sa.String(length=16), nullable=False, comment="KCQG, KCDP or ALL"),
        sa.Column("projects", sa.Integer(), nullable=False),
        sa.Column("support_vnd", sa.BigInteger(), nullable=False),
        sa.Column("previous_projects", sa.Integer(), nullable=True, comment="NULL for the first year"),
        sa.Column("previous_support_vnd", sa.BigInteger(), nullable=True),
        sa.Column("projects_change", sa.Integer(), nullable=True),
        sa.Column("support_change_vnd", sa.BigInteger(), nullable=True),
        sa.Column("support_change_pct", sa.Float(), nullable=True),
        sa.Column(
            "higher_than_previous",
            sa.Boolean(),
            nullable=True,
            comment="projects and support both higher than the year before",
        ),
        sa.PrimaryKeyConstraint("year", "funding_source", name=op.f("pk_out_yearly_trend")),
    )
    op.create_table(
        "out_reporting_completeness",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False, comment="1 when the unit existed in the year"),
        sa.Column("received", sa.Integer(), nullable=False, comment="current files loaded for the unit-year"),
        sa.Column(
            "on_time",
            sa.Integer(),
            nullable=True,
            comment="1 when the first file arrived by the deadline; NULL if none arrived",
        ),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("first_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_received_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("year", "unit_code", name=op.f("pk_out_reporting_completeness")),
    )
    op.create_table(
        "out_target_progress",
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("label_vi", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("target_value", sa.Float(), nullable=False),
        sa.Column("actual_value", sa.Float(), nullable=False),
        sa.Column("progress_pct", sa.Float(), nullable=True),
        sa.Column("expected_pct", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("projection_2025", sa.Float(), nullable=True),
        sa.Column("projected_status", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("indicator_code", "year", name=op.f("pk_out_target_progress")),
    )


def downgrade() -> None:
    for table in (
        "out_target_progress",
        "out_reporting_completeness",
        "out_yearly_trend",
        "out_yearly_summary",
    ):
        op.drop_table(table)
