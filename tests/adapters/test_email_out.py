"""Outbound replies thread correctly and survive a real SMTP round trip through our receiver."""

from __future__ import annotations

import smtplib

import pytest

from kefu.adapters.email_out import (
    MAX_REFERENCES,
    Undeliverable,
    build_reply,
    needs_smtputf8,
    reply_subject,
    send_via_smtp,
    smtp_address,
)
from kefu.adapters.email_parser import parse_email, text_for_case
from kefu.adapters.smtp_receiver import start_smtp_receiver

CASE = "KF20261122000123"


def a_reply(**kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "case_number": CASE,
        "to": "张三 <buyer@example.com>",
        "subject": "商品破损，要求退款",
        "body_text": "您好，退款已受理，预计3个工作日到账。",
        "from_addr": "客服 <kefu@shop.example>",
        "in_reply_to": "<buyer-2@example.com>",
        "references": ["<buyer-1@example.com>", "<kefu-1@shop.example>"],
        "domain": "shop.example",
    }
    args.update(kw)
    return build_reply(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("商品破损", f"Re: [{CASE}] 商品破损"),
        (f"Re: [{CASE}] 商品破损", f"Re: [{CASE}] 商品破损"),
        (f"回复：Re: [{CASE}] 商品破损", f"Re: [{CASE}] 商品破损"),
        (f"[{CASE}] RE: Fwd: 商品破损", f"Re: [{CASE}] 商品破损"),
        ("", f"Re: [{CASE}]"),
    ],
)
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(CASE, subject) == expected


def test_threading_headers() -> None:
    msg = a_reply()
    assert msg["Subject"] == f"Re: [{CASE}] 商品破损，要求退款"
    assert msg["In-Reply-To"] == "<buyer-2@example.com>"
    assert msg["References"].split() == [
        "<buyer-1@example.com>",
        "<kefu-1@shop.example>",
        "<buyer-2@example.com>",
    ]
    assert msg["Message-ID"].startswith("<")
    assert msg["Message-ID"].endswith("@shop.example>")
    assert a_reply()["Message-ID"] != msg["Message-ID"]
    assert msg["X-Kefu-Loop"] == f"{CASE}@shop.example"
    assert msg["Auto-Submitted"] is None
    assert a_reply(automatic=True)["Auto-Submitted"] == "auto-replied"


def test_first_message_and_duplicate_references() -> None:
    first = a_reply(in_reply_to=None, references=[])
    assert first["In-Reply-To"] is None
    assert first["References"] is None
    dup = a_reply(in_reply_to="x@y", references=["<x@y>", "<x@y>"])
    assert dup["In-Reply-To"] == "<x@y>"
    assert dup["References"] == "<x@y>"


def test_long_reference_chains_keep_root_and_recent() -> None:
    refs = [f"<m{i}@example.com>" for i in range(50)]
    chain = a_reply(references=refs, in_reply_to="<last@example.com>")["References"].split()
    assert len(chain) == MAX_REFERENCES
    assert chain[0] == "<m0@example.com>"
    assert chain[-2:] == ["<m49@example.com>", "<last@example.com>"]


def test_reply_parses_back() -> None:
    msg = a_reply()
    raw = msg.as_bytes()
    assert raw.isascii()  # UTF-8 content is transfer-encoded: safe for any relay
    parsed = parse_email(raw)
    assert parsed.case_number == CASE
    assert parsed.subject == f"Re: [{CASE}] 商品破损，要求退款"
    assert parsed.text.strip() == "您好，退款已受理，预计3个工作日到账。"
    assert (parsed.sender, parsed.sender_name) == ("kefu@shop.example", "客服")
    assert parsed.to == ["buyer@example.com"]
    assert parsed.loop_suspect  # our own mail coming back in is recognised
    assert parsed.in_reply_to == "<buyer-2@example.com>"
    assert parsed.message_id == msg["Message-ID"]


