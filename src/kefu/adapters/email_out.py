"""Outbound case mail: threaded replies (Message-ID, In-Reply-To, References) and SMTP sending."""

from __future__ import annotations

import re
import smtplib
import ssl
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

__all__ = ["LOOP_HEADER", "MAX_REFERENCES", "build_reply", "reply_subject", "send_via_smtp"]

LOOP_HEADER = "X-Kefu-Loop"  # set on every mail we send; its presence on inbound mail = loop
MAX_REFERENCES = 20  # keep the thread root plus the most recent ids (RFC 5322 §3.6.4)
_PREFIX = re.compile(
    r"^\s*(?:(?:re|aw|sv|fw|fwd|回复|答复|回覆|转发|轉寄)\s*[:：]\s*)+", re.IGNORECASE
)


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
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = from_addr
    msg["To"] = to if isinstance(to, str) else ", ".join(to)
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
    """Send msg; returns the refused recipients (empty dict = all accepted). Raises on failure."""
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        if starttls:
            smtp.starttls(context=ssl.create_default_context())
        if username is not None:
            smtp.login(username, password or "")
        return smtp.send_message(msg)
