"""`kefu mail failures` and `kefu mail retake`: a given-up mail is taken in again by hand.

The intake is broken for real (the `poisoned` fixture): a database trigger refuses the case a
POISON mail would open, until the test mends it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.cli import app_cli
from kefu.db.channels import MailRecord
from kefu.services.mail_retry import MAX_FAILED_ATTEMPTS, RETRY_WINDOW
from tests.channels.conftest import FAULT, POISON, WHY, a_mail, poison_mail, take_in

STILL_FAILING = "<poison-2@example.com>"


def _give_up(app: App, clock: FixedClock) -> MailRecord:
    """Fail the POISON mail over the whole retry window, until the intake gives it up."""
    for _ in range(MAX_FAILED_ATTEMPTS):
        with pytest.raises(FAULT, match=WHY):
            take_in(app, poison_mail())
        clock.advance(RETRY_WINDOW / MAX_FAILED_ATTEMPTS)
    assert take_in(app, poison_mail()).reason == "intake_failed"
    return _mail(app, POISON)


def _mail(app: App, message_id: str) -> MailRecord:
    with app.uow() as uow:
        found = uow.channels.mail.by_message_id(message_id)
    assert found is not None
    return found


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app_cli, ["mail", *args])


def _timeline(app: App, number: str) -> list[tuple[str, str, str]]:
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        events = uow.records.timeline(case.id, include_internal=True)
    return [(e.kind, e.visibility, e.body) for e in events]


def test_failures_lists_mail_given_up_and_mail_still_retried(
    cli_app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    app = cli_app
    poisoned(True)
    given_up = _give_up(app, clock)
    retried = a_mail(subject="POISON 第二封", message_id=STILL_FAILING, sender="b2@example.com")
    with pytest.raises(FAULT, match=WHY):
        take_in(app, retried)

    result = _cli("failures")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    (header,) = [line for line in lines if POISON in line]
    assert f"#{given_up.id}" in header
    assert "已放弃 given up" in header
    assert header.index("已放弃") < header.index("given up")
    (other,) = [line for line in lines if STILL_FAILING in line]
    assert "自动重试中 retried by itself" in other
    assert "#" not in other  # no mail row yet: nothing to retake
    text = result.output
    assert "buyer@example.com" in text
    assert "POISON 耳机坏了" in text
    assert "b2@example.com" in text
    assert "POISON 第二封" in text
    assert f"失败 failures {MAX_FAILED_ATTEMPTS + 1}" in text
    assert WHY in text
    assert f"kefu mail retake {given_up.id}" in text


def test_failures_says_so_when_nothing_fails(cli_app: App) -> None:
    result = _cli("failures")
    assert result.exit_code == 0, result.output
    assert "没有接收失败的邮件 / no inbound mail is failing" in result.output


def test_retake_takes_a_given_up_mail_in_once_the_cause_is_mended(
    cli_app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    app = cli_app
    poisoned(True)
    given_up = _give_up(app, clock)
    poisoned(False)  # the admin found and mended the cause

    result = _cli("retake", str(given_up.id), "--by", "admin-wang")

    assert result.exit_code == 0, result.output
    retaken = _mail(app, POISON)
    assert retaken.id == given_up.id  # the mail keeps the number the admin used
    assert (retaken.verdict, retaken.direction) == ("case_opened", "inbound")
    assert retaken.case_id is not None
    with app.uow() as uow:
        number = uow.cases.get(retaken.case_id).number
        failure = uow.channels.mail.failure(POISON)
        acks = [r.payload.get("kind") for r in uow.outbox.for_case(retaken.case_id)]
    assert number in result.output
    assert "已重新接收" in result.output
    assert "taken in again" in result.output
    # Who and when, for the record: on the failure trace and, for staff, on the case.
    assert failure is not None
    assert (failure.retakes, failure.retaken_by) == (1, "admin-wang")
    assert failure.retaken_at is not None
    notes = [body for kind, vis, body in _timeline(app, number) if kind == "note"]
    assert len(notes) == 1
    assert "admin-wang" in notes[0]
    assert f"{MAX_FAILED_ATTEMPTS + 1}" in notes[0]
    assert notes[0].index("重新接收") < notes[0].index("taken in again")
    assert "ack" in acks  # the buyer is acknowledged like for any mail, only later
    # It is gone from the list, and a late re-delivery of the same mail changes nothing.
    assert POISON not in _cli("failures").output
    assert take_in(app, poison_mail()).verdict == "duplicate"


def test_retake_that_fails_again_leaves_the_mail_given_up(
    cli_app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    app = cli_app
    poisoned(True)
    given_up = _give_up(app, clock)

    result = _cli("retake", str(given_up.id), "--by", "admin-wang")  # not mended yet

    assert result.exit_code == 1, result.output
    assert "仍然失败" in result.output
    assert "still fails" in result.output
    assert WHY in result.output
    again = _mail(app, POISON)
    assert (again.id, again.verdict, again.reason) == (given_up.id, "rejected", "intake_failed")
    assert json.loads(again.detail)["failures_recorded"] == MAX_FAILED_ATTEMPTS + 2
    with app.uow() as uow:
        failure = uow.channels.mail.failure(POISON)
        assert uow.outbox.pending_count() == 0  # nobody is answered for our own failure
    assert failure is not None
    assert (failure.retakes, failure.retaken_by) == (1, "admin-wang")
    # Still listed as given up; once mended, the same command takes it in.
    assert re.search(rf"#{given_up.id}\s+已放弃 given up", _cli("failures").output)
    poisoned(False)
    assert _cli("retake", str(given_up.id)).exit_code == 0
    assert _mail(app, POISON).verdict == "case_opened"


def test_an_interrupted_retake_is_listed_and_can_be_run_again(
    cli_app: App, clock: FixedClock, poisoned: Callable[[bool], None]
) -> None:
    app = cli_app
    poisoned(True)
    given_up = _give_up(app, clock)
    poisoned(False)
    with app.uow() as uow:  # what a retake killed between marking the mail and the intake leaves
        marking = text("UPDATE mail_messages SET verdict = 'retaking' WHERE id = :id")
        uow.conn.execute(marking, {"id": given_up.id})
        uow.commit()
    assert re.search(rf"#{given_up.id}\s+重新接收中 being retaken", _cli("failures").output)
    result = _cli("retake", str(given_up.id))
    assert result.exit_code == 0, result.output
    assert _mail(app, POISON).verdict == "case_opened"


def test_retake_refuses_what_is_not_a_given_up_mail(cli_app: App) -> None:
    app = cli_app
    opened = take_in(app, a_mail(message_id="<fine@example.com>"))
    mail = _mail(app, opened.message_id)

    missing = _cli("retake", str(mail.id + 100))
    assert missing.exit_code == 2
    assert f"未找到邮件：{mail.id + 100}" in missing.output
    assert f"mail not found: {mail.id + 100}" in missing.output

    fine = _cli("retake", str(mail.id))
    assert fine.exit_code == 2
    assert "没有被放弃" in fine.output
    assert "was not given up" in fine.output
    assert _mail(app, opened.message_id).verdict == "case_opened"
