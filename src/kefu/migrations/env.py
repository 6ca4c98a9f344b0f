"""Alembic environment: one linear history, batch mode so SQLite can alter tables."""

from __future__ import annotations

import os

from alembic import context

from kefu.db.engine import make_engine
from kefu.db.schema import metadata
from kefu.db.schema_search import include_name

config = context.config
url = config.attributes.get("database_url") or os.environ.get(
    "KEFU_DATABASE_URL", "sqlite:///./var/kefu.db"
)


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=True,
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
