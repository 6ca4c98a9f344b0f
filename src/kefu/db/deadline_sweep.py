"""The sweep's set-based statements: claim due clocks by their stored columns, mark them in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, literal_column, select, update
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter

from kefu.db.schema import cases
from kefu.db.schema_deadlines import case_clocks


class DueClock(NamedTuple):
    """What a warning or breach needs of a clock: the stored columns, no spec parsing."""

    id: int
    case_id: int
    clock: str
    party: str
    policy_id: str
    policy_version: int
    rule: str  # spec.rule cut to 200 characters (the spec holds the full text)
    started_at: datetime
    due_at: datetime
    on_warning: str  # comma-separated ClockAction values
    on_breach: str
    on_timeout: str


class CaseFacts(NamedTuple):
    """What a warning or breach needs of a case: addressing, and what decides a heavy action."""

    id: int
    number: str
    status: str
    priority: str
    buyer_id: int
    shop_id: int | None
    assignee_id: int | None
    team_id: int | None
    first_response_at: datetime | None


_cc = case_clocks.c
_DUE_COLUMNS = (
    _cc.id,
    _cc.case_id,
    _cc.clock,
    _cc.party,
    _cc.policy_id,
    _cc.policy_version,
    _cc.rule,
    _cc.started_at,
    _cc.due_at,
    _cc.on_warning,
    _cc.on_breach,
    _cc.on_timeout,
)


def _claim(condition: Any, order: Any, dialect: str) -> Select[Any]:
    stmt = select(*_DUE_COLUMNS).where(condition).order_by(order).limit(bindparam("b_limit"))
    if dialect == "postgresql":
        # Several workers: each takes its own rows, nobody waits on another's.
        stmt = stmt.with_for_update(skip_locked=True)
    return stmt


# 'running' as a literal, not a parameter: a partial index (WHERE state = 'running') can then
# serve the claim on SQLite, which cannot match a bound value against an index's condition.
_RUNNING = _cc.state == literal_column("'running'")
_BREACH_COND = and_(_RUNNING, _cc.due_at < bindparam("b_now"))
_WARN_COND = and_(_RUNNING, _cc.warned_at.is_(None), _cc.warn_at <= bindparam("b_now"))
# Statements are built once per dialect: building one per call costs more than running it.
_CLAIM = {
    (dialect, breach): _claim(
        _BREACH_COND if breach else _WARN_COND, _cc.due_at if breach else _cc.warn_at, dialect
    )
    for dialect in ("sqlite", "postgresql")
    for breach in (False, True)
}
_ids: BindParameter[Any] = bindparam("b_ids", expanding=True)
_c = cases.c
_FACTS = (
    select(
        _c.id,
        _c.number,
        _c.status,
        _c.priority,
        _c.buyer_id,
        _c.shop_id,
        _c.assignee_id,
        _c.team_id,
        _c.first_response_at,
    )
    .where(_c.id.in_(_ids))
    .order_by(_c.id)
)
# Locked on PostgreSQL so first_response_at is the committed one and a heavy action's save
# cannot lose a concurrent edit; id order keeps two workers' lock order the same.
_FACTS_LOCKED = _FACTS.with_for_update()
# `state = 'running'` again: a row claimed once is marked once, whatever else runs.
_MARK_BREACHED = (
    update(case_clocks)
    .where(_cc.id.in_(_ids), _cc.state == "running")
    .values(state="breached", breached_at=bindparam("b_now"), stopped_at=bindparam("b_now"))
)
_MARK_WARNED = (
    update(case_clocks)
    .where(_cc.id.in_(_ids), _cc.state == "running", _cc.warned_at.is_(None))
    .values(warned_at=bindparam("b_now"))
)
_MARK_MET = (
    update(case_clocks)
    .where(_cc.id == bindparam("b_id"), _cc.state == "running")
    .values(state="met", stopped_at=bindparam("b_stopped"), met_at=bindparam("b_now"))
)

# SQLite: the claim, facts and marks go to the driver itself (rows as plain tuples, datetimes
# parsed here): SQLAlchemy's per-row result and per-parameter IN handling cost more than the
# statements over a 500-clock batch. The claims are compiled from the statements above (one
# source for both engines); IN lists are rendered per length. PostgreSQL runs the statements.
_FACTS_SQL = (
    "SELECT id, number, status, priority, buyer_id, shop_id, assignee_id, team_id,"
    " first_response_at FROM cases WHERE id IN ({}) ORDER BY id"
)
# The marks as one executemany of single-row UPDATEs: on SQLite half the time of one UPDATE
# with a 500-value IN list (measured at 1M clocks); rowcount is the sum over the rows.
_MARK_BREACHED_SQL = (
    "UPDATE case_clocks SET state = 'breached', breached_at = ?, stopped_at = ?"
    " WHERE id = ? AND state = 'running'"
)
_MARK_WARNED_SQL = (
    "UPDATE case_clocks SET warned_at = ? WHERE id = ? AND state = 'running' AND warned_at IS NULL"
)


@lru_cache(maxsize=64)
def _in_list(template: str, n: int) -> str:
    return template.format(",".join("?" * n))


def _stored_instant(dialect: Dialect) -> Callable[[datetime], Any]:
    """How UTCDateTime stores an instant on this dialect (SQLite: naive UTC text)."""
    proc = _cc.due_at.type._cached_bind_processor(dialect)
    assert proc is not None
    return proc


def _instant(text: str) -> datetime:
    """A stored SQLite instant (naive UTC text) back as aware UTC, what UTCDateTime returns for
    it (`tzinfo` is `datetime.UTC` either way; parsing the offset is 5x cheaper than replace)."""
    return datetime.fromisoformat(text + "+00:00")


@lru_cache(maxsize=16)
def _sqlite_claim(breach: bool, dialect: Dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The claim as SQL text, its positional parameter names and their compiled defaults."""
    compiled = _CLAIM[("sqlite", breach)].compile(dialect=dialect)
    assert compiled.positiontup is not None
    return str(compiled), tuple(compiled.positiontup), dict(compiled.params)


