"""Chat against a real `kefu serve` (uvicorn) on a free port: live lines, kill -9 after an ack."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from kefu.bootstrap import App
from tests.builders import a_token, a_user
from tests.e2e.helpers import Server, call, start_server

pytestmark = pytest.mark.e2e


def _until(ws: ClientConnection, kind: str) -> dict[str, Any]:
    for _ in range(20):
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def _serve(app: App, tmp_path: Path, started: list[Server]) -> Server:
    server = start_server(
        tmp_path / f"var{len(started)}", database_url=app.settings.database_url, worker=False
    )
    started.append(server)
    return server


def test_acknowledged_line_survives_kill_9_and_lines_flow_live(
    app: App, tmp_path: Path, servers: list[Server]
) -> None:
    a_user(app, "buyer1", "buyer")
    a_user(app, "agent1", "agent")
    buyer_token, agent_token = a_token(app, "buyer1"), a_token(app, "agent1")
    server = _serve(app, tmp_path, servers)
    status, chat = call(
        server.port, "POST", "/api/v1/chats", token=buyer_token, body={"topic": "退款"}
    )
    assert status == 201, chat
    ws_url = f"ws://127.0.0.1:{server.port}/api/v1/chats/{chat['id']}/ws?token="
    with connect(ws_url + buyer_token) as buyer, connect(ws_url + agent_token) as agent:
        _until(buyer, "hello")
        _until(agent, "hello")
        agent.send(json.dumps({"type": "message", "body": "您好，请讲。", "client_msg_id": "a1"}))
        assert _until(buyer, "message")["message"]["body"] == "您好，请讲。"
        buyer.send(
            json.dumps(
                {"type": "message", "body": "申请退款三天了还没有到账。", "client_msg_id": "b1"}
            )
        )
        ack = _until(buyer, "ack")
        os.kill(server.proc.pid, signal.SIGKILL)  # the moment after the ack: no clean shutdown
    server.proc.wait(timeout=10)
    again = _serve(app, tmp_path, servers)
    status, body = call(again.port, "GET", f"/api/v1/chats/{chat['id']}", token=agent_token)
    assert status == 200, body
    assert [(m["id"], m["body"]) for m in body["messages"]] == [
        (ack["message"]["id"] - 1, "您好，请讲。"),
        (ack["message"]["id"], "申请退款三天了还没有到账。"),
    ]
    status, case = call(
        again.port,
        "POST",
        f"/api/v1/chats/{chat['id']}/case",
        token=agent_token,
        body={"contact_phone": "13812345678"},
    )
    assert status == 201, case
    assert case["channel"] == "chat"
