"""Crash safety: SIGKILL the server mid-load; every acknowledged case and upload survives intact."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.helpers import Server, call, run_cli, tiny_png

pytestmark = pytest.mark.e2e

BUYERS = 6
LOAD_SECONDS = 1.5
MIN_ACKED_CASES = 20
ADMIN_PASSWORD = "admin-pass-2026"
BUYER_PASSWORD = "buyer-pass-2026"


@dataclass
class Load:
    """What the clients saw: acknowledged cases and uploads, and anything unexpected."""

    acked: dict[str, int] = field(default_factory=dict)  # case number -> client index
    uploads: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # sha -> case, name, url
    unexpected: list[str] = field(default_factory=list)
    ended_by: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _order(order_no: str, buyer: str) -> dict[str, Any]:
    return {
        "order_no": order_no, "shop_code": "shop-crash", "buyer_ref": buyer,
        "buyer_name": "刘洋", "buyer_phone": "13812345678", "buyer_address": "北京市朝阳区 1201",
        "paid_at": "2026-11-10T10:00:00+08:00", "shipped_at": "2026-11-11T09:00:00+08:00",
        "signed_at": "2026-11-13T15:30:00+08:00", "carrier": "顺丰速运", "tracking_no": "SF1",
        "lines": [{"line_no": 1, "sku": "A-1", "title": "无线蓝牙耳机", "quantity": 1,
                   "unit_price_fen": 39900, "paid_fen": 39900}],
    }  # fmt: skip


def _setup(server: Server) -> list[tuple[str, str]]:
    """An admin from the CLI; buyers, their orders and tokens through the API."""
    made = run_cli(
        server.var_dir, "users", "create", "admin", "--role", "admin",
        "--password", ADMIN_PASSWORD, "--token", database_url=server.database_url,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    found = re.search(r"\bkf_[A-Za-z0-9_-]{40}(?![A-Za-z0-9_-])", made.stdout)
    assert found, made.stdout
    admin = found.group(0)
    buyers = []
    for i in range(BUYERS):
        username = f"crash-buyer{i}"
        status, body = call(
            server.port, "POST", "/api/v1/users", token=admin,
            body={"username": username, "password": BUYER_PASSWORD, "roles": ["buyer"]},
        )  # fmt: skip
        assert status == 201, body
        buyers.append(username)
    orders = [_order(f"CRASH{i:04d}", b) for i, b in enumerate(buyers)]
    status, body = call(server.port, "POST", "/api/v1/orders", token=admin, body={"orders": orders})
    assert status == 200, body
    assert body["created"] == BUYERS, body
    creds = []
    for i, username in enumerate(buyers):
        status, body = call(
            server.port, "POST", "/api/v1/auth/token",
            body={"username": username, "password": BUYER_PASSWORD},
        )  # fmt: skip
        assert status == 201, body
        creds.append((body["token"], f"CRASH{i:04d}"))
    return creds


def _multipart(filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def _client(index: int, port: int, token: str, order_no: str, load: Load,
            stop: threading.Event) -> None:  # fmt: skip
    """File cases back to back (one thread uploads evidence too) until the server dies."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    auth = {"Authorization": f"Bearer {token}"}
    n = 0
    try:
        while not stop.is_set():
            n += 1
            case = {
                "kind": "complaint", "subject": f"耳机没有声音 #{n}", "order_no": order_no,
                "description": "11月13日签收，使用两天后右耳完全没有声音，重新配对也不行。",
                "line_nos": [1], "contact_phone": "13812345678",
            }  # fmt: skip
            conn.request("POST", "/api/v1/cases", body=json.dumps(case).encode(),
                         headers={**auth, "Content-Type": "application/json"})  # fmt: skip
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 201:
                with load.lock:
                    load.unexpected.append(f"POST /cases {resp.status}: {body[:300]!r}")
                continue
            number = json.loads(body)["number"]
            with load.lock:
                load.acked[number] = index
            if index != 0:
                continue
            data = tiny_png(text=f"{number}-{uuid.uuid4()}".encode())
            name = f"photo-{n}.png"
            payload, boundary = _multipart(name, data)
            form = {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
            conn.request("POST", f"/api/v1/cases/{number}/evidence", body=payload, headers=form)
            resp = conn.getresponse()
            body = resp.read()
            digest = hashlib.sha256(data).hexdigest()
            answer = json.loads(body) if resp.status == 201 else {}
            if answer.get("sha256") != digest:
                with load.lock:
                    load.unexpected.append(f"POST evidence {resp.status}: {body[:300]!r}")
                continue
            with load.lock:
                load.uploads[digest] = (number, name, answer["url"])
        with load.lock:
            load.ended_by.append("stop")
    except (OSError, http.client.HTTPException) as exc:
        with load.lock:
            load.ended_by.append(type(exc).__name__)
    finally:
        conn.close()


def _port_refuses(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return False
    except OSError:
        return True


@pytest.fixture(params=["sqlite", "sqlite-2-web-processes", "postgresql"])
def setup(request: pytest.FixtureRequest) -> tuple[str | None, int]:
    """(database URL or None for the embedded SQLite, web processes)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("e2e_pg_url")), 1
    return None, 2 if request.param.endswith("processes") else 1


def test_sigkill_mid_load_loses_no_acknowledged_case(
    tmp_path: Path, server_factory: Callable[..., Server], setup: tuple[str | None, int]
) -> None:
    database_url, workers = setup
    var_dir = tmp_path / "var"
    server = server_factory(var_dir, database_url=database_url, workers=workers)
    creds = _setup(server)

    load = Load()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client, args=(i, server.port, token, order_no, load, stop),
                         name=f"client-{i}", daemon=True)
        for i, (token, order_no) in enumerate(creds)
    ]  # fmt: skip
    for t in threads:
        t.start()
    started = time.monotonic()
    deadline = started + 20
    while time.monotonic() < deadline:
        with load.lock:
            enough = len(load.acked) >= MIN_ACKED_CASES and len(load.uploads) >= 1
        if enough and time.monotonic() - started >= LOAD_SECONDS:
            break
        assert server.proc.poll() is None, server.log()[-3000:]
        time.sleep(0.02)
    assert all(t.is_alive() for t in threads), f"a client stopped early: {load.ended_by}"

    # The Popen child is `python -m kefu serve` itself (no `uv run` wrapper in between); it
    # leads a process group holding every web process, and all of them die at once.
    os.killpg(server.proc.pid, signal.SIGKILL)
    assert server.proc.wait(timeout=10) == -signal.SIGKILL
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert _port_refuses(server.port), "something still answers on the killed server's port"
    assert "stop" not in load.ended_by, "the load was over before the kill"
    assert load.unexpected == [], load.unexpected[:5]
    assert len(load.acked) >= MIN_ACKED_CASES
    assert load.uploads

    if database_url is None:
        db_file = var_dir / "kefu.db"
        raw = sqlite3.connect(db_file)
        try:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            raw.close()
        url = f"sqlite:///{db_file}"
    else:
        url = database_url

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            cases = dict(conn.execute(text("SELECT number, id FROM cases")).all())
            filed = dict(conn.execute(text(
                "SELECT case_id, count(*) FROM timeline WHERE kind = 'filed' GROUP BY case_id"
            )).all())  # fmt: skip
            queued = dict(conn.execute(text(
                "SELECT case_id, count(*) FROM outbox WHERE topic = 'filed' GROUP BY case_id"
            )).all())  # fmt: skip
            stored = conn.execute(text(
                "SELECT a.sha256, c.number, a.filename FROM attachments a "
                "JOIN cases c ON c.id = a.case_id"
            )).all()  # fmt: skip
    finally:
        engine.dispose()

    missing = sorted(load.acked.keys() - cases.keys())
    assert missing == [], f"{len(missing)} acknowledged cases lost, e.g. {missing[:5]}"
    # One transaction per intent: every case that made it (acknowledged or not) is whole.
    assert {cid: filed.get(cid) for cid in cases.values()} == dict.fromkeys(cases.values(), 1)
    assert {cid: queued.get(cid) for cid in cases.values()} == dict.fromkeys(cases.values(), 1)

    rows = {sha: (number, name) for sha, number, name in stored}
    for sha, (number, name, _url) in load.uploads.items():
        assert rows.get(sha) == (number, name), f"acknowledged upload {name} on {number} lost"
    # The blob is fsynced before its row commits: no row may point at a missing file.
    for sha, _number, _name in stored:
        blob = var_dir / "blobs" / sha[:2] / sha[2:4] / sha
        assert blob.is_file(), f"attachment row without blob {blob}"
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == sha

    # A restarted server serves the survivors and goes on numbering without collisions.
    again = server_factory(var_dir, database_url=database_url)
    by_client = sorted(load.acked.items())
    for number, index in [by_client[0], by_client[-1]]:
        status, body = call(again.port, "GET", f"/api/v1/cases/{number}", token=creds[index][0])
        assert status == 200, body
        # Each client repeats one text: after its first, screening files the rest as duplicates.
        assert body["status"] in {"submitted", "rejected"}
        assert body["timeline"][0]["kind"] == "filed"
    sha, (number, _name, url) = sorted(load.uploads.items())[-1]
    conn = http.client.HTTPConnection("127.0.0.1", again.port, timeout=10)
    try:
        conn.request("GET", url, headers={"Authorization": f"Bearer {creds[0][0]}"})
        resp = conn.getresponse()
        assert resp.status == 200
        assert hashlib.sha256(resp.read()).hexdigest() == sha
    finally:
        conn.close()
    token, order_no = creds[0]
    status, body = call(
        again.port, "POST", "/api/v1/cases", token=token,
        body={"kind": "complaint", "subject": "重启后再提交", "order_no": order_no,
              "description": "服务重启之后再次提交一个投诉，编号不能与之前的重复。",
              "contact_phone": "13812345678"},
    )  # fmt: skip
    assert status == 201, body
    assert body["number"] not in cases
