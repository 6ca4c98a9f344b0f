"""Synthetic mail built byte by byte: charsets, encodings, HTML, names, flags, threading."""

from __future__ import annotations

import base64
import quopri
from datetime import UTC, datetime
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from kefu.adapters.email_html import html_to_text
from kefu.adapters.email_parser import (
    MAX_RECEIVED_HEADERS,
    ParsedEmail,
    parse_email,
    text_for_case,
)

GBK_ONLY = "喆堃镕昇"  # in GBK, not in GB2312: mail labelled gb2312 often carries these


def mail(
    body: bytes,
    *,
    ctype: str = "text/plain",
    charset: str | None = None,
    cte: str | None = None,
    headers: dict[str, bytes | str] | None = None,
) -> bytes:
    head: dict[str, bytes | str] = {
        "From": "Buyer <buyer@example.com>",
        "To": "kefu@shop.example",
        "Subject": "hello",
        "Date": "Sun, 22 Nov 2026 10:00:00 +0800",
        "Message-ID": "<m1@example.com>",
        "MIME-Version": "1.0",
        "Content-Type": ctype + (f'; charset="{charset}"' if charset else ""),
    }
    if cte:
        head["Content-Transfer-Encoding"] = cte
    head.update(headers or {})
    lines = [
        k.encode() + b": " + (v if isinstance(v, bytes) else v.encode()) for k, v in head.items()
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def encode(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


BODY_CASES = [
    # (label declared, real codec, transfer encoding, text)
    ("gb2312", "gb2312", "8bit", "您好，订单已收到，请尽快退款。"),
    ("gbk", "gbk", "base64", f"您好{GBK_ONLY}，商品有破损"),
    ("gb2312", "gbk", "quoted-printable", f"标注为gb2312实为GBK：{GBK_ONLY}"),
    ("GB2312", "gb18030", "base64", "四字节字符：𠮷😀，仍要解出"),
    ("gb18030", "gb18030", "8bit", "七天无理由退货"),
    ("big5", "big5", "8bit", "退貨退款，謝謝"),
    ("big5", "big5hkscs", "base64", "香港增補字符集：㗎"),
    ("utf-8", "utf-8", "quoted-printable", "质量问题，要求换货 ✓"),
    ("UTF8", "utf-8", "base64", "标签写法不规范"),
    (None, "gbk", "8bit", f"没有声明字符集的GBK正文{GBK_ONLY}"),
    (None, "utf-8", "8bit", "没有声明字符集的UTF-8正文"),
    ("x-unknown", "gbk", "8bit", "未知字符集标签，按GBK解出"),
    ("utf-8", "gbk", "8bit", "声明UTF-8其实是GBK"),
    ("us-ascii", "utf-8", "8bit", "声明ASCII其实是UTF-8"),
    ("iso-8859-1", "utf-8", "base64", "声明latin-1其实是UTF-8"),
    ("iso-8859-1", "latin-1", "quoted-printable", "Café crème, très bien"),
]


@pytest.mark.parametrize(("label", "codec", "cte", "text"), BODY_CASES)
def test_body_charsets(label: str | None, codec: str, cte: str, text: str) -> None:
    raw = mail(encode(text.encode(codec), cte), charset=label, cte=cte)
    parsed = parse_email(raw)
    assert parsed.text.strip() == text
    assert parsed.attachments == []


def test_mislabelled_charset_is_reported() -> None:
    parsed = parse_email(mail("声明UTF-8其实是GBK".encode("gbk"), charset="utf-8", cte="8bit"))
    assert any("gb18030" in e for e in parsed.parse_errors)
    unknown = parse_email(mail("未知".encode("gbk"), charset="x-unknown", cte="8bit"))
    assert any("x-unknown" in e for e in unknown.parse_errors)


def b_word(text: str, codec: str, label: str | None = None) -> str:
    return f"=?{label or codec}?B?{base64.b64encode(text.encode(codec)).decode()}?="


def q_word(text: str, codec: str, label: str | None = None) -> str:
    data = quopri.encodestring(text.encode(codec), header=True).decode()
    return f"=?{label or codec}?Q?{data}?="


def split_utf8_words(text: str) -> str:
    data = text.encode("utf-8")
    half = len(data) // 2 + 1  # cut through the middle of a multi-byte character
    parts = (data[:half], data[half:])
    return " ".join(f"=?UTF-8?B?{base64.b64encode(p).decode()}?=" for p in parts)


SUBJECT_CASES = [
    (b_word("退款申请", "gb2312"), "退款申请"),
    (b_word(f"投诉{GBK_ONLY}", "gbk", "gb2312"), f"投诉{GBK_ONLY}"),
    (b_word("订单查询", "gbk", "GBK"), "订单查询"),
    (q_word("商品損壞，要求退貨", "big5"), "商品損壞，要求退貨"),
    (b_word("换货 😀", "gb18030"), "换货 😀"),
    (q_word("质量问题", "utf-8"), "质量问题"),
    (f"Re: {b_word('物流', 'utf-8')} {b_word('太慢', 'utf-8')}", "Re: 物流太慢"),
    (split_utf8_words("一个被切开的多字节主题"), "一个被切开的多字节主题"),
    (f"{b_word('混合', 'gbk', 'gb2312')} and {q_word('結尾', 'big5')}", "混合 and 結尾"),
    ("=?x-unknown?B?" + base64.b64encode("未知标签".encode("gbk")).decode() + "?=", "未知标签"),
    ("=?utf-8?B?5L2g5aW9?", "=?utf-8?B?5L2g5aW9?"),  # not a complete encoded word: kept
    ("plain ascii", "plain ascii"),
]


@pytest.mark.parametrize(("header", "expected"), SUBJECT_CASES)
def test_subject_decoding(header: str, expected: str) -> None:
    assert parse_email(mail(b"x", headers={"Subject": header})).subject == expected


def test_raw_8bit_subject_and_from_without_declaration() -> None:
    raw = mail(
        b"body",
        headers={
            "Subject": f"退货{GBK_ONLY}".encode("gbk"),
            "From": "张三 <zs@example.com>".encode("gbk"),
        },
    )
    parsed = parse_email(raw)
    assert parsed.subject == f"退货{GBK_ONLY}"
    assert (parsed.sender, parsed.sender_name) == ("zs@example.com", "张三")


def test_raw_8bit_big5_subject_uses_body_charset() -> None:
    raw = mail("內容".encode("big5"), charset="big5", headers={"Subject": "退貨".encode("big5")})
    assert parse_email(raw).subject == "退貨"


def test_encoded_display_name_and_recipients() -> None:
    raw = mail(
        b"x",
        headers={
            "From": f'"{b_word("李四", "gb2312")}" <lisi@example.com>',
            "To": f"{b_word('客服', 'utf-8')} <kefu@shop.example>, other@shop.example",
            "Cc": "cc@shop.example",
        },
    )
    parsed = parse_email(raw)
    assert (parsed.sender, parsed.sender_name) == ("lisi@example.com", "李四")
    assert parsed.to == ["kefu@shop.example", "other@shop.example", "cc@shop.example"]


def test_unparsable_from_keeps_raw_text() -> None:
    parsed = parse_email(mail(b"x", headers={"From": "客服部 no address here"}))
    assert parsed.sender == ""
    assert parsed.sender_name == "客服部 no address here"
    assert any("From" in e for e in parsed.parse_errors)


HTML = (
    "<html><head><title>T</title><style>p {color: red}</style>"
    "<script>alert('x')</script></head><body>"
    "<p>您好&nbsp;客服，</p><div>订单号：<b>123</b><br>金额&lt;100&gt;元 &amp; 运费</div>"
    "<ul><li>破损</li><li>少件</li></ul>"
    "<table><tr><td>A</td><td>B</td></tr></table>"
    '<p><a href="https://shop.example/o/1">查看订单</a></p></body></html>'
)
HTML_TEXT = (
    "您好 客服，\n\n订单号：123\n金额<100>元 & 运费\n\n- 破损\n- 少件\n\nA B\n\n"
    "查看订单 (https://shop.example/o/1)"
)


def test_html_to_text() -> None:
    assert html_to_text(HTML) == HTML_TEXT


def test_html_only_mail_is_converted() -> None:
    raw = mail(
        encode(HTML.encode("gbk"), "base64"), ctype="text/html", charset="gb2312", cte="base64"
    )
    assert parse_email(raw).text == HTML_TEXT


def test_alternative_prefers_plain() -> None:
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("纯文本版本", "plain", "utf-8"))
    alt.attach(MIMEText("<p>HTML版本</p>", "html", "utf-8"))
    assert parse_email(alt.as_bytes()).text == "纯文本版本"


def test_empty_plain_part_falls_back_to_html() -> None:
    alt = MIMEMultipart("alternative")
    alt.attach(MIMEText("", "plain", "utf-8"))
    alt.attach(MIMEText("<p>只有HTML有内容</p>", "html", "utf-8"))
    assert parse_email(alt.as_bytes()).text == "只有HTML有内容"


def with_attachment(disposition: str, ctype: str = "application/pdf") -> bytes:
    outer = MIMEMultipart()
    outer["Subject"] = "附件"
    outer["From"] = "buyer@example.com"
    outer.attach(MIMEText("见附件", "plain", "utf-8"))
    part = MIMEBase(*ctype.split("/"))
    part.set_payload(base64.encodebytes(b"%PDF-1.4 evidence").decode())
    part["Content-Transfer-Encoding"] = "base64"
    if disposition:
        part["Content-Disposition"] = disposition
    outer.attach(part)
    return outer.as_bytes()


NAME_CASES = [
    ("attachment; filename*=utf-8''%E5%8F%91%E7%A5%A8%E7%85%A7%E7%89%87.pdf", "发票照片.pdf"),
    ("attachment; filename*=gb2312''%86%B4%B7%A2%C6%B1.pdf", "喆发票.pdf"),  # GBK under gb2312
    (
        "attachment; filename*0*=utf-8''%E9%80%80%E8%B4%A7; filename*1*=%E5%8D%95.pdf",
        "退货单.pdf",
    ),
    (f'attachment; filename="{b_word("质检报告.pdf", "gbk", "gb2312")}"', "质检报告.pdf"),
    ("attachment; filename=unquoted name.pdf", "unquoted name.pdf"),
    ('attachment; filename="..\\..\\windows\\evil.pdf"', "evil.pdf"),
    ('attachment; filename="/etc/passwd"', "passwd"),
    ("attachment", "attachment-1.pdf"),
    ("", "attachment-1.pdf"),
]


@pytest.mark.parametrize(("disposition", "expected"), NAME_CASES)
def test_attachment_names(disposition: str, expected: str) -> None:
    parsed = parse_email(with_attachment(disposition))
    assert parsed.text == "见附件"
    assert [(a.filename, a.content_type, a.payload) for a in parsed.attachments] == [
        (expected, "application/pdf", b"%PDF-1.4 evidence")
    ]


def test_name_from_content_type_and_generated_extension() -> None:
    msg = EmailMessage()
    msg["From"] = "buyer@example.com"
    msg.set_content("正文")
    msg.add_attachment(b"\xff\xd8\xff jpeg", maintype="image", subtype="jpeg")
    msg.add_attachment(b"PNG", maintype="image", subtype="png", filename="破损照片.png")
    parsed = parse_email(msg.as_bytes())
    assert [a.filename for a in parsed.attachments] == ["attachment-1.jpg", "破损照片.png"]
    assert parsed.attachments[0].payload == b"\xff\xd8\xff jpeg"


def flags(**headers: str) -> ParsedEmail:
    return parse_email(mail(b"x", headers=dict(headers)))


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Auto-Submitted": "auto-replied"}, True),
        ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, True),
        ({"Auto-Submitted": "no"}, False),
        ({"X-Autoreply": "yes"}, True),
        ({"X-Autorespond": "1"}, True),
        ({"Precedence": "bulk"}, True),
        ({"Precedence": "junk"}, True),
        ({"Precedence": "list"}, True),
        ({"Subject": "自动回复：我正在休假"}, True),
        ({"Subject": "Automatic reply: Re: order"}, True),
        ({"Subject": "Out of Office: back Monday"}, True),
        ({"Return-Path": "<>"}, True),
        ({"Subject": "Re: 我的订单什么时候发货"}, False),
        ({}, False),
    ],
)
def test_auto_reply(headers: dict[str, str], expected: bool) -> None:
    assert flags(**headers).is_auto_reply is expected


