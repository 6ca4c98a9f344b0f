"""Mail over real connections: SMTP into kefu, replies out by SMTP, and IMAP via a real Dovecot."""

from __future__ import annotations

import email
import json
import smtplib
import time
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from kefu.adapters.mail_transport import SmtpTransport
from kefu.adapters.smtp_receiver import start_smtp_receiver
from kefu.bootstrap import App, build_app
from kefu.domain.types import Channel
from kefu.mailroom import start_receiver
from kefu.services.messages import post_message
from kefu.worker import run_once
from tests.adapters.test_imap_fetcher import PASSWORD, USER, Imap, dovecot, imap  # noqa: F401
from tests.builders import a_user
from tests.channels.conftest import a_mail, free_port, relay_mail, take_in


class Mailbox:
    """A real SMTP server on loopback standing in for the buyer's mail provider."""

    def __init__(self) -> None:
        self.received: list[Message] = []
        self.port = free_port()
        self.controller = start_smtp_receiver(
            "127.0.0.1",
            self.port,
            lambda raw, _f, _t: self.received.append(email.message_from_bytes(raw)),
        )

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.received


@pytest.fixture
def buyer_mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    yield box
    box.controller.stop()


@pytest.fixture
def kefu_smtpd(app: App) -> Iterator[int]:
    port = free_port()
    controller: Controller = start_receiver(app, "127.0.0.1", port)
    yield port
    controller.stop()


