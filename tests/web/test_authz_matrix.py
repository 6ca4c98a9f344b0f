"""Role x endpoint: every endpoint, every role, the exact status each one gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import COMPLAINT_TEXTS, an_order

ROLES = ["buyer", "other_buyer", "seller", "other_seller", "agent", "tech", "supervisor", "admin"]
COMPLAINT = {
    "kind": "complaint",
    "subject": "商品破损",
    "order_no": "DD0001",
    "description": "快递送到时外箱压坏，里面的杯子碎了两个。",
    "contact_phone": "13812345678",
}
CALL = {
    "caller_number": "13812345678",
    "started_at": "2026-11-24T09:30:00+08:00",
    "duration_s": 60,
    "notes": "来电反映耳机右耳没有声音，要求换货。",
    "order_no": "DD0001",
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


_SUPERVISORS_ONLY = {
    "buyer": 403,
    "other_buyer": 403,
    "seller": 403,
    "other_seller": 403,
    "agent": 403,
    "tech": 403,
    "supervisor": 200,
    "admin": 200,
}


def _created(statuses: dict[str, int]) -> dict[str, int]:
    return {k: 201 if v == 200 else v for k, v in statuses.items()}


_STAFF_ONLY = {r: (403 if "buyer" in r or "seller" in r else 200) for r in ROLES}


def _policy_draft(number: str) -> dict[str, Any]:
    return {
        "policy_id": f"matrix-{number[-6:]}",
        "match": {"kind": "feedback"},
        "clocks": [
            {
                "name": "first_response",
                "party": "platform",
                "measure": "calendar_hours",
                "amount": 8,
            }
        ],
        "effective_from": "2026-12-10T00:00:00+08:00",  # the suite's clock: 2026-11-24
    }


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
        "screening verdict",
        lambda n: ("GET", f"/api/v1/cases/{n}/screening", {}),
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
        "correct category",
        lambda n: (
            "POST",
            f"/api/v1/cases/{n}/category",
            {"json": {"version": 1, "category": "其他"}},
        ),
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
        "export category overrides",
        lambda n: ("GET", "/api/v1/classification/overrides", {}),
        _SUPERVISORS_ONLY,
    ),
    ("buyer flags", lambda n: ("GET", "/api/v1/buyer-flags", {}), _SUPERVISORS_ONLY),
    (
        "staff availability",
        lambda n: ("PUT", "/api/v1/staff/agent1/availability", {"json": {"on_duty": True}}),
        {**_SUPERVISORS_ONLY, "agent": 200},  # agent1 clocks in; others only if they manage
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
    # --- deadlines (issue 4) ---
    ("sla preview", lambda n: ("GET", "/api/v1/sla/preview?kind=complaint", {}), _STAFF_ONLY),
    (
        "sla preview of a draft",
        lambda n: ("GET", "/api/v1/sla/preview?kind=complaint&policy_id=nope&version=1", {}),
        {r: (404 if v == 200 else v) for r, v in _STAFF_ONLY.items()},
    ),
    ("list sla policies", lambda n: ("GET", "/api/v1/sla/policies", {}), _STAFF_ONLY),
    (
        "draft sla policy",
        lambda n: ("POST", "/api/v1/sla/policies", {"json": _policy_draft(n)}),
        {r: (201 if r == "admin" else 403) for r in ROLES},
    ),
    (
        "publish sla policy",
        lambda n: ("POST", "/api/v1/sla/policies/nope/versions/1/publish", {}),
        {r: (404 if r == "admin" else 403) for r in ROLES},
    ),
    (
        "list calendar overrides",
        lambda n: ("GET", "/api/v1/sla/calendar-overrides", {}),
        _STAFF_ONLY,
    ),
    (
        "add calendar override",
        lambda n: (
            "POST",
            "/api/v1/sla/calendar-overrides",
            {"json": {"date": "2026-12-" + n[-2:], "working": False}},
        ),
        {r: (201 if r == "admin" else 403) for r in ROLES},
    ),
    (
        "delete calendar override",
        lambda n: ("DELETE", "/api/v1/sla/calendar-overrides/999999", {}),
        {r: (404 if r == "admin" else 403) for r in ROLES},
    ),
    (
        "set seller agreement",
        lambda n: ("PUT", "/api/v1/sla/agreements/shop-a", {"json": {"reply_within_hours": 12}}),
        {r: (200 if r == "admin" else 403) for r in ROLES},
    ),
    (
        "get seller agreement",
        lambda n: ("GET", "/api/v1/sla/agreements/shop-a", {}),
        {**dict.fromkeys(ROLES, 200), "buyer": 403, "other_buyer": 403, "other_seller": 403},
    ),
    ("case clocks", lambda n: ("GET", f"/api/v1/sla/cases/{n}/clocks", {}), VISIBLE),
    (
        "pause clocks",
        lambda n: (
            "POST",
            f"/api/v1/sla/cases/{n}/clocks/pause",
            {"json": {"reason": "waiting_on_buyer"}},
        ),
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
        "review request",
        lambda n: (
            "POST",
            f"/api/v1/sla/cases/{n}/review-requests",
            {"json": {"decision_id": 999999}},
        ),
        {**dict.fromkeys(ROLES, 403), "buyer": 422, "other_buyer": 404},
    ),
    # Channels (issue 3): phone calls are logged by staff; chats are opened by buyers.
    (
        "log call",
        lambda n: ("POST", "/api/v1/calls", {"json": CALL}),
        {r: (201 if r in ("agent", "tech", "supervisor", "admin") else 403) for r in ROLES},
    ),
    (
        "open chat",
        lambda n: ("POST", "/api/v1/chats", {"json": {"topic": "咨询"}}),
        {r: (201 if r in ("buyer", "other_buyer") else 403) for r in ROLES},
    ),
    (
        "list chats",
        lambda n: ("GET", "/api/v1/chats", {}),
        {r: (403 if r in ("seller", "other_seller") else 200) for r in ROLES},
    ),
    # Mail that failed (docs/email-channel.md): supervisors and admins only; no mail #999999.
    ("mail failures", lambda n: ("GET", "/api/v1/mail/failures", {}), _SUPERVISORS_ONLY),
    (
        "retake mail",
        lambda n: ("POST", "/api/v1/mail/inbound/999999/retake", {}),
        {r: (404 if v == 200 else v) for r, v in _SUPERVISORS_ONLY.items()},
    ),
    (
        "resend mail",
        lambda n: ("POST", "/api/v1/mail/outbound/999999/resend", {}),
        {r: (404 if v == 200 else v) for r, v in _SUPERVISORS_ONLY.items()},
    ),
    # Search (full text): everyone may search; what each finds is scoped (test_api_search.py).
    ("search", lambda n: ("GET", "/api/v1/search?q=" + n, {}), dict.fromkeys(ROLES, 200)),
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
    for i, role in enumerate(ROLES):
        # A fresh case per role, each a different problem (a repeat would be screened out).
        body = {**COMPLAINT, "description": COMPLAINT_TEXTS[i % len(COMPLAINT_TEXTS)]}
        number = client.post("/api/v1/cases", headers=headers["buyer"], json=body).json()["number"]
        method, path, kwargs = build(number)
        got[role] = client.request(method, path, headers=headers[role], **kwargs).status_code
        anonymous = client.request(method, path, **kwargs).status_code
        assert anonymous == 401, (name, "anonymous", anonymous)
    assert got == expected
