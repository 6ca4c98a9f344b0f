"""Tables for screening: verdicts, duplicate fingerprints, buyer flags, overrides, staff load."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from kefu.db.schema import Id, metadata
from kefu.db.types import UTCDateTime

# One row per case: what screening decided, why, and on what evidence (reason code + trail).
screenings = Table(
    "screenings",
    metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("outcome", String(20), nullable=False),
    Column("code", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("trail", JSON, nullable=False),
    Column("category_source", String(20), nullable=False),
    # What the classifier chose, whoever chose the case's category: corrections are measured
    # against it when they are exported for retraining.
    Column("model_category", String(30), nullable=False, server_default=""),
    Column("category_confidence", Float, nullable=False),
    Column("classification_trail", JSON, nullable=False),
    Column("priority_reasons", JSON, nullable=False),
    Column("duplicate_of", Id, ForeignKey("cases.id"), nullable=True),
    Column("abusive", Boolean, nullable=False),
    # The words as written, kept as evidence when the case shows a masked version.
    Column("original_subject", Text, nullable=True),
    Column("original_description", Text, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

# Near-duplicate lookup per buyer and order: an index range, never a scan of all cases.
# order_key is the order id, or 0 for cases without an order (NULL would not compare equal).
case_fingerprints = Table(
    "case_fingerprints",
    metadata,
    Column("case_id", Id, ForeignKey("cases.id"), primary_key=True),
    Column("buyer_id", Id, nullable=False),
    Column("order_key", Id, nullable=False),
    Column("category", String(30), nullable=False),
    Column("fingerprint", BigInteger, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_case_fingerprints_scope", "buyer_id", "order_key", "created_at"),
)

# A buyer with repeated rejected cases is flagged for a person to review, never blocked.
buyer_flags = Table(
    "buyer_flags",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("buyer_id", Id, ForeignKey("users.id"), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("reviewed_by", Id, nullable=True),
    Column("reviewed_at", UTCDateTime(), nullable=True),
    Index("ix_buyer_flags_buyer", "buyer_id", "status"),
)

# Every category change an agent makes, with the text it was made on: retraining data.
category_overrides = Table(
    "category_overrides",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False),
    Column("from_category", String(30), nullable=False),
    Column("to_category", String(30), nullable=False),
    Column("model_category", String(30), nullable=False),
    Column("text", Text, nullable=False),
    Column("actor_id", Id, nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Index("ix_category_overrides_at", "at"),
)

# Who can take new cases now, and how many open cases each holds (kept as cases move).
staff_availability = Table(
    "staff_availability",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True),
    Column("on_duty", Boolean, nullable=False),
    Column("shift_start", String(5), nullable=False),
    Column("shift_end", String(5), nullable=False),
    Column("working_days_only", Boolean, nullable=False),
    Column("open_assigned", Integer, nullable=False),
)
