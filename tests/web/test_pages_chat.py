"""Chat pages over HTTP: buyer starts, agent joins, both talk, the chat becomes a case; guards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from kefu.bootstrap import App
from tests.web.page_helpers import csrf, field_error, login

QUESTION = "耳机右耳完全没有声音，重新配对也不行，想换货。"


def _as(client: TestClient, username: str) -> TestClient:
    """Another browser: its own cookie jar over the same application."""
    other = TestClient(client.app)
    login(other, username)
    return other


def _start(buyer: TestClient, body: str = QUESTION, order_no: str = "DD0001") -> int:
    form = buyer.get("/chats").text
    r = buyer.post(
        "/chats",
        data={"csrf": csrf(form), "order_no": order_no, "body": body},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.fullmatch(r"/chats/(\d+)", r.headers["location"])
    assert found, r.headers["location"]
    return int(found.group(1))


def _token(client: TestClient) -> str:
    """The session's form token, read from any page that carries a form for this user."""
    for path in ("/chats", "/cases/new", "/calls/new"):
        found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get(path).text)
        if found:
            return found.group(1)
    raise AssertionError("no form token on any page")


def _post(client: TestClient, path: str, **data: Any) -> Any:
    return client.post(path, data={"csrf": _token(client), **data}, follow_redirects=False)


def _transcript(html: str) -> list[str]:
    return re.findall(r'<div class="text">([^<]*)</div>', html)


