"""GET /api/v1/search over HTTP: results in the queue's item shape, masking, paging, problems."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.bootstrap import App
from kefu.services import search as search_svc
from kefu.web.schemas import CaseOut

COMPLAINTS = [
    ("申请退款", "耳机右耳没有声音，要求退款。"),
    ("iPhone 14 屏幕碎了", "收到时屏幕有裂痕，外箱完好。"),
    ("退款一直没到账", "商家同意退款已经一周了，钱还没到。"),
]


@pytest.fixture
def numbers(app: App, client: TestClient, headers: dict[str, dict[str, str]]) -> list[str]:
    out = []
    for subject, description in COMPLAINTS:
        body = {
            "kind": "complaint",
            "subject": subject,
            "description": description,
            "order_no": "DD0001",
            "contact_phone": "13812345678",
        }
        resp = client.post("/api/v1/cases", headers=headers["buyer"], json=body)
        assert resp.status_code == 201, resp.text
        out.append(resp.json()["number"])
    search_svc.reindex_all(app.uow)
    return out


def _get(client: TestClient, headers: dict[str, str], **params: Any) -> Any:
    return client.get("/api/v1/search", headers=headers, params=params)


def test_a_two_character_query_returns_matching_cases_newest_first(
    client: TestClient, headers: dict[str, dict[str, str]], numbers: list[str]
) -> None:
    resp = _get(client, headers["agent"], q="退款")
    assert resp.status_code == 200
    body = resp.json()
    assert [i["number"] for i in body["items"]] == [numbers[2], numbers[0]]
    assert body["next_cursor"] is None
    for item in body["items"]:
        CaseOut.model_validate(item)
        assert item["contact_phone"] != "13812345678"  # masked for staff, as in the queue


def test_mixed_query_case_number_and_order_number(
    client: TestClient, headers: dict[str, dict[str, str]], numbers: list[str]
) -> None:
    def found(q: str) -> list[str]:
        return [i["number"] for i in _get(client, headers["buyer"], q=q).json()["items"]]

    assert found("iPhone 屏幕") == [numbers[1]]
    assert found(numbers[0]) == [numbers[0]]
    assert found("DD0001") == list(reversed(numbers))
    buyer_item = _get(client, headers["buyer"], q="屏幕").json()["items"][0]
    assert buyer_item["contact_phone"] == "13812345678"  # the buyer's own details


def test_the_cursor_fetches_the_next_page(
    client: TestClient, headers: dict[str, dict[str, str]], numbers: list[str]
) -> None:
    first = _get(client, headers["supervisor"], q="退款", limit=1).json()
    assert [i["number"] for i in first["items"]] == [numbers[2]]
    second = _get(
        client, headers["supervisor"], q="退款", limit=1, cursor=first["next_cursor"]
    ).json()
    assert [i["number"] for i in second["items"]] == [numbers[0]]
    assert second["next_cursor"] is None


def test_other_buyers_and_shops_find_nothing(
    client: TestClient, headers: dict[str, dict[str, str]], numbers: list[str]
) -> None:
    for role in ("other_buyer", "other_seller", "tech"):
        assert _get(client, headers[role], q="退款").json()["items"] == [], role


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"q": ""}, "q", "required"),
        ({}, "q", "required"),
        ({"q": "退" * 101}, "q", "too_long"),
        ({"q": "退款", "cursor": "garbage!"}, "cursor", "invalid"),
        ({"q": "退款", "limit": 0}, "limit", "greater_than_equal"),
    ],
)
def test_bad_queries_are_problems_with_the_field_in_chinese_and_english(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    params: dict[str, Any],
    field: str,
    code: str,
) -> None:
    resp = _get(client, headers["buyer"], **params)
    assert resp.status_code == 422
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert [(f["field"], f["code"]) for f in body["fields"]] == [(field, code)]
    assert body["message_zh"]
    assert body["message_en"]


def test_anonymous_callers_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/search", params={"q": "退款"}).status_code == 401
