"""Hostile input to the pages: each is an HTML page naming the field (or a 404), never a 500."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.bodies import FILING
from tests.web.page_helpers import csrf, field_error, login

# Past the database's 64-bit integers (and, for versions, past its 32-bit ones).
HUGE = 2**70
PAST_INT32 = 2**31
NUL = "a\x00b"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100


@dataclass(frozen=True)
class Probe:
    """One request a page must refuse: `field` is what the 422 page names; None means a 404."""

    method: str
    path: str
    field: str | None
    form: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] | None = None


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


PROBES = {
    # Path: an id or number no row can have is a page that does not exist.
    "case number with NUL": Probe("GET", "/cases/KF%00", None),
    "chat id past 64 bits": Probe("GET", f"/chats/{HUGE}", None),
    "negative chat id past 64 bits": Probe("GET", f"/chats/-{HUGE}", None),
    "message to a case with NUL": Probe("POST", "/cases/KF%00/message", None, {"body": "你好"}),
    "act on a case with NUL": Probe("POST", "/cases/KF%00/act", None, {"action": "accept"}),
    "category of a case with NUL": Probe("POST", "/cases/KF%00/category", None),
    "assign a case with NUL": Probe("POST", "/cases/KF%00/assign", None),
    "evidence to a case with NUL": Probe("POST", "/cases/KF%00/evidence", None),
    "review a flag past 64 bits": Probe("POST", f"/flags/{HUGE}/review", None),
    "duty of a user with NUL": Probe("POST", "/duty/admin%00", None, {"on_duty": "true"}),
    "line in a chat past 64 bits": Probe("POST", f"/chats/{HUGE}/messages", None, {"body": "在"}),
    "join a chat past 64 bits": Probe("POST", f"/chats/{HUGE}/join", None),
    "close a chat past 64 bits": Probe("POST", f"/chats/{HUGE}/close", None),
    "case from a chat past 64 bits": Probe("POST", f"/chats/{HUGE}/case", None),
    # Query.
    "queue status with NUL": Probe("GET", "/cases?status=a%00", "status"),
    "queue cursor past 64 bits": Probe(
        "GET", f"/cases?cursor={_cursor(f'2026-11-24T02:00:00+00:00|{HUGE}')}", "cursor"
    ),
    "queue cursor in year 1": Probe(
        "GET", f"/cases?cursor={_cursor('0001-01-01T00:00:00+14:00|1')}", "cursor"
    ),
    "filing form order with NUL": Probe("GET", "/cases/new?order_no=DD%0001", "order_no"),
    "login link with NUL": Probe("GET", "/login?next=/cases%00", "next"),
    # Forms.
    "login name with NUL": Probe("POST", "/login", "username", {"username": NUL, "password": "x"}),
    "login target with NUL": Probe(
        "POST", "/login", "next", {"username": "admin", "password": "x", "next": "/cases\x00"}
    ),
    "filing subject with NUL": Probe("POST", "/cases/new", "subject", {**FILING, "subject": NUL}),
    "filing order with NUL": Probe("POST", "/cases/new", "order_no", {**FILING, "order_no": NUL}),
    "filing line past 64 bits": Probe(
        "POST", "/cases/new", "line_nos", {**FILING, "line_nos": str(HUGE)}
    ),
    "action version past 32 bits": Probe(
        "POST", "/cases/{case}/act", "version", {"action": "start_screening", "version": PAST_INT32}
    ),
    "action version past 64 bits": Probe(
        "POST", "/cases/{case}/act", "version", {"action": "start_screening", "version": HUGE}
    ),
    "action text with NUL": Probe(
        "POST", "/cases/{case}/act", "text", {"action": "reject", "version": 1, "text": NUL}
    ),
    "action carrier with NUL": Probe(
        "POST", "/cases/{case}/act", "carrier", {"action": "ship_return", "carrier": NUL}
    ),
    "case message with NUL": Probe("POST", "/cases/{case}/message", "body", {"body": NUL}),
    "category version past 32 bits": Probe(
        "POST", "/cases/{case}/category", "version", {"category": "其他", "version": PAST_INT32}
    ),
    "category with NUL": Probe(
        "POST", "/cases/{case}/category", "category", {"category": NUL, "version": 1}
    ),
    "assign version past 64 bits": Probe(
        "POST", "/cases/{case}/assign", "version", {"team": "cs", "version": HUGE}
    ),
    "assignee with NUL": Probe(
        "POST", "/cases/{case}/assign", "assignee", {"assignee": NUL, "version": 1}
    ),
    "team with NUL": Probe("POST", "/cases/{case}/assign", "team", {"team": NUL, "version": 1}),
    "evidence form token with NUL": Probe(
        "POST",
        "/cases/{case}/evidence",
        "csrf",
        {"csrf": NUL},
        files={"file": ("a.png", PNG, "image/png")},
    ),
    "flag decision with NUL": Probe("POST", "/flags/1/review", "decision", {"decision": NUL}),
    "shift start with NUL": Probe("POST", "/duty/admin", "shift_start", {"shift_start": NUL}),
    "chat question with NUL": Probe("POST", "/chats", "body", {"body": NUL}),
    "chat order with NUL": Probe("POST", "/chats", "order_no", {"body": "在吗", "order_no": NUL}),
    "chat line with NUL": Probe("POST", "/chats/{chat}/messages", "body", {"body": NUL}),
    "case from a chat, subject with NUL": Probe(
        "POST", "/chats/{chat}/case", "subject", {"kind": "complaint", "subject": NUL}
    ),
    "call number with NUL": Probe(
        "POST", "/calls/new", "caller_number", {"caller_number": NUL, "notes": "耳机没声音"}
    ),
    "call duration past 64 bits": Probe(
        "POST", "/calls/new", "duration_s", {"caller_number": "13812345678", "duration_s": HUGE}
    ),
    "call in year 9999": Probe(
        "POST", "/calls/new", "started_at", {"caller_number": "1", "started_at": "9999-12-31T23:59"}
    ),
    "call in year 1": Probe(
        "POST", "/calls/new", "started_at", {"caller_number": "1", "started_at": "0001-01-01T00:00"}
    ),
}


@pytest.fixture
def admin(client: TestClient, headers: dict[str, dict[str, str]]) -> dict[str, str]:
    """A logged-in admin's browser, with a case and a chat to aim at, and its form token."""
    r = client.post("/api/v1/cases", headers=headers["buyer"], json=FILING)
    assert r.status_code == 201, r.text
    case = r.json()["number"]
    r = client.post("/api/v1/chats", headers=headers["buyer"], json={"topic": "耳机"})
    assert r.status_code == 201, r.text
    login(client, "admin")
    return {"case": case, "chat": str(r.json()["id"]), "csrf": csrf(client.get("/cases").text)}


