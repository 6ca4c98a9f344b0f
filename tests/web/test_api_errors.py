"""Errors are problem+json with a stable code, the fields at fault, zh-CN and en."""

from __future__ import annotations

from fastapi.testclient import TestClient

BASE = {
    "kind": "complaint",
    "subject": "屏幕有坏点",
    "order_no": "DD0001",
    "description": "收到的电视屏幕左上角有三个亮点，开机就能看到。",
    "contact_phone": "13812345678",
}


def _problem(r, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == code
    assert body["message_zh"]
    assert body["message_en"]
    return body


def test_shape_errors_name_every_field(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    r = client.post(
        "/api/v1/cases",
        headers=headers["buyer"],
        json={"kind": "rant", "subject": "x" * 300, "surprise": 1},
    )
    body = _problem(r, 422, "invalid_input")
    assert {f["field"] for f in body["fields"]} >= {"kind", "subject", "description", "surprise"}
    assert all(f["message_zh"] and f["message_en"] for f in body["fields"])


def test_no_credentials_is_401_and_a_bad_token_too(client: TestClient) -> None:
    _problem(client.get("/api/v1/cases"), 401, "not_authenticated")
    _problem(
        client.get("/api/v1/cases", headers={"Authorization": "Bearer kf_nope"}),
        401,
        "not_authenticated",
    )


def test_unknown_case_is_404(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    _problem(
        client.get("/api/v1/cases/KF20260101999999", headers=headers["agent"]), 404, "not_found"
    )


def test_stale_version_is_409_with_both_versions(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=BASE).json()["number"]
    ok = client.post(
        f"/api/v1/cases/{number}/actions/start_screening",
        headers=headers["agent"],
        json={"version": 1},
    )
    assert ok.status_code == 200
    stale = client.post(
        f"/api/v1/cases/{number}/actions/accept", headers=headers["agent"], json={"version": 1}
    )
    body = _problem(stale, 409, "version_conflict")
    assert body["current_version"] == 2


def test_guard_failure_is_422_naming_the_field(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=BASE).json()["number"]
    client.post(
        f"/api/v1/cases/{number}/actions/start_screening",
        headers=headers["agent"],
        json={"version": 1},
    )
    r = client.post(
        f"/api/v1/cases/{number}/actions/reject", headers=headers["agent"], json={"version": 2}
    )
    body = _problem(r, 422, "guard_failed")
    assert body["fields"][0]["field"] == "reason"
    _problem(
        client.post(
            f"/api/v1/cases/{number}/actions/fly", headers=headers["agent"], json={"version": 2}
        ),
        422,
        "invalid_input",
    )


def test_idempotency_key_reuse_with_another_body(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    h = {**headers["buyer"], "Idempotency-Key": "same"}
    assert client.post("/api/v1/cases", headers=h, json=BASE).status_code == 201
    _problem(
        client.post("/api/v1/cases", headers=h, json={**BASE, "subject": "另一件事"}),
        422,
        "idempotency_key_reused",
    )


def test_order_import_reports_each_bad_order_and_writes_none_of_it(
    client: TestClient, headers
) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import an_order

    bad = an_order("DD0900")
    bad["lines"][0]["paid_fen"] = "379.00"
    r = client.post(
        "/api/v1/orders", headers=headers["admin"], json={"orders": [an_order("DD0901"), bad]}
    )
    assert r.status_code == 200
    items = {i["order_no"]: i for i in r.json()["items"]}
    assert items["DD0901"]["status"] == "created"
    assert items["DD0900"]["errors"][0]["field"] == "lines[0].paid_fen"
    _problem(client.get("/api/v1/orders/DD0900", headers=headers["admin"]), 404, "not_found")
    only_bad = client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [bad]})
    assert only_bad.status_code == 422
    foreign = client.post(
        "/api/v1/orders",
        headers=headers["seller"],
        json={"orders": [an_order("DD0902", shop="shop-b")]},
    )
    assert foreign.json()["items"][0]["errors"][0]["code"] == "not_your_shop"


def test_evidence_upload_sniffs_bytes(client: TestClient, headers) -> None:  # type: ignore[no-untyped-def]
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=BASE).json()["number"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100
    r = client.post(
        f"/api/v1/cases/{number}/evidence",
        headers=headers["buyer"],
        files={"file": ("照片.txt", png, "text/plain")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["content_type"] == "image/png"
    got = client.get(r.json()["url"], headers=headers["seller"])
    assert got.status_code == 200
    assert got.content == png
    assert got.headers["x-content-type-options"] == "nosniff"
    _problem(
        client.post(
            f"/api/v1/cases/{number}/evidence",
            headers=headers["buyer"],
            files={"file": ("a.jpg", b"#!/bin/sh\nrm -rf /", "image/jpeg")},
        ),
        422,
        "invalid_input",
    )
    _problem(client.get(r.json()["url"], headers=headers["other_buyer"]), 404, "not_found")


def test_health_metrics_and_openapi(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    assert "kefu_http_requests_total" in client.get("/metrics").text
    spec = client.get("/openapi.json").json()
    assert "/api/v1/cases/{number}/actions/{action}" in spec["paths"]
    assert client.get("/docs").status_code == 200
