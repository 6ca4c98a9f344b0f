"""SQLite's single writer, shared fairly: a write lock per engine, and group commit for intents.

SQLite lets one connection write at a time. Threads of this process queue on a lock here instead
of polling SQLite's busy handler (whose growing sleeps, up to 100 ms each, made tail latency
explode under load).

**Group commit.** A COMMIT in WAL mode costs a few hundred microseconds however little was
written. Intents that opt in (filing a case) run inside one shared transaction, each in its own
SAVEPOINT: a failed intent rolls back to its savepoint and leaves the others untouched. The intent
that finds nobody queued behind it commits the group and wakes the others; every member returns
only after that COMMIT succeeded, so a caller is never told "saved" for a row a crash can lose.
Under no load a group has one member and this is an ordinary transaction.

A writer that does not join groups flushes an open group before it begins, so it never waits on
a transaction nobody is about to commit.

**Several processes** (`kefu serve --workers N`) on one SQLite file: a write transaction also
holds an exclusive `flock` on `<database>.writelock`, so a writer in another process sleeps in
the kernel and wakes the moment the lock is free, instead of in SQLite's busy handler.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Connection, Engine, RootTransaction

# Bounded so that one member's wait for the COMMIT stays short under sustained load.
MAX_GROUP = 64


class GroupCommitFailed(RuntimeError):
    """The shared COMMIT failed: none of the group's intents was saved."""


@dataclass(eq=False)
class Group:
    """One open shared transaction and the intents that wrote in it."""

    conn: Connection
    tx: RootTransaction
    members: int = 0
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class FileLock:
    """An exclusive flock on a file beside the database, shared by every process using it."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def __del__(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)


class IntentSavepoint:
    """One grouped intent's SAVEPOINT, issued on the sqlite3 connection itself: group members
    take turns, so one name suffices, and SQLAlchemy's nested-transaction bookkeeping (two
    statements through its execution layer per intent) is not needed."""

    def __init__(self, conn: Connection) -> None:
        raw = conn.connection.driver_connection
        assert raw is not None
        self._raw: Any = raw
        self._raw.execute("SAVEPOINT kefu_intent")
        self.is_active = True

    def commit(self) -> None:
        self._raw.execute("RELEASE kefu_intent")
        self.is_active = False

    def rollback(self) -> None:
        self._raw.execute("ROLLBACK TO kefu_intent")
        self._raw.execute("RELEASE kefu_intent")
        self.is_active = False


class WriteGate:
    """The write lock of one SQLite engine, and the group transaction it may hold open."""

    def __init__(self, file_lock: FileLock | None = None) -> None:
        self.file_lock = file_lock
        self.lock = threading.RLock()
        self._count_guard = threading.Lock()
        self._waiting = 0
        self._depth = 0  # how many times the owning thread holds the lock (it is re-entrant)
        self.group: Group | None = None
        # Read by /metrics: how many COMMITs groups took, and how many intents they carried.
        self.groups_committed = 0
        self.intents_committed = 0

    def acquire(self) -> None:
        with self._count_guard:
            self._waiting += 1
        self.lock.acquire()
        with self._count_guard:
            self._waiting -= 1
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        self.lock.release()

    @property
    def someone_waiting(self) -> bool:
        return self._waiting > 0

    def begin_writing(self) -> None:
        """Take the cross-process lock before a write transaction (call with the lock held)."""
        if self.file_lock is not None:
            self.file_lock.acquire()

    def end_writing(self) -> None:
        """Release the cross-process lock once the transaction ended (call with the lock held)."""
        if self.file_lock is not None:
            self.file_lock.release()

    def open_group(self, engine: Engine) -> Group:
        """Join the open group, or begin a new one (call with the lock held)."""
        if self.group is None:
            self.begin_writing()
            try:
                conn = engine.connect()
                try:
                    self.group = Group(conn, conn.begin())
                except BaseException:
                    conn.close()
                    raise
            except BaseException:
                self.end_writing()
                raise
        self.group.members += 1
        return self.group

    @property
    def nested(self) -> bool:
        """The owning thread holds the lock more than once: a unit of work inside another."""
        return self._depth > 1

    def should_hold_open(self, group: Group) -> bool:
        """Leave the group open for the writer queued behind (call with the lock held)."""
        return self.someone_waiting and group.members < MAX_GROUP and group.error is None

    def finish_group(self) -> BaseException | None:
        """COMMIT the open group and wake its members (call with the lock held).

        Returns the COMMIT's error instead of raising it: the members learn of it through the
        group, and a writer flushing someone else's group must not fail its own intent."""
        group, self.group = self.group, None
        if group is None:
            return None
        try:
            if group.tx.is_active:
                group.tx.commit()
            self.groups_committed += 1
            self.intents_committed += group.members
        except Exception as exc:
            group.error = exc
            with contextlib.suppress(Exception):  # the connection is closed next regardless
                group.tx.rollback()
        finally:
            group.conn.close()
            self.end_writing()
            group.done.set()
        return group.error


_GATES: WeakKeyDictionary[Engine, WriteGate] = WeakKeyDictionary()
_GATES_GUARD = threading.Lock()


def gate_for(engine: Engine) -> WriteGate | None:
    """Return the engine's write gate (SQLite), or None where the database queues writers."""
    if engine.dialect.name != "sqlite":
        return None
    with _GATES_GUARD:
        gate = _GATES.get(engine)
        if gate is None:
            database = engine.url.database
            on_disk = (
                bool(database) and database != ":memory:" and "mode=memory" not in str(engine.url)
            )
            lock = FileLock(Path(f"{database}.writelock")) if on_disk else None
            gate = _GATES[engine] = WriteGate(lock)
        return gate
