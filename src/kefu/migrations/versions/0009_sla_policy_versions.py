"""sla_policy_versions: SLA policy versions as data (drafts, then published, never changed)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sla_policy_versions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("policy_id", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("seller_id", _ID, nullable=True),
        sa.Column("clocks", sa.JSON(), nullable=False),
        sa.Column("effective_from", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("published_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", _ID, nullable=True),
        sa.Column("created_by", _ID, nullable=False),
        sa.Column("created_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["shops.id"], name=op.f("fk_sla_policy_versions_seller_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policy_versions")),
        sa.UniqueConstraint("policy_id", "version", name="uq_sla_policy_versions_policy_version"),
    )
    with op.batch_alter_table("sla_policy_versions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sla_policy_versions_published", ["status", "published_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sla_policy_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_sla_policy_versions_published")
    op.drop_table("sla_policy_versions")
