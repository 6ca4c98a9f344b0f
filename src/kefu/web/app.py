"""FastAPI application factory: routers, error mapping, request ids, logs and metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from kefu import __version__
from kefu.bootstrap import App
from kefu.domain.errors import DomainError
from kefu.web import api_cases, api_orders, pages
from kefu.web.errors import domain_error_handler, http_error_handler, validation_error_handler

log = structlog.get_logger("kefu.http")
REQUESTS = Counter("kefu_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("kefu_http_request_seconds", "HTTP request latency", ["method", "route"])


def create_app(app: App) -> FastAPI:
    api = FastAPI(
        title="kefu 客服 API",
        version=__version__,
        description="售后与投诉处理 · after-sales and complaint handling",
    )
    api.state.kefu = app
    api.add_exception_handler(DomainError, domain_error_handler)
    api.add_exception_handler(RequestValidationError, validation_error_handler)
    api.add_exception_handler(StarletteHTTPException, http_error_handler)
    api.include_router(api_orders.router)
    api.include_router(api_cases.router)
    api.include_router(pages.router)
    static = Path(__file__).parent / "static"
    api.mount("/static", StaticFiles(directory=static), name="static")

    @api.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        elapsed = time.perf_counter() - started
        REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        LATENCY.labels(request.method, path).observe(elapsed)
        response.headers["x-request-id"] = request_id
        if response.status_code >= 400 or elapsed > 1.0:
            log.info(
                "http_request",
                method=request.method,
                path=request.url.path,
                status=response.status_code,
                ms=round(elapsed * 1000, 1),
                request_id=request_id,
            )
        return response

    @api.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": app.engine.dialect.name}

    @api.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return api
