"""Server-rendered pages: login, queue, case detail with allowed actions, file-a-case form."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from kefu.bootstrap import App
from kefu.domain import rbac
from kefu.domain.errors import DomainError, FieldError, InvalidInput, NotFound
from kefu.domain.orders import SHANGHAI
from kefu.domain.screening import PriorResolution, kinds_for
from kefu.domain.types import Actor, CaseKind, Category, Channel, FeedbackType
from kefu.domain.workflow import (
    ACTION_ZH,
    FIELD_PARAMS,
    STATUS_ZH,
    TEXT_PARAM,
    Action,
    text_param,
)
from kefu.services import cases as case_svc
from kefu.services import evidence as evidence_svc
from kefu.services import messages as message_svc
from kefu.services import orders as order_svc
from kefu.services import screening_admin, views
from kefu.services.users import authenticate, notifications_for
from kefu.web.auth import (
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    check_csrf,
    csrf_token,
    make_session,
    optional_actor,
)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(STATUS_ZH=STATUS_ZH, ACTION_ZH=ACTION_ZH)
templates.env.filters["yuan"] = lambda fen: f"¥{fen // 100}.{fen % 100:02d}"
templates.env.filters["local"] = lambda dt: (
    dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if dt else "—"
)


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def render_page(
    request: Request, name: str, actor: Actor | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    app = _app(request)
    return templates.TemplateResponse(
        request, name, {"actor": actor, "csrf": csrf_token(app, request), **ctx}, status_code=status
    )


def login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(str(request.url.path))}", status_code=303)


def require_csrf(app: App, request: Request, token: str) -> None:
    if not check_csrf(app, request, token):
        raise InvalidInput(
            [
                FieldError(
                    "csrf",
                    "invalid",
                    "页面已过期，请刷新后重试",
                    "the form expired; reload and retry",
                )
            ]
        )


def error_list(exc: DomainError) -> list[FieldError]:
    return list(exc.fields) or [FieldError("", exc.code, exc.zh, exc.en)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return RedirectResponse("/cases" if optional_actor(request) else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/cases") -> Response:
    return render_page(request, "login.html", None, next=next, errors=[])


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/cases",
) -> Response:
    app = _app(request)
    user = authenticate(app.reader(), username=username, password=password)
    if user is None:
        err = FieldError("password", "bad_login", "用户名或密码错误", "wrong username or password")
        return render_page(request, "login.html", None, 401, next=next, errors=[err])
    target = next if next.startswith("/") and not next.startswith("//") else "/cases"
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        make_session(app, user.id),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/cases", response_class=HTMLResponse)
def queue(
    request: Request,
    status: str | None = None,
    open: bool | None = None,
    overdue: bool = False,
    cursor: str | None = None,
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = _app(request)
    page = views.list_cases(
        app.reader(),
        actor=actor,
        now=app.clock.now(),
        query=views.ListQuery(
            status=status or None, open_only=open, overdue=overdue, cursor=cursor
        ),
    )
    orders = order_svc.my_orders(app.reader(), actor=actor, limit=10)
    notices = notifications_for(app.reader(), actor=actor)[:5]
    return render_page(
        request,
        "queue.html",
        actor,
        page=page,
        orders=orders,
        status_filter=status,
        notices=notices,
        statuses=list(STATUS_ZH),
    )


@router.get("/cases/new", response_class=HTMLResponse)
def new_case_form(request: Request, order_no: str = "") -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = _app(request)
    order = None
    if order_no:
        try:
            order = order_svc.get_order(
                app.uow(), actor=actor, order_no=order_no, now=app.clock.now()
            )
        except NotFound:
            order = None
    return render_page(
        request,
        "new_case.html",
        actor,
        order=order,
        order_no=order_no,
        errors=[],
        form={},
        kinds=kinds_for(order is not None),
        prior_resolutions=list(PriorResolution),
    )


@router.post("/cases/new", response_class=HTMLResponse)
def file_case_form(
    request: Request,
    csrf: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    subject: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    order_no: Annotated[str, Form()] = "",
    contact_phone: Annotated[str, Form()] = "",
    contact_email: Annotated[str, Form()] = "",
    feedback_type: Annotated[str, Form()] = "",
    prior_resolution: Annotated[str, Form()] = "none",
    line_nos: Annotated[list[int] | None, Form()] = None,
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = _app(request)
    form = {
        "kind": kind,
        "subject": subject,
        "description": description,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
    }
    try:
        require_csrf(app, request, csrf)
        data = case_svc.FileCaseInput(
            kind=CaseKind(kind),
            channel=Channel.WEB,
            subject=subject,
            description=description,
            order_no=order_no or None,
            line_nos=tuple(line_nos or ()),
            contact_phone=contact_phone,
            contact_email=contact_email,
            feedback_type=FeedbackType(feedback_type) if feedback_type else None,
            prior_resolution=_prior_resolution(prior_resolution),
        )
        filed = case_svc.file_case(
            app.uow(), actor=actor, data=data, now=app.clock.now(), policy=app.policy
        )
    except DomainError as exc:
        return render_page(
            request,
            "new_case.html",
            actor,
            422,
            order=None,
            order_no=order_no,
            errors=error_list(exc),
            form=form,
            kinds=list(CaseKind),
            prior_resolutions=list(PriorResolution),
        )
    return RedirectResponse(f"/cases/{filed.case.number}", status_code=303)


def _prior_resolution(raw: str) -> PriorResolution:
    try:
        return PriorResolution(raw or "none")
    except ValueError:
        raise InvalidInput(
            [FieldError("prior_resolution", "invalid", "请选择是否已另行处理", "choose an answer")]
        ) from None


def render_case(
    request: Request, actor: Actor, number: str, errors: list[FieldError], status: int = 200
) -> Response:
    """The case page, with errors above it (also used by pages_console's case forms)."""
    app = _app(request)
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
        FIELD_ZH=_FIELD_ZH,
    )


