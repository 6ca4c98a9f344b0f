"""Channel persistence: mail message records, logged phone calls, buyers found by contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from kefu.db.chat import ChatRepo
from kefu.db.schema import users
from kefu.db.schema_channels import calls, mail_intake_failures, mail_messages

INBOUND, OUTBOUND = "inbound", "outbound"


@dataclass(frozen=True)
class MailRecord:
    id: int
    message_id: str
    direction: str
    case_id: int | None
    peer: str
    subject: str
    raw_sha256: str
    raw_size: int
    verdict: str
    reason: str
    detail: str
    created_at: datetime


@dataclass(frozen=True)
class MailFailure:
    """Failed intakes of one inbound mail (services/mail_retry)."""

    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str


def _mail(r: RowMapping) -> MailRecord:
    return MailRecord(
        int(r["id"]),
        r["message_id"],
        r["direction"],
        r["case_id"],
        r["peer"],
        r["subject"],
        r["raw_sha256"],
        r["raw_size"],
        r["verdict"],
        r["reason"],
        r["detail"],
        r["created_at"],
    )


class MailRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def by_message_id(self, message_id: str) -> MailRecord | None:
        row = (
            self.conn.execute(select(mail_messages).where(mail_messages.c.message_id == message_id))
            .mappings()
            .first()
        )
        return _mail(row) if row else None

    def case_for_thread(self, message_ids: list[str]) -> int | None:
        """The case of the most recent known mail among these ids (In-Reply-To, References)."""
        if not message_ids:
            return None
        return self.conn.execute(
            select(mail_messages.c.case_id)
            .where(
                mail_messages.c.message_id.in_(message_ids),
                mail_messages.c.case_id.is_not(None),
            )
            .order_by(mail_messages.c.id.desc())
            .limit(1)
        ).scalar()

    def add(
        self,
        *,
        message_id: str,
        direction: str,
        case_id: int | None,
        peer: str,
        subject: str,
        raw_sha256: str,
        raw_size: int,
        verdict: str,
        reason: str = "",
        detail: str = "",
        now: datetime,
    ) -> bool:
        """Insert the record; False (and nothing written) when the Message-ID is already known."""
        values = {
            "message_id": message_id,
            "direction": direction,
            "case_id": case_id,
            "peer": peer[:200],
            "subject": subject[:300],
            "raw_sha256": raw_sha256,
            "raw_size": raw_size,
            "verdict": verdict,
            "reason": reason,
            "detail": detail,
            "created_at": now,
        }
        # A savepoint keeps the surrounding transaction usable when a racer inserted it first.
        savepoint = self.conn.begin_nested()
        try:
            self.conn.execute(insert(mail_messages).values(**values))
        except IntegrityError:
            savepoint.rollback()
            return False
        savepoint.commit()
        return True

    def note_failure(self, message_key: str, error: str, now: datetime) -> MailFailure:
        """Count one more failed intake of the mail `message_key` (kept across restarts)."""
        t = mail_intake_failures
        savepoint = self.conn.begin_nested()  # a racer may insert the first failure too
        try:
            self.conn.execute(
                insert(t).values(
                    message_key=message_key,
                    attempts=1,
                    first_failed_at=now,
                    last_failed_at=now,
                    last_error=error,
                )
            )
        except IntegrityError:
            savepoint.rollback()
            self.conn.execute(
                update(t)
                .where(t.c.message_key == message_key)
                .values(attempts=t.c.attempts + 1, last_failed_at=now, last_error=error)
            )
        else:
            savepoint.commit()
        failure = self.failure(message_key)
        assert failure is not None
        return failure

    def failure(self, message_key: str) -> MailFailure | None:
        """How often the mail's intake failed so far, or None if it never did."""
        t = mail_intake_failures
        row = self.conn.execute(select(t).where(t.c.message_key == message_key)).mappings().first()
        if row is None:
            return None
        return MailFailure(
            row["attempts"], row["first_failed_at"], row["last_failed_at"], row["last_error"]
        )

    def set_verdict(self, message_id: str, verdict: str) -> None:
        self.conn.execute(
            update(mail_messages)
            .where(mail_messages.c.message_id == message_id)
            .values(verdict=verdict)
        )

    def for_case(self, case_id: int) -> list[MailRecord]:
        rows = self.conn.execute(
            select(mail_messages)
            .where(mail_messages.c.case_id == case_id)
            .order_by(mail_messages.c.id)
        ).mappings()
        return [_mail(r) for r in rows]

    def recent(self, limit: int = 100) -> list[MailRecord]:
        rows = self.conn.execute(
            select(mail_messages).order_by(mail_messages.c.id.desc()).limit(limit)
        ).mappings()
        return [_mail(r) for r in rows]

    def rejected_count_since(self, peer: str, since: datetime) -> int:
        """Inbound mail from this address refused since then (caps the auto-answers we send)."""
        return int(
            self.conn.execute(
                select(func.count())
                .select_from(mail_messages)
                .where(
                    mail_messages.c.peer == peer[:200],
                    mail_messages.c.direction == INBOUND,
                    mail_messages.c.verdict == "rejected",
                    mail_messages.c.created_at >= since,
                )
            ).scalar_one()
        )


class CallRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, **values: Any) -> int:
        return int(
            self.conn.execute(insert(calls).values(**values).returning(calls.c.id)).scalar_one()
        )

    def for_case(self, case_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(calls).where(calls.c.case_id == case_id).order_by(calls.c.id)
        ).mappings()
        return [dict(r) for r in rows]


class ContactRepo:
    """Find a user by the contact a channel gives us (sender address, caller number)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # Only buyer accounts match: a staff member's or seller's address never files as them.
    _BUYER = users.c.roles.like("%buyer%")

    def user_id_by_email(self, email: str) -> int | None:
        return self.conn.execute(
            select(users.c.id)
            .where(func.lower(users.c.email) == email.lower(), self._BUYER)
            .order_by(users.c.id)
            .limit(1)
        ).scalar()

    def user_ids_with_email(self, email: str) -> list[int]:
        """Every account (any role) with this address: a reply may come from the shop's seller."""
        rows = self.conn.execute(
            select(users.c.id).where(func.lower(users.c.email) == email.lower()).limit(20)
        ).scalars()
        return [int(i) for i in rows]

    def user_id_by_phone(self, phone: str) -> int | None:
        bare = phone.replace(" ", "").replace("-", "")
        return self.conn.execute(
            select(users.c.id)
            .where(or_(users.c.phone == phone, users.c.phone == bare), self._BUYER)
            .order_by(users.c.id)
            .limit(1)
        ).scalar()


class ChannelRepos:
    """The channel repositories on one connection, exposed as `uow.channels`."""

    def __init__(self, conn: Connection) -> None:
        self.mail = MailRepo(conn)
        self.calls = CallRepo(conn)
        self.chat = ChatRepo(conn)
        self.contacts = ContactRepo(conn)