def test_buyer_and_agent_chat_then_the_agent_files_a_case(
    app: App, client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    buyer = _as(client, "buyer1")
    listing = buyer.get("/chats").text
    assert 'data-testid="start-chat-form"' in listing
    assert "在线咨询 Chat" in listing  # the header link
    assert 'http-equiv="refresh"' not in listing  # a buyer may be typing: no reload
    chat_id = _start(buyer)
    page = buyer.get(f"/chats/{chat_id}").text
    assert _transcript(page) == [QUESTION]
    assert "等待接入 waiting" in page
    assert "/static/chat.js" in page
    assert 'data-testid="chat-case" hidden' in page  # no case yet
    assert 'data-testid="case-form"' not in page  # buyers cannot file the chat's case

    agent = _as(client, "agent1")
    queue = agent.get("/chats").text
    assert f'data-testid="join-{chat_id}"' in queue
    assert '<meta http-equiv="refresh" content="10">' in queue  # new chats show up by themselves
    assert "耳机右耳完全没有声音" in queue  # the first words name the chat
    joined = _post(agent, f"/chats/{chat_id}/join")
    assert (joined.status_code, joined.headers["location"]) == (303, f"/chats/{chat_id}")
    page = agent.get(f"/chats/{chat_id}").text
    assert "进行中 active" in page
    assert 'data-testid="case-form"' in page

    said = _post(agent, f"/chats/{chat_id}/messages", body="您好，马上为您登记换货。")
    assert (said.status_code, said.headers["location"]) == (303, f"/chats/{chat_id}#composer")
    assert _post(buyer, f"/chats/{chat_id}/messages", body="好的，谢谢！").status_code == 303
    assert _transcript(buyer.get(f"/chats/{chat_id}").text) == [
        QUESTION,
        "您好，马上为您登记换货。",
        "好的，谢谢！",
    ]

    filed = _post(agent, f"/chats/{chat_id}/case", kind="", subject="", contact_phone="")
    assert filed.status_code == 303, filed.text
    found = re.fullmatch(r"/cases/(KF\d+)", filed.headers["location"])
    assert found, filed.headers["location"]
    number = found.group(1)
    case_page = agent.get(f"/cases/{number}").text
    assert f"chat-{chat_id}.txt" in case_page  # the transcript, attached as evidence
    timeline = case_page.split('data-testid="timeline"', 1)[1]
    assert "您好，马上为您登记换货。" in timeline  # ... and as a timeline entry
    detail = client.get(f"/api/v1/cases/{number}", headers=headers["buyer"]).json()
    assert (detail["channel"], detail["kind"], detail["order_no"]) == (
        "chat",
        "complaint",
        "DD0001",
    )
    assert QUESTION in detail["description"]

    closed = buyer.get(f"/chats/{chat_id}").text
    assert "已结束 closed" in closed
    assert 'data-testid="composer"' not in closed
    assert re.search(r'data-testid="chat-case"\s*>', closed)  # shown: no `hidden` attribute
    assert f'href="/cases/{number}">{number}</a>' in closed  # the buyer can follow it
    late = _post(buyer, f"/chats/{chat_id}/messages", body="还在吗？")
    assert late.status_code == 422
    assert "会话已结束" in late.text
    assert "the chat session is closed" in late.text
    # Staff queues list only waiting and active chats.
    assert f'data-chat-id="{chat_id}"' not in agent.get("/chats").text


def test_a_page_post_reaches_a_browser_socket_that_logged_in_with_its_cookie(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    buyer = _as(client, "buyer1")
    chat_id = _start(buyer)
    agent = _as(client, "agent1")
    # No token: the socket is authenticated by the session cookie alone, as chat.js relies on.
    with buyer.websocket_connect(f"/api/v1/chats/{chat_id}/ws?after=0") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        assert [m["body"] for m in hello["messages"]] == [QUESTION]
        assert _post(agent, f"/chats/{chat_id}/messages", body="在的").status_code == 303
        frames = [ws.receive_json() for _ in range(2)]
    assert frames[0]["type"] == "session"  # the agent joined by writing
    assert frames[0]["session"]["status"] == "active"
    assert (frames[1]["type"], frames[1]["message"]["body"]) == ("message", "在的")
    assert frames[1]["message"]["sender_role"] == "agent"


def test_a_cookie_socket_opened_by_a_page_of_another_origin_is_refused(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    buyer = _as(client, "buyer1")
    chat_id = _start(buyer)
    path = f"/api/v1/chats/{chat_id}/ws?after=0"
    with buyer.websocket_connect(path, headers={"origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "hello"
    # Another port of the same site gets the cookie too (SameSite does not stop it).
    for origin in ("http://testserver:8081", "https://evil.example", "null"):
        with buyer.websocket_connect(path, headers={"origin": origin}) as ws:
            frame = ws.receive_json()
        assert (frame["type"], frame["code"]) == ("error", "not_authenticated"), origin


def test_logged_out_visitors_are_sent_to_the_login_page(client: TestClient) -> None:
    for method, path, page in [
        ("GET", "/chats", "/chats"),
        ("GET", "/chats/1", "/chats/1"),
        ("POST", "/chats", "/chats"),
        ("POST", "/chats/1/messages", "/chats/1"),  # back to the page, not the form's URL
        ("POST", "/chats/1/case", "/chats/1"),
    ]:
        r = client.request(method, path, data={"csrf": "x"}, follow_redirects=False)
        assert r.status_code == 303, (method, path)
        assert r.headers["location"] == f"/login?next={page}", path


def test_wrong_roles_get_a_403_page_in_both_languages(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    buyer = _as(client, "buyer1")
    chat_id = _start(buyer)
    seller = _as(client, "seller1")
    r = seller.get("/chats")
    assert r.status_code == 403
    assert "只有买家和客服人员可以使用在线咨询" in r.text
    assert "only buyers and staff use the live chat" in r.text
    assert seller.get(f"/chats/{chat_id}").status_code == 404  # looks like a missing chat
    for path in (f"/chats/{chat_id}/case", f"/chats/{chat_id}/join"):
        r = _post(buyer, path, contact_phone="13812345678")
        assert r.status_code == 403, path
        assert 'data-testid="errors"' in r.text
    agent = _as(client, "agent1")
    page = agent.get("/chats").text
    assert 'data-testid="start-chat-form"' not in page  # staff do not start chats
    r = agent.post("/chats", data={"csrf": csrf(page), "body": "我也想问"})
    assert r.status_code == 403
    assert "your role lacks the permission start_chat" in r.text
    stranger = _as(client, "buyer2")
    r = stranger.get(f"/chats/{chat_id}")
    assert r.status_code == 404
    assert QUESTION not in r.text


@pytest.mark.parametrize("csrf", [None, "", "0" * 64])
def test_every_post_needs_the_form_token(
    client: TestClient, headers: dict[str, dict[str, str]], csrf: str | None
) -> None:
    buyer = _as(client, "buyer1")
    chat_id = _start(buyer)
    agent = _as(client, "agent1")
    token = {} if csrf is None else {"csrf": csrf}
    attempts = [
        (buyer, "/chats", {"body": "第二个问题"}),
        (buyer, f"/chats/{chat_id}/messages", {"body": "伪造的消息"}),
        (buyer, f"/chats/{chat_id}/close", {}),
        (agent, f"/chats/{chat_id}/join", {}),
        (agent, f"/chats/{chat_id}/case", {"contact_phone": "13812345678"}),
    ]
    for who, path, data in attempts:
        r = who.post(path, data={**token, **data}, follow_redirects=False)
        assert r.status_code == 422, path
        assert "页面已过期" in r.text, path
        assert "the form expired" in r.text, path
    listed = client.get("/api/v1/chats", headers=headers["buyer"]).json()["items"]
    assert [(c["id"], c["status"], c["agent_id"]) for c in listed] == [(chat_id, "waiting", None)]
    lines = client.get(f"/api/v1/chats/{chat_id}", headers=headers["buyer"]).json()["messages"]
    assert [m["body"] for m in lines] == [QUESTION]


def test_rejected_forms_come_back_filled_in_with_reasons_in_both_languages(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    buyer = _as(client, "buyer1")
    page = buyer.get("/chats").text
    r = buyer.post("/chats", data={"csrf": csrf(page), "order_no": "DD0001", "body": "   "})
    assert r.status_code == 422
    assert field_error("body") in r.text
    assert "请写下您的问题" in r.text
    assert "write your question" in r.text
    assert 'value="DD0001"' in r.text
    assert client.get("/api/v1/chats", headers=headers["buyer"]).json()["items"] == []

    chat_id = _start(buyer, body="在吗", order_no="")
    r = _post(buyer, f"/chats/{chat_id}/messages", body="x" * 2001)
    assert r.status_code == 422
    assert "消息须为 1 到 2000 个字符" in r.text
    assert "a message has 1 to 2000 characters" in r.text
    assert "x" * 2001 in r.text  # the draft is kept

    agent = _as(client, "agent1")
    r = _post(agent, f"/chats/{chat_id}/case", kind="refund", subject="退款")
    assert r.status_code == 422
    assert field_error("kind") in r.text
    assert "请从列表中选择" in r.text
    assert "choose a value from the list" in r.text
    # "在吗" is no description, and without an order there is no phone: the service says so.
    r = _post(agent, f"/chats/{chat_id}/case", subject="咨询")
    assert r.status_code == 422
    for field in ("description", "contact_phone"):
        assert field_error(field) in r.text, r.text.split("<main>")[1][:1500]
    assert '<details class="chat-case-form" open>' in r.text  # reopened, as submitted
    assert 'name="subject" value="咨询"' in r.text
    lines = client.get(f"/api/v1/chats/{chat_id}", headers=headers["agent"]).json()
    assert lines["session"]["case_id"] is None
