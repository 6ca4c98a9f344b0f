"""Channel persistence: mail message records, logged phone calls, buyers found by contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from kefu.db.chat import ChatRepo
from kefu.db.schema import users
from kefu.db.schema_channels import calls, mail_intake_failures, mail_messages

INBOUND, OUTBOUND = "inbound", "outbound"
# Verdicts of an inbound mail (stored on its row; services/mail_intake decides them) and of a
# repeated delivery (not stored). CASE_REJECTED: the mail opened a case that screening refused
# (reason = the screening code); REJECTED: the mail was invalid and opened no case ("invalid").
CASE_OPENED, CASE_REJECTED, THREADED, IGNORED, REJECTED, DUPLICATE = (
    "case_opened",
    "case_rejected",
    "threaded",
    "ignored",
    "rejected",
    "duplicate",
)
# Verdicts of an outgoing mail: recorded before sending, then sent (or logged where no SMTP
# server is configured), or given up (services/mail_send_failures).
QUEUED, SENT, LOGGED, FAILED = "queued", "sent", "logged", "failed"
# Verdict of a given-up inbound mail while it is taken in again by hand (services/mail_retake):
# the intake treats the row as not there yet and its result replaces the row (`MailRepo.add`).
RETAKING = "retaking"
GIVEN_UP_REASON = "intake_failed"  # services/mail_retry.INTAKE_FAILED
# Verdict of a given-up outgoing mail once sent again by hand (services/mail_resend): another
# outbox row, so another mail and Message-ID, sends it; this row keeps who and when in `detail`.
RESENT = "resent"


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
    """Failed intakes of one inbound mail (services/mail_retry), and its retakes by hand."""

    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str
    peer: str = ""
    subject: str = ""
    retakes: int = 0
    retaken_at: datetime | None = None
    retaken_by: str = ""


class FailingState(StrEnum):
    """Where an inbound mail whose intake failed stands, not taken in yet."""

    RETRYING = "retrying"  # it comes again by itself; no mail row yet
    GIVEN_UP = "given_up"  # its row says rejected / intake_failed
    RETAKING = "retaking"  # a retake by hand that has not finished


@dataclass(frozen=True)
class FailingMail:
    """An inbound mail whose intake failed and that is not taken in yet (`kefu mail failures`)."""

    mail_id: int | None
    message_key: str
    state: FailingState
    failure: MailFailure


def _failure(r: RowMapping) -> MailFailure:
    return MailFailure(
        r["attempts"],
        r["first_failed_at"],
        r["last_failed_at"],
        r["last_error"],
        r["peer"],
        r["subject"],
        r["retakes"],
        r["retaken_at"],
        r["retaken_by"],
    )


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

    def by_id(self, mail_id: int) -> MailRecord | None:
        row = self.conn.execute(select(mail_messages).where(mail_messages.c.id == mail_id))
        found = row.mappings().first()
        return _mail(found) if found else None

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
        """Insert the record; False (and nothing written) when the Message-ID is already known.

        A row being retaken (verdict `retaking`) is not "known": the record replaces it, keeping
        its id, so the mail an admin named keeps its number whatever the intake made of it.
        """
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
            taken = self.conn.execute(
                update(mail_messages)
                .where(
                    mail_messages.c.message_id == message_id, mail_messages.c.verdict == RETAKING
                )
                .values(**values)
            )
            return taken.rowcount == 1
        savepoint.commit()
        return True

    def note_failure(
        self, message_key: str, error: str, now: datetime, *, peer: str = "", subject: str = ""
    ) -> MailFailure:
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
                    peer=peer[:200],
                    subject=subject[:300],
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
        return _failure(row) if row is not None else None

    def begin_retake(self, mail_id: int) -> bool:
        """Mark a given-up inbound mail (or one whose retake was cut short) as being retaken;
        False when it is neither (never given up, or taken in meanwhile)."""
        m = mail_messages
        given_up = and_(m.c.verdict == REJECTED, m.c.reason == GIVEN_UP_REASON)
        marked = self.conn.execute(
            update(m)
            .where(
                m.c.id == mail_id, m.c.direction == INBOUND, or_(given_up, m.c.verdict == RETAKING)
            )
            .values(verdict=RETAKING)
        )
        return marked.rowcount == 1

    def note_retake(self, message_key: str, by: str, now: datetime) -> None:
        """Who took the mail in again by hand, and when (the last one; `retakes` counts all)."""
        t = mail_intake_failures
        self.conn.execute(
            update(t)
            .where(t.c.message_key == message_key)
            .values(retakes=t.c.retakes + 1, retaken_at=now, retaken_by=by[:100])
        )

    def failing(self, limit: int = 200) -> list[FailingMail]:
        """Inbound mail whose intake failed and that is not taken in: most recent failure first."""
        t, m = mail_intake_failures, mail_messages
        waiting = or_(
            m.c.id.is_(None),
            and_(m.c.verdict == REJECTED, m.c.reason == GIVEN_UP_REASON),
            m.c.verdict == RETAKING,
        )
        rows = self.conn.execute(
            select(t, m.c.id.label("mail_id"), m.c.verdict)
            .select_from(t.outerjoin(m, m.c.message_id == t.c.message_key))
            .where(waiting)
            .order_by(t.c.last_failed_at.desc(), t.c.message_key)
            .limit(limit)
        ).mappings()
        found = []
        for r in rows:
            if r["mail_id"] is None:
                state = FailingState.RETRYING
            elif r["verdict"] == RETAKING:
                state = FailingState.RETAKING
            else:
                state = FailingState.GIVEN_UP
            found.append(FailingMail(r["mail_id"], r["message_key"], state, _failure(r)))
        return found

    def set_verdict(
        self, message_id: str, verdict: str, *, reason: str | None = None, detail: str = ""
    ) -> None:
        """Set the verdict; with `reason`, the reason and detail too (a mail given up)."""
        values = {"verdict": verdict}
        if reason is not None:
            values.update(reason=reason, detail=detail)
        self.conn.execute(
            update(mail_messages).where(mail_messages.c.message_id == message_id).values(**values)
        )

    def begin_resend(self, mail_id: int, detail: str) -> bool:
        """Mark a given-up outgoing mail as sent again, with `detail`; False when it is not
        given up (any more: someone else sent it again first)."""
        m = mail_messages
        marked = self.conn.execute(
            update(m)
            .where(m.c.id == mail_id, m.c.direction == OUTBOUND, m.c.verdict == FAILED)
            .values(verdict=RESENT, detail=detail)
        )
        return marked.rowcount == 1

    def outbound_failed(self, limit: int = 100) -> list[MailRecord]:
        """Outgoing mail given up (verdict failed), most recent first."""
        rows = self.conn.execute(
            select(mail_messages)
            .where(mail_messages.c.direction == OUTBOUND, mail_messages.c.verdict == FAILED)
            .order_by(mail_messages.c.id.desc())
            .limit(limit)
        ).mappings()
        return [_mail(r) for r in rows]

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
                    mail_messages.c.verdict == REJECTED,
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
