"""/api/v1/calls: an agent logs a phone call as a case (channel phone)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from kefu.bootstrap import App
from kefu.domain.types import Actor, CaseKind, Category, FeedbackType, Priority
from kefu.services import calls as call_svc
from kefu.web.api_cases import case_reply
from kefu.web.auth import current_actor
from kefu.web.errors import DocumentedRoute
from kefu.web.responses import replayed
from kefu.web.schemas import Instant, JsonInt, idempotency_hash
from kefu.web.schemas_out import CallCaseOut

router = APIRouter(prefix="/api/v1", tags=["channels"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller_name: str = Field(default="", max_length=100)
    caller_number: str = Field(min_length=1, max_length=32)
    direction: Literal["inbound", "outbound"] = "inbound"
    started_at: Instant = Field(description="with a UTC offset, e.g. 2026-11-24T10:00:00+08:00")
    duration_s: JsonInt = Field(ge=0, le=86400)
    notes: str = Field(max_length=5000, description="what the caller said; becomes the case text")
    subject: str = Field(default="", max_length=200)
    order_no: str | None = Field(default=None, max_length=64)
    kind: CaseKind | None = None
    feedback_type: FeedbackType | None = None
    category: Category | None = None
    priority: Priority | None = None


@router.post(
    "/calls",
    status_code=201,
    response_model=CallCaseOut,
    responses=replayed(CallCaseOut, "the call logged before with this Idempotency-Key"),
)
def log_call(
    body: CallIn,
    request: Request,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """Staff only: the call becomes a case; its details are kept and shown to staff."""
    app: App = request.app.state.kefu
    request_hash = idempotency_hash(body, idempotency_key)
    logged = call_svc.log_call(
        app.uow(),
        actor=actor,
        call=call_svc.CallInput(**body.model_dump()),
        now=app.clock.now(),
        policy=app.policy,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
    )
    out = case_reply(app, actor, logged.case)
    out["call"] = {"id": logged.call_id, **body.model_dump(mode="json")}
    return JSONResponse(
        out,
        status_code=201 if logged.created else 200,
        headers={"Location": f"/api/v1/cases/{logged.case.number}"},
    )
