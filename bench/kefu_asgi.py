"""ASGI factory for running kefu under `uvicorn --workers N --factory bench.kefu_asgi:create`.

`kefu serve` runs one uvicorn process; the benchmarks use this factory only to try more workers.
Migrations are applied by the caller before the workers start (settings come from KEFU_* env).
"""

from __future__ import annotations

from fastapi import FastAPI

from kefu.bootstrap import build_app
from kefu.config import load_settings
from kefu.logs import configure_logging
from kefu.web.app import create_app


def create() -> FastAPI:
    settings = load_settings()
    configure_logging(json_logs=settings.log_json)
    return create_app(build_app(settings))
