"""`kefu mail resend`: a given-up reply queued again, sent by the relay, given up again if the
server still refuses it; through real aiosmtpd relays on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner, Result

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.cli import app_cli
from tests.channels import mail_desk_steps as steps
from tests.channels.conftest import take_in
from tests.channels.test_mail_send_failures import Relay, utf8_mail


@pytest.fixture
def relays() -> Iterator[list[Relay]]:
    yield from steps.relays()


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app_cli, ["mail", *args])


def test_resend_queues_a_given_up_reply_and_a_refusal_gives_it_up_again(
    cli_app: App, clock: FixedClock, relays: list[Relay]
) -> None:
    app = cli_app
    refusing = steps.start(relays, rcpt_reply=steps.REFUSAL)
    number, failed = steps.give_up_reply(app, refusing)
    assert f"kefu mail resend {failed.id}" in _cli("failures").output

    result = _cli("resend", str(failed.id), "--by", "admin-wang")

    assert result.exit_code == 0, result.output
    assert f"mail #{failed.id} queued to be sent again" in result.output
    assert "li@example.cn" in result.output
    record = steps.mail_record(app, mail_id=failed.id)
    assert (record.verdict, json.loads(record.detail)["resent_by"]) == ("resent", "admin-wang")
    assert f"kefu mail resend {failed.id}" not in _cli("failures").output
    # The server still refuses it: the new mail is given up in its turn, and staff told again.
    clock.set(datetime.now(UTC))  # the command ran on the wall clock: its row is due from then
    steps.relay_as_worker(app, refusing.transport)
    first, second = steps.outbound(app)
    assert (first.id, first.verdict) == (failed.id, "resent")
    assert (second.verdict, second.reason) == ("failed", "smtp_refused")
    assert second.message_id in result.output
    notes = steps.internal_notes(app, number)
    assert len(notes) == 3  # given up, sent again by admin-wang, given up again
    assert "admin-wang" in notes[1]
    assert _cli("resend", str(second.id)).exit_code == 0  # and may be sent again once more


def test_resend_refuses_what_is_not_a_given_up_reply(cli_app: App, relays: list[Relay]) -> None:
    app = cli_app
    accepting = steps.start(relays)
    take_in(app, utf8_mail("li@example.cn", "<fine@example.cn>"))
    steps.relay_as_worker(app, accepting.transport)
    (sent,) = steps.outbound(app)
    inbound = steps.mail_record(app, message_id="<fine@example.cn>")
    assert (sent.verdict, inbound.direction) == ("sent", "inbound")

    delivered = _cli("resend", str(sent.id))
    assert delivered.exit_code == 2
    assert "没有被放弃" in delivered.output
    assert "was not given up" in delivered.output
    for other in (inbound.id, sent.id + 100):  # an inbound mail is no reply to send
        missing = _cli("resend", str(other))
        assert missing.exit_code == 2
        assert f"mail not found: {other}" in missing.output
