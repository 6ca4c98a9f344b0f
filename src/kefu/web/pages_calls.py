"""Agent console page for the phone channel: log a call, and it becomes a case (issue 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.domain.errors import DomainError, FieldError, InvalidInput, PermissionDenied
from kefu.domain.orders import SHANGHAI
from kefu.domain.types import INSTANT_RANGE_EN, INSTANT_RANGE_ZH, CaseKind, in_instant_range
from kefu.services import calls as call_svc
from kefu.web.auth import optional_actor
from kefu.web.pages import error_list, login_redirect, render_page
from kefu.web.pages_base import PageRoute, check_form, error_page

router = APIRouter(include_in_schema=False, route_class=PageRoute)
# Longest accepted values; the form carries them as maxlength and the post checks them here.
LIMITS = {
    "caller_number": 40,
    "caller_name": 100,
    "started_at": 40,
    "direction": 10,
    "order_no": 64,
    "kind": 20,
    "subject": 200,
    "notes": 5000,
}
REFUSED = PermissionDenied("只有客服人员可以登记来电", "only staff log calls")


def _started_at(raw: str) -> datetime:
    """The form's local wall-clock time (datetime-local, Asia/Shanghai) as an aware instant."""
    try:
        at = datetime.fromisoformat(raw).replace(tzinfo=SHANGHAI)
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
    if not in_instant_range(at):  # the API's Instant rule: year 1 has no UTC, 9999 no deadline
        raise InvalidInput(
            [FieldError("started_at", "out_of_range", INSTANT_RANGE_ZH, INSTANT_RANGE_EN)]
        )
    return at


@router.get("/calls/new", response_class=HTMLResponse)
def call_form(request: Request) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    if not actor.is_staff:
        return error_page(request, actor, 403, error_list(REFUSED))
    return render_page(request, "call_new.html", actor, form={}, LIMITS=LIMITS)


def _duration(raw: str) -> int:
    try:
        value = int(raw.strip() or 0)
    except ValueError:
        value = -1
    if value < 0:
        raise InvalidInput(
            [
                FieldError(
                    "duration_s",
                    "invalid",
                    "通话时长须为不小于 0 的整数秒",
                    "a whole number of seconds, 0 or more",
                )
            ]
        )
    return value


def _check_lengths(form: dict[str, str]) -> None:
    problems = [
        FieldError(name, "too_long", f"最多 {limit} 个字符", f"at most {limit} characters")
        for name, limit in LIMITS.items()
        if len(form.get(name, "")) > limit
    ]
    if problems:
        raise InvalidInput(problems)


@router.post("/calls/new", response_class=HTMLResponse)
def log_call(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    caller_number: Annotated[str, Form()] = "",
    caller_name: Annotated[str, Form()] = "",
    started_at: Annotated[str, Form()] = "",
    duration_s: Annotated[str, Form()] = "0",
    direction: Annotated[str, Form()] = "inbound",
    order_no: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    notes: Annotated[str, Form()] = "",
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    if not actor.is_staff:
        return error_page(request, actor, 403, error_list(REFUSED))
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
        check_form(app, request, csrf)
        _check_lengths(form)
        call = call_svc.CallInput(
            caller_number=caller_number,
            started_at=_started_at(started_at) if started_at else app.clock.now(),
            duration_s=_duration(duration_s),
            notes=notes,
            caller_name=caller_name,
            direction=direction,
            subject=subject,
            order_no=order_no or None,
            kind=_kind(kind),
        )
        logged = call_svc.log_call(
            app.uow(), actor=actor, call=call, now=app.clock.now(), policy=app.policy
        )
    except DomainError as exc:
        return render_page(
            request,
            "call_new.html",
            actor,
            exc.status,
            errors=error_list(exc),
            form=form,
            LIMITS=LIMITS,
        )
    return RedirectResponse(f"/cases/{logged.case.number}", status_code=303)


def _kind(raw: str) -> CaseKind | None:
    try:
        return CaseKind(raw) if raw else None
    except ValueError:
        raise InvalidInput(
            [FieldError("kind", "invalid", "请从列表中选择", "choose a value from the list")]
        ) from None