def _smtp_send(port: int, raw: bytes, sender: str = "buyer@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail(sender, ["kefu@localhost"], raw)


def _case_mail(app: App, number: str) -> list[tuple[str, str, str]]:
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        return [(m.direction, m.verdict, m.message_id) for m in uow.channels.mail.for_case(case.id)]


def _latest_case(app: App) -> str:
    with app.uow() as uow:
        return str(uow.conn.exec_driver_sql("SELECT max(number) FROM cases").scalar())


def test_smtp_mail_opens_a_case_and_a_reply_threads_onto_it(app: App, kefu_smtpd: int) -> None:
    _smtp_send(kefu_smtpd, a_mail(message_id="<smtp-1@example.com>"))
    number = _latest_case(app)
    with app.uow() as uow:
        assert uow.cases.get_by_number(number).channel is Channel.EMAIL
    _smtp_send(kefu_smtpd, a_mail(subject=f"Re: [{number}]", body="快递单号是 SF123，请尽快。"))
    _smtp_send(kefu_smtpd, a_mail(subject="Out of Office: 耳机坏了", body="休假中"))
    _smtp_send(kefu_smtpd, a_mail(sender="mailer-daemon@mx.example", subject="Undelivered Mail"))
    assert _latest_case(app) == number  # nothing else opened a case
    verdicts = [v for _d, v, _m in _case_mail(app, number)]
    assert verdicts == ["case_opened", "threaded"]
    with app.uow() as uow:
        reasons = sorted(r.reason for r in uow.channels.mail.recent() if r.verdict == "ignored")
    assert reasons == ["auto_reply", "bounce"]


def test_agent_reply_goes_out_threaded_and_the_answer_threads_back(
    app: App, buyer_mailbox: Mailbox
) -> None:
    agent = a_user(app, "agent1", "agent")
    number = take_in(app, a_mail(message_id="<orig@example.com>")).case_number or ""
    post_message(
        app.uow(),
        actor=agent,
        number=number,
        body="您好，请提供照片。",
        internal=False,
        now=app.clock.now(),
    )
    post_message(
        app.uow(), actor=agent, number=number, body="内部备注", internal=True, now=app.clock.now()
    )
    relay_mail(app, SmtpTransport("127.0.0.1", buyer_mailbox.port))
    ack, reply = buyer_mailbox.wait_for(2)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert number in ack["Subject"]
    assert reply["Auto-Submitted"] is None  # a person wrote this one
    assert reply["Subject"].startswith("Re:")
    assert f"[{number}]" in reply["Subject"]
    assert reply["In-Reply-To"] == "<orig@example.com>"
    assert "<orig@example.com>" in reply["References"]
    assert reply["X-Kefu-Loop"]
    assert "请提供照片" in reply.get_payload(decode=True).decode("utf-8")
    sent = [(d, v, m) for d, v, m in _case_mail(app, number) if d == "outbound"]
    assert [v for _d, v, _m in sent] == ["sent", "sent"]
    assert sent[1][2] == reply["Message-ID"]
    # The buyer answers the agent's mail with the subject rewritten: it threads by In-Reply-To.
    answer = a_mail(subject="照片", body="照片见附件，谢谢。", in_reply_to=reply["Message-ID"])
    assert take_in(app, answer).case_number == number
    assert relay_mail(app, SmtpTransport("127.0.0.1", buyer_mailbox.port)) >= 0
    assert len(buyer_mailbox.wait_for(2)) == 2  # the buyer's own message is not mailed back


def test_a_reply_goes_to_the_buyer_not_to_a_stranger_or_a_bounce_that_wrote_last(
    app: App, buyer_mailbox: Mailbox
) -> None:
    # Anyone who knows a case number can mail it (kept as an internal note), and auto-replies
    # and bounces to our mail are kept too: none of them may receive the next agent reply.
    agent = a_user(app, "agent1", "agent")
    number = take_in(app, a_mail(message_id="<orig@example.com>")).case_number or ""
    stranger = a_mail(
        sender="x@evil.example", subject=f"[{number}] 我也要", message_id="<evil@evil.example>"
    )
    assert take_in(app, stranger).reason == "non_party"
    auto = a_mail(
        sender="robot@auto.example",
        subject=f"自动回复: [{number}] 耳机坏了",
        message_id="<auto@auto.example>",
    )
    assert take_in(app, auto).verdict == "ignored"
    post_message(
        app.uow(),
        actor=agent,
        number=number,
        body="您好，请提供照片。",
        internal=False,
        now=app.clock.now(),
    )
    relay_mail(app, SmtpTransport("127.0.0.1", buyer_mailbox.port))
    _ack, reply = buyer_mailbox.wait_for(2)
    assert reply["To"] == "buyer@example.com"
    assert reply["In-Reply-To"] == "<orig@example.com>"
    # Other people's Message-IDs are theirs: not handed to the buyer in References either.
    assert "evil.example" not in reply["References"]
    assert "auto.example" not in reply["References"]


def test_failed_send_is_retried_with_the_same_message_id(app: App, buyer_mailbox: Mailbox) -> None:
    take_in(app, a_mail(message_id="<retry@example.com>"))
    relay_mail(app, SmtpTransport("127.0.0.1", free_port(), timeout=2))  # nobody listens there
    with app.uow() as uow:
        queued = [r for r in uow.channels.mail.recent() if r.direction == "outbound"]
        uow.conn.exec_driver_sql("UPDATE outbox SET available_at = created_at")
        uow.commit()
    assert [r.verdict for r in queued] == ["queued"]
    assert relay_mail(app, SmtpTransport("127.0.0.1", buyer_mailbox.port)) == 1
    (ack,) = buyer_mailbox.wait_for(1)
    assert ack["Message-ID"] == queued[0].message_id


def test_full_loop_through_dovecot_and_the_worker(
    app: App,
    imap: Imap,  # noqa: F811 - the Dovecot fixture imported above
    buyer_mailbox: Mailbox,
) -> None:
    settings = app.settings.with_(
        imap_host="127.0.0.1",
        imap_port=imap.port,
        imap_user=USER,
        imap_password=PASSWORD,
        imap_poll_interval_s=0.0,
        smtp_host="127.0.0.1",
        smtp_port=buyer_mailbox.port,
        mail_from="kefu@shop.example",
    )
    worker_app = build_app(settings, clock=app.clock)
    agent = a_user(app, "agent1", "agent")  # first: the cs team must exist when cases are filed
    try:
        imap.deliver(a_mail(message_id="<imap-1@example.com>"), a_mail(sender="b2@example.com"))
        run_once(worker_app)  # polls IMAP (2 new cases) and mails both acknowledgements
        assert len(buyer_mailbox.wait_for(2)) == 2
        assert imap.flags() == {b"<imap-1@example.com>": True, **dict.fromkeys(imap.flags(), True)}
        number = _case_mail(app, _latest_case(app)) and _latest_case(app)
        with app.uow() as uow:
            first = uow.channels.mail.by_message_id("<imap-1@example.com>")
            assert first is not None
            assert first.case_id is not None
            number = uow.cases.get(first.case_id).number
        post_message(
            app.uow(),
            actor=agent,
            number=number,
            body="已为您安排换货。",
            internal=False,
            now=app.clock.now(),
        )
        run_once(worker_app)
        reply = buyer_mailbox.wait_for(3)[2]
        assert reply["In-Reply-To"] == "<imap-1@example.com>"
        imap.deliver(a_mail(subject="谢谢", body="收到，谢谢！", in_reply_to=reply["Message-ID"]))
        run_once(worker_app)
        verdicts = [(d, v) for d, v, _m in _case_mail(app, number)]
        assert verdicts == [
            ("inbound", "case_opened"),
            ("outbound", "sent"),
            ("outbound", "sent"),
            ("inbound", "threaded"),
        ]
    finally:
        worker_app.engine.dispose()


def test_without_smtp_the_worker_records_and_logs_mail(app: App) -> None:
    number = take_in(app, a_mail()).case_number or ""
    run_once(app)  # no KEFU_SMTP_HOST, no KEFU_IMAP_HOST
    outbound = [(d, v) for d, v, _m in _case_mail(app, number) if d == "outbound"]
    assert outbound == [("outbound", "logged")]


def _body(msg: Message) -> str:
    payload = msg.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8").replace("\r\n", "\n").strip()


def _inbound(app: App, message_id: str) -> tuple[str, str, dict[str, str | None]]:
    with app.uow() as uow:
        row = uow.channels.mail.by_message_id(message_id)
    assert row is not None
    return row.verdict, row.reason, json.loads(row.detail) if row.detail else {}


def test_mail_that_screening_rejects_as_irrelevant_is_answered_with_the_reason(
    app: App, kefu_smtpd: int, buyer_mailbox: Mailbox
) -> None:
    raw = a_mail(
        sender="new@example.com",
        subject="你好",
        body="今天天气真好，阳光明媚，我们去公园散步吧。",
        message_id="<weather@example.com>",
    )
    _smtp_send(kefu_smtpd, raw, sender="new@example.com")
    number = _latest_case(app)
    with app.uow() as uow:
        assert uow.cases.get_by_number(number).status.value == "rejected"
    verdict, reason, detail = _inbound(app, "<weather@example.com>")
    assert (verdict, reason) == ("case_rejected", "irrelevant")
    assert detail["code"] == "irrelevant"
    assert detail["zh"] == "反馈内容与本平台的商品、交易或服务无关"
    relay_mail(app, SmtpTransport("127.0.0.1", buyer_mailbox.port))
    (ack,) = buyer_mailbox.wait_for(1)
    body = _body(ack)
    assert "客服会尽快处理" not in body
    assert "An agent will answer you" not in body
    assert f"案件号 {number}，但该案件未予受理" in body
    assert "反馈内容与本平台的商品、交易或服务无关" in body
    assert f"case {number}, but it was not accepted" in body
    assert "not about this platform's goods, orders or services" in body
    assert "请发送一封新邮件" in body
    assert "send a new mail" in body
    assert body.index("未予受理") < body.index("not accepted")  # Chinese first
    # Threaded like any acknowledgement.
    assert ack["To"] == "new@example.com"
    assert ack["In-Reply-To"] == "<weather@example.com>"
    assert "<weather@example.com>" in ack["References"]
    assert f"[{number}]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Kefu-Loop"]
    assert [(d, v) for d, v, _m in _case_mail(app, number)] == [
        ("inbound", "case_rejected"),
        ("outbound", "sent"),
    ]


