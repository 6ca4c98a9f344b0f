"""Real answers of the chat, call and SLA endpoints fit what /openapi.json documents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.web import schemas, schemas_out, schemas_sla
from kefu.worker import run_once
from tests.web.bodies import DRAFT
from tests.web.openapi_check import fits

H = dict[str, dict[str, str]]
COMPLAINT = {
    "kind": "complaint",
    "subject": "商品破损",
    "order_no": "DD0001",
    "description": "快递送到时外箱压坏，里面的杯子碎了两个。",
    "contact_phone": "13812345678",
}
CALL = {
    "caller_name": "刘先生",
    "caller_number": "138-1234-5678",
    "started_at": "2026-11-24T09:30:00+08:00",
    "duration_s": 185,
    "notes": "来电反映耳机右耳没有声音，已指导重新配对无效，要求换货。",
    "order_no": "DD0001",
}
SLA = "/api/v1/sla"
CLOCKS = SLA + "/cases/{number}/clocks"


@pytest.fixture
def spec(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def _act(client: TestClient, headers: H, number: str, *steps: tuple[str, dict[str, Any]]) -> None:
    for action, params in steps:
        version = client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()["version"]
        r = client.post(
            f"/api/v1/cases/{number}/actions/{action}",
            headers=headers["agent"],
            json={"version": version, **params},
        )
        assert r.status_code == 200, r.text


def test_chat_answers_as_documented(client: TestClient, headers: H, spec: dict[str, Any]) -> None:
    buyer, agent = headers["buyer"], headers["agent"]
    chats, one = "/api/v1/chats", "/api/v1/chats/{session_id}"
    opened = client.post(chats, headers=buyer, json={"topic": "耳机", "order_no": "DD0001"})
    chat = fits(spec, "post", chats, opened, schemas_out.ChatOut, 201)["id"]
    listed = fits(spec, "get", chats, client.get(chats, headers=agent), schemas_out.ChatList)
    assert listed["items"]
    joined = client.post(f"{chats}/{chat}/join", headers=agent)
    fits(spec, "post", one + "/join", joined, schemas_out.ChatOut)
    line = {"body": "耳机右耳完全没有声音，重新配对也不行，想换货。", "client_msg_id": "m1"}
    said = client.post(f"{chats}/{chat}/messages", headers=buyer, json=line)
    fits(spec, "post", one + "/messages", said, schemas_out.ChatLineOut, 201)
    again = client.post(f"{chats}/{chat}/messages", headers=buyer, json=line)
    fits(spec, "post", one + "/messages", again, schemas_out.ChatLineOut, 200)
    read = client.get(f"{chats}/{chat}", headers=buyer)
    assert fits(spec, "get", one, read, schemas_out.ChatTranscript)["messages"]
    case = client.post(f"{chats}/{chat}/case", headers=agent, json={"kind": "complaint"})
    number = fits(spec, "post", one + "/case", case, schemas.CaseOut, 201)["number"]
    repeat = client.post(f"{chats}/{chat}/case", headers=agent, json={"kind": "complaint"})
    assert fits(spec, "post", one + "/case", repeat, schemas.CaseOut, 200)["number"] == number
    # The transcript on the case is evidence like any other, downloaded as text.
    [transcript] = client.get(f"/api/v1/cases/{number}", headers=agent).json()["attachments"]
    text = client.get(transcript["url"], headers=agent)
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    other = client.post(chats, headers=buyer, json={"topic": "屏幕"}).json()["id"]
    closed = client.post(f"{chats}/{other}/close", headers=buyer)
    assert fits(spec, "post", one + "/close", closed, schemas_out.ChatOut)["closed_at"]


def test_a_logged_call_answers_as_documented(
    client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    key = {**headers["agent"], "Idempotency-Key": "call-1"}
    first = client.post("/api/v1/calls", headers=key, json=CALL)
    logged = fits(spec, "post", "/api/v1/calls", first, schemas_out.CallCaseOut, 201)
    again = client.post("/api/v1/calls", headers=key, json=CALL)
    assert fits(spec, "post", "/api/v1/calls", again, schemas_out.CallCaseOut, 200) == logged


def test_deadline_previews_and_policies_answer_as_documented(
    client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    admin = headers["admin"]
    ask = {"kind": "complaint", "seller": "shop-a", "at": "2026-11-24T10:00:00+08:00"}
    preview = client.get(SLA + "/preview", params=ask, headers=admin)
    assert "draft" not in fits(spec, "get", SLA + "/preview", preview, schemas_sla.PreviewOut)
    drafted = client.post(SLA + "/policies", headers=admin, json=DRAFT)
    fits(spec, "post", SLA + "/policies", drafted, schemas_sla.PolicyVersionOut, 201)
    with_draft = client.get(
        SLA + "/preview", params={**ask, "policy_id": "complaint", "version": 2}, headers=admin
    )
    assert fits(spec, "get", SLA + "/preview", with_draft, schemas_sla.PreviewOut)["draft"]
    listed = client.get(SLA + "/policies", headers=admin)
    policies = fits(spec, "get", SLA + "/policies", listed, schemas_sla.PolicyList)["items"]
    assert any(v["caps"] for p in policies for v in p["versions"] for v in v["clocks"])
    published = client.post(SLA + "/policies/complaint/versions/2/publish", headers=admin)
    path = SLA + "/policies/{policy_id}/versions/{version}/publish"
    fits(spec, "post", path, published, schemas_sla.PolicyVersionOut)


def test_calendars_and_agreements_answer_as_documented(
    client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    admin, overrides = headers["admin"], SLA + "/calendar-overrides"
    day = {"calendar": "shop:shop-a", "date": "2026-11-25", "working": False, "note": "停电"}
    added = client.post(overrides, headers=admin, json=day)
    fits(spec, "post", overrides, added, schemas_sla.CalendarOverrideAdded, 201)
    listed = client.get(overrides, headers=headers["agent"])
    assert fits(spec, "get", overrides, listed, schemas_sla.CalendarOverrideList)["items"]
    agreements = SLA + "/agreements/{shop}"
    none_yet = client.get(SLA + "/agreements/shop-b", headers=admin)
    assert fits(spec, "get", agreements, none_yet, schemas_sla.AgreementOut)["version"] == 0
    terms = {"reply_within_hours": 8, "return_window_days": 15}
    put = client.put(SLA + "/agreements/shop-a", headers=admin, json=terms)
    fits(spec, "put", agreements, put, schemas_sla.AgreementOut)
    got = client.get(SLA + "/agreements/shop-a", headers=headers["seller"])
    assert fits(spec, "get", agreements, got, schemas_sla.AgreementOut)["recorded_at"]


def test_case_clocks_answer_as_documented(
    app: App, client: TestClient, headers: H, spec: dict[str, Any]
) -> None:
    agent = headers["agent"]
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=COMPLAINT).json()["number"]
    seen = client.get(f"{SLA}/cases/{number}/clocks", headers=headers["buyer"])
    assert fits(spec, "get", CLOCKS, seen, schemas_sla.CaseClocks)["items"]
    paused = client.post(
        f"{SLA}/cases/{number}/clocks/pause", headers=agent, json={"reason": "waiting_on_buyer"}
    )
    assert fits(spec, "post", CLOCKS + "/pause", paused, schemas_sla.ClockList)["items"]
    resumed = client.post(f"{SLA}/cases/{number}/clocks/resume", headers=agent, json={})
    fits(spec, "post", CLOCKS + "/resume", resumed, schemas_sla.ClockList)
    _act(
        client,
        headers,
        number,
        ("start_screening", {}),
        ("accept", {}),
        ("suspend", {"reason": "court_or_police"}),
    )
    proof = client.post(f"{SLA}/cases/{number}/suspension/acceptance-proof", headers=agent)
    path = SLA + "/cases/{number}/suspension/acceptance-proof"
    fits(spec, "post", path, proof, schemas_sla.SuspensionEnds)


def test_a_review_request_answers_as_documented(
    app: App, client: TestClient, clock: FixedClock, headers: H, spec: dict[str, Any]
) -> None:
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=COMPLAINT).json()["number"]
    steps = ["start_screening", "accept", "forward_to_seller", "intervene", "close_evidence"]
    _act(client, headers, number, *[(s, {}) for s in steps], ("decide", {"decision": "退款"}))
    _act(client, headers, number, ("execute", {}), ("complete_execution", {}))
    clock.advance(timedelta(days=8))  # the buyer's week to confirm passes
    run_once(app)
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=headers["buyer"]).json()
    decision = next(e for e in timeline["items"] if e["kind"] == "auto_decision")
    asked = client.post(
        f"{SLA}/cases/{number}/review-requests",
        headers=headers["buyer"],
        json={"decision_id": decision["id"]},
    )
    path = SLA + "/cases/{number}/review-requests"
    fits(spec, "post", path, asked, schemas_sla.ReviewRequested, 201)
