"""An error nobody handled is still a problem document (an HTML page for pages), with the
request id to quote; a group COMMIT that failed is a 503 to retry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.requests import Request

from kefu.bootstrap import App
from kefu.db.write_gate import GroupCommitFailed
from kefu.web.app import create_app
from kefu.web.errors import unexpected_error_handler


@pytest.fixture
def broken(app: App) -> Iterator[TestClient]:
    """A real fault, not a stand-in: the login table is gone, so a login cannot be checked."""
    with TestClient(create_app(app), raise_server_exceptions=False) as client:
        with app.engine.begin() as conn:
            conn.execute(text("ALTER TABLE api_tokens RENAME TO api_tokens_gone"))
        try:
            yield client
        finally:
            with app.engine.begin() as conn:
                conn.execute(text("ALTER TABLE api_tokens_gone RENAME TO api_tokens"))


def test_an_unhandled_api_error_is_a_problem_with_the_request_id(broken: TestClient) -> None:
    r = broken.get(
        "/api/v1/cases", headers={"Authorization": "Bearer kf_nope", "X-Request-ID": "req-42"}
    )
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "internal_error"
    assert "req-42" in body["message_zh"]
    assert "req-42" in body["message_en"]
    assert "服务器内部错误" in body["message_zh"]


def test_an_unhandled_page_error_is_an_html_page_that_escapes_the_request_id(
    broken: TestClient,
) -> None:
    r = broken.get(
        "/cases", headers={"Authorization": "Bearer kf_nope", "X-Request-ID": "<b>x</b>"}
    )
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;x&lt;/b&gt;" in r.text
    assert "<b>x</b>" not in r.text


def test_a_failed_group_commit_is_a_503_to_retry() -> None:
    request = Request({"type": "http", "method": "POST", "path": "/api/v1/cases", "headers": []})
    r = asyncio.run(unexpected_error_handler(request, GroupCommitFailed("commit failed")))
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert b'"code":"not_saved"' in r.body.replace(b" ", b"")
