"""Sessions, their edits and stored images.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("generator", sa.String(length=200), nullable=False),
        sa.Column("latent", sa.LargeBinary(), nullable=False),
        sa.Column("latent_shape", sa.String(length=64), nullable=False),
        sa.Column("latent_dtype", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_chat_sessions_position_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
    )
    op.create_index("ix_chat_sessions_person", "chat_sessions", ["platform", "chat_id", "user_id"])
    op.create_index("ix_chat_sessions_platform_user", "chat_sessions", ["platform", "user_id"])
    op.create_index("ix_chat_sessions_updated_at", "chat_sessions", ["updated_at"])

    op.create_table(
        "edits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("strength", sa.Double(), nullable=False),
        sa.Column("scale", sa.Double(), nullable=False),
        sa.Column("step_kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.LargeBinary(), nullable=False),
        sa.Column("step_shape", sa.String(length=64), nullable=False),
        sa.Column("step_dtype", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("seq > 0", name=op.f("ck_edits_seq_positive")),
        sa.CheckConstraint("scale > 0", name=op.f("ck_edits_scale_positive")),
        sa.CheckConstraint("step_kind IN ('w_plus', 'style')", name=op.f("ck_edits_step_kind")),
        sa.ForeignKeyConstraint(
            ["session_id"], ["chat_sessions.id"],
            name=op.f("fk_edits_session_id_chat_sessions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_edits")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_edits_session_id_seq")),
    )

    op.create_table(
        "images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"], ["chat_sessions.id"],
            name=op.f("fk_images_session_id_chat_sessions"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_images")),
    )
    op.create_index(op.f("ix_images_session_id"), "images", ["session_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_images_session_id"), table_name="images")
    op.drop_table("images")
    op.drop_table("edits")
    op.drop_index("ix_chat_sessions_updated_at", table_name="chat_sessions")
    op.drop_index("ix_chat_sessions_platform_user", table_name="chat_sessions")
    op.drop_index("ix_chat_sessions_person", table_name="chat_sessions")
    op.drop_table("chat_sessions")
