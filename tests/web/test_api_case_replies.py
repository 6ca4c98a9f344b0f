"""What a write answers: the case's shop and team, and contact details masked for all but its
buyer."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.test_api_scenario import COMPLAINT


def _filed(client: TestClient, headers: dict[str, dict[str, str]]) -> dict:  # type: ignore[type-arg]
    body = {**COMPLAINT, "order_no": "DD0001", "contact_email": "liu.yang@example.com"}
    r = client.post("/api/v1/cases", headers=headers["buyer"], json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _act(
    client: TestClient, h: dict[str, str], number: str, action: str, version: int, **extra: str
) -> dict:  # type: ignore[type-arg]
    r = client.post(
        f"/api/v1/cases/{number}/actions/{action}", headers=h, json={"version": version, **extra}
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_filing_answers_the_shop_and_team_the_case_got(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    filed = _filed(client, headers)
    detail = client.get(f"/api/v1/cases/{filed['number']}", headers=headers["agent"]).json()
    assert filed["shop"] == detail["shop"] == "shop-a"
    assert detail["team"] is not None
    assert filed["team"] == detail["team"]
    # The buyer's own details come back as given.
    assert filed["contact_phone"] == "13812345678"
    assert filed["contact_email"] == "liu.yang@example.com"


def test_a_seller_firing_an_action_never_gets_the_buyers_phone(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    filed = _filed(client, headers)
    number, v = filed["number"], filed["version"]
    for action in ("start_screening", "accept"):
        reply = _act(client, headers["agent"], number, action, v)
        assert reply["contact_phone"] == "138****5678"
        assert reply["contact_email"] != "liu.yang@example.com"
        v = reply["version"]
    forwarded = _act(client, headers["agent"], number, "forward_to_seller", v)
    answered = _act(
        client, headers["seller"], number, "seller_respond", forwarded["version"], body="可以退货"
    )
    assert answered["contact_phone"] == "138****5678"
    assert answered["contact_email"].endswith("@example.com")
    assert answered["contact_email"] != "liu.yang@example.com"
    assert answered["shop"] == "shop-a"
    assert answered["team"] == forwarded["team"] is not None


def test_assigning_answers_the_new_team(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    filed = _filed(client, headers)
    r = client.post(
        f"/api/v1/cases/{filed['number']}/assign",
        headers=headers["supervisor"],
        json={"version": filed["version"], "team": "tech"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["team"] == "tech"
    assert r.json()["contact_phone"] == "138****5678"
    detail = client.get(f"/api/v1/cases/{filed['number']}", headers=headers["supervisor"]).json()
    assert detail["team"] == "tech"
