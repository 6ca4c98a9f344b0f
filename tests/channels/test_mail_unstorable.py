"""Mail holding NUL or lone surrogates, through the intake, SMTP and IMAP on both engines."""

from __future__ import annotations

import base64
import smtplib
from typing import Any

import pytest

from kefu.bootstrap import App, build_app
from kefu.mailroom import poll_imap, start_receiver
from tests.adapters.test_imap_fetcher import PASSWORD, USER, Imap, dovecot, imap  # noqa: F401
from tests.channels.conftest import OUR_ADDRESS, a_mail, free_port, take_in
from tests.e2e.helpers import tiny_png

FFFD = "\ufffd"
COMPLAINT = "11月13日签收的蓝牙耳机右耳没有声音，重新配对也不行，请处理。"


def raw_mail(
    body: bytes,
    *,
    subject: bytes = b"=?utf-8?B?6ICz5py65Z2P5LqG?=",  # 耳机坏了
    sender: bytes = b"=?utf-8?B?5YiY5rSL?= <buyer@example.com>",  # 刘洋
    message_id: bytes = b"<hostile@example.com>",
    content: bytes = b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit",
    extra: bytes = b"",
) -> bytes:
    head = (
        b"From: "
        + sender
        + b"\r\nTo: "
        + OUR_ADDRESS.encode()
        + b"\r\nSubject: "
        + subject
        + b"\r\nMessage-ID: "
        + message_id
        + b"\r\nMIME-Version: 1.0\r\n"
        + extra
        + content
    )
    return head + b"\r\n\r\n" + body + b"\r\n"


TEXT = COMPLAINT.encode()
PNG = tiny_png(text=b"hostile")
WITH_PNG = (
    b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + TEXT + b"\r\n"
    b"--XX\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n"
    b"Content-Disposition: attachment; filename*=unicode_escape''%E9%5Cud800.png\r\n\r\n"
    + base64.encodebytes(PNG)
    + b"--XX--"
)
# (what, raw mail, the case's subject, the case's description, fields cleaned)
MAILS = [
    (
        "NUL in an 8-bit body",
        raw_mail(TEXT[:10] + b"\x00" + TEXT[10:]),
        "耳机坏了",
        f"{COMPLAINT[:6]}{FFFD}{COMPLAINT[6:]}",
        "正文 / text",
    ),
    (
        "quoted-printable =00 in the body",
        raw_mail(
            b"=00" + TEXT.replace(b"=", b"=3D"),
            content=b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: quoted-printable",
        ),
        "耳机坏了",
        FFFD + COMPLAINT,
        "正文 / text",
    ),
    (
        "NUL in a base64 HTML-only body",
        raw_mail(
            base64.encodebytes(b"<p>" + TEXT + b"\x00</p>"),
            content=b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64",
        ),
        "耳机坏了",
        COMPLAINT + FFFD,
        "正文 / text",
    ),
    (
        "NUL in an RFC 2047 subject",
        raw_mail(TEXT, subject=b"=?utf-8?Q?=E8=80=B3=E6=9C=BA=00=E5=9D=8F=E4=BA=86?="),
        f"耳机{FFFD}坏了",
        COMPLAINT,
        "主题 / subject",
    ),
    (
        "NUL in the From display name",
        raw_mail(TEXT, sender=b"=?utf-8?Q?Liu=00Yang?= <buyer@example.com>"),
        "耳机坏了",
        COMPLAINT,
        "发件人姓名 / sender name",
    ),
    (
        "a body codec that yields a lone surrogate",
        raw_mail(
            b"\xe9\\ud800" + COMPLAINT.encode("unicode_escape"),
            content=b"Content-Type: text/plain; charset=unicode_escape",
        ),
        "耳机坏了",
        f"é{FFFD}{COMPLAINT}",
        "正文 / text",
    ),
    (
        "8-bit bytes in the Message-ID",
        raw_mail(TEXT, message_id=b"<hostile\xff@example.com>"),
        "耳机坏了",
        COMPLAINT,
        "Message-ID",
    ),
    (
        "an attachment name that decodes to a lone surrogate",
        raw_mail(WITH_PNG, content=b"Content-Type: multipart/mixed; boundary=XX"),
        "耳机坏了",
        COMPLAINT,
        "附件名 / attachment names",
    ),
]


