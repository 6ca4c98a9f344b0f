"""Chat over a real WebSocket (TestClient): live lines both ways, acks after commit, chat → case."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from kefu.bootstrap import App


def _token(headers: dict[str, dict[str, str]], role: str) -> str:
    return headers[role]["Authorization"].removeprefix("Bearer ")


def _until(ws: WebSocketTestSession, kind: str) -> dict[str, Any]:
    """The next frame of this type (other frames, e.g. our own line echoed, are skipped)."""
    for _ in range(20):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def _open(client: TestClient, headers: dict[str, dict[str, str]], **body: Any) -> int:
    resp = client.post("/api/v1/chats", headers=headers["buyer"], json=body)
    assert resp.status_code == 201, resp.text
    return int(resp.json()["id"])


def test_live_chat_between_buyer_and_agent_then_a_case(
    app: App, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    chat_id = _open(client, headers, topic="耳机没声音", order_no="DD0001")
    waiting = client.get("/api/v1/chats", headers=headers["agent"]).json()["items"]
    assert [(c["id"], c["status"]) for c in waiting] == [(chat_id, "waiting")]
    url = f"/api/v1/chats/{chat_id}/ws?token="
    with client.websocket_connect(url + _token(headers, "buyer")) as buyer:
        assert _until(buyer, "hello")["session"]["status"] == "waiting"
        assert client.post(f"/api/v1/chats/{chat_id}/join", headers=headers["agent"]).is_success
        with client.websocket_connect(url + _token(headers, "agent")) as agent:
            _until(agent, "hello")
            buyer.send_json(
                {"type": "message", "body": "右耳完全没有声音，想换货。", "client_msg_id": "b1"}
            )
            ack = _until(buyer, "ack")
            # Acknowledged means committed: a fresh connection already sees the line.
            with app.uow() as uow:
                stored = uow.channels.chat.messages(chat_id)
            assert [(m.id, m.body) for m in stored] == [
                (ack["message"]["id"], "右耳完全没有声音，想换货。")
            ]
            got = _until(agent, "message")["message"]
            assert (got["body"], got["sender_role"]) == ("右耳完全没有声音，想换货。", "buyer")
            agent.send_json(
                {"type": "message", "body": "好的，马上为您登记。", "client_msg_id": "a1"}
            )
            _until(agent, "ack")
            assert _until(buyer, "message")["message"]["body"] == "右耳完全没有声音，想换货。"
            assert _until(buyer, "message")["message"]["sender_role"] == "agent"
            # A resend after a lost ack is stored once.
            buyer.send_json(
                {"type": "message", "body": "右耳完全没有声音，想换货。", "client_msg_id": "b1"}
            )
            assert _until(buyer, "ack")["message"]["id"] == ack["message"]["id"]
            resp = client.post(f"/api/v1/chats/{chat_id}/case", headers=headers["agent"], json={})
            assert resp.status_code == 201, resp.text
            assert _until(buyer, "session")["session"]["status"] == "closed"
    case = resp.json()
    assert (case["channel"], case["kind"], case["order_no"]) == ("chat", "complaint", "DD0001")
    again = client.post(f"/api/v1/chats/{chat_id}/case", headers=headers["agent"], json={})
    assert (again.status_code, again.json()["number"]) == (200, case["number"])
    detail = client.get(f"/api/v1/cases/{case['number']}", headers=headers["buyer"]).json()
    (evidence,) = detail["attachments"]
    assert (evidence["filename"], evidence["content_type"]) == (f"chat-{chat_id}.txt", "text/plain")
    text = client.get(evidence["url"], headers=headers["buyer"]).content.decode("utf-8")
    assert "买家" in text
    assert "好的，马上为您登记。" in text
    entry = next(e for e in detail["timeline"] if e["kind"] == "system")
    assert "右耳完全没有声音" in entry["body"]


def test_http_lines_reach_a_websocket_subscriber(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    chat_id = _open(client, headers, topic="发票")
    with client.websocket_connect(f"/api/v1/chats/{chat_id}/ws", headers=headers["buyer"]) as buyer:
        _until(buyer, "hello")
        resp = client.post(
            f"/api/v1/chats/{chat_id}/messages", headers=headers["agent"], json={"body": "您好"}
        )
        assert resp.status_code == 201
        assert _until(buyer, "session")["session"]["status"] == "active"  # the agent joined
        assert _until(buyer, "message")["message"]["body"] == "您好"


@pytest.mark.parametrize(("role", "code"), [(None, 4401), ("other_buyer", 4404), ("seller", 4404)])
def test_websocket_refuses_strangers(
    client: TestClient, headers: dict[str, dict[str, str]], role: str | None, code: int
) -> None:
    chat_id = _open(client, headers)
    query = f"?token={_token(headers, role)}" if role else ""
    with client.websocket_connect(f"/api/v1/chats/{chat_id}/ws{query}") as ws:
        frame = ws.receive_json()
        assert frame["type"] == "error"
        assert frame["message_zh"]
        assert frame["message_en"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == code


def test_bad_frames_and_empty_lines_are_answered_with_reasons(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    chat_id = _open(client, headers)
    with client.websocket_connect(
        f"/api/v1/chats/{chat_id}/ws?token={_token(headers, 'buyer')}"
    ) as ws:
        _until(ws, "hello")
        ws.send_text("not json")
        assert _until(ws, "error")["code"] == "bad_frame"
        ws.send_json({"type": "message", "body": "  ", "client_msg_id": "x"})
        error = _until(ws, "error")
        assert (error["fields"][0]["field"], error["client_msg_id"]) == ("body", "x")


ROLES = ["buyer", "other_buyer", "seller", "agent", "tech", "supervisor", "admin"]
CHAT_MATRIX: list[tuple[str, str, str, dict[str, Any], dict[str, int]]] = [
    (
        "read",
        "GET",
        "",
        {},
        {"buyer": 200, "other_buyer": 404, "seller": 404, **dict.fromkeys(ROLES[3:], 200)},
    ),
    (
        "join",
        "POST",
        "/join",
        {},
        {"buyer": 403, "other_buyer": 403, "seller": 403, **dict.fromkeys(ROLES[3:], 200)},
    ),
    (
        "line",
        "POST",
        "/messages",
        {"json": {"body": "在吗"}},
        {"buyer": 201, "other_buyer": 404, "seller": 404, **dict.fromkeys(ROLES[3:], 201)},
    ),
    (
        "close",
        "POST",
        "/close",
        {},
        {"buyer": 200, "other_buyer": 404, "seller": 404, **dict.fromkeys(ROLES[3:], 200)},
    ),
    (
        "to case",
        "POST",
        "/case",
        {"json": {"contact_phone": "13812345678"}},
        {"buyer": 403, "other_buyer": 403, "seller": 403, **dict.fromkeys(ROLES[3:], 422)},
    ),
]


@pytest.mark.parametrize(
    ("name", "method", "suffix", "kwargs", "expected"), CHAT_MATRIX, ids=[m[0] for m in CHAT_MATRIX]
)
def test_chat_role_matrix(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    name: str,
    method: str,
    suffix: str,
    kwargs: dict[str, Any],
    expected: dict[str, int],
) -> None:
    got = {}
    for role in ROLES:
        chat_id = _open(client, headers)
        path = f"/api/v1/chats/{chat_id}{suffix}"
        got[role] = client.request(method, path, headers=headers[role], **kwargs).status_code
        assert client.request(method, path, **kwargs).status_code == 401
    assert got == expected, name


def test_chat_without_substance_cannot_become_a_case_and_says_why(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    chat_id = _open(client, headers)
    client.post(
        f"/api/v1/chats/{chat_id}/messages", headers=headers["buyer"], json={"body": "在吗"}
    )
    resp = client.post(f"/api/v1/chats/{chat_id}/case", headers=headers["agent"], json={})
    assert resp.status_code == 422
    assert {f["field"] for f in resp.json()["fields"]} >= {"description", "contact_phone"}


@pytest.mark.parametrize("order_no", ["DD0002", "DD9999"])  # another buyer's; no such order
def test_a_chat_about_an_order_that_is_not_the_buyers_is_refused(
    client: TestClient, headers: dict[str, dict[str, str]], order_no: str
) -> None:
    resp = client.post(
        "/api/v1/chats", headers=headers["buyer"], json={"topic": "问订单", "order_no": order_no}
    )
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert [(f["field"], f["code"]) for f in problem["fields"]] == [
        ("order_no", "not_found_or_not_yours")
    ]
    assert client.get("/api/v1/chats", headers=headers["agent"]).json()["items"] == []
