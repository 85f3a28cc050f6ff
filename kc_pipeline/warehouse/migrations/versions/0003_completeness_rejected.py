"""out_reporting_completeness.rejected: files a unit sent that could not be read.

Without it a unit whose every file was rejected read as one that sent nothing ("Chưa nộp").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Frozen history: every table and column spelled out (never import ``schema``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("out_reporting_completeness") as batch:
        batch.add_column(
            sa.Column(
                "rejected",
                sa.Integer(),
                nullable=False,
                server_default="0",
                comment="current files of the unit-year that were rejected (unreadable, no table, ...)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("out_reporting_completeness") as batch:
        batch.drop_column("rejected")
