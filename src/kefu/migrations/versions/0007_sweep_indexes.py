"""sweep indexes: partial case_clocks indexes that a warning or breach does not move

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 02:00:00

A breach writes state, breached_at and stopped_at. Every index carrying `state` had its entry
moved for each breached clock (a random page each, 1 % of 1M clocks → ~30 000 pages per pass).
Now the two sweep claims use partial indexes on the due/warning time of running clocks (a breach
only drops an entry next to the other due ones), the per-case index is on case_id alone and the
provisional index holds provisional clocks only.

PostgreSQL: plain CREATE INDEX (not CONCURRENTLY: migrations run in a transaction), so writes to
case_clocks wait while the four indexes are built — seconds at 1M clocks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The same text as db/schema_deadlines.py (the migration test compares the two).
RUNNING = "state = 'running'"
UNWARNED = "state = 'running' AND warned_at IS NULL"
PROVISIONAL_SQLITE = "provisional = 1"
PROVISIONAL_PG = "provisional"


def _drop_all() -> None:
    for name in (
        "ix_case_clocks_due",
        "ix_case_clocks_warn",
        "ix_case_clocks_case",
        "ix_case_clocks_provisional",
    ):
        op.drop_index(name, table_name="case_clocks")


def upgrade() -> None:
    _drop_all()
    op.create_index(
        "ix_case_clocks_due",
        "case_clocks",
        ["due_at"],
        sqlite_where=sa.text(RUNNING),
        postgresql_where=sa.text(RUNNING),
    )
    op.create_index(
        "ix_case_clocks_warn",
        "case_clocks",
        ["warn_at"],
        sqlite_where=sa.text(UNWARNED),
        postgresql_where=sa.text(UNWARNED),
    )
    op.create_index("ix_case_clocks_case", "case_clocks", ["case_id"])
    op.create_index(
        "ix_case_clocks_provisional",
        "case_clocks",
        ["state"],
        sqlite_where=sa.text(PROVISIONAL_SQLITE),
        postgresql_where=sa.text(PROVISIONAL_PG),
    )


def downgrade() -> None:
    _drop_all()
    op.create_index("ix_case_clocks_due", "case_clocks", ["state", "due_at"])
    op.create_index("ix_case_clocks_warn", "case_clocks", ["state", "warned_at", "warn_at"])
    op.create_index("ix_case_clocks_case", "case_clocks", ["case_id", "state"])
    op.create_index("ix_case_clocks_provisional", "case_clocks", ["provisional", "state"])
