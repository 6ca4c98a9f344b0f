"""Where a read runs: inline on the event loop for SQLite, in the thread pool for PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

from kefu.bootstrap import App

T = TypeVar("T")


async def read(app: App, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a read-only service call. A SQLite read under WAL never waits for a writer and takes
    well under a millisecond, so the thread hop (and its GIL hand-offs) cost more than it saves;
    a PostgreSQL read waits on the network and must not hold the loop. Writes always go to the
    thread pool: they may queue behind the single SQLite writer."""
    if app.engine.dialect.name == "sqlite":
        return fn(*args, **kwargs)
    return await run_in_threadpool(partial(fn, *args, **kwargs))
