"""Taking a given-up inbound mail in again, by hand, from the raw bytes stored when it came."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import structlog

from kefu.adapters.email_parser import parse_email
from kefu.adapters.storage import BlobStorage
from kefu.db.channels import (
    CASE_OPENED,
    CASE_REJECTED,
    IGNORED,
    INBOUND,
    REJECTED,
    THREADED,
    MailFailure,
    MailRecord,
)
from kefu.domain.errors import DomainError, NotFound
from kefu.domain.types import SYSTEM_ACTOR, Visibility
from kefu.services.mail_intake import IntakeResult, intake_mail, message_key
from kefu.services.mail_outbound import MailConfig
from kefu.services.mail_retry import INTAKE_FAILED
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.mail")
_ON_A_CASE = (CASE_OPENED, CASE_REJECTED, THREADED, IGNORED)


@dataclass(frozen=True)
class Retake:
    """What taking a mail in again gave: the intake's result, and the failure trace after it."""

    mail_id: int
    message_id: str
    result: IntakeResult
    failure: MailFailure | None

    @property
    def failed_again(self) -> bool:
        return self.result.verdict == REJECTED and self.result.reason == INTAKE_FAILED


def _not_given_up(record: MailRecord) -> DomainError:
    state = f"{record.verdict}/{record.reason}" if record.reason else record.verdict
    return DomainError(
        "not_given_up",
        f"邮件 #{record.id} 没有被放弃（当前：{state}），无需重新接收",
        f"mail #{record.id} was not given up (it is {state}); there is nothing to take in again",
        status=409,
    )


def retake_mail(
    uow: UnitOfWork,
    storage: BlobStorage,
    *,
    mail_id: int,
    by: str,
    now: datetime,
    policy: CasePolicy,
    mail: MailConfig,
) -> Retake:
    """Take the given-up mail `mail_id` in again from its stored raw bytes; `by` is recorded.

    Why not just clear the give-up and wait: nothing would bring the mail back. Over SMTP the
    sender got its 250, and the poller marked the IMAP message seen (or moved it away). The raw
    bytes stored before the first attempt are the mail, so the intake runs on them now.

    The mail's row is first marked `retaking` and the retake recorded (who, when) in one commit;
    the intake's result then replaces the row, keeping its id. If the intake fails again, the
    mail is given up again at once (`mail_retry`) and the result says so (`failed_again`). A
    retake cut short (a crash) leaves the row `retaking`: it is listed as such and may be run
    again, and a re-delivery of the same mail is taken in too, not answered as a duplicate.
    """
    with uow:
        record = uow.channels.mail.by_id(mail_id)
    if record is None or record.direction != INBOUND:
        raise NotFound("邮件 mail", mail_id)
    if not storage.exists(record.raw_sha256):
        raise DomainError(
            "raw_missing",
            f"邮件 #{mail_id} 的原始内容已不在存储中（{record.raw_sha256}），无法重新接收",
            f"the raw bytes of mail #{mail_id} are no longer stored ({record.raw_sha256}); "
            "it cannot be taken in again",
            status=409,
        )
    raw = storage.get(record.raw_sha256)
    if message_key(parse_email(raw), record.raw_sha256) != record.message_id:
        # The parser reads this mail's Message-ID differently now: the intake would record it
        # under another key and leave this row behind.
        raise DomainError(
            "key_changed",
            f"邮件 #{mail_id} 的 Message-ID 现在解析结果不同，无法按原记录重新接收",
            f"the Message-ID of mail #{mail_id} now parses differently; it cannot be taken in "
            "again under its record",
            status=409,
        )
    with uow:
        if not uow.channels.mail.begin_retake(mail_id):
            raise _not_given_up(record)
        uow.channels.mail.note_retake(record.message_id, by, now)
        uow.commit()
    log.info("mail_retake", mail_id=mail_id, message_id=record.message_id, by=by)
    result = intake_mail(uow, storage, raw=raw, now=now, policy=policy, mail=mail)
    with uow:
        failure = uow.channels.mail.failure(record.message_id)
    retake = Retake(mail_id, record.message_id, result, failure)
    if retake.failed_again:
        log.error("mail_retake_failed", mail_id=mail_id, message_id=record.message_id, by=by)
    elif result.case_number and result.verdict in _ON_A_CASE:
        _tell_staff(uow, result.case_number, failure, by, now)
    return retake


def _tell_staff(
    uow: UnitOfWork, number: str, failure: MailFailure | None, by: str, now: datetime
) -> None:
    """An internal note on the case: why its mail came late, and who took it in."""
    failures = failure.attempts if failure else 0
    first = failure.first_failed_at.isoformat(timespec="seconds") if failure else "?"
    at = now.isoformat(timespec="seconds")
    note = (
        f"此邮件自 {first} 起接收失败 {failures} 次后被放弃，{by} 于 {at} 将其重新接收。\n"
        f"This mail failed {failures} times from {first} and was given up; "
        f"taken in again by {by} at {at}."
    )
    with uow:
        case = uow.cases.get_by_number(number)
        case.post(SYSTEM_ACTOR, note, Visibility.INTERNAL, now)
        uow.touch_case(case)
        uow.commit()
