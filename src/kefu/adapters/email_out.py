"""Outbound case mail: threaded replies (Message-ID, In-Reply-To, References) and SMTP sending."""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr

__all__ = [
    "LOOP_HEADER",
    "MAX_REFERENCES",
    "Undeliverable",
    "build_reply",
    "needs_smtputf8",
    "reply_subject",
    "send_via_smtp",
    "smtp_address",
]

LOOP_HEADER = "X-Kefu-Loop"  # set on every mail we send; its presence on inbound mail = loop
MAX_REFERENCES = 20  # keep the thread root plus the most recent ids (RFC 5322 §3.6.4)
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|fw|fwd|回复|答复|回覆|转发|轉寄)\s*[:：]\s*)+", re.IGNORECASE
)


class Undeliverable(ValueError):
    """This mail cannot be delivered, however often it is tried; `code` says why.

    `bad_address`: no domain name can hold the address; `smtputf8_unsupported`: the address
    needs SMTPUTF8 and the server does not offer it; `smtp_refused`: the server answered 5xx.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def smtp_address(mailbox: str) -> Address:
    """`mailbox` (`addr` or `Name <addr>`) with its domain as IDNA A-labels, as DNS and every
    SMTP server take it (张三@例子.中国 -> 张三@xn--fsqu00a.xn--fiqs8s). The local part is kept:
    only its owner's server can interpret it, and a non-ASCII one needs SMTPUTF8 (RFC 6531).
    Raises Undeliverable when it is no address or its domain cannot be a domain name."""
    name, addr = parseaddr(mailbox)
    local, _at, domain = addr.rpartition("@")
    if not local or not domain:
        raise Undeliverable("bad_address", f"not an email address: {mailbox!r}")
    if not domain.isascii():
        # The stdlib codec is IDNA 2003, which also maps full-width and ideographic dots (。).
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise Undeliverable("bad_address", f"no domain name can hold {addr!r}: {exc}") from exc
    try:
        return Address(display_name=name, username=local, domain=domain)
    except (ValueError, IndexError) as exc:  # CR/LF or other text no header may hold
        raise Undeliverable("bad_address", f"not an email address: {mailbox!r}") from exc


def needs_smtputf8(msg: EmailMessage) -> bool:
    """True when an envelope address of msg has a non-ASCII local part (its domain is ASCII)."""
    values = [str(v) for name in ("From", "To", "Cc") for v in msg.get_all(name, [])]
    return not "".join(addr for _name, addr in getaddresses(values)).isascii()


def reply_subject(case_number: str, subject: str) -> str:
    """`Re: [KF…] original subject`, with old Re:/回复: prefixes and our tag not repeated."""
    rest = subject.replace(f"[{case_number}]", " ")
    rest = re.sub(r"\s+", " ", _PREFIX.sub("", rest)).strip()
    rest = _PREFIX.sub("", rest).strip()  # prefixes that stood behind the removed tag
    return f"Re: [{case_number}] {rest}".rstrip()


def _bracket(msg_id: str) -> str:
    msg_id = msg_id.strip()
    return msg_id if msg_id.startswith("<") else f"<{msg_id.strip('<>')}>"


def _thread_references(references: list[str], in_reply_to: str | None) -> list[str]:
    chain: list[str] = []
    for ref in [*references, *([in_reply_to] if in_reply_to else [])]:
        ref = _bracket(ref)
        if ref != "<>" and ref not in chain:
            chain.append(ref)
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return chain


def build_reply(
    *,
    case_number: str,
    to: str | list[str],
    subject: str,
    body_text: str,
    from_addr: str,
    in_reply_to: str | None,
    references: list[str],
    domain: str,
    automatic: bool = False,
) -> EmailMessage:
    """A UTF-8 text/plain reply that threads under the buyer's mail and names the case.

    automatic=True marks mail no person wrote (acknowledgements, SLA notices) with
    `Auto-Submitted: auto-replied` (RFC 3834) so well-behaved responders stay quiet.
    Domains are written as A-labels (`smtp_address`); a non-ASCII local part makes the whole
    mail an RFC 6532 one (UTF-8 headers), which only goes out over SMTPUTF8. Raises
    Undeliverable for a recipient that is no address.
    """
    try:
        sender = smtp_address(from_addr)
    except Undeliverable as exc:  # our own address: a setting to mend, not this mail's fault
        raise ValueError(f"KEFU_MAIL_FROM is not a usable address: {exc}") from exc
    recipients = [smtp_address(m) for m in ([to] if isinstance(to, str) else to)]
    utf8 = not all(a.username.isascii() for a in [sender, *recipients])
    # Without SMTPUTF8 the email package would write a non-ASCII address as RFC 2047 words,
    # which no server or client reads as an address.
    msg = EmailMessage(policy=policy.SMTPUTF8 if utf8 else policy.SMTP)
    msg["From"] = sender
    msg["To"] = recipients
    msg["Subject"] = reply_subject(case_number, subject)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(idstring=case_number, domain=domain)
    if in_reply_to:
        msg["In-Reply-To"] = _bracket(in_reply_to)
    chain = _thread_references(references, in_reply_to)
    if chain:
        msg["References"] = " ".join(chain)
    msg[LOOP_HEADER] = f"{case_number}@{domain}"
    if automatic:
        msg["Auto-Submitted"] = "auto-replied"
    msg.set_content(body_text, charset="utf-8", cte="7bit" if body_text.isascii() else "base64")
    return msg


def send_via_smtp(
    msg: EmailMessage,
    host: str,
    port: int,
    *,
    timeout: float = 30.0,
    username: str | None = None,
    password: str | None = None,
    starttls: bool = False,
) -> dict[str, tuple[int, bytes]]:
    """Send msg; returns the refused recipients (empty dict = all accepted).

    Raises Undeliverable when sending it again cannot help: the server answered 5xx to the
    sender, every recipient or the data, or the mail needs SMTPUTF8 and the server does not
    offer it. Anything else (no connection, 4xx, login or STARTTLS failing) raises as it is:
    those are about the server or our settings, not this mail, and may pass.
    """
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
        if username is not None:
            smtp.login(username, password or "")
        smtp.ehlo_or_helo_if_needed()
        if needs_smtputf8(msg) and not smtp.has_extn("smtputf8"):
            raise Undeliverable(
                "smtputf8_unsupported",
                f"the address has non-ASCII characters before the @, which needs SMTPUTF8, "
                f"and the SMTP server {host}:{port} does not offer SMTPUTF8",
            )
        try:
            return smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise Undeliverable("smtp_refused", _refusal("RCPT", exc.recipients)) from exc
            raise
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            if 500 <= exc.smtp_code < 600:
                step = "MAIL" if isinstance(exc, smtplib.SMTPSenderRefused) else "DATA"
                text = _text(exc.smtp_error)
                raise Undeliverable("smtp_refused", f"{step}: {exc.smtp_code} {text}") from exc
            raise


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _refusal(step: str, refused: dict[str, tuple[int, bytes]]) -> str:
    return "; ".join(
        f"{step} {addr}: {code} {_text(text)}" for addr, (code, text) in refused.items()
    )
