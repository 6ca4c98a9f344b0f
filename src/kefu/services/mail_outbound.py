"""Outgoing case mail: outbox rows the relay sends so replies thread in the buyer's client."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import structlog

from kefu.adapters.email_out import LOOP_HEADER, Undeliverable, build_reply
from kefu.adapters.storage import BlobStorage
from kefu.db.channels import (
    CASE_OPENED,
    CASE_REJECTED,
    FAILED,
    INBOUND,
    LOGGED,
    OUTBOUND,
    QUEUED,
    SENT,
    THREADED,
    MailRecord,
)
from kefu.db.outbox import OutboxRow
from kefu.domain.case import Case
from kefu.domain.errors import FieldError
from kefu.domain.screening import Outcome, ReasonCode
from kefu.domain.workflow import Status
from kefu.services.mail_parties import party_of
from kefu.services.mail_send_failures import (
    MAX_SEND_ATTEMPTS,
    SEND_FAILED,
    Outgoing,
    give_up_sending,
)
from kefu.services.notifications import MAIL_TOPIC
from kefu.services.relay import GaveUp
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.mail")
_FOOTER = (
    "\n\n——\n请直接回复本邮件，并保留主题中的案件号。\n"
    "Reply to this mail and keep the case number in the subject."
)


@dataclass(frozen=True)
class MailConfig:
    """Who we are on the email channel: the From address and the domain of our Message-IDs."""

    from_addr: str = "kefu@localhost"

    @property
    def domain(self) -> str:
        """The From domain as Message-IDs carry it: ASCII (IDNA A-labels), as headers need."""
        domain = self.from_addr.rpartition("@")[2].strip(" >") or "localhost"
        return domain if domain.isascii() else domain.encode("idna").decode("ascii")


class MailTransport(Protocol):
    @property
    def delivers(self) -> bool:
        """False for a transport that only logs (no SMTP server configured)."""
        ...

    def send(self, msg: EmailMessage) -> None: ...


def queue_auto_answer(
    uow: UnitOfWork,
    *,
    to: str,
    subject: str,
    in_reply_to: str,
    references: list[str],
    faults: list[FieldError],
    now: datetime,
    mail: MailConfig,
) -> None:
    """Queue (in the caller's transaction) the zh+en answer that says what the mail lacked."""
    lines_zh = "\n".join(f"- {f.field}：{f.zh}" for f in faults)
    lines_en = "\n".join(f"- {f.field}: {f.en}" for f in faults)
    body = (
        "您好，您的邮件未能受理为投诉或反馈，原因如下：\n"
        f"{lines_zh}\n请补充后重新发送（新邮件即可）。\n\n"
        "Hello, your mail could not be accepted as a complaint or feedback:\n"
        f"{lines_en}\nPlease add what is missing and send it again (a new mail is fine).\n\n"
        "此邮件由系统自动发送 / This is an automatic answer."
    )
    payload = {
        "kind": "auto_answer",
        "to": to,
        "subject": subject,
        "in_reply_to": in_reply_to,
        "references": references,
        "body": body,
        "actor_id": 0,
    }
    uow.outbox.add(MAIL_TOPIC, None, payload, now)


def _ack_body(number: str) -> str:
    return (
        f"您好，我们已收到您的邮件，案件号 {number}。客服会尽快处理并通过邮件回复您。\n\n"
        f"Hello, we received your mail as case {number}. An agent will answer you by mail."
    )


@dataclass(frozen=True)
class Refusal:
    """Why screening refused a case: its code, the reason in zh and en, the original if a repeat."""

    code: str
    zh: str
    en: str
    duplicate_of: str | None = None  # the original case's number

    def as_detail(self) -> dict[str, str | None]:
        return {"code": self.code, "zh": self.zh, "en": self.en, "duplicate_of": self.duplicate_of}


def screening_refusal(uow: UnitOfWork, case: Case) -> Refusal | None:
    """The screening refusal of a case that is (still) rejected, else None (accepted, reopened,
    or refused by a person rather than by screening)."""
    if case.status is not Status.REJECTED or case.id is None:
        return None
    found = uow.intake.screening(case.id)
    if found is None or found["outcome"] != Outcome.REJECT.value or not found["reason"]:
        return None
    # Stored as "zh / en" (domain.screening.Verdict.reason).
    zh, sep, en = str(found["reason"]).partition(" / ")
    original = found.get("duplicate_of")
    return Refusal(
        code=str(found["code"]),
        zh=zh.strip(),
        en=en.strip() if sep else zh.strip(),
        duplicate_of=uow.cases.get(original).number if original else None,
    )


def _refusal_advice(refusal: Refusal) -> tuple[str, str]:
    """What the buyer can do next, zh and en. A reply to this mail would only land on the closed
    case, so the advice is a new mail, or a mail to the original case of a repeat."""
    if refusal.code == ReasonCode.DUPLICATE.value and refusal.duplicate_of:
        original = refusal.duplicate_of
        return (
            f"原案件 {original} 继续处理。如有新的情况或凭证，请回复原案件的邮件，"
            f"或发送主题中含有 {original} 的邮件；"
            "如果这是另一个问题，请发送一封新邮件说明有何不同。",
            f"Your original case {original} goes on. For new facts or proof, reply to its mail "
            f"or send a mail with {original} in the subject; if this is a different issue, send "
            "a new mail that says what is different.",
        )
    if refusal.code in (ReasonCode.OUT_OF_WINDOW.value, ReasonCode.ALREADY_ELSEWHERE.value):
        return (
            "如有新的信息（例如其他订单或其他问题），请发送一封新邮件说明。",
            "If you have new information (another order or another issue), send a new mail.",
        )
    return (
        "请发送一封新邮件（不要回复本邮件），写明订单号、商品、时间和具体问题。",
        "Please send a new mail (not a reply to this one) with the order number, the item, "
        "when it happened and what exactly went wrong.",
    )


def _rejected_ack_body(number: str, refusal: Refusal) -> str:
    advice_zh, advice_en = _refusal_advice(refusal)
    original_zh = f"（原案件 {refusal.duplicate_of}）" if refusal.duplicate_of else ""
    original_en = f" (original case {refusal.duplicate_of})" if refusal.duplicate_of else ""
    return (
        f"您好，我们已收到您的邮件，案件号 {number}，但该案件未予受理。\n"
        f"原因：{refusal.zh}{original_zh}\n"
        f"{advice_zh}\n\n"
        f"Hello, we received your mail as case {number}, but it was not accepted.\n"
        f"Reason: {refusal.en}{original_en}\n"
        f"{advice_en}\n\n"
        "此邮件由系统自动发送 / This is an automatic answer."
    )


def ack_body(uow: UnitOfWork, case: Case) -> str:
    """The acknowledgement of a mailed-in case: accepted, or not accepted and why."""
    refusal = screening_refusal(uow, case)
    if refusal is None:
        return _ack_body(case.number)
    return _rejected_ack_body(case.number, refusal)


# Inbound mail a person wrote to us about the case (not ignored auto-replies or bounces).
_FROM_A_PARTY = frozenset({CASE_OPENED, CASE_REJECTED, THREADED})


def _thread(
    uow: UnitOfWork, case: Case, mails: list[MailRecord]
) -> tuple[MailRecord | None, list[str]]:
    """The last mail a party of the case sent us (what we answer), and the ids of the thread the
    buyer sees, oldest first: the parties' mail and ours.

    Anyone who knows a case number can mail it (kept as an internal note), and auto-replies and
    bounces to our mail are kept on the case too; answering "the last inbound mail" would send
    the next reply, and the case's content, to them."""
    # A long thread repeats a handful of senders: ask who each is once, not once per mail.
    peers = {m.peer for m in mails if m.direction == INBOUND and m.verdict in _FROM_A_PARTY}
    parties = {peer for peer in peers if party_of(uow, case, peer) is not None}
    thread = [
        m
        for m in mails
        if m.direction != INBOUND or (m.verdict in _FROM_A_PARTY and m.peer in parties)
    ]
    last_in = next((m for m in reversed(thread) if m.direction == INBOUND), None)
    return last_in, [m.message_id for m in thread]


@dataclass(frozen=True)
class _Draft:
    """What a mail_out row sends: to whom, about what, threaded under which mail."""

    number: str
    case_id: int | None
    to: str
    subject: str
    body: str
    in_reply_to: str | None
    references: list[str]
    automatic: bool


def _draft(uow: UnitOfWork, row: OutboxRow) -> _Draft:
    p = row.payload
    number = str(p.get("case_number") or "")
    automatic = p.get("kind") in ("ack", "auto_answer")
    body = str(p.get("body", ""))
    if not number:
        to, subject = str(p.get("to", "")), str(p.get("subject", ""))
        in_reply_to, refs, case_id = p.get("in_reply_to"), list(p.get("references") or []), None
    else:
        case = uow.cases.get_by_number(number)
        last_in, refs = _thread(uow, case, uow.channels.mail.for_case(case.id))  # type: ignore[arg-type]
        case_id = case.id
        to = (last_in.peer if last_in else "") or case.contact_email
        subject = last_in.subject if last_in and last_in.subject else case.subject
        in_reply_to = last_in.message_id if last_in else (refs[-1] if refs else None)
        if p.get("kind") == "ack":
            body = ack_body(uow, case)
    return _Draft(number, case_id, to, subject, body, in_reply_to, refs, automatic)


def message_id_for(row_id: int, number: str, mail: MailConfig) -> str:
    """The Message-ID of the mail the outbox row `row_id` sends.

    It derives from the row: a retried send carries the same Message-ID, so the buyer's client
    shows one mail and our record of it is written once."""
    return f"<kefu.{row_id}.{number or 'answer'}@{mail.domain}>"


_OUR_MESSAGE_ID = re.compile(r"^<kefu\.(\d+)\.")


def outbox_row_of(message_id: str) -> int | None:
    """The outbox row that sent a mail of ours, as its Message-ID names it (whatever our domain
    was then), or None for another's Message-ID."""
    found = _OUR_MESSAGE_ID.match(message_id)
    return int(found.group(1)) if found else None


def recipient(uow: UnitOfWork, row: OutboxRow) -> str:
    """Where the row's mail would go if it were sent now (within the caller's `with uow`): the
    sender of the case's last inbound mail, else its contact email; `to` for a case-less answer."""
    return _draft(uow, row).to


def _build(draft: _Draft, message_id: str, mail: MailConfig) -> EmailMessage:
    """The mail; raises Undeliverable when the recipient is no address a server takes."""
    number = draft.number
    msg = build_reply(
        case_number=number or "KF",
        to=draft.to,
        subject=draft.subject,
        body_text=draft.body if draft.automatic else draft.body + _FOOTER,
        from_addr=mail.from_addr,
        in_reply_to=draft.in_reply_to,
        references=draft.references,
        domain=mail.domain,
        automatic=draft.automatic,
    )
    del msg["Message-ID"]
    msg["Message-ID"] = message_id
    if not number:
        subject = draft.subject
        msg.replace_header("Subject", f"Re: {subject}".strip() if subject else "kefu 客服")
        msg.replace_header(LOOP_HEADER, f"answer@{mail.domain}")
    return msg


def send_outbox_mail(
    uow: UnitOfWork,
    storage: BlobStorage,
    transport: MailTransport,
    *,
    row: OutboxRow,
    now: datetime,
    mail: MailConfig,
) -> str | None:
    """Build, record (Message-ID → case) and send one queued mail; raising means retry later.

    Raises GaveUp (the relay will not retry) after recording the mail as failed and noting it
    on the case: when it cannot be delivered at all (`Undeliverable`: no usable address, a 5xx,
    SMTPUTF8 missing) or its MAX_SEND_ATTEMPTS-th attempt failed too.
    """
    with uow:
        draft = _draft(uow, row)
    if not draft.to:
        log.warning("mail_without_recipient", outbox_id=row.id)
        return None
    message_id = message_id_for(row.id, draft.number, mail)
    kind = str(row.payload.get("kind", ""))
    out = Outgoing(message_id, draft.case_id, draft.to, draft.subject, kind)
    attempts = row.attempts + 1  # this one included

    def give_up(reason: str, error: str) -> GaveUp:
        # Reads `out` when called: once the mail is built and stored, with its raw bytes.
        done = give_up_sending(uow, out, reason=reason, error=error, attempts=attempts, now=now)
        return GaveUp(done)

    try:
        msg = _build(draft, message_id, mail)
    except Undeliverable as exc:
        raise give_up(exc.code, str(exc)) from exc
    raw = msg.as_bytes()
    blob = storage.put(raw)
    out = replace(out, subject=str(msg["Subject"]), raw_sha256=blob.sha256, raw_size=len(raw))
    with uow:
        # Recorded before sending: a buyer answering at once already threads back to the case.
        fresh = uow.channels.mail.add(
            message_id=message_id,
            direction=OUTBOUND,
            case_id=draft.case_id,
            peer=draft.to,
            subject=out.subject,
            raw_sha256=blob.sha256,
            raw_size=len(raw),
            verdict=QUEUED,
            reason=kind,
            now=now,
        )
        known = None if fresh else uow.channels.mail.by_message_id(message_id)
        uow.commit()
    if known is not None and known.verdict == FAILED:  # given up; the relay died before the end
        raise GaveUp(f"{known.reason}: given up before")
    try:
        transport.send(msg)
    except Undeliverable as exc:
        raise give_up(exc.code, str(exc)) from exc
    except Exception as exc:
        if attempts < MAX_SEND_ATTEMPTS:
            raise  # it may pass: the relay tries again later, with backoff
        raise give_up(SEND_FAILED, f"{type(exc).__name__}: {exc}") from exc
    with uow:
        uow.channels.mail.set_verdict(message_id, SENT if transport.delivers else LOGGED)
        uow.commit()
    return message_id


def mail_handler(
    uow_factory: Callable[[], UnitOfWork],
    storage: BlobStorage,
    transport: MailTransport,
    mail: MailConfig,
) -> Callable[[OutboxRow, datetime], None]:
    """The relay's handler for `mail_out` rows."""

    def handle(row: OutboxRow, now: datetime) -> None:
        try:
            send_outbox_mail(uow_factory(), storage, transport, row=row, now=now, mail=mail)
        except GaveUp:
            raise
        except Exception as exc:
            # Failing before the send (the case, the blob store): bounded all the same. There
            # may be no mail record to mark, so the outbox row and the log keep the error.
            if row.attempts + 1 < MAX_SEND_ATTEMPTS:
                raise
            log.error("mail_send_gave_up", outbox_id=row.id, reason=SEND_FAILED, error=str(exc))
            raise GaveUp(f"{SEND_FAILED}: {type(exc).__name__}: {exc}") from exc

    return handle
