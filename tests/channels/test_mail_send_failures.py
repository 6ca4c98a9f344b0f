"""Outgoing mail to international addresses, refused mail and retries that must end.

The SMTP servers here are real aiosmtpd servers on loopback standing in for our relay: with and
without SMTPUTF8, refusing a recipient or the data for good (5xx) or for now (4xx)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from kefu.adapters.clock import FixedClock
from kefu.adapters.mail_transport import SmtpTransport
from kefu.bootstrap import App
from kefu.cli import app_cli
from kefu.db.channels import MailRecord
from kefu.services.mail_send_failures import MAX_SEND_ATTEMPTS
from tests.channels.conftest import OUR_ADDRESS, free_port, relay_mail, take_in

IDN = "例子.中国"
IDN_ASCII = "xn--fsqu00a.xn--fiqs8s"


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    raw: bytes


@dataclass
class _Handler:
    rcpt_reply: str | None
    data_reply: str | None
    received: list[Delivery] = field(default_factory=list)
    data_attempts: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_attempts += 1
        if self.data_reply:
            return self.data_reply
        raw = envelope.original_content or b""
        self.received.append(
            Delivery(envelope.mail_from, list(envelope.rcpt_tos), list(envelope.mail_options), raw)
        )
        return "250 2.0.0 accepted"


class Relay:
    """Our outgoing SMTP server, on loopback: offers SMTPUTF8 or not, and may refuse."""

    def __init__(
        self, *, smtputf8: bool, rcpt_reply: str | None = None, data_reply: str | None = None
    ) -> None:
        self.handler = _Handler(rcpt_reply, data_reply)
        self.port = free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            enable_SMTPUTF8=smtputf8,
            decode_data=False,
        )
        self.controller.start()

    @property
    def transport(self) -> SmtpTransport:
        return SmtpTransport("127.0.0.1", self.port, timeout=5)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while len(self.handler.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.handler.received


@pytest.fixture
def relays() -> Iterator[list[Relay]]:
    started: list[Relay] = []
    yield started
    for relay in started:
        relay.controller.stop()


def _relay(started: list[Relay], **kw: Any) -> Relay:
    relay = Relay(**kw)
    started.append(relay)
    return relay


def utf8_mail(sender: str, message_id: str, body: str = "") -> bytes:
    """Mail as an RFC 6532 client sends it from an international address: UTF-8 headers."""
    msg = EmailMessage(policy=policy.SMTPUTF8)
    msg["From"] = f"张三 <{sender}>"
    msg["To"] = OUR_ADDRESS
    msg["Subject"] = "耳机坏了"
    msg["Message-ID"] = message_id
    msg.set_content(body or "11月13日签收的蓝牙耳机右耳没有声音，重新配对也不行，请处理。")
    return msg.as_bytes()


def _outbound(app: App) -> list[MailRecord]:
    with app.uow() as uow:
        return [m for m in uow.channels.mail.recent() if m.direction == "outbound"]


def _pending(app: App) -> int:
    with app.uow() as uow:
        return uow.outbox.pending_count()


def _notes(app: App, number: str) -> list[str]:
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        timeline = uow.records.timeline(case.id, include_internal=True)
    return [e.body for e in timeline if e.kind == "note" and e.visibility == "internal"]


def _opened(app: App, sender: str, message_id: str) -> str:
    result = take_in(app, utf8_mail(sender, message_id))
    assert result.verdict == "case_opened", result
    with app.uow() as uow:
        assert uow.cases.get_by_number(result.case_number or "").contact_email == sender
    return result.case_number or ""


def _same_mail(stored: bytes, sent: bytes) -> bool:
    # The SMTP client ends the data with CRLF whether or not the message did.
    return stored.rstrip(b"\r\n") == sent.rstrip(b"\r\n")


def test_a_reply_to_an_idn_domain_goes_out_with_the_domain_in_ascii(
    app: App, relays: list[Relay]
) -> None:
    relay = _relay(relays, smtputf8=False)  # most relays: an IDN domain must not need SMTPUTF8
    _opened(app, f"li@{IDN}", "<idn-domain@example.cn>")
    relay_mail(app, relay.transport)
    (ack,) = relay.wait_for(1)
    assert ack.rcpt_tos == [f"li@{IDN_ASCII}"]
    assert "SMTPUTF8" not in ack.mail_options
    assert ack.raw.isascii()
    assert message_from_bytes(ack.raw)["To"] == f"li@{IDN_ASCII}"
    (record,) = _outbound(app)
    assert (record.verdict, record.peer) == ("sent", f"li@{IDN}")
    assert _same_mail(app.storage.get(record.raw_sha256), ack.raw)


def test_a_utf8_local_part_goes_out_with_smtputf8_when_the_server_offers_it(
    app: App, relays: list[Relay]
) -> None:
    relay = _relay(relays, smtputf8=True)
    _opened(app, f"张三@{IDN}", "<utf8-local@example.cn>")
    relay_mail(app, relay.transport)
    (ack,) = relay.wait_for(1)
    assert "SMTPUTF8" in ack.mail_options
    assert ack.rcpt_tos == [f"张三@{IDN_ASCII}"]
    assert f"\r\nTo: 张三@{IDN_ASCII}\r\n".encode() in ack.raw  # RFC 6532: UTF-8, not =?..?=
    (record,) = _outbound(app)
    assert record.verdict == "sent"
    assert _same_mail(app.storage.get(record.raw_sha256), ack.raw)  # what we keep is what went


def test_a_utf8_local_part_without_smtputf8_fails_for_good_and_staff_are_told(
    app: App, clock: FixedClock, relays: list[Relay]
) -> None:
    relay = _relay(relays, smtputf8=False)
    number = _opened(app, f"张三@{IDN}", "<utf8-no-smtputf8@example.cn>")
    relay_mail(app, relay.transport)
    assert relay.handler.received == []
    (record,) = _outbound(app)
    assert (record.verdict, record.reason) == ("failed", "smtputf8_unsupported")
    assert "SMTPUTF8" in json.loads(record.detail)["error"]
    assert _pending(app) == 0  # done with: never tried again
    (note,) = _notes(app, number)
    assert f"张三@{IDN}" in note
    assert "SMTPUTF8" in note
    assert note.index("未能发出") < note.index("not sent")  # Chinese first
    clock.advance(timedelta(hours=2))
    relay_mail(app, relay.transport)
    assert len(_notes(app, number)) == 1


@pytest.mark.parametrize(
    ("rcpt_reply", "data_reply", "code"),
    [
        ("550 5.1.1 <li@example.cn>: mailbox unavailable", None, "550"),
        (None, "554 5.7.1 message refused as spam", "554"),
    ],
)
def test_a_permanent_smtp_refusal_is_not_retried(
    app: App,
    clock: FixedClock,
    relays: list[Relay],
    rcpt_reply: str | None,
    data_reply: str | None,
    code: str,
) -> None:
    relay = _relay(relays, smtputf8=True, rcpt_reply=rcpt_reply, data_reply=data_reply)
    number = _opened(app, "li@example.cn", "<refused@example.cn>")
    relay_mail(app, relay.transport)
    (record,) = _outbound(app)
    assert (record.verdict, record.reason) == ("failed", "smtp_refused")
    detail = json.loads(record.detail)
    assert code in detail["error"]
    assert detail["attempts"] == 1
    assert _pending(app) == 0
    (note,) = _notes(app, number)
    assert code in note
    attempts = relay.handler.data_attempts
    clock.advance(timedelta(days=1))
    relay_mail(app, relay.transport)
    assert relay.handler.data_attempts == attempts  # no second try


def test_a_mail_that_keeps_failing_for_now_is_given_up_after_bounded_attempts(
    app: App, clock: FixedClock, relays: list[Relay]
) -> None:
    relay = _relay(relays, smtputf8=True, data_reply="451 4.3.0 try again later")
    number = _opened(app, "li@example.cn", "<transient@example.cn>")
    first = clock.now()
    relay_mail(app, relay.transport)
    relay_mail(app, relay.transport)  # backoff: not due again at once
    assert relay.handler.data_attempts == 1
    for attempt in range(2, MAX_SEND_ATTEMPTS + 1):
        assert _pending(app) == 1, attempt
        assert [r.verdict for r in _outbound(app)] == ["queued"]
        clock.advance(timedelta(hours=1))  # the longest backoff: the row is due again
        relay_mail(app, relay.transport)
        assert relay.handler.data_attempts == attempt
    assert clock.now() - first >= timedelta(hours=20)  # bounded, but not given up in a hurry
    (record,) = _outbound(app)
    assert (record.verdict, record.reason) == ("failed", "send_failed")
    detail = json.loads(record.detail)
    assert detail["attempts"] == MAX_SEND_ATTEMPTS
    assert "451" in detail["error"]
    assert _pending(app) == 0
    (note,) = _notes(app, number)
    assert str(MAX_SEND_ATTEMPTS) in note
    clock.advance(timedelta(days=1))
    relay_mail(app, relay.transport)
    assert relay.handler.data_attempts == MAX_SEND_ATTEMPTS


def test_an_address_no_domain_name_can_hold_fails_for_good(app: App, relays: list[Relay]) -> None:
    relay = _relay(relays, smtputf8=True)
    label = "例" * 64  # 64 characters: its A-label is longer than the 63 a DNS label holds
    number = _opened(app, f"li@{label}.中国", "<bad-domain@example.cn>")
    relay_mail(app, relay.transport)
    assert relay.handler.data_attempts == 0
    (record,) = _outbound(app)
    assert (record.verdict, record.reason) == ("failed", "bad_address")
    assert _pending(app) == 0
    (note,) = _notes(app, number)
    assert "bad_address" not in note  # staff read words, not codes
    assert f"li@{label}.中国" in note


def test_an_automatic_answer_that_cannot_go_is_recorded_without_a_case(
    app: App, relays: list[Relay]
) -> None:
    relay = _relay(relays, smtputf8=False)
    result = take_in(app, utf8_mail(f"张三@{IDN}", "<empty@example.cn>", body="\n"))
    assert (result.verdict, result.case_number) == ("rejected", None)
    relay_mail(app, relay.transport)
    (record,) = _outbound(app)
    assert (record.verdict, record.reason, record.case_id) == (
        "failed",
        "smtputf8_unsupported",
        None,
    )
    assert json.loads(record.detail)["kind"] == "auto_answer"
    assert _pending(app) == 0


def test_kefu_mail_failures_lists_outgoing_mail_given_up(cli_app: App, relays: list[Relay]) -> None:
    relay = _relay(relays, smtputf8=False)
    _opened(cli_app, f"张三@{IDN}", "<listed@example.cn>")
    relay_mail(cli_app, relay.transport)
    (record,) = _outbound(cli_app)

    result = CliRunner().invoke(app_cli, ["mail", "failures"])

    assert result.exit_code == 0, result.output
    assert "未能发出的邮件 / outgoing mail given up: 1" in result.output
    lines = result.output.splitlines()
    (line,) = [text for text in lines if text.startswith(f"#{record.id} ")]
    assert f"张三@{IDN}" in line
    reason = lines[lines.index(line) + 1]
    assert "需要 SMTPUTF8" in reason
    assert reason.index("需要 SMTPUTF8") < reason.index("needs SMTPUTF8")
