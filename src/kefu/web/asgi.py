"""ASGI factory for each web process of `kefu serve --workers N` (settings from KEFU_* env)."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from kefu.bootstrap import App, build_app
from kefu.config import load_settings
from kefu.logs import configure_logging
from kefu.web.app import create_app


def warm_up(app: App) -> FastAPI:
    """Build the web app and load everything a first request would (jieba's dictionary, the
    lexicons, the classifier), so no request pays for it."""
    from kefu.services.intake import analyze

    web = create_app(app)
    analyze("启动预热", "服务启动时加载分词词典、敏感词表和分类模型。")
    # Everything loaded so far lives as long as the process: moving it out of the collector's
    # generations keeps full collections, and the latency spikes they cause, short.
    gc.collect()
    gc.freeze()
    return web


def create() -> FastAPI:
    """One web process: the app from the environment's settings, warmed up."""
    settings = load_settings()
    configure_logging(json_logs=settings.log_json)
    return warm_up(build_app(settings))
