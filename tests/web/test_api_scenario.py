"""The issue's scenario over HTTP: import an order, buyer files, seller answers, agent closes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.builders import an_order

COMPLAINT = {
    "kind": "complaint",
    "subject": "耳机右耳无声",
    "description": "11月13日签收，两天后右耳完全没有声音，重新配对也不行。",
    "order_no": "DD0100",
    "line_nos": [1],
    "contact_phone": "13812345678",
}


def _act(
    client: TestClient, h: dict[str, str], number: str, action: str, version: int, **extra: str
) -> dict:  # type: ignore[type-arg]
    r = client.post(
        f"/api/v1/cases/{number}/actions/{action}", headers=h, json={"version": version, **extra}
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_import_file_answer_close(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    r = client.post(
        "/api/v1/orders",
        headers=headers["admin"],
        json={"orders": [an_order("DD0100"), an_order("DD0100")]},
    )
    assert r.status_code == 200
    assert r.json()["created"] == 1
    assert r.json()["updated"] == 1
    order = client.get("/api/v1/orders/DD0100", headers=headers["buyer"]).json()
    assert order["lines"][0]["paid_coupon_fen"] == 1000

    r = client.post(
        "/api/v1/cases", headers={**headers["buyer"], "Idempotency-Key": "abc"}, json=COMPLAINT
    )
    assert r.status_code == 201, r.text
    case = r.json()
    number = case["number"]
    assert r.headers["location"] == f"/api/v1/cases/{number}"
    assert case["allowed_actions"] == ["withdraw"]
    retry = client.post(
        "/api/v1/cases", headers={**headers["buyer"], "Idempotency-Key": "abc"}, json=COMPLAINT
    )
    assert retry.status_code == 200
    assert retry.json()["number"] == number

    detail = client.get(f"/api/v1/cases/{number}", headers=headers["agent"]).json()
    assert detail["allowed_actions"][0] == "start_screening"
    v = detail["version"]
    v = _act(client, headers["agent"], number, "start_screening", v)["version"]
    v = _act(client, headers["agent"], number, "accept", v)["version"]
    v = _act(client, headers["agent"], number, "forward_to_seller", v)["version"]

    seller_view = client.get(f"/api/v1/cases/{number}", headers=headers["seller"]).json()
    assert seller_view["allowed_actions"] == ["seller_respond"]
    assert seller_view["contact_phone"] == "138****5678"
    assert seller_view["order"]["buyer_phone"] == "138****5678"
    wrong = client.post(
        f"/api/v1/cases/{number}/actions/seller_respond",
        headers=headers["buyer"],
        json={"version": v, "body": "我自己回"},
    )
    assert wrong.status_code == 409
    assert wrong.json()["allowed_actions"] == ["request_intervention", "withdraw"]
    v = _act(
        client,
        headers["seller"],
        number,
        "seller_respond",
        v,
        body="您好，支持退货退款，运费我们承担。",
    )["version"]
    v = _act(client, headers["buyer"], number, "agree", v)["version"]
    v = _act(client, headers["seller"], number, "execute", v)["version"]
    v = _act(client, headers["seller"], number, "complete_execution", v)["version"]
    v = _act(client, headers["buyer"], number, "confirm", v)["version"]
    closed = _act(client, headers["agent"], number, "close", v)
    assert closed["status"] == "closed"
    assert closed["ended_at"]

    timeline = client.get(f"/api/v1/cases/{number}/timeline", headers=headers["buyer"]).json()
    assert [e["data"].get("to") for e in timeline["items"][1:]] == [
        "screening",
        "accepted",
        "awaiting_seller",
        "negotiating",
        "agreed",
        "executing",
        "awaiting_confirmation",
        "resolved",
        "closed",
    ]
    assert timeline["items"][4]["body"].startswith("您好，支持退货退款")


def test_case_answers_match_the_documented_case_schema(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    from kefu.web.schemas import CaseOut

    body = {**COMPLAINT, "order_no": "DD0001"}
    created = client.post("/api/v1/cases", headers=headers["buyer"], json=body).json()
    listed = client.get("/api/v1/cases", headers=headers["buyer"]).json()["items"][0]
    for answer in (created, listed):
        assert set(answer) == set(CaseOut.model_fields)
        assert CaseOut.model_validate(answer).model_dump(mode="json") == answer
    assert created["created_at"].endswith("Z")
