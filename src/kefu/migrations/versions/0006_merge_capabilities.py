"""merge: deadlines (0002), channels (0003), intake (0004) and search (0005) into one head

Revision ID: 0006
Revises: 0002, 0003, 0004, 0005
Create Date: 2026-11-25 01:00:00

The four capabilities were built in parallel, each branching from 0001. This revision joins
them so that later migrations have a single parent again. It changes no schema.
"""

from __future__ import annotations

revision = "0006"
down_revision = ("0002", "0003", "0004", "0005")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
