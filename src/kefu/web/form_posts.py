"""How every console form post goes: logged in, CSRF checked, one intent, then a redirect."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from kefu.bootstrap import App
from kefu.domain.errors import DomainError
from kefu.domain.types import Actor
from kefu.web.auth import optional_actor
from kefu.web.pages_base import check_form


def post_form(
    request: Request,
    csrf: str,
    intent: Callable[[App, Actor], str],
    *,
    refused: Callable[[Actor, DomainError], Response],
    login_next: str,
) -> Response:
    """Run `intent` (which returns where to go next) for the logged-in actor, after the
    form's checks (pages_base.check_form: its text, its CSRF token). A refusal shows the page
    again through `refused`, with the reasons in zh and en, never JSON; a logged-out visitor is
    sent to log in and then to `login_next`."""
    actor = optional_actor(request)
    if actor is None:
        return RedirectResponse(f"/login?next={quote(login_next)}", status_code=303)
    app: App = request.app.state.kefu
    try:
        check_form(app, request, csrf)
        where = intent(app, actor)
    except DomainError as exc:
        return refused(actor, exc)
    return RedirectResponse(where, status_code=303)
