"""Tables: portable SQLAlchemy Core definitions with the indexes the queues and sweeps need."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from kefu.db.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger ids on PostgreSQL; plain INTEGER PRIMARY KEY (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

shops = Table(
    "shops",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    # Rule 22: every case must be able to name the seller's real identity and contact.
    Column("legal_name", String(200), nullable=False, server_default=""),
    Column("address", String(300), nullable=False, server_default=""),
    Column("phone", String(32), nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(200), nullable=False, server_default=""),
    Column("roles", String(200), nullable=False),
    Column("shop_id", Id, ForeignKey("shops.id"), nullable=True),
    Column("buyer_ref", String(64), nullable=True, unique=True),
    Column("phone", String(32), nullable=False, server_default=""),
    Column("email", String(200), nullable=False, server_default=""),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime(), nullable=False),
)

team_members = Table(
    "team_members",
    metadata,
    Column("team_id", Id, ForeignKey("teams.id"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime(), nullable=True),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_no", String(64), nullable=False, unique=True),
    Column("shop_id", Id, ForeignKey("shops.id"), nullable=False, index=True),
    Column("buyer_ref", String(64), nullable=False, index=True),
    Column("buyer_name", String(100), nullable=False, server_default=""),
    Column("buyer_phone", String(32), nullable=False, server_default=""),
    Column("buyer_address", String(300), nullable=False, server_default=""),
    Column("paid_at", UTCDateTime(), nullable=False),
    Column("shipped_at", UTCDateTime(), nullable=True),
    Column("signed_at", UTCDateTime(), nullable=True),
    Column("carrier", String(64), nullable=False, server_default=""),
    Column("tracking_no", String(64), nullable=False, server_default=""),
    Column("paid_total_fen", BigInteger, nullable=False),
    Column("imported_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", Id, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_fen", BigInteger, nullable=False),
    Column("paid_fen", BigInteger, nullable=False),
    Column("paid_cash_fen", BigInteger, nullable=False),
    Column("paid_points_fen", BigInteger, nullable=False),
    Column("paid_coupon_fen", BigInteger, nullable=False),
    Column("flags", String(300), nullable=False, server_default=""),
    UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line"),
)

case_counters = Table(
    "case_counters",
    metadata,
    Column("day", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),
    Column("feedback_type", String(20), nullable=True),
    Column("channel", String(10), nullable=False),
    Column("category", String(30), nullable=False),
    Column("priority", String(10), nullable=False),
    Column("status", String(30), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("suspended_from", String(30), nullable=True),
    Column("buyer_id", Id, ForeignKey("users.id"), nullable=False),
    Column("order_id", Id, ForeignKey("orders.id"), nullable=True, index=True),
    Column("order_no", String(64), nullable=True),
    Column("line_nos", String(200), nullable=False, server_default=""),
    Column("shop_id", Id, ForeignKey("shops.id"), nullable=True),
    Column("assignee_id", Id, ForeignKey("users.id"), nullable=True),
    Column("team_id", Id, ForeignKey("teams.id"), nullable=True),
    Column("subject", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("contact_phone", String(32), nullable=False, server_default=""),
    Column("contact_email", String(200), nullable=False, server_default=""),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("due_at", UTCDateTime(), nullable=False),
    Column("first_response_at", UTCDateTime(), nullable=True),
    Column("ended_at", UTCDateTime(), nullable=True),
    Column("reject_reason", Text, nullable=False, server_default=""),
    # Keyset queues: (scope, open, due, id) lets page 1 read 50 index entries at any table size.
    Index("ix_cases_team_queue", "team_id", "is_open", "due_at", "id"),
    Index("ix_cases_assignee_queue", "assignee_id", "is_open", "due_at", "id"),
    Index("ix_cases_shop_queue", "shop_id", "is_open", "due_at", "id"),
    Index("ix_cases_open_due", "is_open", "due_at", "id"),
    Index("ix_cases_status_due", "status", "due_at", "id"),
    Index("ix_cases_buyer", "buyer_id", "created_at"),
)

timeline = Table(
    "timeline",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("actor_id", Id, nullable=False),
    Column("actor_role", String(20), nullable=False),
    Column("visibility", String(10), nullable=False),
    Column("body", Text, nullable=False, server_default=""),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_timeline_case", "case_id", "id"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False, index=True),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("uploaded_by", Id, ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id", "key", name="uq_idempotency_keys_user_key"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic", String(50), nullable=False),
    Column("case_id", Id, nullable=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("sent_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", UTCDateTime(), nullable=True),
    Index("ix_outbox_pending", "sent_at", "available_at", "id"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("case_id", Id, nullable=True),
    Column("outbox_id", Id, nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("read_at", UTCDateTime(), nullable=True),
    Index("ix_notifications_user", "user_id", "id"),
    # The outbox row id is the idempotency key: a re-delivered row adds no second notice.
    UniqueConstraint("outbox_id", "user_id", name="uq_notifications_outbox_user"),
)

pii_access_log = Table(
    "pii_access_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("actor_id", Id, nullable=False),
    Column("case_id", Id, nullable=True),
    Column("order_id", Id, nullable=True),
    Column("fields", String(200), nullable=False),
    Column("purpose", String(100), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_pii_access_case", "case_id", "at"),
)

# Each later capability keeps its tables beside this file, registered on the same metadata.
from kefu.db import (  # noqa: E402, F401
    schema_channels,
    schema_deadlines,
    schema_intake,
    schema_search,
)
