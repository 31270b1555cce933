"""Turn tickets: one person's messages stay in order across bot processes sharing a PostgreSQL database.

Revision ID: 0004_turn_tickets
Revises: 0003_usage
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_turn_tickets"
down_revision: str | Sequence[str] | None = "0003_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "turn_tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_key", sa.Text(), nullable=False),
        sa.Column("holder_pid", sa.Integer(), nullable=False),
        sa.Column("holder_started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_turn_tickets")),
    )
    op.create_index("ix_turn_tickets_person_key_id", "turn_tickets", ["person_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_turn_tickets_person_key_id", table_name="turn_tickets")
    op.drop_table("turn_tickets")
