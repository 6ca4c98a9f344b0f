"""/api/v1/mail: failing and given-up mail; take an inbound mail in again, send a reply again."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from kefu import mailroom
from kefu.bootstrap import App
from kefu.domain.types import Actor
from kefu.services import mail_desk
from kefu.services.mail_resend import Resent
from kefu.services.mail_retake import Retake
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute, conflict
from kefu.web.schemas import RowId
from kefu.web.schemas_mail import MailFailuresOut, ResendOut, RetakeOut

router = APIRouter(prefix="/api/v1", tags=["channels"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def failures_out(found: mail_desk.MailFailures) -> dict[str, Any]:
    """The listing as the API and the page read it (MailFailuresOut)."""
    inbound = [
        {
            "mail_id": m.mail_id,
            "message_id": m.message_id,
            "state": m.state,
            "sender": m.sender,
            "subject": m.subject,
            "failures": m.failures,
            "first_failed_at": m.first_failed_at,
            "last_failed_at": m.last_failed_at,
            "last_error": m.last_error,
            "retakes": m.retakes,
            "retaken_at": m.retaken_at,
            "retaken_by": m.retaken_by,
            "can_retake": m.can_retake,
        }
        for m in found.inbound
    ]
    outbound = [
        {
            "mail_id": m.mail_id,
            "message_id": m.message_id,
            "case_number": m.case_number,
            "recipient": m.recipient,
            "subject": m.subject,
            "kind": m.kind,
            "reason": m.reason,
            "reason_zh": m.reason_zh,
            "reason_en": m.reason_en,
            "error": m.error,
            "attempts": m.attempts,
            "queued_at": m.queued_at,
            "given_up_at": m.given_up_at,
        }
        for m in found.outbound
    ]
    return {"inbound": inbound, "outbound": outbound}


def retake_out(done: Retake) -> dict[str, Any]:
    result = done.result
    error = done.failure.last_error if done.failed_again and done.failure else ""
    return {
        "mail_id": done.mail_id,
        "message_id": done.message_id,
        "verdict": result.verdict,
        "reason": result.reason,
        "case_number": result.case_number,
        "failed_again": done.failed_again,
        "error": mail_desk.short_error(error),
        "fields": [
            {"field": f.field, "code": f.code, "message_zh": f.zh, "message_en": f.en}
            for f in result.fields
        ],
    }


def resend_out(done: Resent) -> dict[str, Any]:
    return {
        "mail_id": done.mail_id,
        "message_id": done.message_id,
        "outbox_id": done.outbox_id,
        "new_message_id": done.new_message_id,
        "to": done.to,
        "case_number": done.case_number,
    }


@router.get("/mail/failures", response_model=MailFailuresOut)
def list_mail_failures(
    request: Request,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=500, description="at most this many of each")] = 100,
) -> dict[str, Any]:
    """Supervisors and admins: inbound mail whose intake failed and is not taken in, and
    outgoing mail given up (the buyer did not get it)."""
    found = mail_desk.mail_failures(_app(request).reader(), actor=actor, limit=limit)
    return failures_out(found)


@router.post(
    "/mail/inbound/{mail_id}/retake",
    response_model=RetakeOut,
    responses=conflict("not_given_up", "raw_missing", "key_changed"),
)
def retake_mail(mail_id: RowId, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Supervisors and admins: take a given-up inbound mail in again, now, from its stored raw
    bytes (as `kefu mail retake`); you are recorded as who did it."""
    return retake_out(mailroom.retake_as(_app(request), actor, mail_id))


@router.post(
    "/mail/outbound/{mail_id}/resend",
    response_model=ResendOut,
    responses=conflict("not_given_up", "address_unusable", "not_resendable"),
)
def resend_mail(mail_id: RowId, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Supervisors and admins: queue a given-up outgoing mail again (as `kefu mail resend`):
    the relay sends it to where the case's mail goes now, with the usual retry cap; an internal
    note on the case says who did it."""
    return resend_out(mailroom.resend_as(_app(request), actor, mail_id))
