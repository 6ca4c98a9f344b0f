"""Sending a given-up outgoing mail again, by hand: queued anew through the outbox, as any reply."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import structlog

from kefu.adapters.email_out import Undeliverable, smtp_address
from kefu.db.channels import FAILED, OUTBOUND, MailRecord
from kefu.domain.errors import DomainError, NotFound
from kefu.domain.types import SYSTEM_ACTOR, Visibility
from kefu.services.mail_outbound import MailConfig, message_id_for, outbox_row_of, recipient
from kefu.services.notifications import MAIL_TOPIC
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.mail")


@dataclass(frozen=True)
class Resent:
    """A given-up mail queued again: the outbox row that sends it, and the mail it will be."""

    mail_id: int
    message_id: str  # the given-up mail's
    outbox_id: int
    new_message_id: str
    to: str
    case_number: str | None


def _not_given_up(record: MailRecord) -> DomainError:
    state = f"{record.verdict}/{record.reason}" if record.reason else record.verdict
    return DomainError(
        "not_given_up",
        f"邮件 #{record.id} 没有被放弃（当前：{state}），无需重新发送",
        f"mail #{record.id} was not given up (it is {state}); there is nothing to send again",
        status=409,
    )


def _unusable(record: MailRecord, to: str, why: str) -> DomainError:
    shown = to or "（无 none）"
    return DomainError(
        "address_unusable",
        f"邮件 #{record.id} 的收件地址 {shown} 无法收信（{why}），重新发送也会失败；"
        "买家从其他地址来信后，回复会发往新地址，届时可重新发送",
        f"mail #{record.id} would go to {shown}, which no mail can reach ({why}); sending it "
        "again would fail the same way. Once the buyer writes from another address, the "
        "reply goes there and can be sent again",
        status=409,
    )


def resend_mail(
    uow: UnitOfWork, *, mail_id: int, by: str, now: datetime, mail: MailConfig
) -> Resent:
    """Queue the given-up outgoing mail `mail_id` again; `by` is recorded. One commit.

    The outbox row that sent it is copied into a new row, so the relay builds and sends it like
    any reply: to the address the case's mail goes to now, with the usual retry cap. The new
    row gives it a new Message-ID; the given-up row stays, as `resent`, with who, when and that
    Message-ID in its detail, and the case gets an internal note saying so.

    Refused (409): a mail that was not given up, or was sent again already (`not_given_up`);
    one whose address, as it would go now, can hold no mail (`address_unusable`: the reason it
    was given up would recur at once; once the buyer writes from another address, the reply
    goes there and may be sent again); and one whose outbox row is gone (`not_resendable`).
    A server's refusal or a missing SMTPUTF8 is not judged here: the relay, the server or the
    buyer's mailbox may have changed, and the relay gives it up again if not.
    """
    with uow:
        record = uow.channels.mail.by_id(mail_id)
        if record is None or record.direction != OUTBOUND:
            raise NotFound("邮件 mail", mail_id)
        if record.verdict != FAILED:
            raise _not_given_up(record)
        row_id = outbox_row_of(record.message_id)
        row = uow.outbox.get(row_id) if row_id is not None else None
        if row is None or row.topic != MAIL_TOPIC:
            raise DomainError(
                "not_resendable",
                f"邮件 #{mail_id} 的发送记录已不存在，无法重新发送",
                f"what sent mail #{mail_id} is no longer kept; it cannot be sent again",
                status=409,
            )
        to = recipient(uow, row)
        try:
            smtp_address(to)  # what the relay checks first: it would give the mail up at once
        except Undeliverable as exc:
            raise _unusable(record, to, str(exc)) from None
        payload = {**row.payload, "resend_of": record.message_id, "resent_by": by}
        outbox_id = uow.outbox.add_one(MAIL_TOPIC, row.case_id, payload, now)
        number = str(row.payload.get("case_number") or "")
        new_message_id = message_id_for(outbox_id, number, mail)
        detail = {
            **json.loads(record.detail or "{}"),
            "resent_by": by,
            "resent_at": now.isoformat(),
            "resent_as": new_message_id,
        }
        # Conditional: of two people sending it again at once, one wins and the other is told.
        if not uow.channels.mail.begin_resend(mail_id, json.dumps(detail, ensure_ascii=False)):
            raise _not_given_up(record)
        if record.case_id is not None:
            case = uow.cases.get(record.case_id)
            case.post(SYSTEM_ACTOR, _note(record, to, by, now), Visibility.INTERNAL, now)
            uow.touch_case(case)
        uow.commit()
    log.info("mail_resend", mail_id=mail_id, message_id=record.message_id, by=by, to=to)
    return Resent(mail_id, record.message_id, outbox_id, new_message_id, to, number or None)


def _note(record: MailRecord, to: str, by: str, now: datetime) -> str:
    at = now.isoformat(timespec="seconds")
    subject = record.subject[:200]
    return (
        f"未能发出的邮件“{subject}”（#{record.id}）已由 {by} 于 {at} 安排重新发送，收件人 {to}；"
        "如仍无法送达，将另有备注。\n"
        f"The mail “{subject}” (#{record.id}) that was given up was queued to be sent again by "
        f"{by} at {at}, to {to}; if it still cannot be delivered, another note will say so."
    )