def _stored(app: App, number: str) -> dict[str, Any]:
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        return {
            "case": case,
            "buyer": uow.people.user_by_id(case.buyer_id),
            "timeline": uow.records.timeline(case.id, include_internal=True),
            "files": uow.records.attachments_for(case.id),
            "mails": uow.channels.mail.for_case(case.id),
        }


def _no_unstorable_text(*texts: str) -> None:
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")  # raises on a lone surrogate


@pytest.mark.parametrize(
    ("what", "raw", "subject", "description", "cleaned"), MAILS, ids=[m[0] for m in MAILS]
)
def test_hostile_mail_opens_a_case_with_storable_text(
    app: App, what: str, raw: bytes, subject: str, description: str, cleaned: str
) -> None:
    result = take_in(app, raw)
    assert result.verdict == "case_opened", what
    found = _stored(app, result.case_number or "")
    case, buyer, timeline = found["case"], found["buyer"], found["timeline"]
    assert (case.subject, case.description) == (subject, description)
    assert buyer.display_name in ("刘洋", f"Liu{FFFD}Yang")
    (mail,) = found["mails"]
    _no_unstorable_text(mail.message_id, mail.subject, buyer.display_name)
    assert app.storage.get(mail.raw_sha256) == raw  # the evidence is the mail as it came
    notes = [e.body for e in timeline if e.kind == "note"]
    assert len(notes) == 1
    assert "U+FFFD" in notes[0]
    assert notes[0].endswith(cleaned)
    assert take_in(app, raw).verdict == "duplicate"  # the cleaned Message-ID still dedups


def test_attachment_with_a_hostile_name_is_kept_as_evidence(app: App) -> None:
    raw = MAILS[-1][1]
    found = _stored(app, take_in(app, raw).case_number or "")
    assert [(f.filename, f.content_type) for f in found["files"]] == [(f"é{FFFD}.png", "image/png")]
    assert app.storage.get(found["files"][0].sha256) == PNG


def test_hostile_reply_threads_onto_the_case(app: App) -> None:
    number = take_in(app, a_mail(message_id="<root@example.com>")).case_number or ""
    reply = raw_mail(
        "补充：\x00 还是没有声音。".encode(),
        subject=b"Re: changed subject",
        message_id=b"<reply\xfe@example.com>",
        extra=b"In-Reply-To: <root@example.com>\r\nReferences: <root@example.com> <x\xff@y>\r\n",
    )
    result = take_in(app, reply)
    assert (result.verdict, result.case_number) == ("threaded", number)
    timeline = _stored(app, number)["timeline"]
    assert [e.body for e in timeline if e.kind == "message"] == [f"补充：{FFFD} 还是没有声音。"]
    (note,) = [e.body for e in timeline if e.kind == "note"]
    assert note.endswith("正文 / text, Message-ID, References")


def test_hostile_mail_over_smtp_is_accepted_not_deferred(app: App) -> None:
    port = free_port()
    receiver = start_receiver(app, "127.0.0.1", port)
    try:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            refused = smtp.sendmail("buyer@example.com", [OUR_ADDRESS], MAILS[1][1])
    finally:
        receiver.stop()
    assert refused == {}  # 250, where PostgreSQL's refusal used to answer 451 for ever
    with app.uow() as uow:
        assert [m.verdict for m in uow.channels.mail.recent()] == ["case_opened"]


def test_hostile_mail_in_the_mailbox_is_taken_in_on_the_first_poll(
    app: App,
    imap: Imap,  # noqa: F811 - the Dovecot fixture imported above
) -> None:
    settings = app.settings.with_(
        imap_host="127.0.0.1", imap_port=imap.port, imap_user=USER, imap_password=PASSWORD
    )
    worker = build_app(settings, clock=app.clock)
    try:
        imap.deliver(
            a_mail(message_id="<before@example.com>"),
            MAILS[1][1],  # IMAP literals carry no NUL byte: =00 and 8-bit ids are what arrives
            MAILS[6][1],
            a_mail(message_id="<after@example.com>", sender="b2@example.com"),
        )
        result = poll_imap(worker)
        assert (result.fetched, result.failed) == (4, 0), result.errors
        assert all(imap.flags().values())
        assert poll_imap(worker).fetched == 0
    finally:
        worker.engine.dispose()
    with app.uow() as uow:
        verdicts = [m.verdict for m in uow.channels.mail.recent()]
    # The same buyer's same text twice: screening may refuse the repeat; it is still recorded.
    assert len(verdicts) == 4
    assert set(verdicts) <= {"case_opened", "case_rejected"}
