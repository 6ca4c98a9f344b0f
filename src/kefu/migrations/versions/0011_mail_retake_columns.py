"""mail_intake_failures: sender, subject and who last took a given-up mail in again

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs with constant defaults: SQLite takes them without a table rebuild.
    op.add_column(
        "mail_intake_failures",
        sa.Column("peer", sa.String(length=200), server_default="", nullable=False),
    )
    op.add_column(
        "mail_intake_failures",
        sa.Column("subject", sa.String(length=300), server_default="", nullable=False),
    )
    op.add_column(
        "mail_intake_failures",
        sa.Column("retakes", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "mail_intake_failures",
        sa.Column("retaken_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "mail_intake_failures",
        sa.Column("retaken_by", sa.String(length=100), server_default="", nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("mail_intake_failures") as batch_op:
        for column in ("retaken_by", "retaken_at", "retakes", "subject", "peer"):
            batch_op.drop_column(column)
