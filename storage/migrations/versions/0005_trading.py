"""Pending confirmations, watched orders and account event cursors (issue 7).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

``confirmations`` holds every action that waits for its owner's Confirm (orders,
cancels, and the money helper's withdrawals, coupons, conversions); ``tracked_orders``
the orders the bot placed or listed, with the last filled amount it told the owner;
``account_cursors`` what an account's deposit history looked like when watching began,
so a first poll does not announce old deposits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "confirmations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("client_ref", sa.String(64), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(512), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_confirmations_user_id", "confirmations", ["user_id"])
    op.create_index("ix_confirmations_state", "confirmations", ["state"])
    op.create_table(
        "tracked_orders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("order_id", sa.String(96), nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("amount", sa.String(64), nullable=False),
        sa.Column("price", sa.String(64), nullable=True),
        sa.Column("filled", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("client_order_id", sa.String(64), nullable=True),
        sa.Column("confirmation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "exchange", "order_id", name="uq_tracked_orders_order"),
    )
    op.create_index("ix_tracked_orders_status", "tracked_orders", ["status"])
    op.create_table(
        "account_cursors",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("exchange", sa.String(16), primary_key=True),
        sa.Column("deposit_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("account_cursors")
    op.drop_index("ix_tracked_orders_status", "tracked_orders")
    op.drop_table("tracked_orders")
    op.drop_index("ix_confirmations_state", "confirmations")
    op.drop_index("ix_confirmations_user_id", "confirmations")
    op.drop_table("confirmations")
