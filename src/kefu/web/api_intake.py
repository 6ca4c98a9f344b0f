"""/api/v1 screening: verdicts, category corrections and their export, flags, staff on duty."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from kefu.bootstrap import App
from kefu.domain.screening import FlagStatus
from kefu.domain.types import Actor
from kefu.services import screening_admin as svc
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute, conflict
from kefu.web.schemas import AvailabilityIn, CategoryIn, FlagReviewIn, RowId
from kefu.web.schemas_out import (
    AvailabilityOut,
    BuyerFlagList,
    CategoryReceipt,
    FlagReviewed,
    OverridePage,
    ScreeningOut,
)

router = APIRouter(prefix="/api/v1", tags=["screening"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


@router.get("/cases/{number}/screening", response_model=ScreeningOut)
def get_screening(number: str, request: Request, actor: ActorDep) -> dict[str, Any]:
    """Why the case was accepted, rejected or sent to compliance: reason code and rule trail."""
    return svc.screening_of(_app(request).reader(), actor=actor, number=number)


@router.post(
    "/cases/{number}/category",
    response_model=CategoryReceipt,
    responses=conflict("version_conflict"),
)
def correct_category(
    number: str, body: CategoryIn, request: Request, actor: ActorDep
) -> dict[str, Any]:
    """Correct the category; the correction is recorded and exported for retraining."""
    app = _app(request)
    version = svc.recategorize(
        app.uow(),
        actor=actor,
        number=number,
        category=body.category,
        expected_version=body.version,
        now=app.clock.now(),
    )
    return {"number": number, "category": body.category.value, "version": version}


@router.get("/classification/overrides", response_model=OverridePage)
def export_overrides(
    request: Request,
    actor: ActorDep,
    after: RowId = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    """Category corrections in id order ({text, label, …}); page with `after` = last id."""
    items = svc.export_overrides(_app(request).reader(), actor=actor, after_id=after, limit=limit)
    return {"items": items, "next_after": items[-1]["id"] if items else after}


@router.get("/buyer-flags", response_model=BuyerFlagList)
def list_buyer_flags(
    request: Request, actor: ActorDep, status: FlagStatus | None = FlagStatus.OPEN
) -> dict[str, Any]:
    """Buyers with repeated rejected cases, for a person to review (never blocked)."""
    return {"items": svc.buyer_flags(_app(request).reader(), actor=actor, status=status)}


@router.post("/buyer-flags/{flag_id}/review", response_model=FlagReviewed)
def review_buyer_flag(
    flag_id: RowId, body: FlagReviewIn, request: Request, actor: ActorDep
) -> dict[str, Any]:
    app = _app(request)
    svc.review_buyer_flag(
        app.uow(), actor=actor, flag_id=flag_id, decision=body.decision, now=app.clock.now()
    )
    return {"id": flag_id, "status": body.decision}


@router.put("/staff/{username}/availability", response_model=AvailabilityOut)
def set_availability(
    username: str, body: AvailabilityIn, request: Request, actor: ActorDep
) -> dict[str, Any]:
    """On duty and shift hours (Asia/Shanghai): auto-assignment never picks someone who is off."""
    return svc.set_availability(
        _app(request).uow(),
        actor=actor,
        username=username,
        on_duty=body.on_duty,
        shift_start=body.shift_start,
        shift_end=body.shift_end,
        working_days_only=body.working_days_only,
    )
