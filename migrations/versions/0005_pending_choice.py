"""The question asked before a long optimization, kept on the session: any bot process can take the answer.

Revision ID: 0005_pending_choice
Revises: 0004_turn_tickets
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_pending_choice"
down_revision: str | Sequence[str] | None = "0004_turn_tickets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        table.add_column(sa.Column("pending_choice", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions") as table:
        table.drop_column("pending_choice")