def test_buyer_reply_to_our_mail_threads_to_the_case() -> None:
    ours = a_reply()
    answer = (
        f"From: buyer@example.com\r\nTo: kefu@shop.example\r\n"
        f"Subject: 回复：{ours['Subject']}\r\nIn-Reply-To: {ours['Message-ID']}\r\n"
        f"References: {ours['References']} {ours['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "还没到账。\r\n\r\n在 2026年11月22日 10:00，客服 写道：\r\n> 您好，退款已受理\r\n"
    ).encode()
    parsed = parse_email(answer)
    assert parsed.case_number == CASE
    assert parsed.in_reply_to == ours["Message-ID"]
    assert parsed.references[-1] == ours["Message-ID"]
    assert not parsed.loop_suspect
    assert text_for_case(parsed) == "还没到账。"


def test_send_via_smtp_over_loopback(loopback_port: int) -> None:
    got: list[tuple[bytes, str, list[str]]] = []
    controller = start_smtp_receiver(
        "127.0.0.1", loopback_port, lambda raw, frm, to: got.append((raw, frm, to))
    )
    try:
        msg = a_reply(to=["buyer@example.com", "其他 <other@example.com>"])
        refused = send_via_smtp(msg, "127.0.0.1", loopback_port, timeout=5)
    finally:
        controller.stop()
    assert refused == {}
    [(raw, mail_from, rcpts)] = got
    assert mail_from == "kefu@shop.example"
    assert rcpts == ["buyer@example.com", "other@example.com"]
    parsed = parse_email(raw)
    assert parsed.message_id == msg["Message-ID"]
    assert parsed.text.strip() == "您好，退款已受理，预计3个工作日到账。"


@pytest.mark.parametrize(
    ("mailbox", "expected"),
    [
        ("li@例子.中国", "li@xn--fsqu00a.xn--fiqs8s"),
        ("张三 <li@例子。中国>", "li@xn--fsqu00a.xn--fiqs8s"),  # an ideographic full stop is a dot
        (
            "张三@例子.中国",
            "张三@xn--fsqu00a.xn--fiqs8s",
        ),  # the local part is its server's business
        ("Buyer@Example.COM", "Buyer@Example.COM"),
    ],
)
def test_the_domain_goes_out_as_idna_a_labels(mailbox: str, expected: str) -> None:
    assert smtp_address(mailbox).addr_spec == expected
    assert a_reply(to=mailbox)["To"].addresses[0].addr_spec == expected


def test_an_idn_domain_alone_keeps_the_mail_ascii() -> None:
    msg = a_reply(to="li@例子.中国")
    assert msg.as_bytes().isascii()
    assert not needs_smtputf8(msg)


def test_a_utf8_local_part_makes_an_rfc_6532_mail() -> None:
    msg = a_reply(to="张三@例子.中国")
    assert needs_smtputf8(msg)
    # UTF-8 in the header, not RFC 2047 words, which no server or client reads as an address.
    assert "\r\nTo: 张三@xn--fsqu00a.xn--fiqs8s\r\n".encode() in msg.as_bytes()
    assert parse_email(msg.as_bytes()).to == ["张三@xn--fsqu00a.xn--fiqs8s"]


@pytest.mark.parametrize(
    "mailbox", ["", "no-at-sign", "li@" + "例" * 64 + ".中国", "li@例子..中国"]
)
def test_an_address_no_server_takes_is_undeliverable(mailbox: str) -> None:
    with pytest.raises(Undeliverable) as caught:
        a_reply(to=mailbox)
    assert caught.value.code == "bad_address"


def test_a_5xx_is_undeliverable_and_a_4xx_is_not(loopback_port: int) -> None:
    def refuse(raw: bytes, _from: str, _to: list[str]) -> None:
        raise RuntimeError("storage is down")  # our receiver answers 451 for this

    controller = start_smtp_receiver("127.0.0.1", loopback_port, refuse, size_limit=4000)
    try:
        with pytest.raises(Undeliverable) as caught:  # 552 at MAIL FROM: the mail is too big
            send_via_smtp(a_reply(body_text="长" * 4000), "127.0.0.1", loopback_port, timeout=5)
        with pytest.raises(smtplib.SMTPDataError) as later:  # 451: may pass, so not given up
            send_via_smtp(a_reply(body_text="短"), "127.0.0.1", loopback_port, timeout=5)
    finally:
        controller.stop()
    assert caught.value.code == "smtp_refused"
    assert "552" in str(caught.value)
    assert not isinstance(later.value, Undeliverable)
    assert later.value.smtp_code == 451
