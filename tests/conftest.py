"""Shared fixtures: an App on SQLite and on PostgreSQL (a throw-away database per run)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

os.environ.setdefault("KEFU_PASSWORD_HASH", "cheapest")

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App, build_app, upgrade_database
from kefu.config import load_settings
from kefu.db.schema import metadata
from tests.pg import throwaway_database

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with throwaway_database("kefu_test") as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'kefu.db'}"


_MIGRATED: set[str] = set()


def _clean(app: App) -> None:
    """Empty every table (children first) so each test starts from nothing."""
    with app.engine.begin() as conn:
        if app.engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    url = request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")
    settings = load_settings(var_dir=tmp_path / "var", database_url=url, secret_key="test-secret")
    if url not in _MIGRATED:
        upgrade_database(settings)
        _MIGRATED.add(url)
    built = build_app(settings, clock=FixedClock(START))
    _clean(built)
    yield built
    built.engine.dispose()


@pytest.fixture
def clock(app: App) -> FixedClock:
    assert isinstance(app.clock, FixedClock)
    return app.clock


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh var dir on SQLite, named in the environment the way the CLI reads it."""
    var = tmp_path / "var"
    monkeypatch.setenv("KEFU_VAR_DIR", str(var))
    monkeypatch.setenv("KEFU_DATABASE_URL", f"sqlite:///{var / 'kefu.db'}")
    monkeypatch.setenv("KEFU_LOG_FORMAT", "console")
    var.mkdir()
    return var


@pytest.fixture
def cli_app(app: App, monkeypatch: pytest.MonkeyPatch) -> App:
    """The CLI pointed at the test app's database, SQLite or PostgreSQL."""
    monkeypatch.setenv("KEFU_DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("KEFU_VAR_DIR", str(app.settings.var_dir))
    monkeypatch.setenv("KEFU_LOG_FORMAT", "console")
    return app
