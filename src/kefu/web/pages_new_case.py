"""The file-a-case form: complaints, after-sales requests and feedback, by buyers or for them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from kefu.bootstrap import App
from kefu.domain import rbac
from kefu.domain.errors import DomainError, FieldError, InvalidInput, NotFound, PermissionDenied
from kefu.domain.screening import PriorResolution, kinds_for
from kefu.domain.types import Actor, CaseKind, Channel, FeedbackType
from kefu.services import cases as case_svc
from kefu.services import orders as order_svc
from kefu.web.auth import optional_actor
from kefu.web.pages_base import (
    PageRoute,
    check_form,
    error_list,
    error_page,
    form_choice,
    login_redirect,
    page_app,
    render_page,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PRIOR_LABEL = {
    "none": "否 no",
    "litigation": "已起诉 in court",
    "arbitration": "已申请仲裁 in arbitration",
    "offline_agreement": "已线下和解 settled offline",
    "administrative": "已向行政部门投诉 with a government office",
}
FEEDBACK_LABEL = {"suggestion": "建议 suggestion", "report": "举报 report"}
# Longest accepted values (as the API's schemas allow); the form carries them as maxlength.
LIMITS = {
    "subject": 200,
    "description": 5000,
    "order_no": 64,
    "contact_phone": 32,
    "contact_email": 200,
}
NOT_HERE = PermissionDenied(
    "您的角色不能在此提交投诉或反馈（商家请在案件页回复；客服请通过“登记来电”代客户建案）",
    "your role cannot file here (sellers answer on the case page; staff log a call to file for "
    "a customer)",
)


def _may_file(actor: Actor) -> bool:
    return rbac.can(actor, rbac.Permission.FILE_CASE) or rbac.can(
        actor, rbac.Permission.FILE_ON_BEHALF
    )


def _order(app: App, actor: Actor, order_no: str) -> Any:
    if not order_no or len(order_no) > LIMITS["order_no"]:
        return None
    try:
        return order_svc.get_order(app.uow(), actor=actor, order_no=order_no, now=app.clock.now())
    except (NotFound, PermissionDenied):
        return None


def _form_page(
    request: Request,
    actor: Actor,
    order_no: str,
    *,
    form: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    order = _order(page_app(request), actor, order_no)
    return render_page(
        request,
        "new_case.html",
        actor,
        status,
        order=order,
        order_no=order_no,
        errors=errors or [],
        form=form or {},
        kinds=kinds_for(order is not None),
        prior_resolutions=list(PriorResolution),
        PRIOR_LABEL=PRIOR_LABEL,
        FEEDBACK_LABEL=FEEDBACK_LABEL,
        LIMITS=LIMITS,
    )


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request, order_no: str = "") -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    if not _may_file(actor):
        return error_page(request, actor, 403, error_list(NOT_HERE))
    return _form_page(request, actor, order_no)


@router.post("/cases/new", response_class=HTMLResponse)
def file_case_form(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    order_no: Annotated[str, Form()] = "",
    contact_phone: Annotated[str, Form()] = "",
    contact_email: Annotated[str, Form()] = "",
    feedback_type: Annotated[str, Form()] = "",
    prior_resolution: Annotated[str, Form()] = "none",
    line_nos: Annotated[list[str] | None, Form()] = None,
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    if not _may_file(actor):
        return error_page(request, actor, 403, error_list(NOT_HERE))
    app = page_app(request)
    form: dict[str, Any] = {
        "kind": kind,
        "subject": subject,
        "description": description,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
        "feedback_type": feedback_type,
        "prior_resolution": prior_resolution,
        "line_nos": [str(n) for n in line_nos or ()],
    }
    try:
        check_form(app, request, csrf)
        _check_lengths({**form, "order_no": order_no})
        data = case_svc.FileCaseInput(
            kind=form_choice(CaseKind, kind, "kind"),
            channel=Channel.WEB,
            subject=subject,
            description=description,
            order_no=order_no or None,
            line_nos=_line_nos(line_nos or []),
            contact_phone=contact_phone,
            contact_email=contact_email,
            feedback_type=form_choice(FeedbackType, feedback_type, "feedback_type")
            if feedback_type
            else None,
            prior_resolution=_prior_resolution(prior_resolution),
        )
        filed = case_svc.file_case(
            app.uow(), actor=actor, data=data, now=app.clock.now(), policy=app.policy
        )
    except PermissionDenied:
        return error_page(request, actor, 403, error_list(NOT_HERE))
    except DomainError as exc:
        return _form_page(
            request, actor, order_no, form=form, errors=error_list(exc), status=exc.status
        )
    return RedirectResponse(f"/cases/{filed.case.number}", status_code=303)


def _check_lengths(values: dict[str, Any]) -> None:
    problems = [
        FieldError(name, "too_long", f"最多 {limit} 个字符", f"at most {limit} characters")
        for name, limit in LIMITS.items()
        if len(str(values.get(name) or "")) > limit
    ]
    if problems:
        raise InvalidInput(problems)


def _line_nos(raw: list[str]) -> tuple[int, ...]:
    try:
        return tuple(int(n) for n in raw if n)
    except ValueError:
        raise InvalidInput(
            [FieldError("line_nos", "invalid", "请勾选涉及的商品", "tick the items concerned")]
        ) from None


def _prior_resolution(raw: str) -> PriorResolution:
    try:
        return PriorResolution(raw or "none")
    except ValueError:
        raise InvalidInput(
            [FieldError("prior_resolution", "invalid", "请选择是否已另行处理", "choose an answer")]
        ) from None
