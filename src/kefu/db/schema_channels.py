"""Tables for inbound/outbound mail, phone calls and chat sessions (issue 3 channels)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from kefu.db.schema import Id, metadata
from kefu.db.types import UTCDateTime

__all__ = [
    "calls",
    "chat_messages",
    "chat_sessions",
    "mail_intake_failures",
    "mail_messages",
    "metadata",
]

# One row per mail we received or sent. The unique Message-ID is what makes intake idempotent:
# a re-delivered mail (IMAP retry, SMTP resend) finds its row and is not processed again.
mail_messages = Table(
    "mail_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", String(500), nullable=False, unique=True),
    Column("direction", String(10), nullable=False),  # inbound | outbound
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("peer", String(200), nullable=False, server_default=""),  # the other side's address
    Column("subject", String(300), nullable=False, server_default=""),
    Column("raw_sha256", String(64), nullable=False),
    Column("raw_size", Integer, nullable=False),
    # inbound: case_opened | case_rejected | threaded | ignored | rejected | retaking (a given-up
    # mail being taken in again by hand); outbound: queued | sent | logged | failed | resent (a
    # failed mail sent again by hand, as another mail)
    Column("verdict", String(20), nullable=False),
    Column("reason", String(40), nullable=False, server_default=""),
    Column("detail", Text, nullable=False, server_default=""),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_mail_messages_case", "case_id", "id"),
    Index("ix_mail_messages_peer", "peer", "direction", "created_at"),
)

# Inbound mail whose intake failed and that will come again (SMTP 451, IMAP left unseen): how
# often and since when, so a mail that keeps failing is given up in the end (services/mail_retry).
# Sender and subject name a mail that has no row in mail_messages yet (`kefu mail failures`);
# the retake columns record who last took a given-up mail in again, and when (mail_retake).
mail_intake_failures = Table(
    "mail_intake_failures",
    metadata,
    Column("message_key", String(500), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("first_failed_at", UTCDateTime(), nullable=False),
    Column("last_failed_at", UTCDateTime(), nullable=False),
    Column("last_error", Text, nullable=False, server_default=""),
    Column("peer", String(200), nullable=False, server_default=""),
    Column("subject", String(300), nullable=False, server_default=""),
    Column("retakes", Integer, nullable=False, server_default="0"),
    Column("retaken_at", UTCDateTime(), nullable=True),
    Column("retaken_by", String(100), nullable=False, server_default=""),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=False, index=True),
    Column("logged_by", Id, ForeignKey("users.id"), nullable=False),
    Column("caller_name", String(100), nullable=False, server_default=""),
    Column("caller_number", String(32), nullable=False),
    Column("direction", String(10), nullable=False),  # inbound | outbound
    Column("started_at", UTCDateTime(), nullable=False),
    Column("duration_s", Integer, nullable=False),
    Column("notes", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)

chat_sessions = Table(
    "chat_sessions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("buyer_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("agent_id", Id, ForeignKey("users.id"), nullable=True),
    Column("status", String(20), nullable=False),  # waiting | active | closed
    Column("topic", String(200), nullable=False, server_default=""),
    Column("order_no", String(64), nullable=True),
    Column("case_id", Id, ForeignKey("cases.id"), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("closed_at", UTCDateTime(), nullable=True),
    Index("ix_chat_sessions_status", "status", "id"),
)

chat_messages = Table(
    "chat_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("session_id", Id, ForeignKey("chat_sessions.id"), nullable=False),
    Column("sender_id", Id, ForeignKey("users.id"), nullable=False),
    Column("sender_role", String(20), nullable=False),
    Column("body", Text, nullable=False),
    # The client's own id for a line: a resend after a lost ack is stored once.
    Column("client_msg_id", String(64), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_chat_messages_session", "session_id", "id"),
    UniqueConstraint("session_id", "client_msg_id", name="uq_chat_messages_session_client"),
)
