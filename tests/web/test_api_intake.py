"""Screening over HTTP: verdicts with reasons, prior resolution, corrections, flags, on duty."""

from __future__ import annotations

from fastapi.testclient import TestClient

GOOD = {
    "kind": "complaint",
    "subject": "保温杯不保温",
    "order_no": "DD0001",
    "line_nos": [1],
    "description": "收到的保温杯用了三天就不保温了，倒进去的开水一小时后就变凉，和宣传的不符。",
    "contact_phone": "13812345678",
}


def test_missing_elements_are_one_error_naming_every_field(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    r = client.post(
        "/api/v1/cases",
        headers=headers["buyer"],
        json={"kind": "complaint", "subject": "", "description": "坏了"},
    )
    assert r.status_code == 422
    fields = {f["field"] for f in r.json()["fields"]}
    assert {"subject", "description", "contact_phone", "order_no"} <= fields
    assert all(f["message_zh"] and f["message_en"] for f in r.json()["fields"])


def test_a_refused_case_is_filed_with_its_reason_and_trail(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    r = client.post(
        "/api/v1/cases",
        headers=headers["buyer"],
        json={**GOOD, "prior_resolution": "litigation"},
    )
    assert r.status_code == 201
    case = r.json()
    assert case["status"] == "rejected"
    assert "诉讼" in case["reject_reason"]
    assert "litigation" in case["reject_reason"]
    s = client.get(f"/api/v1/cases/{case['number']}/screening", headers=headers["agent"]).json()
    assert s["code"] == "already_elsewhere"
    assert s["trail"][-1] == {"rule": "prior_resolution", "passed": False, "detail": "litigation"}
    bad = client.post(
        "/api/v1/cases", headers=headers["buyer"], json={**GOOD, "prior_resolution": "rumour"}
    )
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "prior_resolution"


def test_agents_correct_categories_and_supervisors_export_them(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    case = client.post("/api/v1/cases", headers=headers["buyer"], json=GOOD).json()
    r = client.post(
        f"/api/v1/cases/{case['number']}/category",
        headers=headers["agent"],
        json={"version": case["version"], "category": "描述不符/虚假宣传"},
    )
    assert r.status_code == 200, r.text
    stale = client.post(
        f"/api/v1/cases/{case['number']}/category",
        headers=headers["agent"],
        json={"version": case["version"], "category": "其他"},
    )
    assert stale.status_code == 409
    exported = client.get("/api/v1/classification/overrides", headers=headers["supervisor"])
    items = exported.json()["items"]
    assert [i["label"] for i in items] == ["描述不符/虚假宣传"]
    assert exported.json()["next_after"] == items[-1]["id"]


def test_supervisors_put_agents_on_duty_and_new_cases_reach_them(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    r = client.put(
        "/api/v1/staff/agent1/availability",
        headers=headers["supervisor"],
        json={"on_duty": True, "shift_start": "00:00", "shift_end": "23:59",
              "working_days_only": False},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    case = client.post("/api/v1/cases", headers=headers["buyer"], json=GOOD).json()
    assert case["assignee_id"] == r.json()["user_id"]
    bad = client.put(
        "/api/v1/staff/agent1/availability",
        headers=headers["supervisor"],
        json={"shift_start": "9am"},
    )
    assert bad.status_code == 422
    assert bad.json()["fields"][0]["field"] == "shift_start"


def test_staff_set_their_own_duty_and_nobody_elses(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    own = client.put(
        "/api/v1/staff/agent1/availability", headers=headers["agent"], json={"on_duty": False}
    )
    assert own.status_code == 200, own.text
    assert own.json()["on_duty"] is False
    other = client.put(
        "/api/v1/staff/agent1/availability", headers=headers["tech"], json={"on_duty": True}
    )
    assert other.status_code == 403
    assert "只能设置自己的值班状态" in other.json()["message_zh"]
