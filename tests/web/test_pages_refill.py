"""A page form with a NUL in a field shows the form again, filled in, naming the field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from kefu.web.pages_base import PageRoute
from tests.web.bodies import FILING
from tests.web.page_helpers import field_error, login

NUL = "a\x00b"
# What the form shows again in place of the NUL: the rest of what was typed, kept.
SHOWN = "a\ufffdb"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100


@dataclass(frozen=True)
class Refill:
    """A form post with a NUL in `field`: who posts it, and what the page shown again holds
    (`shows`: the form's mark and what was typed, each as it appears in the HTML)."""

    who: str
    path: str
    field: str
    form: dict[str, Any]
    shows: tuple[str, ...]
    files: dict[str, Any] | None = field(default=None, hash=False)


REFILLS = {
    "file a case": Refill(
        "buyer1",
        "/cases/new",
        "subject",
        {**FILING, "subject": NUL},
        (
            'data-testid="new-case-form"',
            f'name="subject" value="{SHOWN}"',
            f">{FILING['description']}</textarea>",
            'name="contact_phone" value="13812345678"',
        ),
    ),
    "reject a case": Refill(
        "agent1",
        "/cases/{case}/act",
        "text",
        {"action": "reject", "version": "2", "text": NUL},
        ('data-action="reject"', f'value="{SHOWN}"'),
    ),
    "message on a case": Refill(
        "buyer1",
        "/cases/{case}/message",
        "body",
        {"body": NUL},
        ('action="/cases/{case}/message"', f">{SHOWN}</textarea>"),
    ),
    "evidence for a case": Refill(
        "buyer1",
        "/cases/{case}/evidence",
        "csrf",
        {"csrf": NUL},
        ('enctype="multipart/form-data"', 'data-testid="timeline"'),
        files={"file": ("a.png", PNG, "image/png")},
    ),
    "correct a category": Refill(
        "agent1",
        "/cases/{case}/category",
        "category",
        {"category": NUL, "version": "2"},
        ('data-testid="category-form"',),
    ),
    "assign a case": Refill(
        "admin",
        "/cases/{case}/assign",
        "assignee",
        {"assignee": NUL, "team": "cs", "version": "2"},
        ('data-testid="assign-form"', f'name="assignee" list="assignable-staff" value="{SHOWN}"'),
    ),
    "review a flag": Refill(
        "admin", "/flags/1/review", "decision", {"decision": NUL}, ('data-testid="flags"',)
    ),
    "set a shift": Refill(
        "admin",
        "/duty/agent1",
        "shift_start",
        {"on_duty": "true", "shift_start": NUL, "shift_end": "20:30"},
        ('data-testid="shift-agent1"', f'value="{SHOWN}"', 'value="20:30"'),
    ),
    "start a chat": Refill(
        "buyer1",
        "/chats",
        "body",
        {"order_no": "DD0001", "body": NUL},
        (
            'data-testid="start-chat-form"',
            'name="order_no" value="DD0001"',
            f">{SHOWN}</textarea>",
        ),
    ),
    "say something in a chat": Refill(
        "buyer1",
        "/chats/{chat}/messages",
        "body",
        {"body": NUL},
        ('data-testid="composer"', f">{SHOWN}</textarea>"),
    ),
    "join a chat": Refill(
        "agent1", "/chats/{chat}/join", "csrf", {"csrf": NUL}, ('action="/chats/{chat}/join"',)
    ),
    "close a chat": Refill(
        "buyer1", "/chats/{chat}/close", "csrf", {"csrf": NUL}, ('data-testid="composer"',)
    ),
    "file a case from a chat": Refill(
        "agent1",
        "/chats/{chat}/case",
        "subject",
        {"kind": "complaint", "subject": NUL, "contact_phone": "13812345678"},
        (
            'data-testid="case-form"',
            f'name="subject" value="{SHOWN}"',
            'name="contact_phone" value="13812345678"',
        ),
    ),
    "log a call": Refill(
        "agent1",
        "/calls/new",
        "caller_number",
        {"caller_number": NUL, "caller_name": "刘先生", "notes": "耳机没有声音"},
        (
            'data-testid="call-form"',
            f'name="caller_number" value="{SHOWN}"',
            'name="caller_name" value="刘先生"',
            ">耳机没有声音</textarea>",
        ),
    ),
}


@pytest.fixture
def aims(client: TestClient, headers: dict[str, dict[str, str]]) -> dict[str, str]:
    """A case in screening (so it can be rejected) and a waiting chat, both buyer1's."""
    r = client.post("/api/v1/cases", headers=headers["buyer"], json=FILING)
    assert r.status_code == 201, r.text
    case = r.json()["number"]
    r = client.post(
        f"/api/v1/cases/{case}/actions/start_screening",
        headers=headers["agent"],
        json={"version": 1},
    )
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/chats", headers=headers["buyer"], json={"topic": "耳机"})
    assert r.status_code == 201, r.text
    return {"case": case, "chat": str(r.json()["id"])}


def _token(client: TestClient) -> str:
    for page in ("/chats", "/cases/new", "/calls/new", "/cases"):
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(page).text)
        if found:
            return found.group(1)
    raise AssertionError("no form token on any page")


