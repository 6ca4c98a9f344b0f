"""/api/v1/cases: file, list, read, message, actions, assignment, timeline (evidence:
api_evidence)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request

from kefu.bootstrap import App
from kefu.db.records import AttachmentRecord, TimelineEntry
from kefu.domain.case import Case
from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.types import Actor
from kefu.domain.workflow import STATUS_ZH, Action
from kefu.services import cases as case_svc
from kefu.services import messages as message_svc
from kefu.services import views
from kefu.web import offload
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute, conflict
from kefu.web.responses import FastJSONResponse, replayed
from kefu.web.schemas import (
    ActionIn,
    AssignIn,
    CaseOut,
    FileCaseIn,
    MessageIn,
    RowId,
    idempotency_hash,
)
from kefu.web.schemas_out import CaseDetail, CasePage, MessageReceipt, TimelinePage

router = APIRouter(prefix="/api/v1", tags=["cases"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def _iso(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


_STATUS_ZH = {status.value: zh for status, zh in STATUS_ZH.items()}


def queue_item_out(c: views.QueueItem) -> dict[str, Any]:
    """A queue row in the CaseOut shape, built directly: queue pages build 50 per request and a
    Pydantic model built then dumped cost more than the query (tests check it validates as
    CaseOut). Shop, team and actions come with the case itself."""
    return {
        "number": c.number,
        "kind": c.kind,
        "feedback_type": c.feedback_type,
        "channel": c.channel,
        "category": c.category,
        "priority": c.priority,
        "status": c.status,
        "status_zh": _STATUS_ZH[c.status],
        "version": c.version,
        "subject": c.subject,
        "description": c.description,
        "order_no": c.order_no,
        "line_nos": list(c.line_nos),
        "shop": None,
        "team": None,
        "assignee_id": c.assignee_id,
        "contact_phone": c.contact_phone,
        "contact_email": c.contact_email,
        "created_at": _iso(c.created_at),
        "updated_at": _iso(c.updated_at),
        "due_at": _iso(c.due_at),
        "first_response_at": _iso(c.first_response_at),
        "ended_at": _iso(c.ended_at),
        "reject_reason": c.reject_reason,
        "allowed_actions": [],
    }


def case_out(
    case: Case,
    *,
    allowed: list[Action] | None = None,
    shop: str | None = None,
    team: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    """One case in the CaseOut shape (the queue row's, plus shop, team and the actions the
    caller may take); contact details as given, else as stored."""
    out = queue_item_out(views.case_item(case))
    out.update(shop=shop, team=team, allowed_actions=[a.value for a in allowed or []])
    if phone is not None:
        out["contact_phone"] = phone
    if email is not None:
        out["contact_email"] = email
    return out


def case_reply(
    app: App, actor: Actor, case: Case, labels: tuple[str | None, str | None] | None = None
) -> dict[str, Any]:
    """A case as the answer to a write: its shop and team (read here unless the write already
    knows their codes), contact details as the caller may see them without opening the case
    (masked for everyone but its buyer)."""
    shop, team = labels if labels is not None else views.case_labels(app.reader(), case)
    phone, email = views.reply_contact(actor, case)
    return case_out(
        case,
        allowed=case.allowed_actions(actor),
        shop=shop,
        team=team,
        phone=phone,
        email=email,
    )


def entry_out(e: TimelineEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "visibility": e.visibility,
        "body": e.body,
        "data": e.data,
        "created_at": e.created_at.isoformat(),
    }


def attachment_out(number: str, a: AttachmentRecord) -> dict[str, Any]:
    return {
        "id": a.id,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "uploaded_by": a.uploaded_by,
        "created_at": a.created_at.isoformat(),
        "url": f"/api/v1/cases/{number}/evidence/{a.id}",
    }


@router.post(
    "/cases",
    status_code=201,
    response_model=CaseOut,
    responses=replayed(CaseOut, "the case filed before with this Idempotency-Key"),
)
def create_case(
    body: FileCaseIn,
    request: Request,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> FastJSONResponse:
    """File a case. Retrying with the same Idempotency-Key returns the same case (200)."""
    app = _app(request)
    request_hash = idempotency_hash(body, idempotency_key)
    data = case_svc.FileCaseInput(
        kind=body.kind,
        channel=body.channel,
        subject=body.subject,
        description=body.description,
        order_no=body.order_no,
        line_nos=tuple(body.line_nos),
        contact_phone=body.contact_phone,
        contact_email=body.contact_email,
        category=body.category,
        priority=body.priority,
        feedback_type=body.feedback_type,
        buyer_ref=body.buyer_ref,
        prior_resolution=body.prior_resolution,
    )
    filed = case_svc.file_case(
        app.uow(group=True),
        actor=actor,
        data=data,
        now=app.clock.now(),
        policy=app.policy,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    case = filed.case
    return FastJSONResponse(
        case_reply(app, actor, case, (filed.shop, filed.team)),
        status_code=201 if filed.created else 200,
        headers={"Location": f"/api/v1/cases/{case.number}"},
    )


@router.get("/cases", response_model=CasePage)
async def list_cases(
    request: Request,
    actor: ActorDep,
    status: str | None = None,
    kind: str | None = None,
    category: str | None = None,
    priority: str | None = None,
    team: str | None = None,
    assignee: str | None = None,
    seller: str | None = None,
    open: bool | None = None,
    overdue: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FastJSONResponse:
    """Cases the caller may see, sorted by due time, with cursor pagination and a capped count."""
    app = _app(request)
    page = await offload.read(
        app,
        views.list_cases,
        app.reader(),
        actor=actor,
        now=app.clock.now(),
        query=views.ListQuery(
            status=status,
            kind=kind,
            category=category,
            priority=priority,
            team=team,
            assignee=assignee,
            seller=seller,
            open_only=open,
            overdue=overdue,
            cursor=cursor,
            limit=limit,
        ),
    )
    return FastJSONResponse(
        {
            "items": [queue_item_out(c) for c in page.items],
            "next_cursor": page.next_cursor,
            "count": page.count,
            "count_is_capped": page.count_capped,
        }
    )


@router.get("/cases/{number}", response_model=CaseDetail)
def get_case(number: str, request: Request, actor: ActorDep) -> dict[str, Any]:
    """One case with the actions the caller may take now, its order, evidence and timeline."""
    app = _app(request)
    view = views.get_case_view(app.uow(), actor=actor, number=number, now=app.clock.now())
    out = case_out(
        view.case,
        allowed=view.allowed_actions,
        shop=view.shop["code"] if view.shop else None,
        team=view.team,
        phone=view.contact_phone,
        email=view.contact_email,
    )
    out.update(
        {
            "order": view.order,
            "seller": view.shop,
            "masked": view.masked,
            "attachments": [attachment_out(number, a) for a in view.attachments],
            "timeline": [entry_out(e) for e in view.timeline],
        }
    )
    return out


@router.get("/cases/{number}/timeline", response_model=TimelinePage)
def get_timeline(
    number: str, request: Request, actor: ActorDep, after: RowId = 0
) -> dict[str, Any]:
    app = _app(request)
    entries = views.case_timeline(app.reader(), actor=actor, number=number, after_id=after)
    return {"items": [entry_out(e) for e in entries]}


@router.post("/cases/{number}/messages", status_code=201, response_model=MessageReceipt)
def post_message(number: str, body: MessageIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Post a public message, or an internal note (staff only) with internal=true."""
    app = _app(request)
    case = message_svc.post_message(
        app.uow(),
        actor=actor,
        number=number,
        body=body.body,
        internal=body.internal,
        now=app.clock.now(),
    )
    return {"number": case.number, "status": case.status.value, "version": case.version}


