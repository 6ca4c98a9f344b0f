"""Mail intake: store the raw mail, then open a case, thread a reply, or record why neither."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kefu.adapters.email_parser import ParsedEmail, parse_email, text_for_case
from kefu.adapters.storage import BlobStorage
from kefu.db.channels import (
    CASE_OPENED,
    CASE_REJECTED,
    DUPLICATE,
    IGNORED,
    INBOUND,
    REJECTED,
    RETAKING,
    THREADED,
)
from kefu.domain.case import MAX_DESCRIPTION, Case
from kefu.domain.errors import DomainError, FieldError, InvalidInput, NotFound
from kefu.domain.types import SYSTEM_ACTOR, CaseKind, Channel, FeedbackType, Visibility
from kefu.services.cases import FileCaseInput, file_case
from kefu.services.channel_filing import (
    SkippedFile,
    attach_stored,
    buyer_for_contact,
    store_evidence_files,
)
from kefu.services.mail_outbound import MailConfig, queue_auto_answer, screening_refusal
from kefu.services.mail_parties import party_of
from kefu.services.mail_retry import INTAKE_FAILED, record_failure
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

MAX_AUTO_ANSWERS_PER_DAY = 3  # per sender: a broken client re-sending empty mail gets 3, not 300
# cases.contact_email and users.email hold this many characters, like the API's contact_email;
# PostgreSQL refuses a longer value, which would fail the mail on every delivery.
MAX_SENDER = 200
# Order numbers as shops write them: letters and digits, at least one digit, 6-40 long.
_ORDER_TOKEN = re.compile(r"(?<![A-Za-z0-9-])([A-Za-z]{0,6}\d[A-Za-z0-9-]{4,38})(?![A-Za-z0-9-])")
_TRUNCATED = "\n……（内容过长，全文见原始邮件 / truncated, see the original mail）"
_NON_CASE_ZH = {"loop": "疑似邮件循环", "bounce": "退信", "auto_reply": "自动回复"}
# ParsedEmail.cleaned field -> how the staff note names it, in the order the note lists them.
_CLEANED_NAMES = {
    "subject": "主题 / subject",
    "text": "正文 / text",
    "sender_name": "发件人姓名 / sender name",
    "sender": "发件人地址 / sender address",
    "attachments": "附件名 / attachment names",
    "to": "收件人 / recipients",
    "message_id": "Message-ID",
    "in_reply_to": "In-Reply-To",
    "references": "References",
}


@dataclass(frozen=True)
class IntakeResult:
    message_id: str
    verdict: str
    reason: str = ""
    case_number: str | None = None
    fields: tuple[FieldError, ...] = ()


def message_key(parsed: ParsedEmail, raw_sha256: str) -> str:
    """The Message-ID, or a hash of the raw bytes for mail without one; always ≤ 500 chars."""
    mid = parsed.message_id
    if not mid:
        return f"<sha256.{raw_sha256}@kefu.invalid>"
    if len(mid) > 500:
        return f"<long.{hashlib.sha256(mid.encode()).hexdigest()}@kefu.invalid>"
    return mid


def intake_mail(
    uow: UnitOfWork,
    storage: BlobStorage,
    *,
    raw: bytes,
    now: datetime,
    policy: CasePolicy,
    mail: MailConfig,
) -> IntakeResult:
    """Handle one inbound mail exactly once per Message-ID; never raises for bad mail.

    The raw bytes are stored (content-addressed) before anything else, so a mail that reached
    this point is never lost. Errors propagate, so the receiver answers 451 / leaves the IMAP
    message unseen and the same mail comes again; each failure is recorded, and a mail that
    keeps failing is given up in the end (`mail_retry`): recorded as rejected, not raised.
    """
    blob = storage.put(raw)
    parsed = parse_email(raw)
    stamp = _Stamp(message_key(parsed, blob.sha256), parsed, blob.sha256, len(raw), now)
    try:
        return _take_in(uow, storage, stamp, policy, mail)
    except Exception as exc:
        given_up = record_failure(
            uow,
            message_key=stamp.key,
            peer=parsed.sender,
            subject=parsed.subject,
            raw_sha256=blob.sha256,
            raw_size=len(raw),
            error=exc,
            now=now,
        )
        if not given_up:
            raise
        return IntakeResult(stamp.key, REJECTED, INTAKE_FAILED)


def _take_in(
    uow: UnitOfWork, storage: BlobStorage, stamp: _Stamp, policy: CasePolicy, mail: MailConfig
) -> IntakeResult:
    key, parsed = stamp.key, stamp.parsed
    with uow:
        known = uow.channels.mail.by_message_id(key)
        if known is not None and known.verdict != RETAKING:  # a retake: its result replaces it
            number = uow.cases.get(known.case_id).number if known.case_id else None
            if known.direction != INBOUND:
                return IntakeResult(key, IGNORED, "own_message", number)
            return IntakeResult(key, DUPLICATE, known.verdict, number)
        case = _thread_case(uow, parsed)
    non_case = _non_case_reason(parsed, mail)
    if non_case:
        return _record_ignored(uow, stamp, case, non_case)
    if case is not None:
        return _thread_reply(uow, storage, stamp, case, policy)
    return _open_case(uow, storage, stamp, policy, mail)


@dataclass(frozen=True)
class _Stamp:
    key: str
    parsed: ParsedEmail
    sha256: str
    size: int
    now: datetime

    def row(
        self, verdict: str, case_id: int | None, reason: str = "", detail: str = ""
    ) -> dict[str, Any]:
        return {
            "message_id": self.key,
            "direction": INBOUND,
            "case_id": case_id,
            "peer": self.parsed.sender,
            "subject": self.parsed.subject,
            "raw_sha256": self.sha256,
            "raw_size": self.size,
            "verdict": verdict,
            "reason": reason,
            "detail": detail,
            "now": self.now,
        }


def _non_case_reason(parsed: ParsedEmail, mail: MailConfig) -> str:
    if parsed.loop_suspect or (parsed.sender and parsed.sender.lower() == mail.from_addr.lower()):
        return "loop"
    if parsed.is_bounce:
        return "bounce"
    if parsed.is_auto_reply:
        return "auto_reply"
    return ""


def _thread_case(uow: UnitOfWork, parsed: ParsedEmail) -> Case | None:
    """The case this mail answers: its number in the subject, else a known In-Reply-To/Reference."""
    if parsed.case_number:
        try:
            return uow.cases.get_by_number(parsed.case_number)
        except NotFound:
            pass
    ids = [i for i in [parsed.in_reply_to, *parsed.references] if i]
    case_id = uow.channels.mail.case_for_thread(ids)
    return uow.cases.get(case_id) if case_id is not None else None


def _record_ignored(uow: UnitOfWork, stamp: _Stamp, case: Case | None, reason: str) -> IntakeResult:
    """Kept and logged, never answered; a case it refers to gets an internal note for staff."""
    with uow:
        fresh = uow.channels.mail.add(**stamp.row(IGNORED, case.id if case else None, reason))
        if fresh and case is not None:
            case = uow.cases.get(case.id)  # type: ignore[arg-type]
            note = (
                f"收到{_NON_CASE_ZH[reason]}邮件（未回复）/ received an {reason} mail "
                f"(not answered): {stamp.parsed.sender} · {stamp.parsed.subject[:120]}"
            )
            case.post(SYSTEM_ACTOR, note, Visibility.INTERNAL, stamp.now)
            uow.touch_case(case)
        uow.commit()
    number = case.number if case is not None else None
    return IntakeResult(stamp.key, IGNORED if fresh else DUPLICATE, reason, number)


def _mail_files(parsed: ParsedEmail) -> list[tuple[str, bytes]]:
    return [(a.filename, a.payload) for a in parsed.attachments]


def _skipped_note(skipped: list[SkippedFile]) -> str:
    lines = [f"- {s.filename}: {s.reason_zh} / {s.reason_en}" for s in skipped]
    return "以下邮件附件未保存为证据（原始邮件已保存）/ attachments not kept as evidence " + (
        "(the original mail is stored):\n" + "\n".join(lines)
    )


def _cleaned_note(parsed: ParsedEmail) -> str | None:
    """Staff are told where the parser replaced characters no column can hold (NUL, surrogates)."""
    if not parsed.cleaned:
        return None
    names = [label for name, label in _CLEANED_NAMES.items() if name in parsed.cleaned]
    return (
        "邮件中无法保存的字符（空字符或不成对的代理项）已替换为 U+FFFD（�），原始邮件原样保存 / "
        "characters no column can hold (NUL, lone surrogates) were replaced by U+FFFD; "
        "the original mail is stored unchanged: " + ", ".join(names)
    )


def _post_staff_notes(
    case: Case, parsed: ParsedEmail, skipped: list[SkippedFile], now: datetime
) -> None:
    for note in (_skipped_note(skipped) if skipped else None, _cleaned_note(parsed)):
        if note:
            case.post(SYSTEM_ACTOR, note, Visibility.INTERNAL, now)


def _thread_reply(
    uow: UnitOfWork, storage: BlobStorage, stamp: _Stamp, case: Case, policy: CasePolicy
) -> IntakeResult:
    """A reply never opens a case: a party's mail is a public message, anyone else's a note."""
    text = text_for_case(stamp.parsed).strip()[: MAX_DESCRIPTION - 100]
    stored, skipped = store_evidence_files(storage, policy, _mail_files(stamp.parsed))
    with uow:
        case = uow.cases.get(case.id)  # type: ignore[arg-type]
        if not uow.channels.mail.add(**stamp.row(THREADED, case.id)):
            return IntakeResult(stamp.key, DUPLICATE, THREADED, case.number)
        speaker = party_of(uow, case, stamp.parsed.sender)
        if speaker is None:
            note = (
                f"来自非当事人 {stamp.parsed.sender or '(未知)'} 的邮件 / mail from a non-party:\n"
            )
            case.post(SYSTEM_ACTOR, note + (text or "(空 empty)"), Visibility.INTERNAL, stamp.now)
        else:
            if text:
                case.post(speaker, text, Visibility.PUBLIC, stamp.now)
            attach_stored(uow, case, speaker, stored, stamp.now)
        _post_staff_notes(case, stamp.parsed, skipped, stamp.now)
        uow.touch_case(case)
        uow.commit()
    return IntakeResult(stamp.key, THREADED, "party" if speaker else "non_party", case.number)


def _subject_and_text(parsed: ParsedEmail) -> tuple[str, str]:
    text = text_for_case(parsed).strip()
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - len(_TRUNCATED)] + _TRUNCATED
    subject = re.sub(r"\s+", " ", parsed.subject).strip()
    if not subject and text:
        subject = text.splitlines()[0][:60]  # a mail without subject: its first line names it
    return subject[:200], text


def _owned_order(uow: UnitOfWork, buyer_ref: str | None, text: str) -> str | None:
    """The first order number in the text that is on this platform and belongs to the buyer."""
    if not buyer_ref:
        return None
    seen: set[str] = set()
    for token in map(str, _ORDER_TOKEN.findall(text)):
        if token in seen or token.startswith("KF") or len(seen) >= 20:
            continue
        seen.add(token)
        try:
            stored = uow.orders.get_by_no(token)
        except NotFound:
            continue
        if stored.order.buyer_ref == buyer_ref:
            return token
    return None


def _open_case(
    uow: UnitOfWork, storage: BlobStorage, stamp: _Stamp, policy: CasePolicy, mail: MailConfig
) -> IntakeResult:
    parsed = stamp.parsed
    subject, text = _subject_and_text(parsed)
    if not parsed.sender:
        fault = FieldError("from", "missing", "无法识别发件人地址", "no sender address found")
        return _record_rejected(uow, stamp, [fault], mail, answer=False)
    if len(parsed.sender) > MAX_SENDER:
        fault = FieldError(
            "from",
            "too_long",
            f"发件地址超过 {MAX_SENDER} 个字符，无法受理，请换一个邮箱发送",
            f"the sender address is longer than {MAX_SENDER} characters; "
            "please write from another address",
        )
        return _record_rejected(uow, stamp, [fault], mail, answer=True)
    with uow:
        buyer = buyer_for_contact(
            uow, email=parsed.sender, display_name=parsed.sender_name, now=stamp.now
        )
        uow.commit()
    with uow:
        order_no = _owned_order(uow, buyer.buyer_ref, f"{parsed.subject}\n{text}")
    data = FileCaseInput(
        kind=CaseKind.COMPLAINT if order_no else CaseKind.FEEDBACK,
        channel=Channel.EMAIL,
        subject=subject,
        description=text,
        order_no=order_no,
        contact_email=parsed.sender,
        feedback_type=None if order_no else FeedbackType.REPORT,
    )
    try:
        filed = file_case(
            uow,
            actor=buyer.actor(),
            data=data,
            now=stamp.now,
            policy=policy,
            idempotency_key=f"mail:{hashlib.sha256(stamp.key.encode()).hexdigest()}",
            request_hash=stamp.sha256,
        )
    except InvalidInput as exc:
        return _record_rejected(uow, stamp, list(exc.fields), mail, answer=True)
    except DomainError as exc:
        fault = FieldError("mail", exc.code, exc.zh, exc.en)
        return _record_rejected(uow, stamp, [fault], mail, answer=False)
    stored, skipped = store_evidence_files(storage, policy, _mail_files(parsed))
    with uow:
        case = uow.cases.get(filed.case.id)  # type: ignore[arg-type]
        # A case that screening refused is filed too (closed as rejected); its mail says so, and
        # the acknowledgement the relay sends gives the reason (mail_outbound.ack_body).
        refusal = screening_refusal(uow, case)
        if refusal is None:
            verdict, reason, detail = CASE_OPENED, "", ""
        else:
            verdict, reason = CASE_REJECTED, refusal.code
            detail = json.dumps(refusal.as_detail(), ensure_ascii=False)
        if not uow.channels.mail.add(**stamp.row(verdict, case.id, reason, detail)):
            return IntakeResult(stamp.key, DUPLICATE, verdict, case.number)
        attach_stored(uow, case, buyer.actor(), stored, stamp.now)
        _post_staff_notes(case, parsed, skipped, stamp.now)
        uow.touch_case(case)
        uow.commit()
    return IntakeResult(stamp.key, verdict, reason or data.kind.value, case.number)


def _record_rejected(
    uow: UnitOfWork, stamp: _Stamp, faults: list[FieldError], mail: MailConfig, *, answer: bool
) -> IntakeResult:
    """Record the refusal with every field at fault; answer the sender once (rate-limited)."""
    detail = json.dumps([f.as_dict() for f in faults], ensure_ascii=False)
    sender = stamp.parsed.sender
    with uow:
        if answer and sender:
            since = stamp.now - timedelta(days=1)
            answer = (
                uow.channels.mail.rejected_count_since(sender, since) < MAX_AUTO_ANSWERS_PER_DAY
            )
        if not uow.channels.mail.add(**stamp.row(REJECTED, None, "invalid", detail)):
            return IntakeResult(stamp.key, DUPLICATE, REJECTED)
        if answer and sender:
            queue_auto_answer(
                uow,
                to=sender,
                subject=stamp.parsed.subject,
                in_reply_to=stamp.key,
                references=stamp.parsed.references,
                faults=faults,
                now=stamp.now,
                mail=mail,
            )
        uow.commit()
    return IntakeResult(stamp.key, REJECTED, "invalid", None, tuple(faults))
