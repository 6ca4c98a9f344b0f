"""Walking a mail's MIME tree: body texts, attachments, bounce reports, raw header access."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import quopri
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from kefu.adapters.email_charsets import decode_bytes, decode_header_value

__all__ = [
    "Attachment",
    "CollectedParts",
    "name_attachments",
    "raw_header",
    "raw_headers",
    "walk_parts",
]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes


def raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def raw_headers(msg: Message, name: str) -> list[str]:
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
    raw = raw_header(part, header)
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
class CollectedParts:
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


def walk_parts(
    part: Message, out: CollectedParts, errors: list[str], hint: str | None, depth: int = 0
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
                walk_parts(child, out, errors, hint, depth + 1)
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


def name_attachments(items: list[Attachment]) -> list[Attachment]:
    named = []
    for n, att in enumerate(items, 1):
        if att.filename:
            named.append(att)
            continue
        ext = ".eml" if att.content_type == "message/rfc822" else None
        ext = ext or mimetypes.guess_extension(att.content_type, strict=False) or ".bin"
        named.append(Attachment(f"attachment-{n}{ext}", att.content_type, att.payload))
    return named
