"""Who is calling: bearer API tokens or signed session cookies, resolved to an Actor."""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from kefu.bootstrap import App
from kefu.domain.errors import NotAuthenticated
from kefu.domain.types import Actor
from kefu.services.users import actor_for_token, actor_for_user_id

SESSION_COOKIE = "kefu_session"
SESSION_MAX_AGE = 12 * 3600
# A bearer token's actor is remembered this long per process: integrations send thousands of
# requests a minute and the lookup was a database round trip each. A deactivated user or a
# revoked token therefore keeps working for at most this long in a process that has seen it.
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_MAX = 10_000


class TokenCache:
    """Token -> Actor for a few seconds; only successful lookups are kept."""

    def __init__(self, ttl: float = TOKEN_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Actor]] = {}

    def get(self, token: str) -> Actor | None:
        hit = self._entries.get(token)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            self._entries.pop(token, None)
            return None
        return hit[1]

    def put(self, token: str, actor: Actor) -> None:
        if len(self._entries) >= TOKEN_CACHE_MAX:
            self._entries.clear()
        self._entries[token] = (time.monotonic() + self.ttl, actor)

    def clear(self) -> None:
        self._entries.clear()


def _serializer(app: App) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.settings.secret_key, salt="kefu-session")


def make_session(app: App, user_id: int) -> str:
    return _serializer(app).dumps({"uid": user_id, "iat": int(time.time())})


def session_user_id(app: App, request: Request) -> int | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(app).loads(raw, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    return int(data["uid"]) if isinstance(data, dict) and "uid" in data else None


def optional_actor(request: Request) -> Actor | None:
    app: App = request.app.state.kefu
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return actor_for_token(app.reader(), header[7:].strip())
    user_id = session_user_id(app, request)
    return actor_for_user_id(app.reader(), user_id) if user_id is not None else None


async def current_actor(request: Request) -> Actor:
    """FastAPI dependency: the authenticated actor, or a 401 problem.

    Async so a cached token costs no thread hop; a lookup runs inline on SQLite (a local read of
    microseconds) and in the thread pool on PostgreSQL (a network round trip).
    """
    app: App = request.app.state.kefu
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    cache: TokenCache = request.app.state.token_cache
    actor = cache.get(token) if token else None
    if actor is None:
        if app.engine.dialect.name == "sqlite":
            actor = optional_actor(request)
        else:
            actor = await run_in_threadpool(optional_actor, request)
        if actor is not None and token:
            cache.put(token, actor)
    if actor is None:
        raise NotAuthenticated()
    return actor


def csrf_token(app: App, request: Request) -> str:
    """Form token bound to the session cookie (double submit with an HMAC)."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(app.settings.secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def check_csrf(app: App, request: Request, token: str) -> bool:
    return hmac.compare_digest(csrf_token(app, request), token or "")
