"""The engine factory: SQLite connections set up for WAL, and a benchmark's recording hook."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import text

from kefu.db.engine import make_engine


class _Counting(sqlite3.Connection):
    seen: ClassVar[list[str]] = []

    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # type: ignore[override]
        _Counting.seen.append(sql)
        return super().execute(sql, parameters)


def test_sqlite_files_run_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_a_connection_class_sees_the_statements_sent_to_the_driver(tmp_path: Path) -> None:
    """bench.bench_intake_floor records filings through this hook; without it the recording
    would be empty and the replay would measure nothing."""
    engine = make_engine(f"sqlite:///{tmp_path / 'k.db'}", sqlite_connection_class=_Counting)
    _Counting.seen.clear()
    raw = engine.raw_connection()
    try:
        assert isinstance(raw.driver_connection, _Counting)
        raw.driver_connection.execute("SELECT 42")
    finally:
        raw.close()
    assert "SELECT 42" in _Counting.seen
    engine.dispose()