# The sweeping connection's page cache while a batch runs (KiB, SQLite's negative form): a batch
# touches ~4 pages per clock (row, due index, timeline, outbox), 500 clocks overflow the 2 MB
# default and pages read by the claim were read again by the UPDATE.
SWEEP_CACHE_KIB = 65536


class SweepQueries:
    """Mixed into DeadlineRepo: the bulk reads and writes of one sweep batch."""

    conn: Connection

    @contextmanager
    def sweep_connection(self, *, defer_checkpoint: bool) -> Iterator[None]:
        """SQLite, for one batch on this connection only: a bigger page cache and, if asked,
        no automatic WAL checkpoint at its commit (the caller runs `checkpoint()` after the
        pass). Both are set back before the connection returns to the pool, also on errors.

        The commit itself is unchanged: it is durable as before (same `synchronous`); the
        checkpoint only copies committed WAL pages into the database file, later, once.
        """
        if self.conn.dialect.name != "sqlite":
            yield
            return
        raw = self.conn.connection.driver_connection
        assert raw is not None
        # Plain sqlite3 calls (autocommit driver): a PRAGMA through SQLAlchemy would begin a
        # transaction when run after the commit.
        auto = raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        if defer_checkpoint:
            raw.execute("PRAGMA wal_autocheckpoint=0")
        raw.execute(f"PRAGMA cache_size=-{SWEEP_CACHE_KIB}")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA wal_autocheckpoint={int(auto)}")
            raw.execute(f"PRAGMA cache_size={int(cache)}")

    def checkpoint(self) -> tuple[int, int, int] | None:
        """SQLite: copy the committed WAL into the database file (PASSIVE: waits for no reader
        or writer, copies what it can). Needs a connection without locks: a reader unit of
        work (a deferred BEGIN that has read nothing). Returns (busy, WAL frames, copied)."""
        if self.conn.dialect.name != "sqlite":
            return None
        raw = self.conn.connection.driver_connection
        assert raw is not None
        busy, frames, copied = raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(busy), int(frames), int(copied)

    def _sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    def claim_due(self, now: datetime, limit: int, *, breach: bool) -> list[DueClock]:
        """Running clocks past due (breach) or past their warning time and unwarned."""
        if not self._sqlite():
            params = {"b_now": now, "b_limit": limit}
            rows = self.conn.execute(_CLAIM[("postgresql", breach)], params)
            return [DueClock(*r) for r in rows]
        dialect = self.conn.dialect
        sql, names, defaults = _sqlite_claim(breach, dialect)
        given = {**defaults, "b_now": _stored_instant(dialect)(now), "b_limit": limit}
        found = self.conn.exec_driver_sql(sql, tuple(given[n] for n in names)).all()
        return [
            DueClock(i, c, n, p, pi, pv, r, _instant(s), _instant(d), w, b, t)
            for i, c, n, p, pi, pv, r, s, d, w, b, t in found
        ]

    def case_facts(self, ids: Sequence[int]) -> dict[int, CaseFacts]:
        if not ids:
            return {}
        if not self._sqlite():
            rows = self.conn.execute(_FACTS_LOCKED, {"b_ids": list(ids)})
            return {r[0]: CaseFacts(*r) for r in rows}
        sql = _in_list(_FACTS_SQL, len(ids))
        return {
            i: CaseFacts(i, n, s, p, b, sh, a, t, None if f is None else _instant(f))
            for i, n, s, p, b, sh, a, t, f in self.conn.exec_driver_sql(sql, tuple(ids)).all()
        }

    def mark_breached(self, ids: Sequence[int], now: datetime) -> int:
        """One UPDATE for the batch; returns the rows changed (all of them, or a bug)."""
        if not ids:
            return 0
        if not self._sqlite():
            return self.conn.execute(_MARK_BREACHED, {"b_ids": list(ids), "b_now": now}).rowcount
        at = _stored_instant(self.conn.dialect)(now)
        return self._count(_MARK_BREACHED_SQL, [(at, at, i) for i in ids])

    def mark_warned(self, ids: Sequence[int], now: datetime) -> int:
        if not ids:
            return 0
        if not self._sqlite():
            return self.conn.execute(_MARK_WARNED, {"b_ids": list(ids), "b_now": now}).rowcount
        at = _stored_instant(self.conn.dialect)(now)
        return self._count(_MARK_WARNED_SQL, [(at, i) for i in ids])

    def _count(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """executemany at the driver; the rows it changed (sqlite3 sums them)."""
        count = self.conn.exec_driver_sql(sql, rows).rowcount
        assert count >= 0, "sqlite3 reports rowcount for executemany"
        return int(count)

    def mark_met(self, met: Sequence[tuple[int, datetime]], now: datetime) -> int:
        """(clock id, when the obligation was met) pairs; met_at is the sweep's time."""
        if not met:
            return 0
        rows = [{"b_id": i, "b_stopped": at, "b_now": now} for i, at in met]
        result = self.conn.execute(_MARK_MET, rows)
        return result.rowcount if result.rowcount >= 0 else len(rows)
