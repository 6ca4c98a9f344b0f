"""Engine factory: SQLite in WAL mode with immediate write transactions, or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

WRITE = "kefu_write"


def make_engine(
    url: str, *, echo: bool = False, sqlite_connection_class: type[Any] | None = None
) -> Engine:
    """Create the engine for a URL; SQLite files get their folder, WAL and a busy timeout.

    `sqlite_connection_class` (a sqlite3.Connection subclass) lets a benchmark record the
    statements a workload sends to the driver; the application never sets it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    connect_args: dict[str, Any] = {"check_same_thread": False, "timeout": 30}
    if sqlite_connection_class is not None:
        connect_args["factory"] = sqlite_connection_class
    engine = create_engine(url, echo=echo, connect_args=connect_args)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook issue BEGIN itself, so writes can take the lock up front.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (kill -9); only an OS crash may lose the
        # last commits. KEFU_SQLITE_SYNCHRONOUS=FULL trades speed for power-loss safety.
        cur.execute(f"PRAGMA synchronous={_synchronous()}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY instead of
        # waiting; a writer takes the write lock at BEGIN and queues behind busy_timeout.
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")

    return engine


def _synchronous() -> str:
    import os

    value = os.environ.get("KEFU_SQLITE_SYNCHRONOUS", "NORMAL").upper()
    return value if value in {"OFF", "NORMAL", "FULL", "EXTRA"} else "NORMAL"
