"""mail_intake_failures: how often an inbound mail's intake failed, and since when

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_intake_failures",
        sa.Column("message_key", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_failed_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("message_key", name=op.f("pk_mail_intake_failures")),
    )


def downgrade() -> None:
    op.drop_table("mail_intake_failures")
