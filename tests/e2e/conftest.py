"""End-to-end fixtures: servers started on demand and torn down, throw-away PostgreSQL databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import Server, start_server

PG_ADMIN_URL = os.environ.get(
    "KEFU_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture
def server_factory() -> Iterator[Callable[..., Server]]:
    """Start servers on demand; every one still running is stopped at teardown."""
    started: list[Server] = []

    def factory(var_dir: Path, *, database_url: str | None = None, worker: bool = True) -> Server:
        server = start_server(var_dir, database_url=database_url, worker=worker)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()


def _pg_unreachable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3):
            return None
    except Exception as exc:
        return str(exc)


@pytest.fixture
def e2e_pg_url() -> Iterator[str]:
    """A throw-away PostgreSQL database for one test (fail under CI=true when PG is missing)."""
    reason = _pg_unreachable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI=true but not reachable: {reason}")
        pytest.skip(f"PostgreSQL not reachable: {reason}")
    import psycopg

    name = f"kefu_e2e_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
