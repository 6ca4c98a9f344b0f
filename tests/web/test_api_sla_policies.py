"""HTTP: /api/v1/sla/policies — draft, preview the draft, publish, list; errors as problem+json."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from kefu.bootstrap import App
from tests.builders import COMPLAINT_TEXTS
from tests.web.bodies import DRAFT

H = dict[str, dict[str, str]]
DRAFT_WITH_NOTE = {**DRAFT, "note": "首次响应缩短到 6 小时 first response within 6 h"}
COMPLAINT = {
    "kind": "complaint",
    "subject": "商品破损",
    "order_no": "DD0001",
    "description": "快递送到时外箱压坏，里面的杯子碎了两个。",
    "contact_phone": "13812345678",
}


def test_an_admin_drafts_previews_publishes_and_later_cases_get_the_new_version(
    client: TestClient, headers: H, app: App
) -> None:
    made = client.post("/api/v1/sla/policies", json=DRAFT_WITH_NOTE, headers=headers["admin"])
    assert made.status_code == 201, made.text
    assert (made.json()["version"], made.json()["status"]) == (2, "draft")

    preview = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "policy_id": "complaint", "version": 2},
        headers=headers["agent"],
    ).json()
    assert preview["at"] == "2026-12-01T16:00:00+00:00"
    assert preview["policy"]["version"] == 2
    assert preview["draft"] == {
        "id": "complaint",
        "version": 2,
        "published": False,
        "selected": True,
    }
    response = next(c for c in preview["clocks"] if c["clock"] == "first_response")
    assert response["due_at"] == "2026-12-01T22:00:00+00:00"
    resolution = next(c for c in preview["clocks"] if c["clock"] == "resolution")
    assert resolution["calendar_facts"] is not None
    # Without the draft, the same instant still answers the version in force.
    plain = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "at": "2026-12-02T00:00:00+08:00"},
        headers=headers["agent"],
    ).json()
    assert plain["policy"]["version"] == 1

    published = client.post(
        "/api/v1/sla/policies/complaint/versions/2/publish", headers=headers["admin"]
    )
    assert published.status_code == 200, published.text
    assert published.json()["published_at"] == "2026-11-24T02:00:00+00:00"
    again = client.post(
        "/api/v1/sla/policies/complaint/versions/2/publish", headers=headers["admin"]
    )
    assert again.status_code == 409
    assert again.json()["code"] == "policy_not_draft"

    listed = client.get("/api/v1/sla/policies", headers=headers["tech"]).json()["items"]
    complaint = next(p for p in listed if p["policy_id"] == "complaint")["versions"]
    assert [(v["version"], v["status"], v["in_force"], v["scheduled"]) for v in complaint] == [
        (1, "published", True, False),
        (2, "published", False, True),
    ]
    assert {p["policy_id"] for p in listed} >= {"default", "aftersales-urgent", "feedback-high"}

    def filed_version(text: str, buyer: str = "buyer", order_no: str = "DD0001") -> set[int]:
        body = {**COMPLAINT, "description": text, "order_no": order_no}
        case = client.post("/api/v1/cases", json=body, headers=headers[buyer]).json()
        items = client.get(
            f"/api/v1/sla/cases/{case['number']}/clocks", headers=headers["agent"]
        ).json()["items"]
        return {c["policy"]["version"] for c in items}

    assert filed_version(COMPLAINT_TEXTS[0]) == {1}
    app.clock.set(datetime(2026, 12, 1, 16, 0, 1, tzinfo=UTC))  # type: ignore[attr-defined]
    assert filed_version(COMPLAINT_TEXTS[1], "other_buyer", "DD0002") == {2}


def test_policy_errors_are_422_problems_naming_the_field_in_both_languages(
    client: TestClient, headers: H
) -> None:
    short = client.post(
        "/api/v1/sla/policies",
        json={**DRAFT_WITH_NOTE, "effective_from": "2026-11-27T00:00:00+08:00"},
        headers=headers["admin"],
    )
    assert short.status_code == 422
    assert short.headers["content-type"] == "application/problem+json"
    problem = short.json()["fields"][0]
    assert (problem["field"], problem["code"]) == ("effective_from", "notice_too_short")
    assert "7 日" in problem["message_zh"]
    assert "7 days" in problem["message_en"]
    floor = client.post(
        "/api/v1/sla/policies",
        json={
            **DRAFT_WITH_NOTE,
            "policy_id": "aftersales",
            "match": {"kind": "aftersales"},
            "clocks": [
                {"name": "return_window", "party": "buyer", "measure": "calendar_days", "amount": 5}
            ],
        },
        headers=headers["admin"],
    )
    assert floor.status_code == 422
    assert [(f["field"], f["code"]) for f in floor.json()["fields"]] == [
        ("clocks[0].amount", "below_legal_floor")
    ]
    naive = client.post(
        "/api/v1/sla/policies",
        json={**DRAFT_WITH_NOTE, "effective_from": "2026-12-10T00:00:00"},
        headers=headers["admin"],
    )
    assert naive.json()["fields"][0]["field"] == "effective_from"
    half = client.get(
        "/api/v1/sla/preview",
        params={"kind": "complaint", "policy_id": "complaint"},
        headers=headers["agent"],
    )
    assert half.status_code == 422
    assert half.json()["fields"][0]["field"] == "version"
    unknown = client.post("/api/v1/sla/policies/x/versions/3/publish", headers=headers["admin"])
    assert unknown.status_code == 404
