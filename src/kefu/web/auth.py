"""Who is calling: bearer API tokens or signed session cookies, resolved to an Actor."""

from __future__ import annotations

import hashlib
import hmac
import time

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from kefu.bootstrap import App
from kefu.domain.errors import NotAuthenticated
from kefu.domain.types import Actor
from kefu.services.users import actor_for_token, actor_for_user_id

SESSION_COOKIE = "kefu_session"
SESSION_MAX_AGE = 12 * 3600


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


def current_actor(request: Request) -> Actor:
    """FastAPI dependency: the authenticated actor, or a 401 problem."""
    actor = optional_actor(request)
    if actor is None:
        raise NotAuthenticated()
    return actor


def csrf_token(app: App, request: Request) -> str:
    """Form token bound to the session cookie (double submit with an HMAC)."""
    raw = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(app.settings.secret_key.encode(), raw.encode(), hashlib.sha256).hexdigest()


def check_csrf(app: App, request: Request, token: str) -> bool:
    return hmac.compare_digest(csrf_token(app, request), token or "")
