"""The OpenAPI document declares the problem+json errors, and real errors fit its schema."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from kefu.web.errors import PROBLEM
from kefu.web.schemas import Problem
from tests.builders import an_order
from tests.web.bodies import DRAFT, FILING
from tests.web.openapi_check import check, resolve

H = dict[str, dict[str, str]]
REF = "#/components/schemas/Problem"
# The operations that can answer 409, and only they declare it.
CONFLICTS = {
    ("post", "/api/v1/cases/{number}/actions/{action}"),
    ("post", "/api/v1/cases/{number}/assign"),
    ("post", "/api/v1/cases/{number}/category"),
    ("post", "/api/v1/sla/policies/{policy_id}/versions/{version}/publish"),
    ("post", "/api/v1/sla/cases/{number}/clocks/pause"),
    ("post", "/api/v1/sla/cases/{number}/clocks/resume"),
    ("post", "/api/v1/sla/cases/{number}/suspension/acceptance-proof"),
    ("post", "/api/v1/mail/inbound/{mail_id}/retake"),
    ("post", "/api/v1/mail/outbound/{mail_id}/resend"),
}


def _documented(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The schema /openapi.json gives for this answer, checked to be the Problem reference."""
    response = spec["paths"][path][method]["responses"][str(status)]
    assert set(response["content"]) == {PROBLEM}, response
    schema: dict[str, Any] = response["content"][PROBLEM]["schema"]
    assert schema == {"$ref": REF}
    return schema