@router.post(
    "/cases/{number}/actions/{action}",
    response_model=CaseOut,
    responses=conflict("version_conflict", "invalid_transition"),
)
def fire_action(
    number: str, action: str, body: ActionIn, request: Request, actor: ActorDep
) -> dict[str, Any]:
    """Fire a lifecycle action; 409 names the current state and the allowed actions."""
    app = _app(request)
    try:
        parsed = Action(action)
    except ValueError:
        raise InvalidInput(
            [
                FieldError(
                    "action", "unknown_action", f"未知操作 {action}", f"unknown action {action}"
                )
            ]
        ) from None
    given = body.model_dump(exclude={"version"}, exclude_none=True)
    params = {k: str(v) for k, v in given.items()}
    case = case_svc.act_on_case(
        app.uow(),
        actor=actor,
        number=number,
        action=parsed,
        params=params,
        expected_version=body.version,
        now=app.clock.now(),
        policy=app.policy,
    )
    return case_reply(app, actor, case)


@router.post(
    "/cases/{number}/assign", response_model=CaseOut, responses=conflict("version_conflict")
)
def assign(number: str, body: AssignIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    case = case_svc.assign_case(
        app.uow(),
        actor=actor,
        number=number,
        assignee_username=body.assignee,
        team_code=body.team,
        expected_version=body.version,
        now=app.clock.now(),
    )
    return case_reply(app, actor, case)
