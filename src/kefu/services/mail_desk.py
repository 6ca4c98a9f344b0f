"""The mail desk: failing and given-up mail as supervisors and admins see it, and its remedies."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from kefu.adapters.storage import BlobStorage
from kefu.db.channels import FailingMail, FailingState, MailRecord
from kefu.domain import rbac
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor
from kefu.services.mail_outbound import MailConfig
from kefu.services.mail_resend import Resent, resend_mail
from kefu.services.mail_retake import Retake, retake_mail
from kefu.services.mail_send_failures import reason_text
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

# What staff read for each state, zh-CN then English: the console page and the CLI alike.
STATE_LABEL = {
    FailingState.GIVEN_UP: "已放弃 given up",
    FailingState.RETAKING: "重新接收中 being retaken",
    FailingState.RETRYING: "自动重试中 retried by itself",
}
# What a listing shows of an error: the whole one stays in its row (mail_intake_failures,
# mail_messages.detail).
ERROR_CHARS = 300


def one_line(text: str, width: int = ERROR_CHARS) -> str:
    """Text as one line of at most `width` characters: database errors span lines (psycopg
    adds CONTEXT, LINE …), and a listing shows one line per fact."""
    return " ".join(text.split())[:width]


def short_error(error: str, width: int = ERROR_CHARS) -> str:
    """The cause of an error, on one line. SQLAlchemy appends the statement and its parameters
    (the mail's own text, often long) after the cause."""
    return one_line(error.split("[SQL: ", 1)[0], width)


@dataclass(frozen=True)
class InboundFailure:
    """An inbound mail whose intake failed and that is not taken in."""

    mail_id: int | None  # None: no mail row yet (it is still retried by itself)
    message_id: str
    state: FailingState
    sender: str
    subject: str
    failures: int
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str  # shortened
    retakes: int
    retaken_at: datetime | None
    retaken_by: str

    @property
    def can_retake(self) -> bool:
        """A mail still retried comes again by itself; the others only when someone asks."""
        waiting_for_someone = (FailingState.GIVEN_UP, FailingState.RETAKING)
        return self.mail_id is not None and self.state in waiting_for_someone


@dataclass(frozen=True)
class OutboundFailure:
    """An outgoing mail given up: to whom, about what, why, and the case it belongs to."""

    mail_id: int
    message_id: str
    case_number: str | None  # None: an automatic answer to mail that opened no case
    recipient: str
    subject: str
    kind: str  # ack | case_message | auto_answer
    reason: str
    reason_zh: str
    reason_en: str
    error: str  # shortened
    attempts: int
    queued_at: datetime
    given_up_at: datetime | None  # None for mail given up before the time was recorded


@dataclass(frozen=True)
class MailFailures:
    inbound: list[InboundFailure]
    outbound: list[OutboundFailure]


def _inbound(mail: FailingMail) -> InboundFailure:
    f = mail.failure
    return InboundFailure(
        mail_id=mail.mail_id,
        message_id=mail.message_key,
        state=mail.state,
        sender=f.peer,
        subject=one_line(f.subject),
        failures=f.attempts,
        first_failed_at=f.first_failed_at,
        last_failed_at=f.last_failed_at,
        last_error=short_error(f.last_error),
        retakes=f.retakes,
        retaken_at=f.retaken_at,
        retaken_by=f.retaken_by,
    )


def _outbound(record: MailRecord, number: str | None) -> OutboundFailure:
    detail = json.loads(record.detail or "{}")
    attempts = int(detail.get("attempts", 0))
    zh, en = reason_text(record.reason, attempts)
    given_up_at = detail.get("given_up_at")
    return OutboundFailure(
        mail_id=record.id,
        message_id=record.message_id,
        case_number=number,
        recipient=record.peer,
        subject=one_line(record.subject),
        kind=str(detail.get("kind", "")),
        reason=record.reason,
        reason_zh=zh,
        reason_en=en,
        error=short_error(str(detail.get("error", ""))),
        attempts=attempts,
        queued_at=record.created_at,
        given_up_at=datetime.fromisoformat(given_up_at) if given_up_at else None,
    )


def mail_failures(uow: UnitOfWork, *, actor: Actor, limit: int = 100) -> MailFailures:
    """Inbound mail whose intake failed and is not taken in (most recent failure first), and
    outgoing mail given up (most recent first); at most `limit` of each."""
    rbac.require(actor, Permission.MANAGE_MAIL)
    with uow:
        failing = uow.channels.mail.failing(limit)
        unsent = uow.channels.mail.outbound_failed(limit)
        numbers: dict[int, str] = {}
        for record in unsent:
            if record.case_id is not None and record.case_id not in numbers:
                numbers[record.case_id] = uow.cases.get(record.case_id).number
    return MailFailures(
        [_inbound(m) for m in failing],
        [_outbound(r, numbers.get(r.case_id) if r.case_id else None) for r in unsent],
    )


def retake(
    uow: UnitOfWork,
    storage: BlobStorage,
    *,
    actor: Actor,
    mail_id: int,
    now: datetime,
    policy: CasePolicy,
    mail: MailConfig,
) -> Retake:
    """`kefu mail retake` for a supervisor or admin in the console: they are recorded as `by`."""
    rbac.require(actor, Permission.MANAGE_MAIL)
    return retake_mail(
        uow, storage, mail_id=mail_id, by=actor.username, now=now, policy=policy, mail=mail
    )


def resend(
    uow: UnitOfWork, *, actor: Actor, mail_id: int, now: datetime, mail: MailConfig
) -> Resent:
    """`kefu mail resend` for a supervisor or admin in the console: they are recorded as `by`."""
    rbac.require(actor, Permission.MANAGE_MAIL)
    return resend_mail(uow, mail_id=mail_id, by=actor.username, now=now, mail=mail)
