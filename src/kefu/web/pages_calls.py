"""Agent console page for the phone channel: log a call, and it becomes a case (issue 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.domain.errors import DomainError, FieldError, InvalidInput, PermissionDenied
from kefu.domain.orders import SHANGHAI
from kefu.domain.types import CaseKind
from kefu.services import calls as call_svc
from kefu.web.auth import optional_actor
from kefu.web.pages import error_list, login_redirect, render_page, require_csrf

router = APIRouter(include_in_schema=False)


def _started_at(raw: str) -> datetime:
    """The form's local wall-clock time (datetime-local, Asia/Shanghai) as an aware instant."""
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise InvalidInput(
            [
                FieldError(
                    "started_at",
                    "invalid",
                    "通话时间格式无效",
                    "not a valid date and time",
                )
            ]
        ) from None


@router.get("/calls/new", response_class=HTMLResponse)
def call_form(request: Request) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    if not actor.is_staff:
        exc = PermissionDenied("只有客服人员可以登记来电", "only staff log calls")
        return render_page(request, "call_new.html", actor, 403, errors=error_list(exc), form={})
    return render_page(request, "call_new.html", actor, form={})


@router.post("/calls/new", response_class=HTMLResponse)
def log_call(
    request: Request,
    csrf: Annotated[str, Form()],
    caller_number: Annotated[str, Form(max_length=40)] = "",
    caller_name: Annotated[str, Form(max_length=100)] = "",
    started_at: Annotated[str, Form(max_length=40)] = "",
    duration_s: Annotated[int, Form(ge=0)] = 0,
    direction: Annotated[str, Form(max_length=10)] = "inbound",
    order_no: Annotated[str, Form(max_length=64)] = "",
    kind: Annotated[str, Form(max_length=20)] = "",
    subject: Annotated[str, Form(max_length=200)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = request.app.state.kefu
    form = {
        "caller_number": caller_number,
        "caller_name": caller_name,
        "started_at": started_at,
        "duration_s": duration_s,
        "direction": direction,
        "order_no": order_no,
        "kind": kind,
        "subject": subject,
        "notes": notes,
    }
    try:
        require_csrf(app, request, csrf)
        call = call_svc.CallInput(
            caller_number=caller_number,
            started_at=_started_at(started_at) if started_at else app.clock.now(),
            duration_s=duration_s,
            notes=notes,
            caller_name=caller_name,
            direction=direction,
            subject=subject,
            order_no=order_no or None,
            kind=CaseKind(kind) if kind else None,
        )
        logged = call_svc.log_call(
            app.uow(), actor=actor, call=call, now=app.clock.now(), policy=app.policy
        )
    except DomainError as exc:
        return render_page(
            request, "call_new.html", actor, exc.status, errors=error_list(exc), form=form
        )
    return RedirectResponse(f"/cases/{logged.case.number}", status_code=303)
