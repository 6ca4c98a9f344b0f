"""Composition root: build the App (engine, clock, storage, unit-of-work factory) from Settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from kefu.adapters.clock import Clock, SystemClock
from kefu.adapters.storage import LocalDirStorage
from kefu.config import Settings
from kefu.db.engine import make_engine
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork


@dataclass
class App:
    settings: Settings
    engine: Engine
    clock: Clock
    storage: LocalDirStorage
    policy: CasePolicy

    def uow(self, *, write: bool = True, group: bool = False) -> UnitOfWork:
        """A unit of work; `group=True` lets a write share its COMMIT (`db/write_gate.py`)."""
        return UnitOfWork(self.engine, write=write, group=group)

    def reader(self) -> UnitOfWork:
        return UnitOfWork(self.engine, write=False)


def build_app(settings: Settings, *, clock: Clock | None = None) -> App:
    policy = CasePolicy(
        reopen_window=timedelta(days=settings.reopen_window_days),
        first_response=timedelta(hours=settings.first_response_hours),
        default_team=settings.default_team,
        max_upload_bytes=dict(settings.max_upload_bytes),
    )
    return App(
        settings,
        make_engine(settings.database_url),
        clock or SystemClock(),
        LocalDirStorage(Path(settings.blob_dir)),
        policy,
    )


def upgrade_database(settings: Settings) -> None:
    """Apply Alembic migrations up to head."""
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parent
    cfg = Config()
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["database_url"] = settings.database_url
    command.upgrade(cfg, "head")
