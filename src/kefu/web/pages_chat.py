"""Live chat pages: a buyer starts a chat, staff join it, both talk, staff turn it into a case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from kefu.bootstrap import App
from kefu.domain import rbac
from kefu.domain.errors import DomainError, FieldError, InvalidInput, PermissionDenied
from kefu.domain.types import Actor, CaseKind, Category, FeedbackType, Priority
from kefu.services import chat as chat_svc
from kefu.web.api_chat import HUB
from kefu.web.auth import optional_actor
from kefu.web.form_posts import post_form
from kefu.web.pages import error_list, login_redirect, render_page
from kefu.web.pages_base import PageRoute, form_optional_choice
from kefu.web.pages_labels import ROLE_LABEL
from kefu.web.schemas import RowId

router = APIRouter(include_in_schema=False, route_class=PageRoute)

CHAT_STATUS = {"waiting": "等待接入 waiting", "active": "进行中 active", "closed": "已结束 closed"}
KIND_ZH = {"complaint": "投诉", "dispute": "纠纷", "aftersales": "售后", "feedback": "反馈"}
FEEDBACK_ZH = {"report": "问题反馈", "suggestion": "建议"}
PRIORITY_ZH = {"urgent": "紧急", "high": "高", "normal": "普通", "low": "低"}
TOPIC_CHARS = 60  # the first message's opening words name the chat in the staff queue
ORDER_NO_CHARS = 64  # as the chat session and order columns allow
CASE_TEXT_LIMITS = {
    "subject": 200,
    "order_no": ORDER_NO_CHARS,
    "contact_phone": 32,
    "contact_email": 200,
}


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def _too_long(name: str, value: str, limit: int) -> FieldError | None:
    if len(value) <= limit:
        return None
    return FieldError(name, "too_long", f"最多 {limit} 个字符", f"at most {limit} characters")


def _first_message(body: str, order_no: str) -> None:
    """Every field at fault in one answer (the service checks the line, then the order)."""
    problems = []
    text = body.strip()
    if not text or len(text) > chat_svc.MAX_LINE:
        problems.append(
            FieldError(
                "body",
                "length",
                f"请写下您的问题（1 到 {chat_svc.MAX_LINE} 个字符）",
                f"write your question (1 to {chat_svc.MAX_LINE} characters)",
            )
        )
    too_long = _too_long("order_no", order_no, ORDER_NO_CHARS)
    if too_long:
        problems.append(too_long)
    if problems:
        raise InvalidInput(problems)


def _list_page(
    request: Request,
    actor: Actor,
    *,
    errors: list[FieldError] | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    try:
        chats = chat_svc.list_chats(_app(request).reader(), actor=actor)
    except PermissionDenied:  # sellers: neither start nor handle chats
        exc = PermissionDenied(
            "只有买家和客服人员可以使用在线咨询", "only buyers and staff use the live chat"
        )
        return render_page(
            request, "chat_list.html", actor, exc.status, errors=error_list(exc), chats=None
        )
    return render_page(
        request,
        "chat_list.html",
        actor,
        status,
        errors=errors or [],
        chats=chats,
        staff=rbac.can(actor, rbac.Permission.HANDLE_CHAT),
        form=form or {},
        CHAT_STATUS=CHAT_STATUS,
    )


def _chat_page(
    request: Request,
    actor: Actor,
    session_id: int,
    *,
    errors: list[FieldError] | None = None,
    status: int = 200,
    draft: str = "",
    case_form: dict[str, str] | None = None,
) -> Response:
    """The chat as it stands; a chat the actor may not see renders as the error alone."""
    try:
        session, lines = chat_svc.read_chat(
            _app(request).reader(), actor=actor, session_id=session_id
        )
    except DomainError as exc:
        return render_page(
            request, "chat.html", actor, exc.status, errors=error_list(exc), session=None
        )
    defaults = {"subject": session.topic, "order_no": session.order_no or ""}
    return render_page(
        request,
        "chat.html",
        actor,
        status,
        errors=errors or [],
        session=session,
        lines=lines,
        staff=rbac.can(actor, rbac.Permission.HANDLE_CHAT),
        draft=draft,
        case_form=case_form if case_form is not None else defaults,
        case_form_open=case_form is not None,
        ROLE_LABEL=ROLE_LABEL,  # who said a line: the transcript and the live script's labels
        CHAT_STATUS=CHAT_STATUS,
        KINDS=KIND_ZH,
        FEEDBACK_TYPES=FEEDBACK_ZH,
        CATEGORIES=[c.value for c in Category],
        PRIORITIES=PRIORITY_ZH,
    )


@router.get("/chats", response_class=HTMLResponse)
def chat_list(request: Request) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    return _list_page(request, actor)


@router.post("/chats", response_class=HTMLResponse)
def start_chat(
    request: Request,
    csrf: Annotated[str, Form()] = "",
    order_no: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    order_no = order_no.strip()

    def start(app: App, actor: Actor) -> str:
        _first_message(body, order_no)
        session = chat_svc.open_chat(
            app.uow(),
            actor=actor,
            topic=body.strip().splitlines()[0][:TOPIC_CHARS],
            order_no=order_no or None,
            now=app.clock.now(),
            first_line=body,
        )
        HUB.bump(session.id)
        return f"/chats/{session.id}"

    def refused(actor: Actor, exc: DomainError) -> Response:
        form = {"order_no": order_no, "body": body}
        return _list_page(request, actor, errors=error_list(exc), status=exc.status, form=form)

    return post_form(request, csrf, start, refused=refused, login_next="/chats")


@router.get("/chats/{session_id}", response_class=HTMLResponse)
def chat_page(request: Request, session_id: RowId) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    return _chat_page(request, actor, session_id)


@router.post("/chats/{session_id}/messages", response_class=HTMLResponse)
def post_message(
    request: Request,
    session_id: RowId,
    csrf: Annotated[str, Form()] = "",
    body: Annotated[str, Form()] = "",
) -> Response:
    """The composer without JavaScript: the same intent as a WebSocket frame, then back."""

    def say(app: App, actor: Actor) -> str:
        chat_svc.post_line(
            app.uow(),
            actor=actor,
            session_id=session_id,
            body=body,
            client_msg_id=None,
            now=app.clock.now(),
        )
        HUB.bump(session_id)  # wakes the WebSocket connections of this process at once
        return f"/chats/{session_id}#composer"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _chat_page(
            request, actor, session_id, errors=error_list(exc), status=exc.status, draft=body
        )

    return post_form(request, csrf, say, refused=refused, login_next=f"/chats/{session_id}")


@router.post("/chats/{session_id}/join", response_class=HTMLResponse)
def join_chat(request: Request, session_id: RowId, csrf: Annotated[str, Form()] = "") -> Response:
    return _session_step(request, session_id, csrf, chat_svc.join_chat)


@router.post("/chats/{session_id}/close", response_class=HTMLResponse)
def close_chat(request: Request, session_id: RowId, csrf: Annotated[str, Form()] = "") -> Response:
    return _session_step(request, session_id, csrf, chat_svc.close_chat)


def _session_step(
    request: Request, session_id: int, csrf: str, step: Callable[..., object]
) -> Response:
    """Join or close: the chat's status changes, everyone's live page hears of it."""

    def run(app: App, actor: Actor) -> str:
        step(app.uow(), actor=actor, session_id=session_id, now=app.clock.now())
        HUB.bump(session_id)
        return f"/chats/{session_id}"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _chat_page(request, actor, session_id, errors=error_list(exc), status=exc.status)

    return post_form(request, csrf, run, refused=refused, login_next=f"/chats/{session_id}")


def _case_input(form: dict[str, str]) -> chat_svc.ChatCaseInput:
    problems = [
        p
        for name, limit in CASE_TEXT_LIMITS.items()
        if (p := _too_long(name, form[name], limit)) is not None
    ]
    if problems:
        raise InvalidInput(problems)
    return chat_svc.ChatCaseInput(
        kind=form_optional_choice(CaseKind, form["kind"], "kind"),
        subject=form["subject"],
        order_no=form["order_no"] or None,
        feedback_type=form_optional_choice(FeedbackType, form["feedback_type"], "feedback_type"),
        category=form_optional_choice(Category, form["category"], "category"),
        priority=form_optional_choice(Priority, form["priority"], "priority"),
        contact_phone=form["contact_phone"],
        contact_email=form["contact_email"],
    )


@router.post("/chats/{session_id}/case", response_class=HTMLResponse)
def chat_to_case(
    request: Request,
    session_id: RowId,
    csrf: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    order_no: Annotated[str, Form()] = "",
    feedback_type: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "",
    contact_phone: Annotated[str, Form()] = "",
    contact_email: Annotated[str, Form()] = "",
) -> Response:
    """Staff: file the chat's case (transcript attached, chat closed), then show the case."""
    form = {
        "kind": kind,
        "subject": subject.strip(),
        "order_no": order_no.strip(),
        "feedback_type": feedback_type,
        "category": category,
        "priority": priority,
        "contact_phone": contact_phone.strip(),
        "contact_email": contact_email.strip(),
    }

    def file(app: App, actor: Actor) -> str:
        case, _created = chat_svc.chat_to_case(
            app.uow(),
            app.storage,
            actor=actor,
            session_id=session_id,
            data=_case_input(form),
            now=app.clock.now(),
            policy=app.policy,
        )
        HUB.bump(session_id)  # the buyer's open page learns the chat is closed
        return f"/cases/{case.number}"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _chat_page(
            request, actor, session_id, errors=error_list(exc), status=exc.status, case_form=form
        )

    return post_form(request, csrf, file, refused=refused, login_next=f"/chats/{session_id}")
