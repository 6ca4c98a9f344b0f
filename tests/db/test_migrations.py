"""Alembic's head produces exactly the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kefu.bootstrap import App
from kefu.db.schema import metadata
from kefu.db.schema_search import include_name


def test_migrations_match_the_models(app: App) -> None:
    with app.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": include_name}
        )
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_sqlite_runs_in_wal_mode(app: App) -> None:
    if app.engine.dialect.name != "sqlite":
        return
    with app.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_migration_history_has_one_head() -> None:
    """Parallel branches must be merged: `kefu db upgrade` goes to "head", singular."""
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import kefu.bootstrap

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(Path(kefu.bootstrap.__file__).resolve().parent / "migrations")
    )
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1
