"""Leader lease, outbox leasing, broadcasts (issue 9).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Reserved in order so parallel work keeps one linear history; its owner fills it in.
"""

from __future__ import annotations

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
