"""deadlines: case clocks, suspensions, calendar overrides, seller agreements, violations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kefu.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("calendar", sa.String(length=80), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("hours", sa.String(length=100), server_default="", nullable=False),
        sa.Column("note", sa.String(length=300), server_default="", nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_overrides")),
        sa.UniqueConstraint("calendar", "day", name="uq_calendar_overrides_calendar_day"),
    )
    op.create_table(
        "seller_agreements",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reply_within_hours", sa.Integer(), nullable=True),
        sa.Column("warranty_months", sa.Integer(), nullable=True),
        sa.Column("return_window_days", sa.Integer(), nullable=True),
        sa.Column("complaint_acceptance_hours", sa.Integer(), nullable=True),
        sa.Column("solution_working_days", sa.Integer(), nullable=True),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_seller_agreements_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_agreements")),
        sa.UniqueConstraint("shop_id", "version", name="uq_seller_agreements_shop_version"),
    )
    op.create_table(
        "case_clocks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("party", sa.String(length=10), nullable=False),
        sa.Column("clock", sa.String(length=40), nullable=False),
        sa.Column("policy_id", sa.String(length=80), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=200), server_default="", nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("budget_amount", sa.Integer(), nullable=False),
        sa.Column("budget_measure", sa.String(length=20), nullable=False),
        sa.Column("warn_share", sa.Float(), nullable=False),
        sa.Column("paused_total_s", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("started_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("warn_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paused_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pause_reason", sa.String(length=40), nullable=True),
        sa.Column("warned_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("met_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("provisional", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("on_warning", sa.String(length=200), server_default="", nullable=False),
        sa.Column("on_breach", sa.String(length=200), server_default="", nullable=False),
        sa.Column("on_timeout", sa.String(length=40), server_default="none", nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_clocks_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_clocks")),
    )
    with op.batch_alter_table("case_clocks", schema=None) as batch_op:
        batch_op.create_index("ix_case_clocks_case", ["case_id", "state"], unique=False)
        batch_op.create_index("ix_case_clocks_due", ["state", "due_at"], unique=False)
        batch_op.create_index("ix_case_clocks_provisional", ["provisional", "state"], unique=False)
        batch_op.create_index(
            "ix_case_clocks_warn", ["state", "warned_at", "warn_at"], unique=False
        )

    op.create_table(
        "case_suspensions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("limit_key", sa.String(length=40), nullable=False),
        sa.Column("started_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resume_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", kefu.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_suspensions_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_suspensions")),
    )
    with op.batch_alter_table("case_suspensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_suspensions_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_suspensions_due", ["ended_at", "resume_at"], unique=False)

    op.create_table(
        "seller_violations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("shop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("clock_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("clock", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("occurred_at", kefu.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_seller_violations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["clock_id"], ["case_clocks.id"], name=op.f("fk_seller_violations_clock_id_case_clocks")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_seller_violations_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seller_violations")),
    )
    with op.batch_alter_table("seller_violations", schema=None) as batch_op:
        batch_op.create_index("ix_seller_violations_shop", ["shop_id", "occurred_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seller_violations", schema=None) as batch_op:
        batch_op.drop_index("ix_seller_violations_shop")

    op.drop_table("seller_violations")
    with op.batch_alter_table("case_suspensions", schema=None) as batch_op:
        batch_op.drop_index("ix_case_suspensions_due")
        batch_op.drop_index(batch_op.f("ix_case_suspensions_case_id"))

    op.drop_table("case_suspensions")
    with op.batch_alter_table("case_clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_case_clocks_warn")
        batch_op.drop_index("ix_case_clocks_provisional")
        batch_op.drop_index("ix_case_clocks_due")
        batch_op.drop_index("ix_case_clocks_case")

    op.drop_table("case_clocks")
    op.drop_table("seller_agreements")
    op.drop_table("calendar_overrides")
