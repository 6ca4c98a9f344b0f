"""End-to-end fixtures: servers started on demand and torn down, throw-away PostgreSQL databases."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.helpers import Server, start_server
from tests.pg import throwaway_database

# Debian's chromium driven by Playwright: browser downloads fail on this machine kind.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per test module; missing is a failure under CI=true."""
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is required under CI=true")
        pytest.skip(f"{CHROMIUM} not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def server_factory() -> Iterator[Callable[..., Server]]:
    """Start servers on demand; every one still running is stopped at teardown."""
    started: list[Server] = []

    def factory(
        var_dir: Path, *, database_url: str | None = None, worker: bool = True, workers: int = 1
    ) -> Server:
        server = start_server(var_dir, database_url=database_url, worker=worker, workers=workers)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


@pytest.fixture
def e2e_pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for one test (fail under CI=true when PG is missing)."""
    with throwaway_database("kefu_e2e") as url:
        yield url
