"""FastAPI application factory: routers, error mapping, request ids, logs and metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import structlog
from fastapi import FastAPI, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kefu import __version__
from kefu.bootstrap import App
from kefu.db.write_gate import gate_for
from kefu.domain.errors import DomainError
from kefu.web import (
    api_calls,
    api_cases,
    api_chat,
    api_evidence,
    api_intake,
    api_mail,
    api_orders,
    api_search,
    api_sla,
    pages,
    pages_calls,
    pages_chat,
    pages_console,
    pages_mail,
)
from kefu.web.auth import TokenCache
from kefu.web.errors import (
    complete_openapi,
    domain_error_handler,
    http_error_handler,
    unexpected_error_handler,
    validation_error_handler,
)
from kefu.web.responses import FastJSONResponse

API_DESCRIPTION = """售后与投诉处理 · after-sales and complaint handling

Every error is `application/problem+json` (schema `Problem`): a stable `code`, the `fields` at
fault (`field`, `code`, `message_zh`, `message_en`) and `message_zh` / `message_en`. Every API
operation declares 401 and 422, every POST and PUT 400 (a body that cannot be parsed), every one
that needs a login 403 and 404 (a superset: some never answer them), and the few that can
conflict 409. An upload too large or of a type not accepted is a 422 naming `file` (codes
`too_large`, `unsupported_type`), never a 413 or 415.

In a JSON body a number is a JSON number: `true` or `"7"` for a version, id or count, or a
number for a time or date, is a 422 naming the field. Every successful answer is documented
with its schema; an evidence download is the file's own bytes and type.
"""

log = structlog.get_logger("kefu.http")
REQUESTS = Counter("kefu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("kefu_http_request_seconds", "HTTP request latency", ["method", "route"])


class ObserveMiddleware:
    """Request id, latency histogram and request counter as plain ASGI (no per-request tasks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        request_id = headers.get(b"x-request-id", b"").decode() or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id  # for the 500 handler
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - started
            REQUESTS.labels(scope["method"], path, str(status)).inc()
            LATENCY.labels(scope["method"], path).observe(elapsed)
            if status >= 400 or elapsed > 1.0:
                log.info(
                    "http_request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 1),
                    request_id=request_id,
                )


class GroupCommitCollector(Collector):
    """SQLite group commit (`db/write_gate.py`): COMMITs taken and the intents they carried."""

    def __init__(self, app: App) -> None:
        self.app = app

    def collect(self) -> Iterator[CounterMetricFamily]:
        gate = gate_for(self.app.engine)
        if gate is None:
            return
        yield CounterMetricFamily(
            "kefu_group_commits", "shared COMMITs of grouped intents", value=gate.groups_committed
        )
        yield CounterMetricFamily(
            "kefu_group_commit_intents",
            "intents saved by shared COMMITs",
            value=gate.intents_committed,
        )


_collector: GroupCommitCollector | None = None


def _observe_group_commit(app: App) -> None:
    # One collector per process, pointed at the newest app (tests build many).
    global _collector
    if _collector is None:
        _collector = GroupCommitCollector(app)
        REGISTRY.register(_collector)
    _collector.app = app


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="kefu 客服 API",
        version=__version__,
        description=API_DESCRIPTION,
        default_response_class=FastJSONResponse,
        # kefu observes itself through structlog and Prometheus (/metrics); FastAPI's native
        # OpenTelemetry hooks would only ask, on every request, whether a provider is set.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    api.state.kefu = app
    api.state.token_cache = TokenCache()
    api.add_exception_handler(DomainError, domain_error_handler)
    api.add_exception_handler(RequestValidationError, validation_error_handler)
    api.add_exception_handler(StarletteHTTPException, http_error_handler)
    api.add_exception_handler(Exception, unexpected_error_handler)
    complete_openapi(api)
    api.include_router(api_orders.router)
    api.include_router(api_cases.router)
    api.include_router(api_evidence.router)  # evidence files of a case
    api.include_router(api_intake.router)  # screening verdicts, overrides, flags, on duty
    api.include_router(api_sla.router)
    api.include_router(api_calls.router)  # phone channel (issue 3)
    api.include_router(api_chat.router)  # chat channel (issue 3)
    api.include_router(api_mail.router)  # mail that failed: list, take in again, send again
    api.include_router(api_search.router)  # full-text search over cases
    api.include_router(pages.router)
    api.include_router(pages_calls.router)  # the phone channel's console page
    api.include_router(pages_console.router)  # category, assignment, flags, duty
    api.include_router(pages_chat.router)  # the chat channel's pages (buyer and staff)
    api.include_router(pages_mail.router)  # mail failures, for supervisors and admins
    static = Path(__file__).parent / "static"
    api.mount("/static", StaticFiles(directory=static), name="static")

    api.add_middleware(ObserveMiddleware)
    _observe_group_commit(app)

    @api.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": app.engine.dialect.name}

    @api.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return api