def _fits(spec: dict[str, Any], method: str, path: str, r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    check(spec, _documented(spec, method, path, status), body, "body")
    Problem.model_validate(body)
    # Every key sent is one the schema names: nothing an integrator would meet undocumented.
    assert set(body) <= set(resolve(spec, {"$ref": REF})["properties"]), body
    return body


def test_filing_declares_every_error_as_a_problem(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    responses = spec["paths"]["/api/v1/cases"]["post"]["responses"]
    # 201 filed, 200 a retry with the same Idempotency-Key; then the errors.
    assert set(responses) == {"200", "201", "400", "401", "403", "404", "422"}
    for status in (400, 401, 403, 404, 422):
        _documented(spec, "post", "/api/v1/cases", status)
        assert responses[str(status)]["description"]
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {
        "type",
        "title",
        "status",
        "code",
        "detail",
        "message_zh",
        "message_en",
        "fields",
    }
    assert problem["properties"]["fields"]["items"] == {"$ref": "#/components/schemas/ProblemField"}
    field = spec["components"]["schemas"]["ProblemField"]
    assert (
        set(field["required"])
        == set(field["properties"])
        == {
            "field",
            "code",
            "message_zh",
            "message_en",
        }
    )
    # The extras some codes add are documented, and optional.
    extras = {"current_status", "allowed_actions", "expected_version", "current_version", "key"}
    assert extras <= set(problem["properties"]) - set(problem["required"])


def test_fastapis_validation_error_shape_is_gone(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert "HTTPValidationError" not in r.text
    assert "ValidationError" not in r.json()["components"]["schemas"]


def test_every_api_operation_declares_its_errors_and_409_only_where_it_can_happen(
    client: TestClient,
) -> None:
    spec = client.get("/openapi.json").json()
    conflicts = set()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            codes = {int(s) for s in operation["responses"]}
            errors = {s for s in codes if s >= 400}
            for status in errors:
                _documented(spec, method, path, status)
            assert {401, 422} <= errors, (method, path)
            assert (400 in errors) == (method in ("post", "put", "patch")), (method, path)
            public = path == "/api/v1/auth/token"
            assert ({403, 404} <= errors) != public, (method, path)
            assert not errors - {400, 401, 403, 404, 409, 422}, (method, path)
            if 409 in errors:
                conflicts.add((method, path))
    assert conflicts == CONFLICTS


def test_real_errors_fit_the_documented_schema(client: TestClient, headers: H) -> None:
    spec = client.get("/openapi.json").json()
    sent: set[str] = set()

    def fits(method: str, path: str, r: Any, status: int) -> dict[str, Any]:
        body = _fits(spec, method, path, r, status)
        sent.update(body)
        return body

    cases = "/api/v1/cases"
    fits("get", cases, client.get(cases), 401)
    fits(
        "post",
        "/api/v1/auth/token",
        client.post("/api/v1/auth/token", json={"username": "buyer1", "password": "wrong"}),
        401,
    )
    denied = client.post(
        "/api/v1/users",
        headers=headers["buyer"],
        json={"username": "someone", "password": "long enough", "roles": ["agent"]},
    )
    fits("post", "/api/v1/users", denied, 403)
    missing = fits(
        "get",
        cases + "/{number}",
        client.get(cases + "/KF20260101999999", headers=headers["agent"]),
        404,
    )
    assert (missing["code"], missing["key"]) == ("not_found", "KF20260101999999")
    shape = fits(
        "post",
        cases,
        client.post(cases, headers=headers["buyer"], json={"kind": "rant", "surprise": 1}),
        422,
    )
    assert {f["field"] for f in shape["fields"]} >= {"kind", "surprise", "subject"}
    unparsable = client.post(
        cases,
        headers={**headers["buyer"], "content-type": "application/json"},
        content=b'{"kind": "complaint", "subject": "\xff\xfe"}',  # not UTF-8
    )
    fits("post", cases, unparsable, 400)

    number = client.post(cases, headers=headers["buyer"], json=FILING).json()["number"]
    act = cases + "/{number}/actions/{action}"
    screening = client.post(
        f"{cases}/{number}/actions/start_screening", headers=headers["agent"], json={"version": 1}
    )
    assert screening.status_code == 200, screening.text
    stale = fits(
        "post",
        act,
        client.post(
            f"{cases}/{number}/actions/accept", headers=headers["agent"], json={"version": 1}
        ),
        409,
    )
    assert (stale["expected_version"], stale["current_version"]) == (1, 2)
    refused = fits(
        "post",
        act,
        client.post(
            f"{cases}/{number}/actions/close", headers=headers["buyer"], json={"version": 2}
        ),
        409,
    )
    assert refused["code"] == "invalid_transition"
    assert refused["current_status"] == "screening"
    assert isinstance(refused["allowed_actions"], list)
    guard = fits(
        "post",
        act,
        client.post(
            f"{cases}/{number}/actions/reject", headers=headers["agent"], json={"version": 2}
        ),
        422,
    )
    assert guard["code"] == "guard_failed"

    drafted = client.post("/api/v1/sla/policies", json=DRAFT, headers=headers["admin"])
    assert drafted.status_code == 201, drafted.text
    publish = "/api/v1/sla/policies/{policy_id}/versions/{version}/publish"
    url = "/api/v1/sla/policies/complaint/versions/2/publish"
    assert client.post(url, headers=headers["admin"]).status_code == 200
    again = fits("post", publish, client.post(url, headers=headers["admin"]), 409)
    assert (again["code"], again["policy_id"], again["version"]) == (
        "policy_not_draft",
        "complaint",
        2,
    )

    bad = an_order("DD0900")
    bad["lines"][0]["paid_fen"] = "379.00"
    rejected = fits(
        "post",
        "/api/v1/orders",
        client.post("/api/v1/orders", headers=headers["admin"], json={"orders": [bad]}),
        422,
    )
    assert rejected["code"] == "orders_rejected"
    assert rejected["items"][0]["errors"][0]["field"] == "lines[0].paid_fen"

    # Every key the schema names is one some error really sends: the schema is not guessed.
    assert sent == set(resolve(spec, {"$ref": REF})["properties"])


def test_an_upload_too_large_or_of_the_wrong_type_is_the_documented_422(
    client: TestClient, headers: H
) -> None:
    spec = client.get("/openapi.json").json()
    path = "/api/v1/cases/{number}/evidence"
    assert {"413", "415"}.isdisjoint(spec["paths"][path]["post"]["responses"])
    number = client.post("/api/v1/cases", headers=headers["buyer"], json=FILING).json()["number"]
    wrong = client.post(
        f"/api/v1/cases/{number}/evidence",
        headers=headers["buyer"],
        files={"file": ("a.jpg", b"#!/bin/sh\nrm -rf /", "image/jpeg")},
    )
    body = _fits(spec, "post", path, wrong, 422)
    assert body["fields"][0]["code"] == "unsupported_type"


def test_interactive_docs_load(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/openapi.json" in docs.text
    assert client.get("/openapi.json").json()["info"]["title"] == "kefu 客服 API"
