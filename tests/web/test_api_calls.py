"""POST /api/v1/calls: staff log a phone call as a case; details are kept and on the timeline."""

from __future__ import annotations

from fastapi.testclient import TestClient

from kefu.bootstrap import App

CALL = {
    "caller_name": "刘先生",
    "caller_number": "138-1234-5678",
    "direction": "inbound",
    "started_at": "2026-11-24T09:30:00+08:00",
    "duration_s": 185,
    "notes": "来电反映耳机右耳没有声音，已指导重新配对无效，要求换货。",
    "order_no": "DD0001",
}


def test_agent_logs_a_call_on_an_order(
    app: App, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    resp = client.post("/api/v1/calls", headers=headers["agent"], json=CALL)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert (body["channel"], body["kind"], body["order_no"]) == ("phone", "complaint", "DD0001")
    assert body["call"]["duration_s"] == 185
    number = body["number"]
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=headers["agent"]).json()
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    call_entry = next(e for e in entries if e["kind"] == "system")
    assert call_entry["visibility"] == "internal"
    assert call_entry["data"]["duration_s"] == 185
    # The order's buyer sees the case, but not the staff-only call entry.
    buyer_view = client.get(f"/api/v1/cases/{number}/timeline", headers=headers["buyer"]).json()
    buyer_entries = buyer_view["items"] if isinstance(buyer_view, dict) else buyer_view
    assert [e["kind"] for e in buyer_entries] == ["filed"]
    with app.uow() as uow:
        case = uow.cases.get_by_number(number)
        (call,) = uow.channels.calls.for_case(case.id)
    assert (call["caller_number"], call["direction"]) == ("138-1234-5678", "inbound")
    assert call["started_at"].isoformat() == "2026-11-24T01:30:00+00:00"


def test_call_without_order_files_feedback_for_the_caller(
    app: App, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    call = {**CALL, "order_no": None, "caller_number": "13900001111"}
    resp = client.post("/api/v1/calls", headers=headers["supervisor"], json=call)
    assert resp.status_code == 201, resp.text
    assert (resp.json()["kind"], resp.json()["feedback_type"]) == ("feedback", "report")
    again = client.post("/api/v1/calls", headers=headers["agent"], json=call).json()
    with app.uow() as uow:
        first = uow.cases.get_by_number(resp.json()["number"])
        second = uow.cases.get_by_number(again["number"])
    assert first.buyer_id == second.buyer_id  # the same caller is one buyer


def test_call_rejections_name_the_field(client: TestClient, headers: dict[str, dict]) -> None:  # type: ignore[type-arg]
    bad = {**CALL, "caller_number": "abc", "started_at": "2030-01-01T00:00:00+08:00"}
    resp = client.post("/api/v1/calls", headers=headers["agent"], json=bad)
    assert resp.status_code == 422
    fields = {f["field"] for f in resp.json()["fields"]}
    assert fields == {"caller_number", "started_at"}
    assert all(f["message_zh"] and f["message_en"] for f in resp.json()["fields"])
    short = client.post("/api/v1/calls", headers=headers["agent"], json={**CALL, "notes": "坏"})
    assert [f["field"] for f in short.json()["fields"]] == ["notes"]
    naive = {**CALL, "started_at": "2026-11-24T09:30:00"}
    resp = client.post("/api/v1/calls", headers=headers["agent"], json=naive)
    assert [f["field"] for f in resp.json()["fields"]] == ["started_at"]


def test_idempotency_key_returns_the_same_call(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    h = {**headers["agent"], "Idempotency-Key": "call-1"}
    first = client.post("/api/v1/calls", headers=h, json=CALL)
    second = client.post("/api/v1/calls", headers=h, json=CALL)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["call"]["id"] == second.json()["call"]["id"]


def test_only_staff_may_log_calls(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    for role in ("buyer", "seller"):
        assert client.post("/api/v1/calls", headers=headers[role], json=CALL).status_code == 403
    assert client.post("/api/v1/calls", json=CALL).status_code == 401
