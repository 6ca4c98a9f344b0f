"""Email channel wiring for the worker and CLI: settings -> transports, IMAP poll, SMTP receiver."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import structlog
from aiosmtpd.controller import Controller

from kefu.adapters.imap_fetcher import FetchResult, fetch_new
from kefu.adapters.mail_transport import LogTransport, SmtpTransport
from kefu.adapters.smtp_receiver import start_smtp_receiver
from kefu.bootstrap import App
from kefu.domain.types import Actor
from kefu.services import mail_desk
from kefu.services.mail_desk import STATE_LABEL, one_line, short_error
from kefu.services.mail_intake import IntakeResult, intake_mail
from kefu.services.mail_outbound import MailConfig, MailTransport, mail_handler
from kefu.services.mail_resend import Resent, resend_mail
from kefu.services.mail_retake import Retake, retake_mail
from kefu.services.mail_retry import INTAKE_FAILED
from kefu.services.mail_send_failures import reason_text
from kefu.services.notifications import MAIL_TOPIC
from kefu.services.relay import OutboxHandler

log = structlog.get_logger("kefu.mail")
_last_poll: dict[int, float] = {}  # id(App) -> monotonic time of its last IMAP poll
_poll_guard = threading.Lock()


def mail_config(app: App) -> MailConfig:
    return MailConfig(from_addr=app.settings.mail_from)


def transport(app: App) -> MailTransport:
    s = app.settings
    if not s.smtp_host:
        return LogTransport()
    return SmtpTransport(
        s.smtp_host,
        s.smtp_port,
        username=s.smtp_user or None,
        password=s.smtp_password or None,
        starttls=s.smtp_starttls,
    )


def outbox_handlers(app: App) -> dict[str, OutboxHandler]:
    """What the relay does with rows that are not in-app notices."""
    return {MAIL_TOPIC: mail_handler(app.uow, app.storage, transport(app), mail_config(app))}


def take_in(app: App, raw: bytes) -> IntakeResult:
    """One inbound mail through the intake (raises only when it could not be stored)."""
    result = intake_mail(
        app.uow(),
        app.storage,
        raw=raw,
        now=app.clock.now(),
        policy=app.policy,
        mail=mail_config(app),
    )
    if result.reason == INTAKE_FAILED:  # kept failing over the retry window: someone must look
        log.error("mail_intake_gave_up", message_id=result.message_id)
    log.info(
        "mail_intake",
        message_id=result.message_id,
        verdict=result.verdict,
        reason=result.reason,
        case=result.case_number,
    )
    return result


def retake(app: App, mail_id: int, by: str) -> Retake:
    """A given-up mail through the intake again, from its stored raw bytes (`kefu mail retake`)."""
    return retake_mail(
        app.uow(),
        app.storage,
        mail_id=mail_id,
        by=by,
        now=app.clock.now(),
        policy=app.policy,
        mail=mail_config(app),
    )


def resend(app: App, mail_id: int, by: str) -> Resent:
    """A given-up outgoing mail queued again for the relay (`kefu mail resend`)."""
    return resend_mail(
        app.uow(), mail_id=mail_id, by=by, now=app.clock.now(), mail=mail_config(app)
    )


def retake_as(app: App, actor: Actor, mail_id: int) -> Retake:
    """`retake` by a supervisor or admin in the console (page or API), recorded as them."""
    return mail_desk.retake(
        app.uow(),
        app.storage,
        actor=actor,
        mail_id=mail_id,
        now=app.clock.now(),
        policy=app.policy,
        mail=mail_config(app),
    )


def resend_as(app: App, actor: Actor, mail_id: int) -> Resent:
    """`resend` by a supervisor or admin in the console (page or API), recorded as them."""
    return mail_desk.resend(
        app.uow(), actor=actor, mail_id=mail_id, now=app.clock.now(), mail=mail_config(app)
    )


def _store(app: App, raw: bytes) -> None:
    take_in(app, raw)


def poll_imap(app: App) -> FetchResult:
    """Fetch unseen mail once; each message is flagged seen only after the intake stored it."""
    s = app.settings
    return fetch_new(
        s.imap_host,
        s.imap_port,
        s.imap_user,
        s.imap_password,
        mailbox=s.imap_folder,
        use_ssl=s.imap_ssl,
        processed_mailbox=s.imap_processed_folder or None,
        handle=lambda raw: _store(app, raw),
    )


def poll_imap_if_due(app: App) -> FetchResult | None:
    """The worker's schedule: poll when IMAP is configured and the interval has passed."""
    if not app.settings.imap_host:
        return None
    now = time.monotonic()
    with _poll_guard:
        last = _last_poll.get(id(app))
        if last is not None and now - last < app.settings.imap_poll_interval_s:
            return None
        _last_poll[id(app)] = now
    try:
        result = poll_imap(app)
    except Exception:  # the server may be down; the next pass tries again
        log.exception("imap_poll_failed", host=app.settings.imap_host)
        return None
    if result.fetched or result.failed:
        log.info("imap_polled", fetched=result.fetched, failed=result.failed)
    return result


