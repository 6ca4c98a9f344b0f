"""Tables for SLA clocks, suspensions, calendar overrides, seller agreements and violations."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from kefu.db.schema import Id, metadata
from kefu.db.types import UTCDateTime

# Partial-index conditions (migration 0007 writes the same text). A query can use such an index
# only when its WHERE clause repeats the condition: see db/deadline_sweep.py and
# DeadlineRepo.provisional_clocks (SQLAlchemy renders a Boolean column as `= 1` on SQLite).
_RUNNING = "state = 'running'"
_UNWARNED = "state = 'running' AND warned_at IS NULL"
_PROVISIONAL_SQLITE = "provisional = 1"
_PROVISIONAL_PG = "provisional"

# One row per clock per case per party. The spec is a snapshot of the policy version in force
# when the clock started (rule 29), so later policy changes never move a running deadline.
case_clocks = Table(
    "case_clocks",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("party", String(10), nullable=False),
    Column("clock", String(40), nullable=False),
    Column("policy_id", String(80), nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("rule", String(200), nullable=False, server_default=""),
    Column("spec", JSON, nullable=False),
    Column("budget_amount", Integer, nullable=False),
    Column("budget_measure", String(20), nullable=False),
    Column("warn_share", Float, nullable=False),
    # Time excluded by pauses so far, in seconds of the clock's own measure.
    Column("paused_total_s", Integer, nullable=False, server_default="0"),
    Column("state", String(12), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("warn_at", UTCDateTime(), nullable=False),
    Column("paused_at", UTCDateTime(), nullable=True),
    Column("pause_reason", String(40), nullable=True),
    Column("warned_at", UTCDateTime(), nullable=True),
    Column("breached_at", UTCDateTime(), nullable=True),
    Column("met_at", UTCDateTime(), nullable=True),
    Column("stopped_at", UTCDateTime(), nullable=True),
    Column("provisional", Boolean, nullable=False, server_default="0"),
    Column("facts", JSON, nullable=False),
    Column("on_warning", String(200), nullable=False, server_default=""),
    Column("on_breach", String(200), nullable=False, server_default=""),
    Column("on_timeout", String(40), nullable=False, server_default="none"),
    # The sweep's two claims: running clocks past due, running unwarned clocks past warn_at.
    # Partial, and keyed on columns a warning or breach does not write (migration 0007): a
    # breach then only drops its entry from the due index (next to the other due entries)
    # instead of moving it in every index that carries `state`. The claims render
    # `state = 'running'` as a literal, so SQLite can match the index's condition.
    Index(
        "ix_case_clocks_due",
        "due_at",
        sqlite_where=text(_RUNNING),
        postgresql_where=text(_RUNNING),
    ),
    Index(
        "ix_case_clocks_warn",
        "warn_at",
        sqlite_where=text(_UNWARNED),
        postgresql_where=text(_UNWARNED),
    ),
    Index("ix_case_clocks_case", "case_id"),
    Index(
        "ix_case_clocks_provisional",
        "state",
        sqlite_where=text(_PROVISIONAL_SQLITE),
        postgresql_where=text(_PROVISIONAL_PG),
    ),
)

case_suspensions = Table(
    "case_suspensions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False, index=True),
    Column("reason", String(30), nullable=False),
    Column("limit_key", String(40), nullable=False),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("resume_at", UTCDateTime(), nullable=False),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("ended_by", String(20), nullable=True),
    Index("ix_case_suspensions_due", "ended_at", "resume_at"),
)

# calendar: "platform", "shop:<shop id>" or "team:<team id>"; later layers win per date.
calendar_overrides = Table(
    "calendar_overrides",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("calendar", String(80), nullable=False),
    Column("day", Date, nullable=False),
    Column("working", Boolean, nullable=False),
    Column("hours", String(100), nullable=False, server_default=""),
    Column("note", String(300), nullable=False, server_default=""),
    Column("created_by", Id, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("calendar", "day", name="uq_calendar_overrides_calendar_day"),
)

# Every version is kept (rule 26: records are never altered; a change is a new version).
seller_agreements = Table(
    "seller_agreements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("shop_id", Id, ForeignKey("shops.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("reply_within_hours", Integer, nullable=True),
    Column("warranty_months", Integer, nullable=True),
    Column("return_window_days", Integer, nullable=True),
    Column("complaint_acceptance_hours", Integer, nullable=True),
    Column("solution_working_days", Integer, nullable=True),
    Column("created_by", Id, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("shop_id", "version", name="uq_seller_agreements_shop_version"),
)

seller_violations = Table(
    "seller_violations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("shop_id", Id, ForeignKey("shops.id"), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("clock_id", Id, ForeignKey("case_clocks.id"), nullable=False),
    Column("clock", String(40), nullable=False),
    Column("rule", String(200), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("occurred_at", UTCDateTime(), nullable=False),
    Index("ix_seller_violations_shop", "shop_id", "occurred_at"),
)

# SLA policy versions beyond the code defaults (DEFAULT_POLICIES). A draft becomes published
# once (status, published_at, published_by set together); after that a row is never changed:
# a change is a new version (rule 26). `clocks` holds ClockSpecs in case_clocks.spec's format.
sla_policy_versions = Table(
    "sla_policy_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("policy_id", String(60), nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(20), nullable=True),
    Column("category", String(30), nullable=True),
    Column("priority", String(10), nullable=True),
    Column("channel", String(10), nullable=True),
    Column("seller_id", Id, ForeignKey("shops.id"), nullable=True),
    Column("clocks", JSON, nullable=False),
    Column("effective_from", UTCDateTime(), nullable=False),
    Column("status", String(10), nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("published_at", UTCDateTime(), nullable=True),
    Column("published_by", Id, nullable=True),
    Column("created_by", Id, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("policy_id", "version", name="uq_sla_policy_versions_policy_version"),
    # The policy cache's freshness check: count and latest publication of published rows.
    Index("ix_sla_policy_versions_published", "status", "published_at"),
)