def test_repeat_mail_rejected_as_duplicate_names_the_original_case(
    app: App, kefu_smtpd: int, buyer_mailbox: Mailbox
) -> None:
    _smtp_send(kefu_smtpd, a_mail(message_id="<first-try@example.com>"))
    original = _latest_case(app)
    _smtp_send(kefu_smtpd, a_mail(message_id="<second-try@example.com>"))
    repeat = _latest_case(app)
    assert repeat != original
    assert _inbound(app, "<first-try@example.com>")[:2] == ("case_opened", "")
    verdict, reason, detail = _inbound(app, "<second-try@example.com>")
    assert (verdict, reason) == ("case_rejected", "duplicate")
    assert detail["duplicate_of"] == original
    relay_mail(app, SmtpTransport("127.0.0.1", buyer_mailbox.port))
    first_ack, second_ack = sorted(buyer_mailbox.wait_for(2), key=lambda m: m["In-Reply-To"])
    # The accepted case keeps today's acknowledgement.
    assert first_ack["In-Reply-To"] == "<first-try@example.com>"
    assert _body(first_ack) == (
        f"您好，我们已收到您的邮件，案件号 {original}。客服会尽快处理并通过邮件回复您。\n\n"
        f"Hello, we received your mail as case {original}. An agent will answer you by mail."
    )
    assert second_ack["In-Reply-To"] == "<second-try@example.com>"
    assert f"[{repeat}]" in second_ack["Subject"]
    body = _body(second_ack)
    assert "客服会尽快处理" not in body
    assert f"案件号 {repeat}，但该案件未予受理" in body
    assert f"已关联到原案件（原案件 {original}）" in body
    assert f"linked to it (original case {original})" in body
    assert f"reply to its mail or send a mail with {original} in the subject" in body
    # Following that advice threads onto the original case, not the rejected one.
    follow_up = a_mail(subject=f"{original} 补充", body="补充：右耳完全没有声音，左耳正常。")
    _smtp_send(kefu_smtpd, follow_up)
    assert [v for d, v, _m in _case_mail(app, original) if d == "inbound"] == [
        "case_opened",
        "threaded",
    ]
