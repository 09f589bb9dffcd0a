"""Withdrawals, address book, daily caps, WallexPay payments (issue 7).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Amounts are decimal strings, exact on every database (see ``storage/models.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_addresses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("address", sa.String(256), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("memo", sa.String(128), nullable=False),
        sa.Column("label", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "user_id", "exchange", "currency", "address", "network", "memo", name="uq_saved_address"
        ),
    )
    op.create_index("ix_saved_addresses_user_id", "saved_addresses", ["user_id"])
    op.create_table(
        "withdrawal_caps",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("currency", sa.String(16), primary_key=True),
        sa.Column("amount", sa.String(64), nullable=True),
        sa.Column("next_amount", sa.String(64), nullable=True),
        sa.Column("next_off", sa.Boolean(), nullable=False),
        sa.Column("next_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "money_transfers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("exchange", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("amount", sa.String(64), nullable=False),
        sa.Column("address", sa.String(256), nullable=True),
        sa.Column("network", sa.String(32), nullable=True),
        sa.Column("memo", sa.String(128), nullable=True),
        sa.Column("reference", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("upstream_id", sa.String(128), nullable=True),
        sa.Column("upstream_status", sa.String(32), nullable=True),
        sa.Column("error", sa.String(256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_money_transfers_user_id", "money_transfers", ["user_id"])
    op.create_index("ix_money_transfers_state", "money_transfers", ["state"])
    op.create_table(
        "wallexpay_hooks",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_callback_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "wallexpay_invoices",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=False),
        sa.Column("foreign_id", sa.String(64), nullable=False, unique=True),
        sa.Column("url", sa.String(512), nullable=False),
        sa.Column("amount", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("title", sa.String(128), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("release_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_wallexpay_invoices_user_id", "wallexpay_invoices", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_wallexpay_invoices_user_id", "wallexpay_invoices")
    op.drop_table("wallexpay_invoices")
    op.drop_table("wallexpay_hooks")
    op.drop_index("ix_money_transfers_state", "money_transfers")
    op.drop_index("ix_money_transfers_user_id", "money_transfers")
    op.drop_table("money_transfers")
    op.drop_table("withdrawal_caps")
    op.drop_index("ix_saved_addresses_user_id", "saved_addresses")
    op.drop_table("saved_addresses")
