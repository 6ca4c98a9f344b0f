"""/api/v1/sla: deadline preview, calendar overrides, seller agreements, case clocks, reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from kefu.bootstrap import App
from kefu.db.clock_rows import ClockRow
from kefu.domain.errors import invalid
from kefu.domain.types import Actor, CaseKind, Category, Channel, Priority
from kefu.services import calendars as calendar_svc
from kefu.services import deadlines as deadline_svc
from kefu.services import sla_admin, sla_policies
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute, conflict
from kefu.web.schemas import Day, Instant, JsonBool, JsonInt, JsonRowId, RowId, Version
from kefu.web.schemas_sla import (
    AgreementOut,
    CalendarOverrideAdded,
    CalendarOverrideList,
    CaseClocks,
    ClockList,
    PolicyList,
    PolicyVersionOut,
    PreviewOut,
    ReviewRequested,
    SuspensionEnds,
)

router = APIRouter(prefix="/api/v1/sla", tags=["sla"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    calendar: str = Field("platform", max_length=80)
    date: Day
    working: JsonBool
    hours: str = Field("", max_length=100)
    note: str = Field("", max_length=300)


class AgreementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reply_within_hours: JsonInt | None = None
    warranty_months: JsonInt | None = None
    return_window_days: JsonInt | None = None
    complaint_acceptance_hours: JsonInt | None = None
    solution_working_days: JsonInt | None = None


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=40)
    clock: str | None = Field(None, max_length=40)


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    clock: str | None = Field(None, max_length=40)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision_id: JsonRowId
    reason: str = Field("", max_length=2000)


class PolicyMatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str | None = Field(None, max_length=20)
    category: str | None = Field(None, max_length=30)
    priority: str | None = Field(None, max_length=10)
    channel: str | None = Field(None, max_length=10)
    seller: str | None = Field(None, max_length=64)


class PolicyDraftIn(BaseModel):
    """A new version of a policy; clocks as GET /policies shows them (optional keys default)."""

    model_config = ConfigDict(extra="forbid")
    policy_id: str = Field(max_length=60)
    match: PolicyMatchIn | None = None  # None: matches every case
    clocks: list[dict[str, Any]] = Field(max_length=30)
    effective_from: Instant
    note: str = Field("", max_length=500)


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise invalid(
            name,
            "naive_datetime",
            "时间须带时区，如 2025-10-01T10:00+08:00",
            f"{name} needs an offset",
        )


@router.get("/preview", response_model=PreviewOut)
def preview(
    request: Request,
    actor: ActorDep,
    kind: CaseKind,
    category: Category | None = None,
    priority: Priority | None = None,
    channel: Channel | None = None,
    seller: Annotated[str | None, Query(max_length=64)] = None,
    at: Instant | None = None,
    policy_id: Annotated[str | None, Query(max_length=60)] = None,
    version: Version | None = None,
) -> dict[str, Any]:
    """Due times, policy id + version and calendar facts for a case filed at ``at``;
    with ``policy_id`` + ``version``, as if that stored (draft) version were in force."""
    app = _app(request)
    _aware("at", at)
    if (policy_id is None) != (version is None):
        raise invalid(
            "version" if version is None else "policy_id",
            "draft_needs_both",
            "预览草稿须同时提供 policy_id 和 version",
            "previewing a draft needs both policy_id and version",
        )
    return sla_admin.preview(
        app.reader(),
        actor=actor,
        kind=kind,
        category=category,
        priority=priority,
        channel=channel,
        seller=seller,
        at=at,
        now=app.clock.now(),
        draft=(policy_id, version) if policy_id is not None and version is not None else None,
    )


@router.get("/policies", response_model=PolicyList)
def list_policies(
    request: Request,
    actor: ActorDep,
    policy_id: Annotated[str | None, Query(max_length=60)] = None,
) -> dict[str, Any]:
    """Every policy and its versions: code defaults, drafts, published (in force, scheduled)."""
    app = _app(request)
    items = sla_policies.list_policies(
        app.reader(), actor=actor, policy_id=policy_id, now=app.clock.now()
    )
    return {"items": items}


@router.post("/policies", status_code=201, response_model=PolicyVersionOut)
def create_policy_draft(body: PolicyDraftIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Admin: record a draft version (law floors and the 7-day notice checked)."""
    app = _app(request)
    _aware("effective_from", body.effective_from)
    data = sla_policies.DraftIn(
        policy_id=body.policy_id,
        clocks=body.clocks,
        effective_from=body.effective_from,
        match=body.match.model_dump() if body.match else {},
        note=body.note,
    )
    return sla_policies.create_draft(app.uow(), actor=actor, data=data, now=app.clock.now())


@router.post(
    "/policies/{policy_id}/versions/{version}/publish",
    response_model=PolicyVersionOut,
    responses=conflict("policy_not_draft"),
)
def publish_policy(
    policy_id: str, version: Version, request: Request, actor: ActorDep
) -> dict[str, Any]:
    """Admin: publish a draft now; cases opened from its effective_from on get it."""
    app = _app(request)
    return sla_policies.publish(
        app.uow(), actor=actor, policy_id=policy_id, version=version, now=app.clock.now()
    )


