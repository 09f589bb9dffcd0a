"""Pending confirmations, orders, withdrawals, address book (issue 7).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Reserved in order so parallel work keeps one linear history; its owner fills it in.
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
