"""A mail whose intake keeps failing: retried, each failure counted, then given up.

The failure is a real one: a trigger in the database refuses the case a POISON mail would open
(the `poisoned` fixture), the way a value some column cannot hold did before the parser cleaned
such text."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App, build_app
from kefu.db.channels import MailFailure
from kefu.mailroom import poll_imap, start_receiver
from kefu.services.mail_retry import MAX_FAILED_ATTEMPTS, RETRY_WINDOW
from tests.adapters.test_imap_fetcher import PASSWORD, USER, Imap, dovecot, imap  # noqa: F401
from tests.channels.conftest import (
    FAULT,
    OUR_ADDRESS,
    POISON,
    WHY,
    a_mail,
    free_port,
    poison_mail,
    take_in,
)


def _rows(app: App) -> dict[str, Any]:
    with app.uow() as uow:
        return {m.message_id: m for m in uow.channels.mail.recent()}


def _failure(app: App) -> MailFailure | None:
    with app.uow() as uow:
        return uow.channels.mail.failure(POISON)


def test_a_failing_mail_is_retried_then_recorded_as_rejected(
    app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    poisoned(True)
    raw = poison_mail()
    first = clock.now()
    for _ in range(MAX_FAILED_ATTEMPTS + 2):  # a few quick retries, then more within the window
        with pytest.raises(FAULT, match=WHY):
            take_in(app, raw)
        clock.advance(timedelta(minutes=1))
    assert POISON not in _rows(app)  # not given up yet: the receiver answers 451, IMAP keeps it
    failure = _failure(app)
    assert failure is not None
    assert failure.attempts == MAX_FAILED_ATTEMPTS + 2
    assert failure.first_failed_at == first
    assert WHY in failure.last_error
    assert _rows(app) == {}  # failures are counted beside the mail records, not as mail

    clock.set(first + RETRY_WINDOW)
    result = take_in(app, raw)  # still failing after the window: given up, not raised
    assert (result.verdict, result.reason) == ("rejected", "intake_failed")
    given_up = _rows(app)[POISON]
    assert (given_up.verdict, given_up.reason, given_up.case_id, given_up.peer) == (
        "rejected",
        "intake_failed",
        None,
        "buyer@example.com",
    )
    detail = json.loads(given_up.detail)
    assert WHY in detail["error"]
    assert detail["failures_recorded"] == MAX_FAILED_ATTEMPTS + 3
    assert detail["first_failure"] == first.isoformat()
    assert app.storage.get(given_up.raw_sha256) == raw
    assert take_in(app, raw).verdict == "duplicate"  # delivered again: nothing more happens
    with app.uow() as uow:
        assert uow.outbox.pending_count() == 0  # nobody is answered for our own failure


def test_many_quick_failures_alone_do_not_give_a_mail_up(
    app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    poisoned(True)
    for _ in range(MAX_FAILED_ATTEMPTS * 3):  # a failure that hits every mail, noticed in time
        with pytest.raises(FAULT, match=WHY):
            take_in(app, poison_mail())
    clock.advance(RETRY_WINDOW - timedelta(seconds=1))
    with pytest.raises(FAULT, match=WHY):
        take_in(app, poison_mail())
    assert POISON not in _rows(app)


def test_a_mail_that_fails_a_few_times_is_taken_in_when_it_works(
    app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    poisoned(True)
    for _ in range(2):
        with pytest.raises(FAULT, match=WHY):
            take_in(app, poison_mail())
    poisoned(False)  # whatever broke it was mended
    clock.advance(RETRY_WINDOW * 2)
    result = take_in(app, poison_mail())
    assert result.verdict == "case_opened"
    assert _rows(app)[POISON].verdict == "case_opened"
    failure = _failure(app)
    assert failure is not None
    assert failure.attempts == 2


def test_over_smtp_a_failing_mail_is_deferred_until_it_is_given_up(
    app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    poisoned(True)
    port = free_port()
    receiver = start_receiver(app, "127.0.0.1", port)

    def send() -> int:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            try:
                smtp.sendmail("buyer@example.com", [OUR_ADDRESS], poison_mail())
            except smtplib.SMTPDataError as exc:
                return exc.smtp_code
            return 250

    try:
        codes = [send() for _ in range(MAX_FAILED_ATTEMPTS)]
        clock.advance(RETRY_WINDOW)
        codes.append(send())
    finally:
        receiver.stop()
    assert codes == [451] * MAX_FAILED_ATTEMPTS + [250]
    assert _rows(app)[POISON].reason == "intake_failed"


def test_a_failing_mail_blocks_nothing_and_leaves_the_mailbox_in_the_end(
    app: App,
    clock: FixedClock,
    poisoned: Callable[[bool], None],
    imap: Imap,  # noqa: F811 - the Dovecot fixture imported above
) -> None:
    poisoned(True)
    settings = app.settings.with_(
        imap_host="127.0.0.1", imap_port=imap.port, imap_user=USER, imap_password=PASSWORD
    )
    worker = build_app(settings, clock=app.clock)
    try:
        imap.deliver(
            a_mail(message_id="<before@example.com>", sender="b1@example.com"),
            poison_mail(),
            a_mail(message_id="<after@example.com>", sender="b2@example.com"),
        )
        polls = []
        for _ in range(MAX_FAILED_ATTEMPTS):
            result = poll_imap(worker)
            polls.append((result.fetched, result.failed))
            clock.advance(timedelta(minutes=1))
        assert polls == [(2, 1)] + [(0, 1)] * (MAX_FAILED_ATTEMPTS - 1)
        assert imap.flags() == {
            b"<before@example.com>": True,
            POISON.encode(): False,
            b"<after@example.com>": True,
        }
        clock.advance(RETRY_WINDOW)
        result = poll_imap(worker)
        assert (result.fetched, result.failed) == (1, 0)
        assert all(imap.flags().values())
        assert (poll_imap(worker).fetched, poll_imap(worker).failed) == (0, 0)
    finally:
        worker.engine.dispose()
    rows = _rows(app)
    assert [rows[k].verdict for k in ("<before@example.com>", "<after@example.com>")] == [
        "case_opened",
        "case_opened",
    ]
    assert rows[POISON].reason == "intake_failed"
