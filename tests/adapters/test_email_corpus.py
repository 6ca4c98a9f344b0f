"""Every mail in the shared real-world corpus parses, and known oddities come out right."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.adapters.email_parser import parse_email
from kefu.adapters.email_parts import Attachment

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
MIKEL = DATA / "email_mikel_mail"
CPYTHON = DATA / "email_cpython_test_email"
CORPUS = sorted(MIKEL.rglob("*.eml")) + sorted(CPYTHON.glob("msg_*.txt"))


def test_corpus_is_present() -> None:
    # An empty glob would silently parametrize nothing: insist on the corpus.
    assert len(CORPUS) >= 90, f"corpus missing under {DATA}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_mail_parses(path: Path) -> None:
    parsed = parse_email(path.read_bytes())
    assert isinstance(parsed.subject, str)
    assert isinstance(parsed.sender, str)
    assert isinstance(parsed.text, str)
    assert isinstance(parsed.attachments, list)
    for att in parsed.attachments:
        assert isinstance(att, Attachment)
        assert att.filename
        assert "/" not in att.filename
        assert isinstance(att.payload, bytes)
    # Decoded text never keeps raw 8-bit surrogates that would break storage as UTF-8.
    for text in (parsed.subject, parsed.sender_name, parsed.text, *parsed.to):
        text.encode("utf-8")
    assert parsed.date is None or parsed.date.utcoffset() is not None


def parsed(rel: str):  # type: ignore[no-untyped-def]
    base = CPYTHON if rel.startswith("msg_") else MIKEL
    return parse_email((base / rel).read_bytes())


def test_raw_8bit_utf8_attachment_name() -> None:
    p = parsed("attachment_emails/attachment_nonascii_filename.eml")
    assert [a.filename for a in p.attachments] == ["ciële.txt"]
    assert p.attachments[0].payload.strip() == b"Hi there."
    assert p.text == "This is the first part."


def test_rfc2047_and_rfc2231_attachment_names() -> None:
    p = parsed("multi_charset/japanese_attachment.eml")
    assert [a.filename for a in p.attachments] == ["てすと.txt"]
    assert "これわてすと" in p.attachments[0].payload.decode("utf-8")
    long = parsed("multi_charset/japanese_attachment_long_name.eml")
    assert [a.filename for a in long.attachments] == ["かきくけこ" * 5 + ".txt"]
    assert long.subject == "まみむめも" * 10


def test_unquoted_and_encoded_names() -> None:
    p = parsed("attachment_emails/attachment_with_unquoted_name.eml")
    assert [a.filename for a in p.attachments] == ["This is a test.txt"]
    b = parsed("attachment_emails/attachment_with_base64_encoded_name.eml")
    assert [a.filename for a in b.attachments] == ["This is a test.pdf"]


def test_pdf_attachment_bytes_are_decoded() -> None:
    p = parsed("attachment_emails/attachment_pdf.eml")
    assert [a.content_type for a in p.attachments] == ["application/pdf"]
    assert p.attachments[0].payload.startswith(b"%PDF")
    assert p.subject == "Another PDF with 🎉 Unicode chars in it 🍿"


def test_html_only_mail_gives_readable_text() -> None:
    p = parsed("error_emails/content_transfer_encoding_text-html.eml")
    assert "You have qualified for the lowest rate in years." in p.text
    assert "<" not in p.text.split("(http")[0]
    assert "&nbsp;" not in p.text
    one = parsed("error_emails/multiple_invalid_content_dispositions.eml")
    assert one.text == "foo"


def test_cpython_html_only_and_forwarded() -> None:
    fwd = parsed("msg_06.txt")
    assert [a.content_type for a in fwd.attachments] == ["message/rfc822"]
    assert fwd.attachments[0].filename.endswith(".eml")
    assert b"Subject:" in fwd.attachments[0].payload


def test_multi_charset_bodies() -> None:
    assert parsed("multi_charset/ks_c_5601-1987.eml").text == "스티해"
    sjis = parsed("multi_charset/japanese_shift_jis.eml")  # labelled Shift_JIS, really UTF-8
    assert sjis.text.startswith("あいうえお")


def test_bad_encoded_subject_does_not_crash() -> None:
    p = parsed("error_emails/bad_encoded_subject.eml")  # =?NONE?B?VEVTVA=?=
    assert p.subject == "TEST"
    assert p.sender == ""
    assert "missing From" in p.parse_errors


def test_raw_8bit_latin1_subject_uses_declared_charset_hint() -> None:
    p = parsed("error_emails/invalid_subject_characters.eml")
    assert p.subject.startswith("Formação FrenetikPolis")
    assert p.sender_name == "Formação Frenetikpolis"


def test_bad_date_is_none_with_a_parse_error() -> None:
    p = parsed("plain_emails/raw_email_with_bad_date.eml")
    assert p.date is None
    assert any("Date" in e for e in p.parse_errors)
    good = parsed("plain_emails/basic_email.eml")
    assert good.date is not None
    assert good.date.utcoffset().total_seconds() == 0


def test_unparsable_from_falls_back() -> None:
    p = parsed("plain_emails/mix_caps_content_type.eml")  # From: Big Bug bb@bug.com
    assert p.sender == "bb@bug.com"
    assert "Big Bug" in p.sender_name
    apple = parsed("error_emails/cant_parse_from.eml")
    assert (apple.sender, apple.sender_name) == ("News@InsideApple.Apple.com", "Apple")


def test_utf8_headers_rfc6532() -> None:
    p = parsed("rfc6532/utf8_headers.eml")
    assert (p.subject, p.sender, p.sender_name) == (
        "Säying Hello",
        "jdöe@mächine.example",
        "Jöhn Doe",
    )


def test_reply_headers_from_real_mail() -> None:
    p = parsed("rfc2822/example07.eml")
    assert p.in_reply_to is not None
    assert p.in_reply_to.startswith("<")
    assert p.references
    assert all(r.startswith("<") and r.endswith(">") for r in p.references)
    empty = parsed("error_emails/empty_in_reply_to.eml")
    assert empty.in_reply_to is None
