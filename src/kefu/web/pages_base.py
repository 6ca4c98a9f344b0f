"""What every page shares: templates, rendering, CSRF, login redirects and the HTML error page."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu.bootstrap import App
from kefu.domain import rbac
from kefu.domain.errors import DomainError, FieldError, InvalidInput
from kefu.domain.orders import SHANGHAI
from kefu.domain.types import MAX_VERSION, Actor
from kefu.domain.workflow import ACTION_ZH, STATUS_ZH
from kefu.web import pages_labels as labels
from kefu.web.auth import check_csrf, csrf_token, optional_actor
from kefu.web.errors import known_message, unparsable_body
from kefu.web.routing import form_faults, path_faults, query_faults

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    STATUS_ZH=STATUS_ZH,
    ACTION_ZH=ACTION_ZH,
    KIND_LABEL=labels.KIND_LABEL,
    PRIORITY_LABEL=labels.PRIORITY_LABEL,
    CHANNEL_LABEL=labels.CHANNEL_LABEL,
    ROLE_LABEL_ALL=labels.ROLE_LABEL,
    EVENT_LABEL=labels.EVENT_LABEL,
    FIELD_LABEL=labels.FIELD_LABEL,
    label=labels.label,
    can=lambda actor, permission: rbac.can(actor, rbac.Permission(permission)),
)
templates.env.filters["yuan"] = lambda fen: f"¥{fen // 100}.{fen % 100:02d}"
templates.env.filters["local"] = lambda dt: (
    dt.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if dt else "—"
)

# Pydantic error types -> (zh, en), for a form or query the framework rejected before the page
# (worded for forms; the API's words, errors.known_message, cover the rest).
_SHAPE_ZH = {
    "missing": ("必填", "is required"),
    "string_too_long": ("过长", "is too long"),
    "int_parsing": ("必须是整数", "must be a whole number"),
    "int_from_float": ("必须是整数", "must be a whole number"),
    "greater_than_equal": ("数值太小", "is too small"),
    "bool_parsing": ("必须是 true 或 false", "must be true or false"),
}


def page_app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def render_page(
    request: Request, name: str, actor: Actor | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    app = page_app(request)
    return templates.TemplateResponse(
        request, name, {"actor": actor, "csrf": csrf_token(app, request), **ctx}, status_code=status
    )


def safe_next(target: str) -> str:
    """A local path to go to after logging in; anything else (other sites) goes to the queue."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/cases"


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, then back here with the query string kept."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)


# request.state key: form fields at fault that the page has yet to answer (take_form_faults).
_FAULTS = "unanswered_form_faults"
# NUL and lone surrogates, the characters text_faults refuses.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


EXPIRED = FieldError(
    "csrf", "invalid", "页面已过期，请刷新后重试", "the form expired; reload and retry"
)


def take_form_faults(request: Request) -> list[FieldError]:
    """The fields of the posted form holding text no column can hold (PageRoute found them
    and left them to the page, so that its refusal shows the form again). Taking them is what
    tells PageRoute the page answered them."""
    faults: list[FieldError] = getattr(request.state, _FAULTS, [])
    setattr(request.state, _FAULTS, [])
    return faults


def check_form(app: App, request: Request, token: str) -> None:
    """What every form post checks before its intent: no field holds text no column can hold,
    and the CSRF token is good. A refusal names every field at fault."""
    errors = take_form_faults(request)
    faulted = {e.field for e in errors}
    if "csrf" not in faulted and not check_csrf(app, request, token):
        errors.append(EXPIRED)
    if errors:
        raise InvalidInput(errors)


def error_list(exc: DomainError) -> list[FieldError]:
    return list(exc.fields) or [FieldError("", exc.code, exc.zh, exc.en)]


def shape_errors(exc: RequestValidationError) -> list[FieldError]:
    """A framework validation error as field errors a page can show."""
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        kind = str(err.get("type", "invalid"))
        zh, en = _SHAPE_ZH.get(kind) or known_message(err) or ("取值无效", "is not valid")
        out.append(FieldError(".".join(loc), kind, zh, en))
    return out