@pytest.mark.parametrize("refill", REFILLS.values(), ids=list(REFILLS))
def test_a_form_with_a_nul_is_shown_again_filled_in_with_the_fields_reason(
    client: TestClient, aims: dict[str, str], refill: Refill
) -> None:
    login(client, refill.who)
    data = {"csrf": _token(client), **refill.form}
    r = client.post(
        refill.path.format(**aims), data=data, files=refill.files, follow_redirects=False
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert field_error(refill.field) in r.text
    assert "不能包含空字符（U+0000）" in r.text
    assert "must not contain the NUL character (U+0000)" in r.text
    for shown in refill.shows:
        assert shown.format(**aims) in r.text, shown


def test_the_login_form_is_shown_again_with_the_name_typed(client: TestClient) -> None:
    r = client.post("/login", data={"username": NUL, "password": "x", "next": "/calls/new"})
    assert r.status_code == 422, r.text
    assert field_error("username") in r.text
    assert 'action="/login"' in r.text
    assert f'name="username" value="{SHOWN}"' in r.text
    assert 'name="next" value="/calls/new"' in r.text


def test_a_refused_form_wrote_nothing(
    client: TestClient, headers: dict[str, dict[str, str]], aims: dict[str, str]
) -> None:
    # The page gets the form with the NUL replaced so it can show it; the intent never runs.
    login(client, "buyer1")
    case = aims["case"]
    r = client.post(f"/cases/{case}/message", data={"csrf": _token(client), "body": NUL})
    assert r.status_code == 422, r.text
    timeline = client.get(f"/api/v1/cases/{case}/timeline", headers=headers["buyer"]).json()
    assert "message" not in [e["kind"] for e in timeline["items"]]
    r = client.post("/chats", data={"csrf": _token(client), "body": NUL})
    assert r.status_code == 422, r.text
    chats = client.get("/api/v1/chats", headers=headers["buyer"]).json()["items"]
    assert len(chats) == 1  # the fixture's


def test_a_page_that_never_checks_its_form_still_refuses_it(client: TestClient) -> None:
    # A form post that skips check_form must not be answered as if its form were good.
    done = []
    router = APIRouter(route_class=PageRoute)

    @router.post("/test-unchecked")
    def unchecked(request: Request, note: str = Form("")) -> Response:
        done.append(note)
        return RedirectResponse("/cases", status_code=303)

    client.app.include_router(router)  # type: ignore[attr-defined]
    r = client.post("/test-unchecked", data={"note": NUL}, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert field_error("") not in r.text
    assert '<li data-field="note">' in r.text
    assert done == [SHOWN]  # ran, with text a database can hold


# Who posts each form in the walk below (anyone else: admin).
_POSTER = {"/cases/new": "buyer1", "/chats": "buyer1", "/chats/{session_id}/messages": "buyer1"}
# Forms whose refusal is the plain page by design: logging out has no form to show again.
_NO_FORM_TO_SHOW = {"/logout"}


def test_every_page_form_answers_a_nul_itself(client: TestClient, aims: dict[str, str]) -> None:
    # Walks the routes, so a form added later is held to the same rule: a NUL in any field
    # (here one the form does not take) is the page's own refusal, never the plain page.
    aim = {"number": aims["case"], "session_id": aims["chat"], "flag_id": "1", "mail_id": "1"}
    aim["username"] = "agent1"
    posts = [
        str(found.path)
        for found in iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
        if isinstance(found.original_route, PageRoute)
        and "POST" in (found.original_route.methods or ())
    ]
    assert len(posts) >= 15, posts
    for path in sorted(set(posts) - _NO_FORM_TO_SHOW):
        login(client, _POSTER.get(path, "admin"))
        data = {"csrf": _token(client), "zzz": NUL}
        r = client.post(path.format(**aim), data=data, follow_redirects=False)
        assert r.status_code == 422, (path, r.status_code, r.text)
        assert '<li data-field="zzz">' in r.text, (path, r.text)
        # The plain page (base.html alone) has no heading of its own; every form's page has.
        assert "<h1>" in r.text, (path, r.text)
