"""Server-rendered pages: login and logout, the case queue; the case pages' routers joined here."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from kefu.domain.errors import DomainError, FieldError, InvalidInput
from kefu.domain.workflow import STATUS_ZH
from kefu.services import orders as order_svc
from kefu.services import views
from kefu.services.users import authenticate, notifications_for
from kefu.web import pages_case, pages_new_case
from kefu.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, make_session, optional_actor
from kefu.web.pages_base import (
    PageRoute,
    check_form,
    error_list,
    error_page,
    login_redirect,
    page_app,
    render_page,
    safe_next,
    take_form_faults,
    templates,
)
from kefu.web.pages_case import render_case

# Re-exported: the other page modules import these from here.
__all__ = [
    "error_list",
    "login_redirect",
    "render_case",
    "render_page",
    "router",
    "templates",
]

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FAVICON = Path(__file__).parent / "static" / "favicon.svg"
_BOOL = {"true": True, "1": True, "on": True, "yes": True, "false": False, "0": False, "no": False}


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return RedirectResponse("/cases" if optional_actor(request) else "/login", status_code=303)


@router.get("/favicon.ico")
def favicon() -> Response:
    return FileResponse(FAVICON, media_type="image/svg+xml")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/cases") -> Response:
    return render_page(request, "login.html", None, next=safe_next(next), errors=[], username="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/cases",
) -> Response:
    app = page_app(request)
    # The login form has no CSRF token (there is no session to bind it to): its one check.
    faults = take_form_faults(request)
    if faults:
        return render_page(
            request, "login.html", None, 422, next=safe_next(next), errors=faults, username=username
        )
    user = authenticate(app.reader(), username=username, password=password)
    if user is None:
        err = FieldError("password", "bad_login", "用户名或密码错误", "wrong username or password")
        return render_page(
            request, "login.html", None, 401, next=safe_next(next), errors=[err], username=username
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        make_session(app, user.id),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """Drop the session cookie (sessions are signed, not stored: nothing to revoke server-side)."""
    actor = optional_actor(request)
    if actor is not None:
        try:
            check_form(page_app(request), request, csrf)
        except DomainError as exc:
            return error_page(request, actor, exc.status, error_list(exc))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _flag(raw: str, name: str) -> bool | None:
    if not raw:
        return None
    if raw.lower() in _BOOL:
        return _BOOL[raw.lower()]
    raise InvalidInput(
        [FieldError(name, "invalid", "必须是 true 或 false", "must be true or false")]
    )


@router.get("/cases", response_class=HTMLResponse)
def queue(
    request: Request,
    status: str = "",
    open: str = "",
    overdue: str = "",
    cursor: str = "",
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    app = page_app(request)
    errors: list[FieldError] = []
    filters = {"status": status, "open": open, "overdue": overdue}
    try:
        query = views.ListQuery(
            status=status or None,
            open_only=_flag(open, "open"),
            overdue=bool(_flag(overdue, "overdue")),
            cursor=cursor or None,
        )
        page = views.list_cases(app.reader(), actor=actor, now=app.clock.now(), query=query)
        code = 200
    except DomainError as exc:  # a bad filter or page link: the first page, unfiltered
        errors, code = error_list(exc), exc.status
        filters = {"status": "", "open": "", "overdue": ""}
        page = views.list_cases(
            app.reader(), actor=actor, now=app.clock.now(), query=views.ListQuery()
        )
    kept = {k: v for k, v in filters.items() if v}
    orders = order_svc.my_orders(app.reader(), actor=actor, limit=10)
    notices = notifications_for(app.reader(), actor=actor)[:5]
    next_link = None
    if page.next_cursor:
        next_link = "/cases?" + urlencode({**kept, "cursor": page.next_cursor})
    return render_page(
        request,
        "queue.html",
        actor,
        code,
        errors=errors,
        page=page,
        orders=orders,
        status_filter=filters["status"],
        overdue_filter=bool(filters["overdue"]) and _BOOL.get(filters["overdue"].lower(), False),
        open_filter=filters["open"],
        next_link=next_link,
        notices=notices,
        statuses=list(STATUS_ZH),
    )


# Order matters: /cases/new before /cases/{number}.
router.include_router(pages_new_case.router)
router.include_router(pages_case.router)
