"""HTTP: the after-sales return actions through POST /api/v1/cases/{no}/actions/{action}."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

H = dict[str, dict[str, str]]
AFTERSALES = {
    "kind": "aftersales",
    "subject": "申请退货退款",
    "order_no": "DD0001",
    "description": "耳机右耳没有声音，申请退货退款，商品和包装都完好。",
    "contact_phone": "13812345678",
}
SHIPPED = {"carrier": "顺丰速运", "tracking_no": "SF1234567890"}


def _act(client: TestClient, h: dict[str, str], number: str, action: str, **extra: Any) -> Any:
    version = client.get(f"/api/v1/cases/{number}", headers=h).json()["version"]
    return client.post(
        f"/api/v1/cases/{number}/actions/{action}", headers=h, json={"version": version, **extra}
    )


def _approved(client: TestClient, headers: H) -> str:
    r = client.post("/api/v1/cases", headers=headers["buyer"], json=AFTERSALES)
    assert r.status_code == 201, r.json()
    number = str(r.json()["number"])
    for action in ("start_screening", "accept", "forward_to_seller"):
        assert _act(client, headers["supervisor"], number, action).status_code == 200
    r = _act(client, headers["seller"], number, "approve_return")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "awaiting_return_shipment"
    return number


def test_the_return_steps_answer_like_every_action(client: TestClient, headers: H) -> None:
    number = _approved(client, headers)
    buyer = client.get(f"/api/v1/cases/{number}", headers=headers["buyer"]).json()
    assert "ship_return" in buyer["allowed_actions"]
    # Not the seller's action: 409 with the current status and what the seller may do.
    r = _act(client, headers["seller"], number, "ship_return")
    assert r.status_code == 409
    body = r.json()
    assert body["current_status"] == "awaiting_return_shipment"
    assert "ship_return" not in body["allowed_actions"]
    # Nobody but the system closes a request for a missed shipment.
    r = _act(client, headers["admin"], number, "close_request", reason="test")
    assert r.status_code == 409
    # The buyer's shipment without a carrier or waybill: 422 naming both fields.
    r = _act(client, headers["buyer"], number, "ship_return")
    assert r.status_code == 422
    assert {f["field"] for f in r.json()["fields"]} == {"carrier", "tracking_no"}


def test_the_buyer_ships_and_the_seller_confirms_receipt_over_the_api(
    client: TestClient, headers: H
) -> None:
    number = _approved(client, headers)
    r = _act(client, headers["buyer"], number, "ship_return", **SHIPPED)
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "awaiting_return_receipt"
    r = _act(client, headers["seller"], number, "confirm_receipt")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "executing"
