"""Deadline persistence: case clocks, suspensions and the sweep's bulk writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update

from kefu.db.calendars import CalendarRepo
from kefu.db.cases import row_to_case
from kefu.db.clock_rows import (
    CLOCK_COLUMNS,
    MUTABLE_COLUMNS,
    ClockRow,
    clock_values,
    mutable_values,
    row_to_clock,
)
from kefu.db.deadline_sweep import SweepQueries
from kefu.db.driver import RowInsert
from kefu.db.schema import cases, outbox, timeline
from kefu.db.schema_deadlines import (
    case_clocks,
    case_suspensions,
)
from kefu.db.sla_policies import PolicyRepo
from kefu.db.sweep_inserts import RenderedInsert
from kefu.db.types import NO_DEADLINE, UTCDateTime
from kefu.domain.case import Case
from kefu.domain.sla_clock import (
    ClockStatus,
)


@dataclass(frozen=True)
class Suspension:
    id: int
    case_id: int
    reason: str
    limit_key: str
    started_at: datetime
    resume_at: datetime
    ended_at: datetime | None


_LIVE = (ClockStatus.RUNNING.value, ClockStatus.PAUSED.value, ClockStatus.BREACHED.value)
_DUE = (ClockStatus.RUNNING.value, ClockStatus.BREACHED.value)

# Statements built once (see db/cases.py): per-call construction cost more than execution.
_cc = case_clocks.c
_SAVE_CLOCK = (
    update(case_clocks)
    .where(_cc.id == bindparam("b_id"))
    .values({k: bindparam(k) for k in MUTABLE_COLUMNS})
)
_CASE_CLOCKS = select(case_clocks).where(_cc.case_id == bindparam("b_case")).order_by(_cc.id)
_CASE_LIVE_CLOCKS = (
    select(case_clocks)
    .where(_cc.case_id == bindparam("b_case"), _cc.state.in_(_LIVE))
    .order_by(_cc.id)
)
_CLOCKS_BY_IDS = select(case_clocks).where(_cc.id.in_(bindparam("b_ids", expanding=True)))
_SET_DUE = update(cases).where(cases.c.id == bindparam("b_id")).values(due_at=bindparam("b_due"))
_CASES_BY_IDS = (
    select(cases).where(cases.c.id.in_(bindparam("b_ids", expanding=True))).order_by(cases.c.id)
)
_CASES_BY_IDS_LOCKED = _CASES_BY_IDS.with_for_update()  # the sweep saves some: no lost update
_EARLIEST_DUE = (
    select(_cc.case_id, func.min(_cc.due_at, type_=UTCDateTime()))
    .where(_cc.case_id.in_(bindparam("b_ids", expanding=True)), _cc.state.in_(_DUE))
    .group_by(_cc.case_id)
)


_APPEND_TIMELINE = RowInsert(
    timeline,
    ("case_id", "kind", "actor_id", "actor_role", "visibility", "body", "data", "created_at"),
)
_ADD_OUTBOX = RowInsert(
    outbox, ("topic", "case_id", "payload", "created_at", "available_at", "attempts")
)
_ADD_CLOCK_ROWS = RenderedInsert(case_clocks, CLOCK_COLUMNS)
_APPEND_RENDERED_TIMELINE = RenderedInsert(timeline, _APPEND_TIMELINE.columns)
_ADD_RENDERED_OUTBOX = RenderedInsert(outbox, _ADD_OUTBOX.columns)


class DeadlineRepo(SweepQueries, CalendarRepo):
    """Clocks and suspensions; calendars, agreements and violations come from CalendarRepo."""

    @property
    def policies(self) -> PolicyRepo:
        """SLA policy versions (drafts, published) on the same connection."""
        return PolicyRepo(self.conn)

    # --- clocks -----------------------------------------------------------------------------

    def add_clocks(self, clocks: Sequence[ClockRow]) -> None:
        """One executemany at the driver (the spec's JSON text made once per spec)."""
        if clocks:
            _ADD_CLOCK_ROWS(self.conn, [clock_values(c) for c in clocks])

    def clocks_for_case(self, case_id: int, *, live_only: bool = False) -> list[ClockRow]:
        stmt = _CASE_LIVE_CLOCKS if live_only else _CASE_CLOCKS
        return [row_to_clock(r) for r in self.conn.execute(stmt, {"b_case": case_id}).mappings()]

    def clocks_by_ids(self, ids: Sequence[int]) -> dict[int, ClockRow]:
        rows = self.conn.execute(_CLOCKS_BY_IDS, {"b_ids": list(ids)}).mappings()
        return {int(r["id"]): row_to_clock(r) for r in rows}

    def save_clocks(self, clocks: Iterable[ClockRow]) -> None:
        """Write the changing columns of existing clocks (one executemany)."""
        rows = [{"b_id": c.id, **mutable_values(c)} for c in clocks if c.id is not None]
        if rows:
            self.conn.execute(_SAVE_CLOCK, rows)

    def _due(self, condition: Any, order: Any, limit: int) -> list[ClockRow]:
        stmt = select(case_clocks).where(condition).order_by(order).limit(limit)
        if self.conn.dialect.name == "postgresql":
            # Several workers: each takes its own rows, nobody waits on another's.
            stmt = stmt.with_for_update(skip_locked=True)
        return [row_to_clock(r) for r in self.conn.execute(stmt).mappings()]

    def due_for_breach(self, now: datetime, limit: int) -> list[ClockRow]:
        """Whole clocks past due (the sweep itself claims DueClock rows: claim_due)."""
        c = case_clocks.c
        return self._due(and_(c.state == "running", c.due_at < now), c.due_at, limit)

    def due_for_warning(self, now: datetime, limit: int) -> list[ClockRow]:
        c = case_clocks.c
        cond = and_(c.state == "running", c.warned_at.is_(None), c.warn_at <= now)
        return self._due(cond, c.warn_at, limit)

    def provisional_clocks(self, limit: int) -> list[ClockRow]:
        c = case_clocks.c
        # `provisional` bare (`provisional = 1` on SQLite): the partial index's own condition.
        cond = and_(c.provisional, c.state.in_(_LIVE))
        return [
            row_to_clock(r)
            for r in self.conn.execute(select(case_clocks).where(cond).limit(limit)).mappings()
        ]

    # --- suspensions ------------------------------------------------------------------------

    def add_suspension(
        self, case_id: int, reason: str, limit_key: str, started_at: datetime, resume_at: datetime
    ) -> None:
        self.conn.execute(
            insert(case_suspensions).values(
                case_id=case_id,
                reason=reason,
                limit_key=limit_key,
                started_at=started_at,
                resume_at=resume_at,
            )
        )

    def open_suspension(self, case_id: int) -> Suspension | None:
        row = (
            self.conn.execute(
                select(case_suspensions).where(
                    case_suspensions.c.case_id == case_id, case_suspensions.c.ended_at.is_(None)
                )
            )
            .mappings()
            .first()
        )
        return Suspension(**{k: row[k] for k in Suspension.__dataclass_fields__}) if row else None

    def end_suspension(self, suspension_id: int, now: datetime, by: str) -> None:
        self.conn.execute(
            update(case_suspensions)
            .where(case_suspensions.c.id == suspension_id)
            .values(ended_at=now, ended_by=by)
        )

    def extend_suspension(self, suspension_id: int, limit_key: str, resume_at: datetime) -> None:
        self.conn.execute(
            update(case_suspensions)
            .where(case_suspensions.c.id == suspension_id)
            .values(limit_key=limit_key, resume_at=resume_at)
        )

    def due_suspensions(self, now: datetime, limit: int) -> list[Suspension]:
        s = case_suspensions.c
        stmt = (
            select(case_suspensions)
            .where(s.ended_at.is_(None), s.resume_at <= now)
            .order_by(s.resume_at)
            .limit(limit)
        )
        rows = self.conn.execute(stmt).mappings()
        return [Suspension(**{k: r[k] for k in Suspension.__dataclass_fields__}) for r in rows]

    # --- bulk writes the sweep needs ---------------------------------------------------------

    def set_case_due(self, case_id: int, due: datetime | None) -> None:
        """Queue sort key only: no version bump (the clocks, not a person, moved it)."""
        self.conn.execute(_SET_DUE, {"b_id": case_id, "b_due": due or NO_DEADLINE})

    def refresh_case_due(self, case_ids: Sequence[int]) -> None:
        """cases.due_at = earliest running or overdue clock (NO_DEADLINE if none), in bulk."""
        if not case_ids:
            return
        result = self.conn.execute(_EARLIEST_DUE, {"b_ids": list(case_ids)})
        found = {int(case_id): due for case_id, due in result}
        self.conn.execute(
            _SET_DUE, [{"b_id": i, "b_due": found.get(i) or NO_DEADLINE} for i in case_ids]
        )

    def cases_by_ids(self, ids: Sequence[int]) -> dict[int, Case]:
        stmt = _CASES_BY_IDS_LOCKED if self.conn.dialect.name == "postgresql" else _CASES_BY_IDS
        rows = self.conn.execute(stmt, {"b_ids": list(ids)}).mappings()
        return {int(r["id"]): row_to_case(r) for r in rows}

    def append_timeline(self, rows: Sequence[dict[str, Any]]) -> None:
        """Timeline rows (sweep_light.timeline_row) in one executemany."""
        _APPEND_TIMELINE.many(self.conn, rows)

    def add_outbox(self, rows: Sequence[dict[str, Any]]) -> None:
        """Outbox rows (sweep_light.notice) in one executemany."""
        _ADD_OUTBOX.many(self.conn, rows)

    def append_rendered_timeline(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Pre-rendered timeline rows (sweep_rows.timeline_tuple), one executemany."""
        _APPEND_RENDERED_TIMELINE(self.conn, rows)

    def add_rendered_outbox(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Pre-rendered outbox rows (sweep_rows.outbox_tuple), one executemany."""
        _ADD_RENDERED_OUTBOX(self.conn, rows)
