"""HTTP: /api/v1/sla preview, calendar overrides, seller agreements, case clocks, reviews."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from kefu.bootstrap import App
from kefu.worker import run_once

H = dict[str, dict[str, str]]
COMPLAINT = {
    "kind": "complaint",
    "subject": "商品破损",
    "order_no": "DD0001",
    "description": "快递送到时外箱压坏，里面的杯子碎了两个。",
    "contact_phone": "13812345678",
}


def test_preview_over_national_day_names_the_holiday_and_the_adjusted_saturday(
    client: TestClient, headers: H
) -> None:
    r = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "at": "2025-09-30T10:00:00+08:00"},
        headers=headers["admin"],
    )
    assert r.status_code == 200
    body = r.json()
    assert body["policy"] == {
        "id": "complaint",
        "version": 1,
        "applied": "complaint",
        "effective_from": "2025-01-01T00:00:00+00:00",
    }
    by_name = {c["clock"]: c for c in body["clocks"]}
    resolution = by_name["resolution"]
    assert resolution["due_at"] == "2025-10-16T15:59:59.999999+00:00"
    assert resolution["starts_on"] == "filed"
    facts = " ".join(resolution["calendar_facts"])
    assert "2025-10-01..10-08 法定节假日 holiday: 国庆节 National Day" in facts
    assert "2025-10-11 调休上班 adjusted working day" in facts
    assert by_name["seller_first_answer"]["starts_on"] == "awaiting_seller"
    assert body["provisional"] is False


def test_preview_in_2027_is_provisional_and_spring_festival_2026_is_not(
    client: TestClient, headers: H
) -> None:
    late = client.get(
        "/api/v1/sla/preview",
        params={"kind": "aftersales", "priority": "urgent", "at": "2027-02-01T10:00:00+08:00"},
        headers=headers["agent"],
    ).json()
    assert late["provisional"] is True
    assert late["policy"]["id"] == "aftersales-urgent"
    spring = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "at": "2026-02-13T10:00:00+08:00"},
        headers=headers["agent"],
    ).json()
    resolution = next(c for c in spring["clocks"] if c["clock"] == "resolution")
    assert resolution["due_at"] == "2026-03-02T15:59:59.999999+00:00"
    assert spring["provisional"] is False


def test_preview_refuses_a_naive_time_and_an_unknown_seller(client: TestClient, headers: H) -> None:
    naive = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "at": "2025-09-30T10:00:00"},
        headers=headers["admin"],
    )
    assert naive.status_code == 422
    assert naive.headers["content-type"] == "application/problem+json"
    assert naive.json()["fields"][0]["field"] == "at"
    unknown = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "seller": "nope"},
        headers=headers["admin"],
    )
    assert unknown.json()["fields"][0]["field"] == "seller"


def test_an_agreement_shows_in_the_preview(client: TestClient, headers: H) -> None:
    r = client.put(
        "/api/v1/sla/agreements/shop-a",
        json={"reply_within_hours": 8, "return_window_days": 15},
        headers=headers["admin"],
    )
    assert r.status_code == 200
    assert r.json()["version"] == 1
    got = client.get("/api/v1/sla/agreements/shop-a", headers=headers["seller"]).json()
    assert (got["reply_within_hours"], got["return_window_days"]) == (8, 15)
    body = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "seller": "shop-a", "at": "2026-11-24T10:00:00+08:00"},
        headers=headers["admin"],
    ).json()
    assert body["policy"]["applied"] == "complaint+agreement.v1"
    first = next(c for c in body["clocks"] if c["clock"] == "first_response")
    assert first["due_at"] == "2026-11-24T10:00:00+00:00"  # 8 h, not 24 h


def test_an_agreement_worse_for_the_buyer_is_refused_field_by_field(
    client: TestClient, headers: H
) -> None:
    r = client.put(
        "/api/v1/sla/agreements/shop-a",
        json={"reply_within_hours": 48, "return_window_days": 5, "solution_working_days": 0},
        headers=headers["admin"],
    )
    assert r.status_code == 422
    fields = {f["field"]: f for f in r.json()["fields"]}
    assert set(fields) == {"reply_within_hours", "return_window_days", "solution_working_days"}
    assert fields["return_window_days"]["code"] == "below_legal_floor"
    assert "消保法" in fields["return_window_days"]["message_zh"]
    assert "favour the buyer" in fields["reply_within_hours"]["message_en"]


def test_calendar_overrides_round_trip_and_change_deadlines(client: TestClient, headers: H) -> None:
    # An emergency rest day on Wednesday 2026-11-25 pushes the seller's 1-working-day answer.
    r = client.post(
        "/api/v1/sla/calendar-overrides",
        json={"calendar": "shop:shop-a", "date": "2026-11-25", "working": False, "note": "停电"},
        headers=headers["admin"],
    )
    assert r.status_code == 201
    override_id = r.json()["id"]
    listed = client.get(
        "/api/v1/sla/calendar-overrides",
        params={"calendar": "shop:shop-a"},
        headers=headers["agent"],
    ).json()["items"]
    assert [(o["calendar"], o["date"], o["working"]) for o in listed] == [
        ("shop:shop-a", "2026-11-25", False)
    ]
    body = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "seller": "shop-a", "at": "2026-11-24T10:00:00+08:00"},
        headers=headers["admin"],
    ).json()
    answer = next(c for c in body["clocks"] if c["clock"] == "seller_first_answer")
    assert answer["due_at"] == "2026-11-26T15:59:59.999999+00:00"
    assert any("自定义休息日" in f for f in answer["calendar_facts"])
    gone = client.delete(f"/api/v1/sla/calendar-overrides/{override_id}", headers=headers["admin"])
    assert gone.status_code == 204
    again = client.delete(f"/api/v1/sla/calendar-overrides/{override_id}", headers=headers["admin"])
    assert again.status_code == 404


def test_bad_overrides_are_refused_with_the_field(client: TestClient, headers: H) -> None:
    bad_hours = client.post(
        "/api/v1/sla/calendar-overrides",
        json={"date": "2026-11-28", "working": True, "hours": "9-late"},
        headers=headers["admin"],
    )
    assert bad_hours.status_code == 422
    assert bad_hours.json()["fields"][0]["field"] == "hours"
    unknown = client.post(
        "/api/v1/sla/calendar-overrides",
        json={"calendar": "team:nope", "date": "2026-11-28", "working": True},
        headers=headers["admin"],
    )
    assert unknown.json()["fields"][0]["code"] == "unknown_calendar"


def test_case_clocks_pause_resume_and_review_over_http(
    app: App, client: TestClient, headers: H
) -> None:
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=COMPLAINT).json()["number"]
    seen = client.get(f"/api/v1/sla/cases/{number}/clocks", headers=headers["buyer"]).json()
    assert {c["clock"] for c in seen["items"]} == {"first_response", "first_contact", "resolution"}
    paused = client.post(
        f"/api/v1/sla/cases/{number}/clocks/pause",
        json={"reason": "waiting_on_buyer"},
        headers=headers["agent"],
    )
    assert {c["state"] for c in paused.json()["items"]} == {"paused"}
    assert client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()["due_at"] is None
    resumed = client.post(
        f"/api/v1/sla/cases/{number}/clocks/resume", json={}, headers=headers["agent"]
    )
    assert {c["state"] for c in resumed.json()["items"]} == {"running"}
    # Walk it to awaiting confirmation and let the buyer's week pass.
    version = client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()["version"]
    for action, params in [
        ("start_screening", {}),
        ("accept", {}),
        ("forward_to_seller", {}),
        ("intervene", {}),
        ("close_evidence", {}),
        ("decide", {"decision": "退款"}),
        ("execute", {}),
        ("complete_execution", {}),
    ]:
        r = client.post(
            f"/api/v1/cases/{number}/actions/{action}",
            json={"version": version, **params},
            headers=headers["agent"],
        )
        assert r.status_code == 200, r.json()
        version = r.json()["version"]
    app.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    run_once(app)
    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=headers["buyer"]).json()
    items = timeline["items"] if isinstance(timeline, dict) else timeline
    decision = next(e for e in items if e["kind"] == "auto_decision")
    assert decision["data"]["human_review"] == "available"
    asked = client.post(
        f"/api/v1/sla/cases/{number}/review-requests",
        json={"decision_id": decision["id"], "reason": "我没有收到退款"},
        headers=headers["buyer"],
    )
    assert asked.status_code == 201
