"""Price feeds in groups and channels (issue 8).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_kind", sa.String(16), nullable=False),
        sa.Column("chat_title", sa.String(256), nullable=True),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=False),
        sa.Column("every_s", sa.Integer(), nullable=False),
        sa.Column("pin", sa.Boolean(), nullable=False),
        sa.Column("move_pct", sa.String(32), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("paused_reason", sa.String(64), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("last_key", sa.String(2048), nullable=True),
        sa.Column("last_prices", sa.JSON(), nullable=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_post_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_feeds_chat_id", "feeds", ["chat_id"])
    op.create_index("ix_feeds_state", "feeds", ["state"])


def downgrade() -> None:
    op.drop_index("ix_feeds_state", table_name="feeds")
    op.drop_index("ix_feeds_chat_id", table_name="feeds")
    op.drop_table("feeds")
