"""Role x endpoint: every endpoint, every role, the exact status each one gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import an_order

ROLES = ["buyer", "other_buyer", "seller", "other_seller", "agent", "tech", "supervisor", "admin"]
COMPLAINT = {
    "kind": "complaint",
    "subject": "商品破损",
    "order_no": "DD0001",
    "description": "快递送到时外箱压坏，里面的杯子碎了两个。",
    "contact_phone": "13812345678",
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x02" * 40

# One fresh case per call; (method, path, kwargs) built from its number.
Request = Callable[[str], tuple[str, str, dict[str, Any]]]
VISIBLE = {
    "buyer": 200,
    "other_buyer": 404,
    "seller": 200,
    "other_seller": 404,
    "agent": 200,
    "tech": 404,
    "supervisor": 200,
    "admin": 200,
}


def _created(statuses: dict[str, int]) -> dict[str, int]:
    return {k: 201 if v == 200 else v for k, v in statuses.items()}


MATRIX: list[tuple[str, Request, dict[str, int]]] = [
    ("list cases", lambda n: ("GET", "/api/v1/cases", {}), dict.fromkeys(ROLES, 200)),
    ("get case", lambda n: ("GET", f"/api/v1/cases/{n}", {}), VISIBLE),
    ("timeline", lambda n: ("GET", f"/api/v1/cases/{n}/timeline", {}), VISIBLE),
    (
        "message",
        lambda n: ("POST", f"/api/v1/cases/{n}/messages", {"json": {"body": "您好"}}),
        _created(VISIBLE),
    ),
    (
        "internal note",
        lambda n: (
            "POST",
            f"/api/v1/cases/{n}/messages",
            {"json": {"body": "内部", "internal": True}},
        ),
        {
            "buyer": 403,
            "other_buyer": 403,
            "seller": 403,
            "other_seller": 403,
            "agent": 201,
            "tech": 404,
            "supervisor": 201,
            "admin": 201,
        },
    ),
    (
        "evidence",
        lambda n: (
            "POST",
            f"/api/v1/cases/{n}/evidence",
            {"files": {"file": ("a.png", PNG, "image/png")}},
        ),
        _created(VISIBLE),
    ),
    (
        "action",
        lambda n: ("POST", f"/api/v1/cases/{n}/actions/start_screening", {"json": {"version": 1}}),
        {
            "buyer": 409,
            "other_buyer": 404,
            "seller": 409,
            "other_seller": 404,
            "agent": 200,
            "tech": 404,
            "supervisor": 200,
            "admin": 200,
        },
    ),
    (
        "assign",
        lambda n: ("POST", f"/api/v1/cases/{n}/assign", {"json": {"version": 1, "team": "cs"}}),
        {
            "buyer": 403,
            "other_buyer": 403,
            "seller": 403,
            "other_seller": 403,
            "agent": 200,
            "tech": 404,
            "supervisor": 200,
            "admin": 200,
        },
    ),
    (
        "file case",
        lambda n: ("POST", "/api/v1/cases", {"json": COMPLAINT}),
        {
            "buyer": 201,
            "other_buyer": 422,
            "seller": 403,
            "other_seller": 403,
            "agent": 201,
            "tech": 201,
            "supervisor": 201,
            "admin": 201,
        },
    ),
    (
        "import orders",
        lambda n: ("POST", "/api/v1/orders", {"json": {"orders": [an_order("DD0777")]}}),
        {
            "buyer": 403,
            "other_buyer": 403,
            "seller": 200,
            "other_seller": 422,
            "agent": 403,
            "tech": 403,
            "supervisor": 403,
            "admin": 200,
        },
    ),
    (
        "get order",
        lambda n: ("GET", "/api/v1/orders/DD0001", {}),
        {
            "buyer": 200,
            "other_buyer": 404,
            "seller": 200,
            "other_seller": 404,
            "agent": 200,
            "tech": 200,
            "supervisor": 200,
            "admin": 200,
        },
    ),
    (
        "create user",
        lambda n: (
            "POST",
            "/api/v1/users",
            {
                "json": {
                    "username": f"u{n[-6:]}",
                    "password": "longenough1",
                    "roles": ["agent"],
                    "teams": ["cs"],
                }
            },
        ),
        {r: (201 if r == "admin" else 403) for r in ROLES},
    ),
    ("me", lambda n: ("GET", "/api/v1/me", {}), dict.fromkeys(ROLES, 200)),
    ("notifications", lambda n: ("GET", "/api/v1/notifications", {}), dict.fromkeys(ROLES, 200)),
]


@pytest.mark.parametrize(("name", "build", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_role_endpoint_matrix(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    name: str,
    build: Request,
    expected: dict[str, int],
) -> None:
    got = {}
    for role in ROLES:
        number = client.post("/api/v1/cases", headers=headers["buyer"], json=COMPLAINT).json()[
            "number"
        ]
        method, path, kwargs = build(number)
        got[role] = client.request(method, path, headers=headers[role], **kwargs).status_code
        anonymous = client.request(method, path, **kwargs).status_code
        assert anonymous == 401, (name, "anonymous", anonymous)
    assert got == expected
