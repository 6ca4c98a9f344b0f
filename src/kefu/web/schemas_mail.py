"""JSON shapes of the mail desk's answers (/api/v1/mail), documented in /openapi.json; the
handlers build them by hand, tests check them against these."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kefu.web.schemas import ProblemField


class InboundMailFailure(BaseModel):
    """An inbound mail whose intake failed and that is not taken in."""

    mail_id: int | None = Field(
        description="its record's id, for `retake`; null: no record yet, it is still retried "
        "by itself (the sending server or the IMAP poll brings it again)"
    )
    message_id: str = Field(description="its Message-ID, or a hash of its bytes when it has none")
    state: str = Field(
        description="`given_up` (after 5 failures over 6 hours), `retaking` (a retake that was "
        "cut short: retake it again) or `retrying` (nothing to do: it comes again by itself)"
    )
    sender: str
    subject: str
    failures: int = Field(description="failed intakes so far")
    first_failed_at: datetime
    last_failed_at: datetime
    last_error: str = Field(description="the last error's cause, on one line, at most 300 chars")
    retakes: int = Field(description="how often it was taken in again by hand")
    retaken_at: datetime | None
    retaken_by: str = Field(description="who took it in again last; empty if nobody did")
    can_retake: bool = Field(description="true: `POST /mail/inbound/{mail_id}/retake` applies")


class OutboundMailFailure(BaseModel):
    """An outgoing mail given up: the buyer did not get it."""

    mail_id: int = Field(description="its record's id, for `resend`")
    message_id: str
    case_number: str | None = Field(
        description="the case it answers; null: an automatic answer to mail that opened no case"
    )
    recipient: str = Field(description="the address it was sent to")
    subject: str
    kind: str = Field(description="`ack`, `case_message` or `auto_answer`")
    reason: str = Field(
        description="`bad_address`, `smtputf8_unsupported`, `smtp_refused` or `send_failed`"
    )
    reason_zh: str = Field(description="the reason in words, in Chinese")
    reason_en: str = Field(description="the reason in words, in English")
    error: str = Field(description="the server's answer or the error, on one line, ≤ 300 chars")
    attempts: int = Field(description="attempts made before it was given up")
    queued_at: datetime = Field(description="when it was first recorded")
    given_up_at: datetime | None = Field(
        description="when it was given up; null for mail given up before this was recorded"
    )


class MailFailuresOut(BaseModel):
    """Failing and given-up mail (`GET /mail/failures`), most recent first, each list capped
    at `limit`."""

    inbound: list[InboundMailFailure]
    outbound: list[OutboundMailFailure]


class RetakeOut(BaseModel):
    """What taking a given-up mail in again gave. A mail that still fails is answered 200 too,
    with `failed_again` and the error: the retake was made, and recorded, and it stays given up
    until the cause is mended."""

    mail_id: int
    message_id: str
    verdict: str = Field(
        description="the intake's verdict: `case_opened`, `case_rejected`, `threaded`, "
        "`ignored`, `rejected` (and with `failed_again`: still failing)"
    )
    reason: str
    case_number: str | None = Field(description="the case the mail opened or reached")
    failed_again: bool
    error: str = Field(description="with `failed_again`: the error's cause; else empty")
    fields: list[ProblemField] = Field(
        description="`rejected`: what the mail lacked (the buyer is answered with these)"
    )


class ResendOut(BaseModel):
    """A given-up mail queued to be sent again; the relay sends it, with its retry cap."""

    mail_id: int = Field(description="the given-up mail; now `resent`")
    message_id: str = Field(description="the given-up mail's Message-ID")
    outbox_id: int = Field(description="the outbox row that sends it again")
    new_message_id: str = Field(description="the Message-ID the new mail will carry")
    to: str = Field(description="where it goes: where the case's mail goes now")
    case_number: str | None