@pytest.mark.parametrize("probe", PROBES.values(), ids=list(PROBES))
def test_every_page_refuses_hostile_input_with_an_html_page(
    client: TestClient, admin: dict[str, str], probe: Probe
) -> None:
    path = probe.path.format(**admin)
    if probe.method == "GET":
        r = client.get(path, follow_redirects=False)
    else:
        data = {"csrf": admin["csrf"], **probe.form}
        r = client.post(path, data=data, files=probe.files, follow_redirects=False)
    print(
        "PROBE",
        probe.path,
        probe.field,
        r.status_code,
        r.headers["content-type"][:20],
        r.text[:0] if r.status_code < 500 else "",
    )
    assert r.headers.get("content-type", "").startswith("text/html"), (r.status_code, r.text)
    assert 'data-testid="errors"' in r.text
    if probe.field is None:
        assert r.status_code == 404, r.text
        assert "页面不存在" in r.text
        assert "no such page" in r.text
        return
    assert r.status_code == 422, r.text
    assert field_error(probe.field) in r.text
    if any("\x00" in str(v) for v in probe.form.values()) or "%00" in path:
        assert "不能包含空字符（U+0000）" in r.text
        assert "must not contain the NUL character (U+0000)" in r.text


def test_an_upload_read_by_the_check_still_reaches_the_page(
    client: TestClient, admin: dict[str, str]
) -> None:
    # The check parses the form first; the page must get the same form, file and all.
    r = client.post(
        f"/cases/{admin['case']}/evidence",
        data={"csrf": admin["csrf"]},
        files={"file": ("照片.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "照片.png" in client.get(f"/cases/{admin['case']}").text


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=x"])
def test_a_form_that_cannot_be_parsed_is_an_html_page_naming_the_body(
    client: TestClient, admin: dict[str, str], content_type: str
) -> None:
    # It answered the API's problem+json, on a page.
    r = client.post(
        f"/cases/{admin['case']}/evidence",
        content=b"garbage",
        headers={"Content-Type": content_type},
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert '<li data-field="body">' in r.text
    assert "请求体无法解析" in r.text


def test_a_file_sent_as_text_is_named_on_the_page(
    client: TestClient, admin: dict[str, str]
) -> None:
    r = client.post(
        f"/cases/{admin['case']}/evidence", data={"csrf": admin["csrf"], "file": "照片.png"}
    )
    assert r.status_code == 422, r.text
    assert field_error("file") in r.text
    assert "必须是上传的文件，不能是文本" in r.text
    assert "must be an uploaded file, not text" in r.text