@router.get("/calendar-overrides", response_model=CalendarOverrideList)
def list_overrides(
    request: Request, actor: ActorDep, calendar: Annotated[str | None, Query(max_length=80)] = None
) -> dict[str, Any]:
    items = calendar_svc.list_overrides(_app(request).reader(), actor=actor, calendar=calendar)
    return {"items": items}


@router.post("/calendar-overrides", status_code=201, response_model=CalendarOverrideAdded)
def add_override(body: OverrideIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    item = calendar_svc.OverrideIn(body.calendar, body.date, body.working, body.hours, body.note)
    ids = calendar_svc.add_overrides(app.uow(), actor=actor, items=[item], now=app.clock.now())
    return {"id": ids[0], **body.model_dump(mode="json")}


@router.delete("/calendar-overrides/{override_id}", status_code=204)
def delete_override(override_id: RowId, request: Request, actor: ActorDep) -> Response:
    calendar_svc.delete_override(_app(request).uow(), actor=actor, override_id=override_id)
    return Response(status_code=204)


@router.get("/agreements/{shop}", response_model=AgreementOut)
def get_agreement(shop: str, request: Request, actor: ActorDep) -> dict[str, Any]:
    return sla_admin.get_agreement(_app(request).reader(), actor=actor, shop_code=shop)


@router.put("/agreements/{shop}", response_model=AgreementOut)
def set_agreement(
    shop: str, body: AgreementIn, request: Request, actor: ActorDep
) -> dict[str, Any]:
    app = _app(request)
    return sla_admin.set_agreement(
        app.uow(), actor=actor, shop_code=shop, terms=body.model_dump(), now=app.clock.now()
    )


def clock_out(c: ClockRow) -> dict[str, Any]:
    s = c.state

    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v else None

    return {
        "id": c.id,
        "clock": c.name,
        "party": s.spec.party.value,
        "state": s.status.value,
        "policy": {"id": c.policy_id, "version": c.policy_version},
        "rule": s.spec.rule,
        "budget": {"amount": s.spec.amount, "measure": s.spec.measure.value},
        "started_at": iso(s.started_at),
        "due_at": iso(s.due_at),
        "warn_at": iso(s.warn_at),
        "paused_at": iso(s.paused_at),
        "pause_reason": s.pause_reason.value if s.pause_reason else None,
        "paused_total_s": int(s.paused_total.total_seconds()),
        "warned_at": iso(c.warned_at),
        "breached_at": iso(c.breached_at),
        "met_at": iso(c.met_at),
        "provisional": s.provisional,
        "calendar_facts": list(s.facts),
        "on_timeout": s.spec.on_timeout.value,
    }


@router.get("/cases/{number}/clocks", response_model=CaseClocks)
def case_clocks(number: str, request: Request, actor: ActorDep) -> dict[str, Any]:
    case, clocks = deadline_svc.case_clocks(_app(request).reader(), actor=actor, number=number)
    return {
        "number": case.number,
        "due_at": case.due_at and case.due_at.isoformat(),
        "items": [clock_out(c) for c in clocks],
    }


@router.post(
    "/cases/{number}/clocks/pause",
    response_model=ClockList,
    responses=conflict("no_matching_clock"),
)
def pause(number: str, body: PauseIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    clocks = deadline_svc.pause_case_clocks(
        app.uow(),
        actor=actor,
        number=number,
        reason=body.reason,
        clock=body.clock,
        now=app.clock.now(),
    )
    return {"items": [clock_out(c) for c in clocks]}


@router.post(
    "/cases/{number}/clocks/resume",
    response_model=ClockList,
    responses=conflict("no_matching_clock"),
)
def resume(number: str, body: ResumeIn, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    clocks = deadline_svc.resume_case_clocks(
        app.uow(), actor=actor, number=number, clock=body.clock, now=app.clock.now()
    )
    return {"items": [clock_out(c) for c in clocks]}


@router.post(
    "/cases/{number}/suspension/acceptance-proof",
    response_model=SuspensionEnds,
    responses=conflict("no_matching_clock"),
)
def acceptance_proof(number: str, request: Request, actor: ActorDep) -> dict[str, str]:
    """Court/police acceptance proven: the suspension may last until the 6-month limit."""
    app = _app(request)
    ends = deadline_svc.record_court_acceptance(
        app.uow(), actor=actor, number=number, now=app.clock.now()
    )
    return {"resume_at": ends.isoformat()}


@router.post("/cases/{number}/review-requests", status_code=201, response_model=ReviewRequested)
def review_request(
    number: str, body: ReviewIn, request: Request, actor: ActorDep
) -> dict[str, str]:
    """PIPL 24: the buyer asks a person to review an automatic decision."""
    app = _app(request)
    sla_admin.request_review(
        app.uow(),
        actor=actor,
        number=number,
        decision_id=body.decision_id,
        reason=body.reason,
        now=app.clock.now(),
    )
    return {"status": "requested"}
