"""Server-rendered pages: login, queue filters, only allowed actions shown, bilingual errors."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.page_helpers import csrf, field_error, login

COMPLAINT = {
    "kind": "complaint",
    "subject": "杯子碎了",
    "order_no": "DD0001",
    "description": "快递送到时外箱压坏，里面的杯子碎了两个。",
    "contact_phone": "13812345678",
}


def test_login_rejects_a_wrong_password_in_both_languages(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": "buyer1", "password": "nope-nope"})
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert "wrong username or password" in r.text
    assert client.get("/cases", follow_redirects=False).headers["location"].startswith("/login")


def test_queue_filters_and_shows_only_allowed_actions(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=COMPLAINT).json()["number"]
    login(client, "agent1")
    page = client.get("/cases?status=submitted")
    assert page.status_code == 200
    assert number in page.text
    assert 'value="submitted" selected' in page.text
    assert number not in client.get("/cases?status=closed").text
    detail = client.get(f"/cases/{number}").text
    assert set(re.findall(r'data-action="([a-z_]+)"', detail)) == {"start_screening"}
    r = client.post(
        f"/cases/{number}/act",
        data={"csrf": csrf(detail), "action": "start_screening", "version": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    detail = client.get(f"/cases/{number}").text
    assert set(re.findall(r'data-action="([a-z_]+)"', detail)) == {"accept", "reject"}
    stale = client.post(
        f"/cases/{number}/act", data={"csrf": csrf(detail), "action": "accept", "version": "1"}
    )
    assert stale.status_code == 409
    assert "请刷新后重试" in stale.text


def test_buyer_form_lists_every_missing_field_and_rejects_forged_posts(
    client: TestClient, headers
) -> None:  # type: ignore[no-untyped-def]
    login(client, "buyer1")
    form = client.get("/cases/new?order_no=DD0001").text
    assert "无线蓝牙耳机" in form  # the order's lines are offered
    r = client.post(
        "/cases/new", data={"csrf": csrf(form), "kind": "complaint", "order_no": "DD0001"}
    )
    assert r.status_code == 422
    for field in ("subject", "description", "contact_phone"):
        assert field_error(field) in r.text
    forged = client.post(
        "/cases/new",
        data={
            "csrf": "0" * 64,
            "kind": "complaint",
            **{k: v for k, v in COMPLAINT.items() if k != "kind"},
        },
    )
    assert forged.status_code == 422
    assert "csrf" in forged.text
    ok = client.post(
        "/cases/new",
        data={"csrf": csrf(form), "line_nos": "1", **COMPLAINT},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"].startswith("/cases/KF")


def test_staff_see_the_screening_verdict_and_buyers_only_the_kinds_that_apply(
    client: TestClient,
    headers,  # type: ignore[no-untyped-def]
) -> None:
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=COMPLAINT).json()["number"]
    login(client, "agent1")
    panel = client.get(f"/cases/{number}").text
    assert 'data-testid="screening"' in panel
    assert "acceptance_window" in panel
    client.cookies.clear()
    login(client, "buyer1")
    without_order = client.get("/cases/new").text
    assert re.findall(
        r'<option value="(feedback|complaint|dispute|aftersales)"', without_order
    ) == ["feedback"]
    with_order = client.get("/cases/new?order_no=DD0001").text
    assert "complaint" in re.findall(r'<option value="([a-z]+)"', with_order)
    assert 'data-testid="screening"' not in client.get(f"/cases/{number}").text


def test_the_buyer_ships_a_return_from_the_case_page(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    aftersales = {**COMPLAINT, "kind": "aftersales", "subject": "申请退货退款"}
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=aftersales).json()[
        "number"
    ]
    for role, action in [
        ("supervisor", "start_screening"),
        ("supervisor", "accept"),
        ("supervisor", "forward_to_seller"),
        ("seller", "approve_return"),
    ]:
        version = client.get(f"/api/v1/cases/{number}", headers=headers[role]).json()["version"]
        r = client.post(
            f"/api/v1/cases/{number}/actions/{action}",
            headers=headers[role],
            json={"version": version},
        )
        assert r.status_code == 200, r.json()
    login(client, "buyer1")
    detail = client.get(f"/cases/{number}").text
    assert 'name="carrier"' in detail
    assert 'name="tracking_no"' in detail
    version = client.get(f"/api/v1/cases/{number}", headers=headers["buyer"]).json()["version"]
    form = {"csrf": csrf(detail), "action": "ship_return", "version": str(version)}
    missing = client.post(f"/cases/{number}/act", data=form)
    assert missing.status_code == 422
    assert field_error("carrier") in missing.text
    r = client.post(
        f"/cases/{number}/act",
        data={**form, "carrier": "顺丰速运", "tracking_no": "SF1234567890"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    shown = client.get(f"/api/v1/cases/{number}", headers=headers["buyer"]).json()
    assert shown["status"] == "awaiting_return_receipt"


def test_an_agent_logs_a_call_from_the_console_and_it_becomes_a_case(
    client: TestClient, headers
) -> None:  # type: ignore[no-untyped-def]
    login(client, "agent1")
    queue = client.get("/cases").text
    assert 'href="/calls/new"' in queue
    form = client.get("/calls/new").text
    call = {
        "csrf": csrf(form),
        "caller_number": "not-a-number",
        "caller_name": "刘洋",
        "started_at": "2026-11-24T09:30",
        "duration_s": "240",
        "order_no": "DD0001",
        "subject": "来电：杯子碎了",
        "notes": "买家来电：快递送到时外箱压坏，里面的杯子碎了两个，要求补发。",
    }
    bad = client.post("/calls/new", data=call)
    assert bad.status_code == 422
    assert field_error("caller_number") in bad.text
    assert "not a valid phone number" in bad.text
    assert "买家来电：快递送到时外箱压坏" in bad.text  # nothing typed is lost
    r = client.post(
        "/calls/new", data={**call, "caller_number": "13812345678"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    number = r.headers["location"].rsplit("/", 1)[-1]
    shown = client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()
    assert shown["channel"] == "phone"
    assert shown["subject"] == "来电：杯子碎了"
    # The buyer sees it as their case (filed on their behalf from the order).
    assert client.get(f"/api/v1/cases/{number}", headers=headers["buyer"]).status_code == 200


def test_a_buyer_cannot_log_calls(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    login(client, "buyer1")
    assert 'href="/calls/new"' not in client.get("/cases").text
    page = client.get("/calls/new")
    assert page.status_code == 403
    r = client.post(
        "/calls/new",
        data={"csrf": csrf(page.text), "caller_number": "13812345678", "notes": "x" * 30},
    )
    assert r.status_code == 403
