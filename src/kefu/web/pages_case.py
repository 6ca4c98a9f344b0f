"""The case page: its facts, the actions the actor may take, messages, evidence, the timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kefu.domain import rbac
from kefu.domain.errors import DomainError, FieldError, InvalidInput, NotFound
from kefu.domain.types import Actor, Category
from kefu.domain.workflow import FIELD_PARAMS, TEXT_PARAM, Action, text_param
from kefu.services import cases as case_svc
from kefu.services import evidence as evidence_svc
from kefu.services import messages as message_svc
from kefu.services import screening_admin, views
from kefu.web import pages_labels as labels
from kefu.web.auth import optional_actor
from kefu.web.pages_base import (
    PageRoute,
    check_form,
    error_list,
    error_page,
    form_version,
    login_redirect,
    page_app,
    render_page,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Longest accepted values (as the API's schemas allow); the forms carry them as maxlength.
TEXT_LIMITS = {"reason": 2000, "body": 5000, "decision": 5000}
FIELD_LIMITS = {"carrier": 40, "tracking_no": 64}
MESSAGE_LIMIT = 5000


def render_case(
    request: Request,
    actor: Actor,
    number: str,
    errors: list[FieldError],
    status: int = 200,
    typed: dict[str, Any] | None = None,
) -> Response:
    """The case page, with errors above it and what was typed kept (also for pages_console)."""
    app = page_app(request)
    view = views.get_case_view(app.uow(), actor=actor, number=number, now=app.clock.now())
    screening = None
    if rbac.can(actor, rbac.Permission.VIEW_SCREENING):
        try:
            screening = screening_admin.screening_of(app.reader(), actor=actor, number=number)
        except NotFound:  # cases filed before screening existed have no verdict
            screening = None
    assign = None  # the console's forms (pages_console.py): what the actor may offer
    if rbac.can(actor, rbac.Permission.ASSIGN_CASE):
        assign = views.assign_options(
            app.reader(), actor=actor, team_id=view.case.team_id, assignee_id=view.case.assignee_id
        )
    return render_page(
        request,
        "case.html",
        actor,
        status,
        view=view,
        case=view.case,
        screening=screening,
        assign=assign,
        can_recategorize=rbac.can(actor, rbac.Permission.RECATEGORIZE),
        categories=list(Category),
        errors=errors,
        needs={a.value: name for a, name in TEXT_PARAM.items()},
        fields={a.value: names for a, names in FIELD_PARAMS.items()},
        FIELD_ZH=labels.FIELD_LABEL,
        TEXT_PLACEHOLDER=labels.TEXT_PLACEHOLDER,
        TEXT_LIMITS=TEXT_LIMITS,
        FIELD_LIMITS=FIELD_LIMITS,
        MESSAGE_LIMIT=MESSAGE_LIMIT,
        SUSPEND_REASONS=labels.SUSPEND_REASON_LABEL,
        typed=typed or {},
    )


def back_to_case(
    request: Request,
    actor: Actor,
    number: str,
    exc: DomainError,
    typed: dict[str, Any] | None = None,
) -> Response:
    """The case page with the rejection on it; a case the actor cannot see gets a 404 page."""
    try:
        return render_case(request, actor, number, error_list(exc), exc.status, typed)
    except NotFound as missing:
        return error_page(request, actor, 404, error_list(missing))


def _too_long(values: dict[str, str], limits: dict[str, int]) -> None:
    problems = [
        FieldError(name, "too_long", f"最多 {limit} 个字符", f"at most {limit} characters")
        for name, limit in limits.items()
        if len(values.get(name, "")) > limit
    ]
    if problems:
        raise InvalidInput(problems)


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_detail(request: Request, number: str) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    try:
        return render_case(request, actor, number, [])
    except NotFound as missing:  # unknown, or another buyer's: the same answer for both
        return error_page(request, actor, 404, error_list(missing))


@router.post("/cases/{number}/act", response_class=HTMLResponse)
def act(
    request: Request,
    number: str,
    csrf: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    carrier: Annotated[str, Form()] = "",
    tracking_no: Annotated[str, Form()] = "",
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = page_app(request)
    typed = {"action": action, "text": text, "carrier": carrier, "tracking_no": tracking_no}
    try:
        check_form(app, request, csrf)
        parsed = _action(action)
        _too_long({"carrier": carrier, "tracking_no": tracking_no}, FIELD_LIMITS)
        limit = TEXT_LIMITS.get(text_param(parsed), 2000)
        if len(text) > limit:
            name = text_param(parsed)
            raise InvalidInput(
                [
                    FieldError(
                        name, "too_long", f"最多 {limit} 个字符", f"at most {limit} characters"
                    )
                ]
            )
        given = {"carrier": carrier, "tracking_no": tracking_no}
        params = {k: v for k, v in given.items() if v and k in FIELD_PARAMS.get(parsed, ())}
        if text:
            params[text_param(parsed)] = text
        case_svc.act_on_case(
            app.uow(),
            actor=actor,
            number=number,
            action=parsed,
            params=params,
            expected_version=form_version(version),
            now=app.clock.now(),
            policy=app.policy,
        )
    except DomainError as exc:
        return back_to_case(request, actor, number, exc, typed)
    return RedirectResponse(f"/cases/{number}", status_code=303)


def _action(raw: str) -> Action:
    try:
        return Action(raw)
    except ValueError:
        raise InvalidInput(
            [FieldError("action", "invalid", "未知操作，请刷新页面", "unknown action; reload")]
        ) from None


@router.post("/cases/{number}/message", response_class=HTMLResponse)
def message(
    request: Request,
    number: str,
    csrf: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
    internal: Annotated[str, Form()] = "",
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = page_app(request)
    is_internal = internal.lower() in ("true", "on", "1", "yes")
    typed = {"body": body, "internal": is_internal}
    try:
        check_form(app, request, csrf)
        _too_long({"body": body}, {"body": MESSAGE_LIMIT})
        message_svc.post_message(
            app.uow(),
            actor=actor,
            number=number,
            body=body,
            internal=is_internal,
            now=app.clock.now(),
        )
    except DomainError as exc:
        return back_to_case(request, actor, number, exc, typed)
    return RedirectResponse(f"/cases/{number}", status_code=303)


NO_FILE = FieldError("file", "required", "请选择要上传的文件", "choose a file to upload")


@router.post("/cases/{number}/evidence", response_class=HTMLResponse)
async def evidence(
    request: Request,
    number: str,
    csrf: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    actor = await run_in_threadpool(optional_actor, request)
    if actor is None:
        return login_redirect(request)
    app = page_app(request)
    upload = file if file is not None and file.filename else None
    data = await upload.read(max(app.policy.max_upload_bytes.values()) + 1) if upload else b""
    try:
        check_form(app, request, csrf)
        if upload is None:
            raise InvalidInput([NO_FILE])
        await run_in_threadpool(
            evidence_svc.add_evidence,
            app.uow(),
            app.storage,
            actor=actor,
            number=number,
            filename=upload.filename or "evidence",
            data=data,
            now=app.clock.now(),
            policy=app.policy,
        )
    except DomainError as exc:
        return await run_in_threadpool(back_to_case, request, actor, number, exc)
    return RedirectResponse(f"/cases/{number}", status_code=303)
