"""Steps of the mail desk tests: mail given up each way, and the relay run as the worker runs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.db.channels import MailRecord
from kefu.mailroom import mail_config
from kefu.services.mail_outbound import MailTransport, mail_handler
from kefu.services.mail_retry import MAX_FAILED_ATTEMPTS, RETRY_WINDOW
from kefu.services.notifications import MAIL_TOPIC
from kefu.services.relay import relay_outbox
from tests.channels.conftest import FAULT, POISON, WHY, poison_mail, relay_mail, take_in
from tests.channels.test_mail_send_failures import Relay, utf8_mail

REFUSAL = "550 5.1.1 <li@example.cn>: mailbox unavailable"


def relays() -> Iterator[list[Relay]]:
    """What a test's relay fixture yields: relays started with `start`, stopped at the end."""
    started: list[Relay] = []
    yield started
    for relay in started:
        relay.controller.stop()


def start(started: list[Relay], **kw: Any) -> Relay:
    """Our outgoing SMTP server on loopback (with SMTPUTF8), accepting or refusing (`kw`)."""
    relay = Relay(smtputf8=True, **kw)
    started.append(relay)
    return relay


def mail_record(app: App, *, mail_id: int | None = None, message_id: str = "") -> MailRecord:
    with app.uow() as uow:
        mail = uow.channels.mail
        found = mail.by_id(mail_id) if mail_id is not None else mail.by_message_id(message_id)
    assert found is not None
    return found


def give_up_inbound(app: App, clock: FixedClock) -> MailRecord:
    """The POISON mail failed over the whole retry window and given up (needs `poisoned`)."""
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(FAULT, match=WHY):
            take_in(app, poison_mail())
        clock.advance(RETRY_WINDOW / MAX_FAILED_ATTEMPTS)
    assert take_in(app, poison_mail()).reason == "intake_failed"
    return mail_record(app, message_id=POISON)


def give_up_reply(
    app: App, refusing: Relay, sender: str = "li@example.cn", message_id: str = "<ear@example.cn>"
) -> tuple[str, MailRecord]:
    """A mailed-in case whose acknowledgement the relay refused for good: its case number and
    the given-up mail."""
    opened = take_in(app, utf8_mail(sender, message_id))
    assert opened.verdict == "case_opened", opened
    relay_mail(app, refusing.transport)
    (failed,) = outbound(app)
    assert (failed.verdict, failed.case_id is not None) == ("failed", True), failed
    return opened.case_number or "", failed


def outbound(app: App) -> list[MailRecord]:
    with app.uow() as uow:
        return [m for m in reversed(uow.channels.mail.recent()) if m.direction == "outbound"]


def relay_as_worker(app: App, transport: MailTransport) -> int:
    """One pass of the relay with the app's own mail settings, as `kefu worker` makes it."""
    handler = mail_handler(app.uow, app.storage, transport, mail_config(app))
    return relay_outbox(
        app.uow, worker_id="test", now=app.clock.now(), handlers={MAIL_TOPIC: handler}
    )


def internal_notes(app: App, number: str) -> list[str]:
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        timeline = uow.records.timeline(case.id, include_internal=True)
    return [e.body for e in timeline if e.kind == "note" and e.visibility == "internal"]
