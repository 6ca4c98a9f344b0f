"""Mail holding NUL or bytes that decode to lone surrogates parses to text any column can hold."""

from __future__ import annotations

import base64
from dataclasses import fields

import pytest

from kefu.adapters.email_parser import ParsedEmail, parse_email, text_for_case
from tests.adapters.test_email_parser import mail

FFFD = "\ufffd"
HEADPHONES = "耳机坏了".encode()  # b"\xe8\x80\xb3\xe6\x9c\xba\xe5\x9d\x8f\xe4\xba\x86"


def _multipart(*parts: bytes, headers: bytes = b"") -> bytes:
    head = (
        b"From: Buyer <buyer@example.com>\r\nTo: kefu@shop.example\r\nSubject: hello\r\n"
        b"Message-ID: <m1@example.com>\r\nMIME-Version: 1.0\r\n" + headers
    )
    body = b"".join(b"--XX\r\n" + p + b"\r\n" for p in parts)
    return head + b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n" + body + b"--XX--\r\n"


def _attachment(disposition: bytes) -> bytes:
    return _multipart(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody",
        b"Content-Type: application/octet-stream\r\nContent-Disposition: "
        + disposition
        + b"\r\n\r\ndata",
    )


# (what, raw mail, field that needed cleaning, its value after parsing)
CASES = [
    (
        "8-bit body",
        mail(HEADPHONES[:6] + b"\x00" + HEADPHONES[6:], charset="utf-8", cte="8bit"),
        "text",
        f"耳机{FFFD}坏了",
    ),
    (
        "quoted-printable =00",
        mail(b"=E8=80=B3=E6=9C=BA=00=E5=9D=8F=E4=BA=86", charset="utf-8", cte="quoted-printable"),
        "text",
        f"耳机{FFFD}坏了",
    ),
    (
        "base64 part",
        mail(base64.b64encode(b"ear\x00phone"), charset="utf-8", cte="base64"),
        "text",
        f"ear{FFFD}phone",
    ),
    (
        "HTML-only body",
        mail(
            b"<p>ear=00phone &#0;</p>", ctype="text/html", charset="utf-8", cte="quoted-printable"
        ),
        "text",
        f"ear{FFFD}phone {FFFD}",  # html.parser already writes &#0; as U+FFFD, like browsers
    ),
    (
        "declared codec that yields a lone surrogate",
        mail(b"\xe9 \\ud800 \\x00!", charset="unicode_escape", cte="8bit"),
        "text",
        f"é {FFFD} {FFFD}!",
    ),
    (
        "RFC 2047 subject (B)",
        mail(
            b"body", headers={"Subject": "=?utf-8?B?" + base64.b64encode(b"a\x00b").decode() + "?="}
        ),
        "subject",
        f"a{FFFD}b",
    ),
    (
        "RFC 2047 subject (Q)",
        mail(b"body", headers={"Subject": "=?utf-8?Q?=E8=80=B3=00=E6=9C=BA?="}),
        "subject",
        f"耳{FFFD}机",
    ),
    (
        "raw NUL in the subject",
        mail(b"body", headers={"Subject": b"a\x00b"}),
        "subject",
        f"a{FFFD}b",
    ),
    (
        "From display name",
        mail(b"body", headers={"From": "=?utf-8?Q?Liu=00Yang?= <buyer@example.com>"}),
        "sender_name",
        f"Liu{FFFD}Yang",
    ),
    (
        "From address",
        mail(b"body", headers={"From": b"Liu <bu\x00yer@example.com>"}),
        "sender",
        f"bu{FFFD}yer@example.com",
    ),
    (
        "8-bit Message-ID",
        mail(b"body", headers={"Message-ID": b"<m\xff1@example.com>"}),
        "message_id",
        f"<m{FFFD}1@example.com>",
    ),
    (
        "UTF-8 Message-ID (RFC 6532)",
        mail(b"body", headers={"Message-ID": "<订单1@例子.cn>".encode()}),
        "message_id",  # nothing to clean: UTF-8 ids are read as UTF-8, whatever the body declares
        "<订单1@例子.cn>",
    ),
    (
        "In-Reply-To with NUL",
        mail(b"body", headers={"In-Reply-To": b"<r\x001@example.com>"}),
        "in_reply_to",
        f"<r{FFFD}1@example.com>",
    ),
    (
        "8-bit References",
        mail(b"body", headers={"References": b"<a@x> <b\xfe@x>"}),
        "references",
        ["<a@x>", f"<b{FFFD}@x>"],
    ),
    (
        "attachment name from a codec that yields a lone surrogate",
        _attachment(b"attachment; filename*=unicode_escape''%E9%5Cud800.txt"),
        "attachments",
        [f"é{FFFD}.txt"],
    ),
]


def _strings(parsed: ParsedEmail) -> list[str]:
    found: list[str] = []
    for f in fields(parsed):
        value = getattr(parsed, f.name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str):
                found.append(item)
            elif hasattr(item, "filename"):
                found += [item.filename, item.content_type]
    return found


@pytest.mark.parametrize(("what", "raw", "field", "expected"), CASES, ids=[c[0] for c in CASES])
def test_text_from_mail_is_storable(what: str, raw: bytes, field: str, expected: object) -> None:
    parsed = parse_email(raw)
    for text in [*_strings(parsed), text_for_case(parsed)]:
        assert "\x00" not in text, what
        text.encode("utf-8")  # raises on a lone surrogate
    value = getattr(parsed, field)
    if field == "attachments":
        value = [a.filename for a in value]
    assert value == expected
    assert parsed.cleaned == ([field] if FFFD in str(expected) else [])
    assert any("U+FFFD" in e for e in parsed.parse_errors) == bool(parsed.cleaned)


def test_a_surrogate_pair_from_an_escape_codec_becomes_its_character() -> None:
    parsed = parse_email(mail(b"\xe9 \\ud83d\\ude00", charset="unicode_escape", cte="8bit"))
    assert parsed.text == "é 😀"
    assert parsed.cleaned == []


def test_nul_in_an_attachment_name_is_dropped_like_any_control_character() -> None:
    parsed = parse_email(_attachment(b"attachment; filename*=utf-8''a%00b.txt"))
    assert [a.filename for a in parsed.attachments] == ["ab.txt"]


def test_attachment_payload_bytes_are_kept_as_they_are() -> None:
    raw = _multipart(
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody",
        b"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        b'filename="x.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.b64encode(b"\x00\xff\x00"),
    )
    assert [a.payload for a in parse_email(raw).attachments] == [b"\x00\xff\x00"]