# Labels of the structured fields some actions ask for (workflow.FIELD_PARAMS).
_FIELD_ZH = {"carrier": "承运商 carrier", "tracking_no": "运单号 tracking no."}


@router.get("/cases/{number}", response_class=HTMLResponse)
def case_detail(request: Request, number: str) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    return render_case(request, actor, number, [])


@router.post("/cases/{number}/act", response_class=HTMLResponse)
def act(
    request: Request,
    number: str,
    csrf: Annotated[str, Form()],
    action: Annotated[str, Form()],
    version: Annotated[int, Form()],
    text: Annotated[str, Form()] = "",
    carrier: Annotated[str, Form(max_length=40)] = "",
    tracking_no: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = _app(request)
    try:
        require_csrf(app, request, csrf)
        parsed = Action(action)
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
            expected_version=version,
            now=app.clock.now(),
            policy=app.policy,
        )
    except DomainError as exc:
        return render_case(request, actor, number, error_list(exc), exc.status)
    return RedirectResponse(f"/cases/{number}", status_code=303)


@router.post("/cases/{number}/message", response_class=HTMLResponse)
def message(
    request: Request,
    number: str,
    csrf: Annotated[str, Form()],
    body: Annotated[str, Form()] = "",
    internal: Annotated[bool, Form()] = False,
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = _app(request)
    try:
        require_csrf(app, request, csrf)
        message_svc.post_message(
            app.uow(), actor=actor, number=number, body=body, internal=internal, now=app.clock.now()
        )
    except DomainError as exc:
        return render_case(request, actor, number, error_list(exc), exc.status)
    return RedirectResponse(f"/cases/{number}", status_code=303)


@router.post("/cases/{number}/evidence", response_class=HTMLResponse)
async def evidence(
    request: Request, number: str, csrf: Annotated[str, Form()], file: Annotated[UploadFile, File()]
) -> Response:
    actor = await run_in_threadpool(optional_actor, request)
    if actor is None:
        return login_redirect(request)
    app = _app(request)
    data = await file.read(max(app.policy.max_upload_bytes.values()) + 1)
    try:
        require_csrf(app, request, csrf)
        await run_in_threadpool(
            evidence_svc.add_evidence,
            app.uow(),
            app.storage,
            actor=actor,
            number=number,
            filename=file.filename or "evidence",
            data=data,
            now=app.clock.now(),
            policy=app.policy,
        )
    except DomainError as exc:
        return await run_in_threadpool(
            render_case, request, actor, number, error_list(exc), exc.status
        )
    return RedirectResponse(f"/cases/{number}", status_code=303)
