"""Email channel wiring for the worker and CLI: settings -> transports, IMAP poll, SMTP receiver."""

from __future__ import annotations

import threading
import time

import structlog
from aiosmtpd.controller import Controller

from kefu.adapters.imap_fetcher import FetchResult, fetch_new
from kefu.adapters.mail_transport import LogTransport, SmtpTransport
from kefu.adapters.smtp_receiver import start_smtp_receiver
from kefu.bootstrap import App
from kefu.services.mail_intake import IntakeResult, intake_mail
from kefu.services.mail_outbound import MailConfig, MailTransport, mail_handler
from kefu.services.mail_retry import INTAKE_FAILED
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