def start_receiver(app: App, host: str, port: int) -> Controller:
    """The built-in SMTP server: every accepted mail goes through the intake before the 250."""
    return start_smtp_receiver(host, port, lambda raw, _from, _to: _store(app, raw))


# What `kefu mail failures` and `kefu mail retake` print: zh-CN first, then English.
_VERDICT = {
    "case_opened": "已立案 a case was opened",
    "case_rejected": "已立案，但筛查未予受理 a case was opened, and screening refused it",
    "threaded": "已并入案件 added to its case",
    "ignored": "已记录，不立案 recorded, no case",
    "rejected": "未受理 refused",
    "duplicate": "此前已接收 taken in before",
}


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "-"


def failures_report(app: App, limit: int) -> list[str]:
    """Inbound mail whose intake failed and is not taken in, then outgoing mail given up."""
    with app.reader() as uow:
        failing = uow.channels.mail.failing(limit)
        unsent = uow.channels.mail.outbound_failed(limit)
    if not failing:
        lines = ["没有接收失败的邮件 / no inbound mail is failing"]
    else:
        lines = [f"接收失败的邮件 / inbound mail whose intake failed: {len(failing)}"]
    for mail in failing:
        f, pad = mail.failure, " " * 7
        ref = f"#{mail.mail_id}" if mail.mail_id is not None else "-"
        lines += [
            f"{ref:<6} {STATE_LABEL[mail.state]}  {mail.message_key}",
            f"{pad}发件人 from {f.peer or '-'} · 主题 subject {one_line(f.subject) or '-'}",
            f"{pad}失败 failures {f.attempts}，首次 first {_when(f.first_failed_at)}，"
            f"最近 last {_when(f.last_failed_at)}",
            f"{pad}最后错误 last error: {short_error(f.last_error)}",
        ]
        if f.retakes:
            lines.append(
                f"{pad}已重新接收 retaken {f.retakes} 次 times，"
                f"最近 last {_when(f.retaken_at)}，由 by {f.retaken_by or '-'}"
            )
        if mail.mail_id is not None:
            lines.append(f"{pad}重新接收 / take it in again: kefu mail retake {mail.mail_id}")
    if unsent:
        lines.append(f"未能发出的邮件 / outgoing mail given up: {len(unsent)}")
    for record in unsent:
        detail = json.loads(record.detail or "{}")
        zh, en = reason_text(record.reason, int(detail.get("attempts", 0)))
        lines += [
            f"#{record.id:<5} {record.peer} · {one_line(record.subject)} · "
            f"{_when(record.created_at)}",
            f"{' ' * 7}{zh} / {en}: {one_line(str(detail.get('error', '')))}",
            f"{' ' * 7}重新发送 / send it again: kefu mail resend {record.id}",
        ]
    return lines


def retake_report(retake: Retake) -> list[str]:
    """What a retake did, in words: the case it reached, or the error it failed with again."""
    mail_id, result = retake.mail_id, retake.result
    if retake.failed_again:
        error = retake.failure.last_error if retake.failure else ""
        return [
            f"重新接收邮件 #{mail_id} 仍然失败，邮件仍为已放弃 / "
            f"mail #{mail_id} still fails to be taken in; it stays given up",
            f"  错误 error: {short_error(error)}",
        ]
    case = f"，案件 case {result.case_number}" if result.case_number else ""
    lines = [
        f"已重新接收邮件 #{mail_id} / mail #{mail_id} taken in again: "
        f"{_VERDICT.get(result.verdict, result.verdict)}{case}"
    ]
    lines += [f"  {f.field}: {f.zh} / {f.en}" for f in result.fields]
    return lines


def resend_report(resent: Resent) -> list[str]:
    """What sending again did: the mail queued, to whom, under which Message-ID."""
    case = f"，案件 case {resent.case_number}" if resent.case_number else ""
    return [
        f"已安排重新发送邮件 #{resent.mail_id} / mail #{resent.mail_id} queued to be sent again: "
        f"收件人 to {resent.to}{case}",
        f"  新 Message-ID new: {resent.new_message_id}",
    ]