def error_page(
    request: Request, actor: Actor | None, status: int, errors: list[FieldError]
) -> Response:
    """The plain app page (header and all) with only the errors on it."""
    if actor is None and status in (401, 403, 404):
        return login_redirect(request)
    return render_page(request, "base.html", actor, status, errors=errors)


NO_SUCH_PAGE = FieldError("", "not_found", "页面不存在", "no such page")


def _fallback(request: Request, exc: Exception) -> Response:
    actor = optional_actor(request)
    if isinstance(exc, StarletteHTTPException):  # only ever a body the framework cannot parse
        return error_page(request, actor, 400, [unparsable_body(exc)])
    if isinstance(exc, DomainError):
        return error_page(request, actor, exc.status, error_list(exc))
    assert isinstance(exc, RequestValidationError)
    if any("path" in err.get("loc", ()) for err in exc.errors()):  # /chats/abc: no such page
        return error_page(request, actor, 404, [NO_SUCH_PAGE])
    return error_page(request, actor, 422, shape_errors(exc))


def _no_such_page(request: Request) -> Response:
    return error_page(request, optional_actor(request), 404, [NO_SUCH_PAGE])


E = TypeVar("E", bound=StrEnum)


def form_choice(enum: type[E], raw: str, name: str) -> E:
    """A select box's value, which must be one of the enum's."""
    try:
        return enum(raw)
    except ValueError:
        raise InvalidInput(
            [FieldError(name, "invalid", "请从列表中选择", "choose a value from the list")]
        ) from None


def form_optional_choice(enum: type[E], raw: str, name: str) -> E | None:
    """An optional select box: empty means "let the service decide"; anything else must match."""
    return form_choice(enum, raw, name) if raw else None


def form_version(raw: str) -> int:
    """The case version a form carries, within what the database holds (as the API's)."""
    try:
        version = int(raw)
    except ValueError:
        version = 0
    if not 1 <= version <= MAX_VERSION:
        raise InvalidInput(
            [FieldError("version", "invalid", "版本号无效，请刷新页面", "bad version; reload")]
        )
    return version


async def _leave_to_the_page(request: Request, faults: list[FieldError]) -> None:
    """Hand the form's text faults to the page (check_form raises them), and give it the form
    with each such character replaced by U+FFFD: the page shows what was typed again, and
    what it shows or looks up (an order number) is text a page and a database can hold. One
    character for one keeps every length the form checks."""
    form = await request.form()
    fixed = [
        (_UNSTORABLE.sub("\ufffd", k), _UNSTORABLE.sub("\ufffd", v) if isinstance(v, str) else v)
        for k, v in form.multi_items()
    ]
    # FastAPI reads the form the request parsed and kept; the page gets this one instead.
    request._form = FormData(fixed)
    setattr(request.state, _FAULTS, faults)


class PageRoute(APIRoute):
    """A page route: an error no handler caught still answers with an HTML page, never JSON;
    text no column can hold is refused as the API refuses it (routing.py): in the path it
    names no page (404), in the query it is a 422 page naming the field. In a posted form the
    page refuses it itself (check_form), showing the form again with what was typed and the
    field's reason, as it refuses anything else; a page that never looked gets the plain
    error page instead of its answer."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                if path_faults(request):
                    return await run_in_threadpool(_no_such_page, request)
                errors = query_faults(request)
                if errors:
                    raise InvalidInput(errors)
                faults = await form_faults(request)
                if faults:
                    await _leave_to_the_page(request, faults)
                response = await handler(request)
                if getattr(request.state, _FAULTS, None):
                    # The page never checked its form (only check_form and the login page
                    # do): refuse as before rather than answer as if the form were good.
                    raise InvalidInput(faults)
                return response
            except StarletteHTTPException as exc:
                if exc.status_code != 400:
                    raise
                return await run_in_threadpool(_fallback, request, exc)
            except (DomainError, RequestValidationError) as exc:
                return await run_in_threadpool(_fallback, request, exc)

        return page_handler
