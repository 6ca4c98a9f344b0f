"""Parse raw inbound mail (any charset, any breakage) into a ParsedEmail; never raises."""

from __future__ import annotations

import base64
import binascii
import codecs
import mimetypes
import quopri
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

__all__ = [
    "MAX_RECEIVED_HEADERS",
    "Attachment",
    "ParsedEmail",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "parse_email",
    "text_for_case",
]

MAX_RECEIVED_HEADERS = 30  # more hops than this smells like a mail loop
CASE_NUMBER_RE = re.compile(r"(?<![A-Za-z0-9])KF\d{14}(?!\d)")
FALLBACK_CHARSETS = ("utf-8", "gb18030", "big5hkscs")
# Labels Chinese mailers put on GBK/GB18030 text: decode all of them with the superset.
# fmt: off
_GB_LABELS = ("gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn",
              "gb_2312-80", "csgb2312", "chinese", "x-mac-chinesesimp", "gb18030")
_BIG5_LABELS = ("big5", "x-big5", "big-5", "cn-big5", "csbig5", "big5-hkscs")
# fmt: on
_CHARSET_ALIASES = {
    **dict.fromkeys(_GB_LABELS, "gb18030"),
    **dict.fromkeys(_BIG5_LABELS, "big5hkscs"),
    **dict.fromkeys(("utf8", "unicode-1-1-utf-8", "x-unicode20utf8"), "utf-8"),
}
_LATIN_LABELS = {"us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None  # "<id@host>" form
    in_reply_to: str | None
    references: list[str]
    subject: str
    sender: str  # bare address, "" when none could be found
    sender_name: str
    to: list[str]
    date: datetime | None  # tz-aware UTC
    text: str
    attachments: list[Attachment]
    is_auto_reply: bool = False
    is_bounce: bool = False
    loop_suspect: bool = False
    case_number: str | None = None
    parse_errors: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- charsets


def _norm_charset(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower().split("*", 1)[0]
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def decode_bytes(data: bytes, declared: str | None = None, errors: list[str] | None = None) -> str:
    """Decode with declared → utf-8 → gb18030 → big5 → latin-1, first that decodes cleanly."""
    if data.isascii():
        return data.decode("ascii")
    norm = _norm_charset(declared)
    if declared and norm is None and errors is not None:
        errors.append(f"unknown charset {declared!r}")
    candidates: list[str] = []
    if norm is not None:
        if declared and declared.strip().strip("\"'").lower() in _LATIN_LABELS:
            candidates.append("utf-8")  # UTF-8 labelled latin-1 is common, never the reverse
        candidates.append(norm)
    candidates += [c for c in FALLBACK_CHARSETS if c not in candidates]
    for i, cs in enumerate(candidates):
        try:
            text = data.decode(cs)
        except (UnicodeDecodeError, LookupError):
            continue
        if errors is not None and norm is not None and cs != norm and i > 0:
            errors.append(f"charset {declared!r} did not fit, decoded as {cs}")
        return text
    if errors is not None:
        errors.append("no charset fitted, decoded as latin-1")
    return data.decode("latin-1", errors="replace")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(enc: str, text: str) -> bytes:
    if enc in "bB":
        raw = re.sub(r"[^A-Za-z0-9+/]", "", text)
        raw += "=" * (-len(raw) % 4)
        try:
            return base64.b64decode(raw)
        except (binascii.Error, ValueError):
            return base64.b64decode(raw[: len(raw) - len(raw) % 4] or "")
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=True)


def _unraw(text: str, hint: str | None, errors: list[str] | None) -> str:
    """Turn raw 8-bit header bytes (kept as surrogates by the parser) into text."""
    raw = text.encode("utf-8", "surrogateescape")
    return text if raw.isascii() else decode_bytes(raw.replace(b"\r", b""), hint, errors)


def decode_header_value(
    value: object, errors: list[str] | None = None, hint: str | None = None
) -> str:
    """Decode a raw header value: 8-bit bytes by charset fallback, then RFC 2047 words.

    hint is the charset to try first for raw 8-bit bytes (the message's body charset).
    """
    if value is None:
        return ""
    text = _unraw(str(value), hint, errors)
    out: list[str] = []
    pos = 0
    pending: tuple[str, bytearray] | None = None  # adjacent words of one charset decode together
    for m in _ENCODED_WORD.finditer(text):
        gap = text[pos : m.start()]
        if pending is not None and gap.strip():
            out.append(decode_bytes(bytes(pending[1]), pending[0], errors))
            pending = None
        if pending is None:
            out.append(gap)
        charset = m.group(1).split("*", 1)[0]
        data = _word_bytes(m.group(2), m.group(3))
        if pending is not None and pending[0].lower() == charset.lower():
            pending[1].extend(data)
        else:
            if pending is not None:
                out.append(decode_bytes(bytes(pending[1]), pending[0], errors))
            pending = (charset, bytearray(data))
        pos = m.end()
    if pending is not None:
        out.append(decode_bytes(bytes(pending[1]), pending[0], errors))
    out.append(text[pos:])
    return re.sub(r"\s*[\r\n]+\s*", " ", "".join(out)).strip()


# ---------------------------------------------------------------- HTML


# fmt: off
_BLOCK_TAGS = frozenset(("p", "div", "tr", "table", "ul", "ol", "li", "dl", "dt", "dd", "h1", "h2",
    "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer",
    "address", "form", "center", "fieldset", "figure", "main", "nav", "aside"))
# fmt: on


class _HtmlText(HTMLParser):
    BLOCK = _BLOCK_TAGS
    SKIP = frozenset(("script", "style", "title", "noscript", "template"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":  # an unclosed <head> must not swallow the body
            self.skip = 0
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in self.BLOCK:
            self.parts.append("\n\n" if tag in ("p", "table", "blockquote") else "\n")
            if tag == "li":
                self.parts.append("- ")
            if tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(alt)
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("" if tag == "li" else "\n")
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag == "a" and self.href:
            shown = "".join(self.link_text).strip()
            if self.href.startswith(("http://", "https://")) and self.href != shown:
                self.parts.append(f" ({self.href})")
            self.href = None

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        if self.href is not None:
            self.link_text.append(data)
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text from HTML: no script/style, block elements on their own lines."""
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
        text = "".join(parser.parts)
    except Exception:  # html.parser is lenient, but never let markup kill a mail
        text = unescape(re.sub(r"<[^>]*>", " ", html))
    text = text.replace("\xa0", " ")
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# ---------------------------------------------------------------- MIME walking


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _raw_headers(msg: Message, name: str) -> list[str]:
    return [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]


_STDLIB_CTES = ("base64", "quoted-printable", "x-uuencode", "uuencode", "uue", "x-uue")


def _payload_bytes(part: Message, errors: list[str]) -> bytes:
    # get_payload(decode=True) gives the original bytes (get_payload() would decode them
    # lossily with the declared charset); it undoes only exactly spelled encodings.
    try:
        raw = part.get_payload(decode=True)
    except Exception as exc:
        errors.append(f"undecodable payload: {exc!r}")
        raw = None
    if not isinstance(raw, bytes):
        return b""
    header = str(part.get("content-transfer-encoding", "")).lower()
    cte = re.sub(r"[\s;\"']", "", header)
    if header in _STDLIB_CTES:
        return raw
    try:  # sloppy spellings: "quoted printable", "base64;", "'base64'"
        if "base64" in cte:
            data = re.sub(rb"[^A-Za-z0-9+/]", b"", raw)
            data = data[: len(data) - len(data) % 4] if len(data) % 4 == 1 else data
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        if "quoted" in cte:
            return quopri.decodestring(raw)
    except (binascii.Error, ValueError) as exc:
        errors.append(f"bad {cte} payload: {exc}")
    return raw


def _param(
    part: Message, name: str, header: str, errors: list[str], hint: str | None
) -> str | None:
    raw = _raw_header(part, header)
    if raw is None:
        return None
    data = raw.encode("utf-8", "surrogateescape")
    holder = Message()  # re-parse from text so raw 8-bit bytes are decoded by our rules
    holder[header] = raw if data.isascii() else decode_bytes(data, hint, errors)
    try:
        value = holder.get_param(name, header=header)
    except Exception as exc:
        errors.append(f"bad {header} parameter {name}: {exc}")
        return None
    if not value:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded latin-1 text)
        charset, _lang, text = value
        return decode_bytes(str(text).encode("latin-1", "replace"), charset or None, errors)
    return decode_header_value(value, errors, hint)


def _safe_filename(name: str | None) -> str | None:
    if not name:
        return None
    name = re.split(r"[/\\]", name)[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().strip(".")
    return name[:200] or None


@dataclass
class _Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    bounce: bool = False


def _serialize(sub: object) -> bytes:
    if isinstance(sub, Message):
        try:
            return sub.as_bytes(policy=policy.compat32)
        except Exception:
            return str(sub).encode("utf-8", "surrogateescape")
    return b""


def _walk(
    part: Message, out: _Collected, errors: list[str], hint: str | None, depth: int = 0
) -> None:
    ctype = part.get_content_type()
    if depth > 30:
        errors.append("MIME nesting too deep, rest ignored")
        return
    if ctype == "multipart/report" or ctype == "message/delivery-status":
        out.bounce = True
    payload = part.get_payload()
    if part.is_multipart() and ctype.startswith("multipart/"):
        for child in payload if isinstance(payload, list) else []:
            if isinstance(child, Message):
                _walk(child, out, errors, hint, depth + 1)
        return
    disposition = (part.get_content_disposition() or "").lower()
    filename = _safe_filename(
        _param(part, "filename", "content-disposition", errors, hint)
        or _param(part, "name", "content-type", errors, hint)
    )
    if ctype.startswith("multipart/"):  # boundary missing or broken: read it as text
        errors.append(f"{ctype} without usable parts, read as text")
        ctype = "text/plain"
    if ctype.startswith("message/") or isinstance(payload, list):
        data = b"".join(_serialize(p) for p in payload) if isinstance(payload, list) else b""
        out.attachments.append(Attachment(filename or "", ctype, data))
        return
    data = _payload_bytes(part, errors)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        charset = _param(part, "charset", "content-type", errors, None)
        text = decode_bytes(data, charset, errors)
        (out.plain if ctype == "text/plain" else out.html).append(text)
        return
    out.attachments.append(Attachment(filename or "", ctype, data))


def _name_attachments(items: list[Attachment]) -> list[Attachment]:
    named = []
    for n, att in enumerate(items, 1):
        if att.filename:
            named.append(att)
            continue
        ext = ".eml" if att.content_type == "message/rfc822" else None
        ext = ext or mimetypes.guess_extension(att.content_type, strict=False) or ".bin"
        named.append(Attachment(f"attachment-{n}{ext}", att.content_type, att.payload))
    return named


# ---------------------------------------------------------------- headers


_MSGID_RE = re.compile(r"<([^<>\s]+)>")


def _msg_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MSGID_RE.findall(value)
    if not found:  # brackets missing: take tokens that look like ids
        found = [t for t in re.split(r"[\s,]+", value) if "@" in t]
    return [f"<{i.strip('<>')}>" for i in found]


_AUTO_SUBJECT = re.compile(
    r"自动回复|自動回覆|自動回复|自动答复|autom(?:atic|atische)?[- ]?(?:reply|antwort|response)|"
    r"auto[- ]?(?:reply|response)|out of (?:the )?office|\bOOO\b|不在办公室|休假通知",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver(?:ed|able)|delivery status notification|returned mail|mail delivery failed|"
    r"failure notice|退信|投递失败|系统退信",
    re.IGNORECASE,
)


_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-autogenerated", "x-mail-autoreply")


def _is_auto_reply(msg: Message, subject: str) -> bool:
    auto = (_raw_header(msg, "auto-submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return True
    if any(_raw_header(msg, name) is not None for name in _AUTO_HEADERS):
        return True
    precedence = (_raw_header(msg, "precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return True
    if (_raw_header(msg, "return-path") or "").strip() == "<>":
        return True
    return bool(_AUTO_SUBJECT.search(subject))


def _charset_hint(msg: Message) -> str | None:
    """A charset the sender declared (body, else an encoded word): likely for raw 8-bit headers."""
    try:
        for part in msg.walk():
            charset = part.get_param("charset")
            if isinstance(charset, str) and _norm_charset(charset) not in (None, "ascii"):
                return charset
    except Exception:  # a broken Content-Type only costs us the hint
        charset = None
    for _key, value in msg.raw_items():
        for m in _ENCODED_WORD.finditer(str(value)):
            if _norm_charset(m.group(1)) not in (None, "ascii"):
                return m.group(1)
    return None


def _parse_date(value: str | None, errors: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except Exception:
        errors.append(f"unparsable Date: {value[:80]!r}")
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        errors.append(f"Date out of range: {value[:80]!r}")
        return None


_ADDR_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def _sender(raw: str | None, errors: list[str], hint: str | None) -> tuple[str, str]:
    if not raw:
        errors.append("missing From")
        return "", ""
    raw = _unraw(raw, hint, errors)
    try:
        name, addr = parseaddr(raw)
    except Exception:
        name, addr = "", ""
    if "@" in addr and " " not in addr:
        return addr, decode_header_value(name, errors, hint)
    errors.append(f"unparsable From: {raw[:80]!r}")
    text = decode_header_value(raw, errors, hint)
    found = _ADDR_RE.search(text)
    return (found.group(0) if found else ""), text


def _addresses(values: list[str], errors: list[str], hint: str | None) -> list[str]:
    values = [_unraw(v, hint, errors) for v in values]
    try:
        pairs = getaddresses(values)
    except Exception:
        pairs = []
    found = [a for _, a in pairs if "@" in a]
    if not found and values:
        found = _ADDR_RE.findall(decode_header_value(" ".join(values), errors))
    return found


# ---------------------------------------------------------------- entry points


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw RFC 5322 bytes. Never raises; problems are listed in parse_errors."""
    errors: list[str] = []
    try:
        msg = message_from_bytes(raw, policy=policy.compat32)
    except Exception as exc:  # pragma: no cover - compat32 is very lenient
        errors.append(f"unparsable message: {exc}")
        msg = message_from_bytes(b"\r\n\r\n" + raw, policy=policy.compat32)
    errors.extend(type(d).__name__ for d in getattr(msg, "defects", []))

    hint = _charset_hint(msg)
    subject = decode_header_value(_raw_header(msg, "subject"), errors, hint)
    sender, sender_name = _sender(_raw_header(msg, "from"), errors, hint)
    collected = _Collected()
    try:
        _walk(msg, collected, errors, hint)
    except Exception as exc:  # defensive: a broken part must not lose the rest
        errors.append(f"MIME walk failed: {exc!r}")
    plain = "\n\n".join(t.strip("\r\n") for t in collected.plain).replace("\r\n", "\n")
    if not plain.strip() and collected.html:
        plain = "\n\n".join(html_to_text(h) for h in collected.html)
    message_ids = _msg_ids(_raw_header(msg, "message-id"))
    in_reply_to = _msg_ids(_raw_header(msg, "in-reply-to"))
    references = [r for v in _raw_headers(msg, "references") for r in _msg_ids(v)]
    local = sender.split("@")[0].lower()
    found_case = CASE_NUMBER_RE.search(subject)
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[-1] if in_reply_to else None,
        references=references,
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        to=_addresses(_raw_headers(msg, "to") + _raw_headers(msg, "cc"), errors, hint),
        date=_parse_date(_raw_header(msg, "date"), errors),
        text=plain,
        attachments=_name_attachments(collected.attachments),
        is_auto_reply=_is_auto_reply(msg, subject),
        is_bounce=collected.bounce
        or local in ("mailer-daemon", "postmaster")
        or _raw_header(msg, "x-failed-recipients") is not None
        or bool(_BOUNCE_SUBJECT.search(subject)),
        loop_suspect=_raw_header(msg, "x-kefu-loop") is not None
        or len(_raw_headers(msg, "received")) > MAX_RECEIVED_HEADERS,
        case_number=found_case.group(0) if found_case else None,
        parse_errors=errors,
    )


_ATTRIBUTION = re.compile(
    r"^(?:On\b.{0,300}\bwrote:|在.{0,200}写道[:：]|.{0,200}于.{0,100}写道[:：]|"
    r"-{2,}\s*(?:Original Message|原始邮件|原始郵件|Forwarded message|转发邮件)\s*-{2,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^(?:From|发件人|寄件者)\s*[:：]", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^(?:Sent|Date|To|发送时间|日期|收件人|寄件日期)\s*[:：]", re.IGNORECASE
)


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        stripped = line.strip()
        # Attribution lines wrap: try this line joined with up to two more.
        for span in (1, 2, 3):
            chunk = [s.strip() for s in lines[i : i + span]]
            if span > 1 and (not all(chunk) or _ATTRIBUTION.match(chunk[-1])):
                continue  # a wrap has no blank line, and a whole line is found on its own
            if _ATTRIBUTION.match(" ".join(chunk)):
                return i
        if _OUTLOOK_FROM.match(stripped) and any(
            _OUTLOOK_NEXT.match(s.strip()) for s in lines[i + 1 : i + 5]
        ):
            return i - 1 if i > 0 and re.fullmatch(r"[_\-=]{8,}", lines[i - 1].strip()) else i
    return None


def text_for_case(parsed: ParsedEmail) -> str:
    """The new part of a reply: quoted lines and the quoted history block removed."""
    lines = parsed.text.replace("\r\n", "\n").split("\n")
    cut = _history_start(lines)
    if cut is not None:
        lines = lines[:cut]
    kept = [line.rstrip() for line in lines if not line.lstrip().startswith(">")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    return text or parsed.text.strip()
