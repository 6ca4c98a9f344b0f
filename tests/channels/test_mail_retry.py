"""A mail whose intake keeps failing: retried, each failure recorded, then given up."""

from __future__ import annotations

import json
import smtplib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App, build_app
from kefu.mailroom import poll_imap, start_receiver
from kefu.services import mail_intake
from kefu.services.mail_retry import MAX_FAILED_ATTEMPTS, RETRY_WINDOW, attempt_key
from tests.adapters.test_imap_fetcher import PASSWORD, USER, Imap, dovecot, imap  # noqa: F401
from tests.channels.conftest import OUR_ADDRESS, a_mail, free_port, take_in

POISON = "<poison@example.com>"


class Bug(Exception):
    """Stands for whatever makes the intake of one mail fail every time."""


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Make filing the mail whose subject says POISON fail (for ever, or the first n times)."""
    real = mail_intake.file_case

    def arm(times: int = 10**9) -> None:
        left = [times]

        def file_case(uow: Any, **kw: Any) -> Any:
            if "POISON" in kw["data"].subject and left[0] > 0:
                left[0] -= 1
                raise Bug("this mail always breaks the intake")
            return real(uow, **kw)

        monkeypatch.setattr(mail_intake, "file_case", file_case)

    return arm


def _poison() -> bytes:
    return a_mail(subject="POISON 耳机坏了", message_id=POISON)


def _rows(app: App) -> dict[str, Any]:
    with app.uow() as uow:
        return {m.message_id: m for m in uow.channels.mail.recent()}


def test_a_failing_mail_is_retried_then_recorded_as_rejected(
    app: App, clock: FixedClock, poisoned: Callable[[int], None]
) -> None:
    poisoned(10**9)
    raw = _poison()
    first = clock.now()
    for _ in range(MAX_FAILED_ATTEMPTS + 2):  # a few quick retries, then more within the window
        with pytest.raises(Bug):
            take_in(app, raw)
        clock.advance(timedelta(minutes=1))
    rows = _rows(app)
    assert POISON not in rows  # not given up yet: the receiver answers 451, IMAP keeps it unseen
    attempts = [rows[attempt_key(POISON, n)] for n in range(1, MAX_FAILED_ATTEMPTS + 1)]
    assert len(rows) == MAX_FAILED_ATTEMPTS  # one row per failure, no more than that
    assert {(r.verdict, r.reason, r.peer) for r in attempts} == {
        ("failed", "intake_error", "buyer@example.com")
    }
    assert json.loads(attempts[0].detail) == {
        "message_id": POISON,
        "attempt": 1,
        "error": "Bug: this mail always breaks the intake",
    }
    assert app.storage.get(attempts[0].raw_sha256) == raw

    clock.set(first + RETRY_WINDOW)
    result = take_in(app, raw)  # still failing after the window: given up, not raised
    assert (result.verdict, result.reason) == ("rejected", "intake_failed")
    given_up = _rows(app)[POISON]
    assert (given_up.verdict, given_up.reason, given_up.case_id) == (
        "rejected",
        "intake_failed",
        None,
    )
    assert json.loads(given_up.detail) == {
        "error": "Bug: this mail always breaks the intake",
        "failures_recorded": MAX_FAILED_ATTEMPTS,
        "first_failure": first.isoformat(),
    }
    assert app.storage.get(given_up.raw_sha256) == raw
    assert take_in(app, raw).verdict == "duplicate"  # delivered again: nothing more happens
    with app.uow() as uow:
        assert uow.outbox.pending_count() == 0  # nobody is answered for our own failure


def test_many_quick_failures_alone_do_not_give_a_mail_up(
    app: App, clock: FixedClock, poisoned: Callable[[int], None]
) -> None:
    poisoned(10**9)
    for _ in range(MAX_FAILED_ATTEMPTS * 3):  # a failure that hits every mail, noticed in time
        with pytest.raises(Bug):
            take_in(app, _poison())
    clock.advance(RETRY_WINDOW - timedelta(seconds=1))
    with pytest.raises(Bug):
        take_in(app, _poison())
    assert POISON not in _rows(app)


def test_a_mail_that_fails_a_few_times_is_taken_in_when_it_works(
    app: App, clock: FixedClock, poisoned: Callable[[int], None]
) -> None:
    poisoned(2)
    for _ in range(2):
        with pytest.raises(Bug):
            take_in(app, _poison())
    clock.advance(RETRY_WINDOW * 2)
    result = take_in(app, _poison())
    assert result.verdict == "case_opened"
    rows = _rows(app)
    assert rows[POISON].verdict == "case_opened"
    assert [rows[attempt_key(POISON, n)].verdict for n in (1, 2)] == ["failed", "failed"]


def test_over_smtp_a_failing_mail_is_deferred_until_it_is_given_up(
    app: App, clock: FixedClock, poisoned: Callable[[int], None]
) -> None:
    poisoned(10**9)
    port = free_port()
    receiver = start_receiver(app, "127.0.0.1", port)

    def send() -> int:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            try:
                smtp.sendmail("buyer@example.com", [OUR_ADDRESS], _poison())
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
    poisoned: Callable[[int], None],
    imap: Imap,  # noqa: F811 - the Dovecot fixture imported above
) -> None:
    poisoned(10**9)
    settings = app.settings.with_(
        imap_host="127.0.0.1", imap_port=imap.port, imap_user=USER, imap_password=PASSWORD
    )
    worker = build_app(settings, clock=app.clock)
    try:
        imap.deliver(
            a_mail(message_id="<before@example.com>", sender="b1@example.com"),
            _poison(),
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
