"""Fair use: people's accounts (blocked or not) and their counted requests of the last day.

Revision ID: 0003_usage
Revises: 0002_photos
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_usage"
down_revision: str | Sequence[str] | None = "0002_photos"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "user_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "usage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('photo', 'edit', 'optimization')", name=op.f("ck_usage_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage")),
    )
    op.create_index("ix_usage_person_kind_at", "usage", ["platform", "user_id", "kind", "at"])
    op.create_index("ix_usage_at", "usage", ["at"])


def downgrade() -> None:
    op.drop_index("ix_usage_at", table_name="usage")
    op.drop_index("ix_usage_person_kind_at", table_name="usage")
    op.drop_table("usage")
    op.drop_table("accounts")
