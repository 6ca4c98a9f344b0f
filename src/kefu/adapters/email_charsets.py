"""Charset guessing and header decoding for inbound mail: raw 8-bit bytes and RFC 2047 words."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from email.message import Message

__all__ = [
    "FALLBACK_CHARSETS",
    "charset_hint",
    "decode_8bit_header",
    "decode_bytes",
    "decode_header_value",
    "storable",
]

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
# PostgreSQL text cannot hold U+0000, and no UTF-8 column (nor a log line) a lone surrogate.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_LATIN_LABELS = {"us-ascii", "ascii", "iso-8859-1", "latin1", "latin-1", "windows-1252", "cp1252"}


def _norm_charset(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower().split("*", 1)[0]
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):
        return None


def storable(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD, so any database column holds it."""
    if not _UNSTORABLE.search(text):
        return text
    # A declared escape codec (unicode_escape) yields a pair as two surrogates: one character.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return text.replace("\x00", "\ufffd")


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


def decode_8bit_header(text: str, hint: str | None, errors: list[str] | None) -> str:
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
    text = decode_8bit_header(str(value), hint, errors)
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


def charset_hint(msg: Message) -> str | None:
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
