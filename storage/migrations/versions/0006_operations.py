"""Leader lease, outbox leasing, broadcasts (issue 9).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Reserved in order so parallel work keeps one linear history; its owner fills it in.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # outbox leasing (alerts helper)
    _upgrade_outbox_leasing()
    _upgrade_operations()


def downgrade() -> None:
    _downgrade_operations()
    # outbox leasing (alerts helper)
    _downgrade_outbox_leasing()


# --- outbox leasing (alerts helper): a row is sent only by the notifier whose lease on it
# is live (storage/repos/outbox.py, bot/notifier.py), so several replicas drain one outbox.


def _upgrade_outbox_leasing() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("leased_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def _downgrade_outbox_leasing() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("leased_by")


# --- operations: leader lease (SQLite), users who started the bot, broadcasts -------------
# (owned by the operations work: bot/leader.py, bot/broadcast.py, bot/stats.py)


def _upgrade_operations() -> None:
    op.create_table(
        "leader_lease",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "bot_users",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("admin_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.String(4096), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_broadcasts_state", "broadcasts", ["state"])
    op.create_table(
        "broadcast_recipients",
        sa.Column(
            "broadcast_id",
            sa.Integer(),
            sa.ForeignKey("broadcasts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(16), nullable=False),
    )
    op.create_index(
        "ix_broadcast_recipients_state", "broadcast_recipients", ["broadcast_id", "state"]
    )


def _downgrade_operations() -> None:
    op.drop_index("ix_broadcast_recipients_state", "broadcast_recipients")
    op.drop_table("broadcast_recipients")
    op.drop_index("ix_broadcasts_state", "broadcasts")
    op.drop_table("broadcasts")
    op.drop_table("bot_users")
    op.drop_table("leader_lease")
