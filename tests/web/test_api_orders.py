"""POST /api/v1/orders: 422 orders_rejected naming orders[i].field if none was written, else 200."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.domain.orders import MAX_FEN
from tests.builders import an_order

Headers = dict[str, dict[str, str]]


def _with_line(order: dict[str, Any], **change: Any) -> dict[str, Any]:
    order["lines"][0].update(change)
    return order


def _rejected(r: Any) -> dict[str, Any]:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert body["code"] == "orders_rejected"
    assert body["status"] == 422
    assert body["message_zh"]
    assert body["message_en"]
    assert (body["created"], body["updated"]) == (0, 0)
    assert all(f["message_zh"] and f["message_en"] for f in body["fields"])
    return body


def test_a_batch_with_no_good_order_is_a_problem_naming_orders_i_fields(
    client: TestClient, headers: Headers
) -> None:
    orders = [
        _with_line(an_order("DD0901"), quantity=1.5),
        _with_line(an_order("DD0902"), paid_fen=MAX_FEN + 1, paid_cash_fen=None),
    ]
    r = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": orders})
    body = _rejected(r)
    assert body["failed"] == 2
    assert "2" in body["message_zh"]
    assert "2 order(s)" in body["message_en"]
    assert [(f["field"], f["code"]) for f in body["fields"]] == [
        ("orders[0].lines[0].quantity", "type"),
        ("orders[1].lines[0].paid_fen", "too_large"),
    ]
    assert [(i["order_no"], i["status"]) for i in body["items"]] == [
        ("DD0901", "error"),
        ("DD0902", "error"),
    ]
    # Within an item the field is the order's own, without the request index.
    assert body["items"][1]["errors"][0]["field"] == "lines[0].paid_fen"
    for number in ("DD0901", "DD0902"):
        got = client.get(f"/api/v1/orders/{number}", headers=headers["admin"])
        assert got.status_code == 404


def test_the_request_index_tells_orders_with_one_number_apart(
    client: TestClient, headers: Headers
) -> None:
    first = _with_line(an_order("DD0903"), sku="")
    second = an_order("DD0903", paid_at="yesterday")
    nameless = {**an_order("DD0904"), "order_no": None}
    r = client.post(
        "/api/v1/orders", headers=headers["admin"], json={"orders": [first, second, nameless]}
    )
    body = _rejected(r)
    assert [(f["field"], f["code"]) for f in body["fields"]] == [
        ("orders[0].lines[0].sku", "required"),
        ("orders[1].paid_at", "bad_time"),
        ("orders[2].order_no", "required"),
    ]
    assert [i["order_no"] for i in body["items"]] == ["DD0903", "DD0903", "#2"]


def test_orders_refused_after_validation_are_rejected_the_same_way(
    client: TestClient, headers: Headers
) -> None:
    # Valid orders, but the seller of shop-a may not write shop-b's, nor anyone an unknown shop.
    foreign = an_order("DD0905", shop="shop-b")
    r = client.post("/api/v1/orders", headers=headers["seller"], json={"orders": [foreign]})
    body = _rejected(r)
    assert [(f["field"], f["code"]) for f in body["fields"]] == [
        ("orders[0].shop_code", "not_your_shop")
    ]
    assert body["items"] == [
        {"order_no": "DD0905", "status": "error", "errors": body["items"][0]["errors"]}
    ]
    assert body["items"][0]["errors"][0]["field"] == "shop_code"


def test_one_written_order_makes_the_batch_a_200_listing_the_failed_ones(
    client: TestClient, headers: Headers
) -> None:
    orders = [
        _with_line(an_order("DD0906"), paid_fen="379.00"),
        an_order("DD0907"),
        an_order("DD0001"),  # already imported by the fixture: an update
        an_order("DD0908", shop="shop-b"),
    ]
    r = client.post("/api/v1/orders", headers=headers["seller"], json={"orders": orders})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 2)
    assert "code" not in body
    items = {i["order_no"]: i for i in body["items"]}
    assert {n: i["status"] for n, i in items.items()} == {
        "DD0906": "error",
        "DD0907": "created",
        "DD0001": "updated",
        "DD0908": "error",
    }
    assert [(e["field"], e["code"]) for e in items["DD0906"]["errors"]] == [
        ("lines[0].paid_fen", "not_integer")
    ]
    assert [(e["field"], e["code"]) for e in items["DD0908"]["errors"]] == [
        ("shop_code", "not_your_shop")
    ]
    assert items["DD0907"]["errors"] == []
    seller = headers["seller"]
    assert client.get("/api/v1/orders/DD0907", headers=seller).status_code == 200
    assert client.get("/api/v1/orders/DD0906", headers=seller).status_code == 404


def test_an_update_alone_counts_as_written(client: TestClient, headers: Headers) -> None:
    orders = [an_order("DD0001", carrier="中通快递"), _with_line(an_order("DD0911"), sku="")]
    r = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": orders})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["updated"], body["failed"]) == (0, 1, 1)
    got = client.get("/api/v1/orders/DD0001", headers=headers["admin"]).json()
    assert got["carrier"] == "中通快递"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"paid_fen": 10**20, "paid_cash_fen": None}, "lines[0].paid_fen", "too_large"),
        ({"quantity": 10**12}, "lines[0].quantity", "too_large"),
        ({"line_no": 2**40}, "lines[0].line_no", "too_large"),
        ({"flags": {"durable": True}}, "lines[0].flags", "type"),
    ],
)
def test_numbers_past_the_database_are_rejected_not_a_server_error(
    client: TestClient, headers: Headers, change: dict[str, Any], field: str, code: str
) -> None:
    order = _with_line(an_order("DD0909"), **change)
    r = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [order]})
    body = _rejected(r)
    assert (f"orders[0].{field}", code) in [(f["field"], f["code"]) for f in body["fields"]]


def test_integral_floats_are_stored_as_whole_numbers(client: TestClient, headers: Headers) -> None:
    order = _with_line(
        an_order("DD0910"),
        line_no=1.0,
        quantity=2.0,
        unit_price_fen=39900.0,
        paid_fen=37900.0,
        paid_cash_fen=36900.0,
    )
    r = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [order]})
    assert r.status_code == 200, r.text
    line = client.get("/api/v1/orders/DD0910", headers=headers["admin"]).json()["lines"][0]
    assert (line["line_no"], line["quantity"], line["paid_fen"]) == (1, 2, 37900)
    assert all(type(line[k]) is int for k in ("line_no", "quantity", "paid_fen"))


@pytest.mark.parametrize(
    "forged",
    [
        [1],
        "abc",
        [{"field": "line", "code": "invalid_json", "message_zh": "假", "message_en": "fake"}],
    ],
)
def test_a_client_cannot_send_the_readers_own_errors(
    client: TestClient, headers: Headers, forged: Any
) -> None:
    # "_source_errors" is the name the file reader once used inside the mapping: from a client it
    # is an unknown key like any other, ignored on a good order, no error of its own on a bad one.
    alone = {"_source_errors": forged}
    body = _rejected(
        client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [alone]})
    )
    codes = [(f["field"], f["code"]) for f in body["fields"]]
    assert ("orders[0].order_no", "required") in codes
    assert all(code != "invalid_json" for _, code in codes)
    good = {**an_order("DD0912"), "_source_errors": forged}
    r = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [good]})
    assert r.status_code == 200, r.text
    assert (r.json()["created"], r.json()["failed"]) == (1, 0)
