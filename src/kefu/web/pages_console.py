"""Staff console pages: correct a case's category, assign it, review flagged buyers, on duty."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from kefu.bootstrap import App
from kefu.domain.errors import (
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from kefu.domain.screening import FlagStatus
from kefu.domain.types import Actor, Category
from kefu.services import cases as case_svc
from kefu.services import screening_admin
from kefu.web.auth import optional_actor
from kefu.web.form_posts import post_form
from kefu.web.pages import error_list, login_redirect, render_case, render_page
from kefu.web.pages_base import PageRoute, form_version
from kefu.web.schemas import RowId

router = APIRouter(include_in_schema=False, route_class=PageRoute)

# Form fields arrive as text and are checked here, so a forged or truncated form gets the page
# back with the field at fault, never a JSON validation error.
Text = Annotated[str, Form(max_length=200)]


def _app(request: Request) -> App:
    app: App = request.app.state.kefu
    return app


def _errors(exc: DomainError) -> list[FieldError]:
    """Field errors for a page; a version conflict also says what happened and what is shown."""
    if isinstance(exc, VersionConflict):
        return [
            FieldError(
                "version",
                "stale",
                "此案件已被他人修改，下方显示的是最新内容；请核对后重新提交。" + exc.zh,
                "someone else changed this case; the page now shows its current state: "
                "check it and submit again. " + exc.en,
            )
        ]
    return error_list(exc)


def _back_to_case(
    request: Request,
    actor: Actor,
    number: str,
    exc: DomainError,
    typed: dict[str, str] | None = None,
) -> Response:
    """The case page with the rejection on it (and what was typed in its form); a case the
    actor cannot see gets a plain page."""
    try:
        return render_case(request, actor, number, _errors(exc), exc.status, typed)
    except NotFound as missing:
        return render_page(request, "base.html", actor, 404, errors=error_list(missing))


def _case_form(
    request: Request,
    number: str,
    csrf: str,
    intent: Callable[[App, Actor], str],
    typed: dict[str, str] | None = None,
) -> Response:
    """A form on the case page: back to the case, or the case page with the rejection."""

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _back_to_case(request, actor, number, exc, typed)

    return post_form(request, csrf, intent, refused=refused, login_next=f"/cases/{number}")


@router.post("/cases/{number}/category", response_class=HTMLResponse)
def correct_category(
    request: Request, number: str, csrf: Text = "", category: Text = "", version: Text = ""
) -> Response:
    def correct(app: App, actor: Actor) -> str:
        try:
            chosen = Category(category)
        except ValueError:
            raise InvalidInput(
                [FieldError("category", "invalid", "请选择一个分类", "choose a category")]
            ) from None
        screening_admin.recategorize(
            app.uow(),
            actor=actor,
            number=number,
            category=chosen,
            expected_version=form_version(version),
            now=app.clock.now(),
        )
        return f"/cases/{number}"

    return _case_form(request, number, csrf, correct)


@router.post("/cases/{number}/assign", response_class=HTMLResponse)
def assign(
    request: Request,
    number: str,
    csrf: Text = "",
    team: Text = "",
    assignee: Text = "",
    version: Text = "",
) -> Response:
    def assign_it(app: App, actor: Actor) -> str:
        case_svc.assign_case(
            app.uow(),
            actor=actor,
            number=number,
            assignee_username=assignee.strip() or None,
            team_code=team.strip() or None,
            expected_version=form_version(version),
            now=app.clock.now(),
        )
        return f"/cases/{number}"

    # A select box offers the team again; the assignee is typed, and kept.
    return _case_form(request, number, csrf, assign_it, typed={"assignee": assignee})


def _flags_page(
    request: Request, actor: Actor, errors: list[FieldError], status: int = 200
) -> Response:
    try:
        flags = screening_admin.flags_for_review(_app(request).reader(), actor=actor)
    except PermissionDenied as exc:
        return render_page(request, "flags.html", actor, 403, flags=[], errors=error_list(exc))
    return render_page(request, "flags.html", actor, status, flags=flags, errors=errors)


@router.get("/flags", response_class=HTMLResponse)
def flags(request: Request) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    return _flags_page(request, actor, [])


@router.post("/flags/{flag_id}/review", response_class=HTMLResponse)
def review_flag(request: Request, flag_id: RowId, csrf: Text = "", decision: Text = "") -> Response:
    def review(app: App, actor: Actor) -> str:
        try:
            parsed = FlagStatus(decision)
        except ValueError:
            parsed = FlagStatus.OPEN  # the service refuses it with the field error
        screening_admin.review_buyer_flag(
            app.uow(), actor=actor, flag_id=flag_id, decision=parsed, now=app.clock.now()
        )
        return "/flags"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _flags_page(request, actor, error_list(exc), exc.status)

    return post_form(request, csrf, review, refused=refused, login_next="/flags")


def _duty_page(
    request: Request,
    actor: Actor,
    errors: list[FieldError],
    status: int = 200,
    form: dict[str, object] | None = None,
) -> Response:
    try:
        roster = screening_admin.duty_roster(_app(request).reader(), actor=actor)
    except PermissionDenied as exc:
        return render_page(request, "duty.html", actor, 403, roster=[], errors=error_list(exc))
    if form:  # a rejected form keeps what was typed
        roster = [{**r, **form} if r["username"] == form["username"] else r for r in roster]
    return render_page(request, "duty.html", actor, status, roster=roster, errors=errors)


@router.get("/duty", response_class=HTMLResponse)
def duty(request: Request) -> Response:
    actor = optional_actor(request)
    if actor is None:
        return login_redirect(request)
    return _duty_page(request, actor, [])


@router.post("/duty/{username}", response_class=HTMLResponse)
def set_duty(
    request: Request,
    username: str,
    csrf: Text = "",
    on_duty: Text = "",
    shift_start: Text = "09:00",
    shift_end: Text = "18:00",
    working_days_only: Text = "",
) -> Response:
    form: dict[str, object] = {
        "username": username,
        "on_duty": on_duty == "true",
        "shift_start": shift_start,
        "shift_end": shift_end,
        "working_days_only": working_days_only == "true",
    }

    def set_it(app: App, actor: Actor) -> str:
        screening_admin.set_availability(
            app.uow(),
            actor=actor,
            username=username,
            on_duty=on_duty == "true",
            shift_start=shift_start.strip(),
            shift_end=shift_end.strip(),
            working_days_only=working_days_only == "true",
        )
        return "/duty"

    def refused(actor: Actor, exc: DomainError) -> Response:
        return _duty_page(request, actor, error_list(exc), exc.status, form)

    return post_form(request, csrf, set_it, refused=refused, login_next="/duty")
