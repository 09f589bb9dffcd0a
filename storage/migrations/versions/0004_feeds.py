"""Price feeds in groups and channels (issue 8).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

Reserved in order so parallel work keeps one linear history; its owner fills it in.
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