BOUNCE = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example>
To: kefu@shop.example
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BB"

--BB
Content-Type: text/plain; charset=us-ascii

This is the mail system: your message could not be delivered.

--BB
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example

Final-Recipient: rfc822; buyer@example.com
Action: failed
Status: 5.1.1

--BB
Content-Type: message/rfc822

From: kefu@shop.example
Subject: Re: [KF20261122000123] refund
X-Kefu-Loop: KF20261122000123@shop.example

our reply
--BB--
""".replace(b"\n", b"\r\n")


def test_bounce_multipart_report() -> None:
    parsed = parse_email(BOUNCE)
    assert parsed.is_bounce
    assert not parsed.loop_suspect  # the loop header inside the returned original is not ours
    assert "could not be delivered" in parsed.text
    types = [a.content_type for a in parsed.attachments]
    assert types == ["message/delivery-status", "message/rfc822"]
    assert b"Final-Recipient" in parsed.attachments[0].payload
    assert b"our reply" in parsed.attachments[1].payload


def test_bounce_by_report_type_alone() -> None:
    # multipart/report from an ordinary-looking sender and subject is still a bounce
    raw = BOUNCE.replace(b"MAILER-DAEMON@mx", b"robot@mx").replace(b"Undelivered Mail", b"Note")
    assert parse_email(raw).is_bounce
    assert not parse_email(
        raw.replace(b"multipart/report", b"multipart/mixed").replace(
            b"message/delivery-status", b"text/x-status"
        )
    ).is_bounce


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("MAILER-DAEMON@mx.example", True),
        ("postmaster@mx.example", True),
        ("Postmaster <POSTMASTER@mx.example>", True),
        ("buyer@example.com", False),
    ],
)
def test_bounce_by_sender(sender: str, expected: bool) -> None:
    assert flags(From=sender).is_bounce is expected


def test_loop_detection() -> None:
    assert flags(**{"X-Kefu-Loop": "KF20261122000123@shop.example"}).loop_suspect
    assert not flags().loop_suspect
    hop = b"Received: from a by b; Sun, 22 Nov 2026 10:00:00 +0800\r\n"
    base = mail(b"x")
    many = hop * (MAX_RECEIVED_HEADERS + 1) + base
    few = hop * 3 + base
    assert parse_email(many).loop_suspect
    assert not parse_email(few).loop_suspect


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: [KF20261122000123] 退款进度", "KF20261122000123"),
        ("回复：KF20261122000123", "KF20261122000123"),
        ("KF20261122000123 and KF20261123000999", "KF20261122000123"),
        ("KF2026112200012 too short", None),
        ("KF202611220001234 too long", None),
        ("XKF20261122000123 glued", None),
        ("no case", None),
    ],
)
def test_case_number(subject: str, expected: str | None) -> None:
    assert flags(Subject=subject).case_number == expected


def test_case_number_in_encoded_subject() -> None:
    assert flags(Subject=b_word("回复：[KF20261122000123] 退款", "gbk", "gb2312")).case_number == (
        "KF20261122000123"
    )


def test_threading_headers() -> None:
    parsed = flags(
        **{
            "In-Reply-To": " <out-1@shop.example>",
            "References": "<root@example.com>\r\n <out-1@shop.example> broken-ref <x@y>",
        }
    )
    assert parsed.message_id == "<m1@example.com>"
    assert parsed.in_reply_to == "<out-1@shop.example>"
    assert parsed.references == ["<root@example.com>", "<out-1@shop.example>", "<x@y>"]
    unbracketed = flags(**{"In-Reply-To": "abc@shop.example", "Message-ID": ""})
    assert unbracketed.in_reply_to == "<abc@shop.example>"
    assert unbracketed.message_id is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Sun, 22 Nov 2026 10:00:00 +0800", datetime(2026, 11, 22, 2, 0, tzinfo=UTC)),
        ("Sun, 22 Nov 2026 10:00:00 -0000", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
        ("22 Nov 2026 10:00 GMT", datetime(2026, 11, 22, 10, 0, tzinfo=UTC)),
        ("Pn, 29 paX 2007 21:13:00 +0100", None),
        ("2026年11月22日", None),
        ("Sun, 22 Nov 99999 10:00:00 +0800", None),
    ],
)
def test_dates(value: str, expected: datetime | None) -> None:
    assert flags(Date=value).date == expected


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"Subject: only a header",
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary parameter at all",
        b"Content-Type: text/plain; charset=\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!",
        b"From: <<<>>>\r\nDate: \r\nMessage-ID: <\r\nSubject: =?gb2312?B?\xff\xfe?=\r\n\r\n\xff",
        b"Content-Type: text/plain; name*=bogus''%ZZ%\r\n"
        b"Content-Disposition: attachment; filename*0*=x\r\n\r\nx",
    ],
)
def test_garbage_never_raises(raw: bytes) -> None:
    parsed = parse_email(raw)
    assert isinstance(parsed.text, str)
    assert isinstance(parsed.subject, str)


def reply(text: str) -> str:
    return text_for_case(parse_email(mail(text.encode("utf-8"), charset="utf-8", cte="8bit")))


GMAIL_EN = "On Sun, Nov 22, 2026 at 10:00 AM 客服 <kefu@shop.example> wrote:"
GMAIL_EN_WRAPPED = "On Sun, Nov 22, 2026 at 10:00 AM Kefu Team <\nkefu@shop.example> wrote:"
GMAIL_ZH = "客服 <kefu@shop.example> 于2026年11月22日周日 上午10:00写道："
OUTLOOK_ZH = "________________________________\n发件人: 客服 <kefu@shop.example>\n发送时间: 2026"
QUOTE_CASES = [
    (f"还没收到退款。\n\n{GMAIL_EN}\n> 您好\n", "还没收到退款。"),
    (f"好的，谢谢\n\n{GMAIL_EN_WRAPPED}\n\n> 您好\n", "好的，谢谢"),
    ("收到了。\n\n在 2026年11月22日 10:00，客服 写道：\n> 您的退款已处理\n", "收到了。"),
    (f"已寄回。\n\n{GMAIL_ZH}\n\n> 请寄回\n", "已寄回。"),
    (f"已寄回。\n{GMAIL_ZH}\n> 请寄回\n", "已寄回。"),
    ("请尽快处理\n\n-----Original Message-----\nFrom: 客服\nSent: Sunday\n旧内容", "请尽快处理"),
    ("同意\n\n------------------ 原始邮件 ------------------\n发件人: 客服\n旧", "同意"),
    (f"看附件\n\n{OUTLOOK_ZH}\n收件人: 我\n旧", "看附件"),
    ("From: 我自己写的一行\n没有后续头", "From: 我自己写的一行\n没有后续头"),
    ("> 您要退款还是换货？\n换货\n> 尺码？\nXL", "换货\nXL"),
    ("> 全是引用\n> 没有新内容", "> 全是引用\n> 没有新内容"),
    ("没有引用的普通邮件\n第二行", "没有引用的普通邮件\n第二行"),
]


@pytest.mark.parametrize(("body", "expected"), QUOTE_CASES)
def test_text_for_case_strips_history(body: str, expected: str) -> None:
    assert reply(body) == expected
