"""Outgoing mail that cannot be delivered: recorded as failed, and staff told on its case."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import structlog

from kefu.db.channels import FAILED, OUTBOUND
from kefu.domain.text_faults import showable
from kefu.domain.types import SYSTEM_ACTOR, Visibility
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.mail")

SEND_FAILED = "send_failed"  # reason: every attempt failed for a reason that might have passed
# A failure that may pass (no connection, 4xx, a login refused) is retried by the relay with its
# backoff: 2 s doubling up to an hour, then hourly. The 35th attempt comes about 24 hours after
# the first; a reply that has not reached the buyer in a day needs a person (a call, another
# address), and retrying for ever only hid that. A failure that cannot pass is not retried.
MAX_SEND_ATTEMPTS = 35
_ERROR_CHARS = 1000

# Reason code (adapters.email_out.Undeliverable.code, or SEND_FAILED) -> what staff read.
_REASONS = {
    "bad_address": (
        "收件地址无效（不是邮箱地址，或其域名无法成为域名）",
        "the address is not usable (not an email address, or no domain name can hold it)",
    ),
    "smtputf8_unsupported": (
        "收件地址 @ 前含有中文等非 ASCII 字符，需要 SMTPUTF8，而我们的发信服务器不支持",
        "the address has non-ASCII characters before the @, which needs SMTPUTF8, "
        "and our SMTP server does not offer it",
    ),
    "smtp_refused": ("发信服务器永久拒绝了这封邮件", "the SMTP server refused this mail for good"),
    SEND_FAILED: ("{n} 次发送均失败，不再重试", "{n} attempts failed; no more are made"),
}


@dataclass(frozen=True)
class Outgoing:
    """One outgoing mail as it was about to go (no raw yet when it could not even be built)."""

    message_id: str
    case_id: int | None
    to: str
    subject: str
    kind: str  # ack | case_message | auto_answer
    raw_sha256: str = ""
    raw_size: int = 0


def reason_text(reason: str, attempts: int) -> tuple[str, str]:
    zh, en = _REASONS.get(reason, _REASONS["smtp_refused"])
    return zh.format(n=attempts), en.format(n=attempts)


def give_up_sending(
    uow: UnitOfWork, out: Outgoing, *, reason: str, error: str, attempts: int, now: datetime
) -> str:
    """Record the mail as failed and put an internal note on its case, in one commit; once.

    Returns the line for the outbox row's last error. A relay that crashed before marking its
    row done runs this again: the mail already says failed, so staff are not told twice.
    """
    error = showable(error[:_ERROR_CHARS])  # an SMTP reply is text from outside
    zh, en = reason_text(reason, attempts)
    detail = json.dumps(
        {"kind": out.kind, "error": error, "attempts": attempts, "given_up_at": now.isoformat()},
        ensure_ascii=False,
    )
    with uow:
        mail = uow.channels.mail
        known = mail.by_message_id(out.message_id)
        if known is not None and known.verdict == FAILED:
            return f"{reason}: {error}"
        if known is None:  # it could not be built, so it was never recorded as queued
            mail.add(
                message_id=out.message_id,
                direction=OUTBOUND,
                case_id=out.case_id,
                peer=out.to,
                subject=out.subject,
                raw_sha256=out.raw_sha256,
                raw_size=out.raw_size,
                verdict=FAILED,
                reason=reason,
                detail=detail,
                now=now,
            )
        else:
            mail.set_verdict(out.message_id, FAILED, reason=reason, detail=detail)
        if out.case_id is not None:
            case = uow.cases.get(out.case_id)
            case.post(SYSTEM_ACTOR, _note(out, zh, en, error), Visibility.INTERNAL, now)
            uow.touch_case(case)
        uow.commit()
    log.error(
        "mail_send_gave_up",
        message_id=out.message_id,
        to=out.to,
        reason=reason,
        attempts=attempts,
        error=error,
    )
    return f"{reason}: {error}"


def _note(out: Outgoing, zh: str, en: str, error: str) -> str:
    subject = out.subject[:200]
    return (
        f"邮件未能发出，已放弃：收件人 {out.to}，主题“{subject}”。\n原因：{zh}。\n"
        "买家没有收到这封邮件，请通过其他方式（如电话）联系买家。\n"
        f"Mail not sent, given up: to {out.to}, subject “{subject}”.\nReason: {en}.\n"
        "The buyer did not get this mail; reach them another way (a phone call, for instance).\n"
        f"详情 / detail: {error[:500]}"
    )
