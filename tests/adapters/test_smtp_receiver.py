"""The SMTP receiver over a real loopback connection: exact bytes, 451 on failure, 552 on size."""

from __future__ import annotations

import smtplib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from kefu.adapters.email_parser import parse_email
from kefu.adapters.smtp_receiver import start_smtp_receiver


@dataclass
class Store:
    got: list[tuple[bytes, str, list[str]]] = field(default_factory=list)
    fail_next: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> None:
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                raise OSError("disk full")
            self.got.append((raw, mail_from, rcpt_tos))


@dataclass
class Receiver:
    port: int
    store: Store


@pytest.fixture
def receiver(loopback_port: int) -> Iterator[Receiver]:
    store = Store()
    controller = start_smtp_receiver("127.0.0.1", loopback_port, store, size_limit=64 * 1024)
    try:
        yield Receiver(loopback_port, store)
    finally:
        controller.stop()


PLAIN = (
    b"From: buyer@example.com\r\nTo: kefu@shop.example\r\nSubject: hello\r\n"
    b"Message-ID: <p1@example.com>\r\n\r\nline one\r\n.leading dot survives\r\n"
)
CHINESE_8BIT = (
    "From: 张三 <buyer@example.com>\r\nTo: kefu@shop.example\r\n"
    "Subject: [KF20261122000123] 退款\r\nMIME-Version: 1.0\r\n"
    'Content-Type: text/plain; charset="gbk"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
    "收到的商品有破损，要求退款。喆\r\n"
).encode("gbk")


def test_plain_mail_is_handed_over_byte_for_byte(receiver: Receiver) -> None:
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        refused = smtp.sendmail("buyer@example.com", ["kefu@shop.example"], PLAIN)
    assert refused == {}
    assert receiver.store.got == [(PLAIN, "buyer@example.com", ["kefu@shop.example"])]


def test_8bitmime_chinese_mail(receiver: Receiver) -> None:
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("8bitmime")
        smtp.sendmail("buyer@example.com", ["a@shop.example", "b@shop.example"], CHINESE_8BIT,
                      mail_options=["BODY=8BITMIME"])  # fmt: skip
    [(raw, _, rcpts)] = receiver.store.got
    assert raw == CHINESE_8BIT
    assert rcpts == ["a@shop.example", "b@shop.example"]
    parsed = parse_email(raw)
    assert parsed.case_number == "KF20261122000123"
    assert parsed.text == "收到的商品有破损，要求退款。喆"


def test_handler_failure_answers_451_and_retry_succeeds(receiver: Receiver) -> None:
    receiver.store.fail_next = 1
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPDataError) as err:
            smtp.sendmail("buyer@example.com", ["kefu@shop.example"], PLAIN)
        assert err.value.smtp_code == 451
        assert receiver.store.got == []
        # the sending server retries later: the same mail now gets stored and a 250
        smtp.sendmail("buyer@example.com", ["kefu@shop.example"], PLAIN)
    assert [g[0] for g in receiver.store.got] == [PLAIN]


def test_oversize_announced_with_size_is_refused_552(receiver: Receiver) -> None:
    big = PLAIN + b"x" * (70 * 1024) + b"\r\n"
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        with pytest.raises(smtplib.SMTPSenderRefused) as err:
            smtp.sendmail("buyer@example.com", ["kefu@shop.example"], big)  # sends SIZE=
        assert err.value.smtp_code == 552
    assert receiver.store.got == []


def test_oversize_without_size_is_refused_552_after_data(receiver: Receiver) -> None:
    big = PLAIN + (b"y" * 998 + b"\r\n") * 70
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        smtp.ehlo()
        assert smtp.mail("buyer@example.com")[0] == 250  # no SIZE parameter
        assert smtp.rcpt("kefu@shop.example")[0] == 250
        code, _ = _data(smtp, big)
    assert code == 552
    assert receiver.store.got == []


def _data(smtp: smtplib.SMTP, msg: bytes) -> tuple[int, bytes]:
    try:
        return smtp.data(msg)
    except smtplib.SMTPDataError as exc:
        return exc.smtp_code, exc.smtp_error


def test_mail_just_under_the_limit_is_accepted(receiver: Receiver) -> None:
    ok = PLAIN + (b"z" * 998 + b"\r\n") * 60
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        smtp.sendmail("buyer@example.com", ["kefu@shop.example"], ok)
    assert [g[0] for g in receiver.store.got] == [ok]


def test_overlong_lines_are_accepted(receiver: Receiver) -> None:
    # RFC 5321 caps lines at 1000 octets, but broken mailers send one-line HTML bodies;
    # refusing them with a permanent 500 would lose the customer's mail.
    html_line = PLAIN + b"<p>" + "很长的一行".encode() * 1500 + b"</p>\r\n"
    with smtplib.SMTP("127.0.0.1", receiver.port, timeout=5) as smtp:
        smtp.sendmail("buyer@example.com", ["kefu@shop.example"], html_line)
    assert [g[0] for g in receiver.store.got] == [html_line]
