"""WallexPay transactions as their callbacks told them (issue 11: /deposits, /withdrawals).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallexpay_transactions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(16), nullable=True),
        sa.Column("amount", sa.String(64), nullable=True),
        sa.Column("fee", sa.String(64), nullable=True),
        sa.Column("fee_currency", sa.String(16), nullable=True),
        sa.Column("address", sa.String(256), nullable=True),
        sa.Column("txid", sa.String(256), nullable=True),
        sa.Column("foreign_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "transaction_id", name="uq_wallexpay_tx"),
    )
    op.create_index("ix_wallexpay_transactions_user_id", "wallexpay_transactions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_wallexpay_transactions_user_id", "wallexpay_transactions")
    op.drop_table("wallexpay_transactions")
