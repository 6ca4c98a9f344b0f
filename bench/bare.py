"""Bare baselines: the least a Python web stack can do for the same request, on the same file.

    BENCH_DB=var/kefu.db uv run uvicorn bench.bare:app --port 8100 --workers 1

- POST /insert: parse the JSON body and INSERT one row into `bench_bare_cases` in the same SQLite
  file kefu uses (WAL, synchronous=NORMAL, one transaction per request), answer 201 + JSON.
- POST /insert_fts: the same row plus a character-bigram FTS5 row in one transaction (issue 3's
  baseline: "a bare endpoint that inserts the row and maintains the full-text index").
- GET /queue: the exact SQL kefu's CaseRepo.page and count_capped run for a page (compiled by
  bench.bench_queue and handed over in BENCH_QUEUE as JSON), through raw sqlite3, rows as JSON.
- GET /search: the exact SQL kefu's SearchRepo.search runs for one search page (compiled by
  bench.bench_search and handed over in BENCH_SEARCH as JSON), through raw sqlite3, rows as JSON.
- GET /ping: nothing at all.
- `fastapi_app` (reference only, not the target baseline): the same insert as a FastAPI `def`
  endpoint with a Pydantic body model, i.e. what the framework costs before kefu does anything.
- `fastapi_async_app` (reference only): the same as an `async def` endpoint calling sqlite3 on
  the event loop, like the bare app: FastAPI's least cost for this request.

Handlers are `async` and call sqlite3 directly on the event loop with one connection per worker
process: no thread pool, no ORM, no validation, no auth. That is the bare limit, not a design.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import time
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

BARE_TABLE = "bench_bare_cases"
_conn: sqlite3.Connection | None = None


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id INTEGER PRIMARY KEY, "
        "subject TEXT NOT NULL, description TEXT NOT NULL, order_no TEXT, "
        "contact_phone TEXT NOT NULL, created_at TEXT NOT NULL)"
    )


def _db() -> sqlite3.Connection:
    global _conn
    if _conn is None:
        _conn = connect(os.environ["BENCH_DB"])
        ensure_table(_conn)
        ensure_fts(_conn)
    return _conn


def insert_row(
    conn: sqlite3.Connection,
    subject: str,
    description: str,
    order_no: str | None,
    contact_phone: str,
) -> int | None:
    """The one row every insert baseline writes."""
    cur = conn.execute(
        f"INSERT INTO {BARE_TABLE} (subject, description, order_no, contact_phone, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (subject, description, order_no, contact_phone, time.strftime("%Y-%m-%d %H:%M:%S")),
    )
    return cur.lastrowid


async def insert(request: Request) -> Response:
    body = json.loads(await request.body())
    conn = _db()
    new_id = insert_row(
        conn, body["subject"], body["description"], body.get("order_no"), body["contact_phone"]
    )
    return JSONResponse({"id": new_id}, status_code=201)


BARE_FTS = "bench_bare_cases_fts"
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


def ensure_fts(conn: sqlite3.Connection) -> None:
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {BARE_FTS} USING fts5(terms)")


def bigram_terms(text: str) -> str:
    """Character bigrams of each CJK run, space-joined: the cheapest index that finds 退款."""
    return " ".join(run[i : i + 2] for run in _CJK.findall(text) for i in range(len(run) - 1))


async def insert_fts(request: Request) -> Response:
    """Issue 3's baseline: the row plus its bigram full-text row, in one transaction."""
    body = json.loads(await request.body())
    conn = _db()
    conn.execute("BEGIN IMMEDIATE")
    try:
        new_id = insert_row(
            conn, body["subject"], body["description"], body.get("order_no"), body["contact_phone"]
        )
        conn.execute(
            f"INSERT INTO {BARE_FTS} (rowid, terms) VALUES (?, ?)",
            (new_id, bigram_terms(body["subject"] + " " + body["description"])),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return JSONResponse({"id": new_id}, status_code=201)


def run_queue(conn: sqlite3.Connection, spec: dict[str, Any]) -> dict[str, Any]:
    """Page + capped count with the SQL and parameters kefu's repository would send."""
    cur = conn.execute(spec["page_sql"], spec["page_params"])
    names = [d[0] for d in cur.description]
    items = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    count = conn.execute(spec["count_sql"], spec["count_params"]).fetchone()[0]
    return {"items": items, "count": count}


_queue_spec: dict[str, Any] | None = None


async def queue(request: Request) -> Response:
    global _queue_spec
    if _queue_spec is None:
        _queue_spec = json.loads(os.environ["BENCH_QUEUE"])
    return JSONResponse(run_queue(_db(), _queue_spec))


def run_search(conn: sqlite3.Connection, spec: dict[str, Any]) -> dict[str, Any]:
    """One search page with the SQL and parameters kefu's SearchRepo would send."""
    cur = conn.execute(spec["sql"], spec["params"])
    names = [d[0] for d in cur.description]
    return {"items": [dict(zip(names, row, strict=True)) for row in cur.fetchall()]}


_search_spec: dict[str, Any] | None = None


async def search(request: Request) -> Response:
    global _search_spec
    if _search_spec is None:
        _search_spec = json.loads(os.environ["BENCH_SEARCH"])
    return JSONResponse(run_search(_db(), _search_spec))


async def ping(request: Request) -> Response:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[
        Route("/insert", insert, methods=["POST"]),
        Route("/insert_fts", insert_fts, methods=["POST"]),
        Route("/queue", queue),
        Route("/search", search),
        Route("/ping", ping),
    ]
)


class _Body(BaseModel):
    kind: str
    channel: str = "api"
    subject: str = Field(max_length=200)
    description: str = Field(max_length=5000)
    order_no: str | None = None
    line_nos: list[int] = Field(default_factory=list)
    contact_phone: str = ""


def _insert_body(conn: sqlite3.Connection, body: _Body) -> int | None:
    return insert_row(conn, body.subject, body.description, body.order_no, body.contact_phone)


fastapi_app = FastAPI()
_lock_free_conns: dict[int, sqlite3.Connection] = {}


@fastapi_app.post("/insert", status_code=201)
def fastapi_insert(body: _Body) -> dict[str, int | None]:
    import threading

    conn = _lock_free_conns.get(threading.get_ident())
    if conn is None:
        conn = _lock_free_conns[threading.get_ident()] = connect(os.environ["BENCH_DB"])
        ensure_table(conn)
    return {"id": _insert_body(conn, body)}


@fastapi_app.get("/ping")
def fastapi_ping() -> str:
    return "ok"


fastapi_async_app = FastAPI()


@fastapi_async_app.post("/insert", status_code=201)
async def fastapi_async_insert(body: _Body) -> dict[str, int | None]:
    return {"id": _insert_body(_db(), body)}


@fastapi_async_app.get("/ping")
async def fastapi_async_ping() -> str:
    return "ok"
