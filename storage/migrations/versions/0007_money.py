"""Withdrawals, address book, daily caps, WallexPay payments (issue 7).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Reserved in order so parallel work keeps one linear history; its owner fills it in.
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
