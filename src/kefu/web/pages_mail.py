"""The mail failures console page: failing and given-up mail, taken in or sent again by a click."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from kefu import mailroom
from kefu.bootstrap import App
from kefu.domain.errors import DomainError, FieldError, PermissionDenied
from kefu.domain.types import Actor
from kefu.services import mail_desk
from kefu.web.auth import optional_actor
from kefu.web.form_posts import post_form
from kefu.web.pages import error_list, login_redirect, render_page
from kefu.web.pages_base import PageRoute
from kefu.web.pages_labels import MAIL_KIND_LABEL, MAIL_STATE_LABEL
from kefu.web.schemas import RowId

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Text = Annotated[str, Form(max_length=200)]
HERE = "/mail/failures"


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def _notices(retaken: int | None, resent: int | None, still_fails: int | None) -> list[str]:
    """What the last click did, said after the redirect (zh, then en). Only ids arrive: the
    table below shows the rest as it is now."""
    notices = []
    if retaken is not None:
        notices.append(f"已重新接收邮件 #{retaken} / mail #{retaken} was taken in again")
    if still_fails is not None:
        notices.append(
            f"重新接收邮件 #{still_fails} 仍然失败，仍为已放弃，最后错误见下表 / "
            f"mail #{still_fails} still fails to be taken in; it stays given up, "
            "its last error is in the table below"
        )
    if resent is not None:
        notices.append(
            f"已安排重新发送邮件 #{resent}，稍后由后台发出 / "
            f"mail #{resent} was queued to be sent again; the worker sends it shortly"
        )
    return notices


def _page(
    request: Request,
    actor: Actor,
    errors: list[FieldError],
    status: int = 200,
    notices: list[str] | None = None,
) -> Response:
    try:
        found = mail_desk.mail_failures(_app(request).reader(), actor=actor)
    except PermissionDenied as exc:
        return render_page(request, "mail_failures.html", actor, 403, errors=error_list(exc))
    return render_page(
        request,
        "mail_failures.html",
        actor,
        status,
        failures=found,
        errors=errors,
        notices=notices or [],
        MAIL_STATE_LABEL=MAIL_STATE_LABEL,
        MAIL_KIND_LABEL=MAIL_KIND_LABEL,
    )


@router.get(HERE, response_class=HTMLResponse)
def mail_failures(
    request: Request,
    retaken: RowId | None = None,
    resent: RowId | None = None,
    still_fails: RowId | None = None,
) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    return _page(request, actor, [], notices=_notices(retaken, resent, still_fails))


@router.post("/mail/inbound/{mail_id}/retake", response_class=HTMLResponse)
def retake(request: Request, mail_id: RowId, csrf: Text = "") -> Response:
    def take_in(app: App, actor: Actor) -> str:
        done = mailroom.retake_as(app, actor, mail_id)
        # Failing again is no refusal: the retake was made and recorded; the page says so.
        return f"{HERE}?still_fails={mail_id}" if done.failed_again else f"{HERE}?retaken={mail_id}"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _page(request, actor, error_list(exc), exc.status)

    return post_form(request, csrf, take_in, refused=refused, login_next=HERE)


@router.post("/mail/outbound/{mail_id}/resend", response_class=HTMLResponse)
def resend(request: Request, mail_id: RowId, csrf: Text = "") -> Response:
    def send_again(app: App, actor: Actor) -> str:
        mailroom.resend_as(app, actor, mail_id)
        return f"{HERE}?resent={mail_id}"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _page(request, actor, error_list(exc), exc.status)

    return post_form(request, csrf, send_again, refused=refused, login_next=HERE)
