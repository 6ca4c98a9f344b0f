"""The deadline sweep's storage: concurrent sweeps, partial indexes, bulk rows, connections."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.db.clock_rows import CLOCK_COLUMNS, clock_to_row
from kefu.db.deadline_sweep import CaseFacts
from kefu.db.records import timeline_row
from kefu.db.schema import outbox as outbox_table
from kefu.db.schema import timeline as timeline_table
from kefu.db.schema_deadlines import case_clocks
from kefu.domain.sla_clock import ClockName, ClockStatus
from kefu.domain.types import Actor
from kefu.services.deadline_sweep import (
    SweepConfig,
    SweepReport,
    sweep_due_clocks,
)
from kefu.services.sweep_light import BREACHED, clock_event, clock_row, notice
from kefu.services.sweep_rows import RowsPlan, outbox_tuple, timeline_tuple
from tests.builders import a_complaint, an_order, imported
from tests.conftest import START
from tests.services.deadline_helpers import (
    SH,
    case_of,
    clocks,
    deadline_world,
    timeline,
)


@pytest.fixture
def world(app: App) -> dict[str, Actor]:
    return deadline_world(app)


# --- the sweep's storage: concurrent sweeps, partial indexes, bulk rows, connection settings -


def test_two_sweeps_at_once_warn_and_breach_each_clock_exactly_once(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    """Two workers sweep the same due clocks at the same time, in small batches: each clock is
    warned once and breached once (SQLite: one writer at a time; PostgreSQL: SKIP LOCKED)."""
    orders = [f"DD01{i:02d}" for i in range(8)]
    imported(app, *(an_order(o) for o in orders))
    numbers = [a_complaint(app, world["buyer"], order_no=o).number for o in orders]
    clock.advance(timedelta(hours=12, seconds=1))  # first contact: warned and breached now
    config = SweepConfig(batch=2, reopen_window=app.policy.reopen_window)
    start = threading.Barrier(2)
    reports: list[SweepReport] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            start.wait()
            reports.append(sweep_due_clocks(app.uow, clock.now(), config, reader=app.reader))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(r.warned for r in reports) == sum(r.breached for r in reports) == len(numbers)
    for number in numbers:
        changes = [
            e.data["change"]
            for e in timeline(app, number, "clock")
            if e.data["clock"] == ClockName.FIRST_CONTACT
        ]
        assert sorted(changes) == ["breached", "warned"], (number, changes)
        contact = clocks(app, number)[ClockName.FIRST_CONTACT]
        assert contact.state.status is ClockStatus.BREACHED
        assert contact.warned_at == contact.breached_at == clock.now()
    ids = sorted(case_of(app, n).id or 0 for n in numbers)
    with app.reader() as uow:
        for topic in ("sla_warning", "sla_breached"):
            stmt = select(outbox_table.c.case_id).where(outbox_table.c.topic == topic)
            assert sorted(uow.conn.execute(stmt).scalars()) == ids, topic  # one notice each
    # A third pass finds nothing left to do.
    assert sweep_due_clocks(app.uow, clock.now(), config, reader=app.reader) == SweepReport()


def test_the_sweep_claims_use_their_partial_indexes(app: App) -> None:
    """Migration 0007's partial indexes serve the claims (their condition matches the query's
    literal `state = 'running'`); the migration test does not compare index conditions."""
    plans: list[str] = []
    engine = app.engine

    def explain(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.lstrip().startswith("SELECT"):
            return
        raw = conn.connection.driver_connection.cursor()
        if engine.dialect.name == "sqlite":
            rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
        else:
            raw.execute("SET LOCAL enable_seqscan = off")
            raw.execute("EXPLAIN " + statement, parameters)
            rows = raw.fetchall()
        plans.append(" ".join(str(r[-1]) for r in rows))

    event.listen(engine, "before_cursor_execute", explain)
    try:
        with app.reader() as uow:
            uow.deadlines.claim_due(START, 10, breach=False)
            uow.deadlines.claim_due(START, 10, breach=True)
            uow.deadlines.provisional_clocks(10)
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    assert len(plans) == 3, plans
    for plan, index in zip(
        plans,
        ("ix_case_clocks_warn", "ix_case_clocks_due", "ix_case_clocks_provisional"),
        strict=True,
    ):
        assert index in plan, plan


def test_bulk_timeline_and_outbox_rows_are_stored_as_sqlalchemy_stores_them(
    app: App, world: dict[str, Actor]
) -> None:
    """The sweep's executemany (driver-level on SQLite) writes the bytes a plain insert writes."""
    case = a_complaint(app, world["buyer"])
    assert case.id is not None
    now = datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=SH)  # not UTC: converted as before
    facts = CaseFacts(case.id, case.number, "submitted", "normal", 1, None, None, 7, None)
    row = clock_row(
        case.id,
        now,
        BREACHED,
        clock="first_contact",
        party="platform",
        due_at=(now - timedelta(hours=1)).isoformat(),
        rule="规则 rule “quoted”",
        policy_id="complaint",
    )
    event_row = clock_event(
        now,
        BREACHED,
        clock="first_contact",
        party="platform",
        due_at=now - timedelta(hours=1),
        rule="规则 rule “quoted”",
        policy_id="complaint",
    )
    assert row == timeline_row(case.id, event_row)
    assert list(row["data"]) == list(timeline_row(case.id, event_row)["data"])  # same JSON order
    out = notice(
        now,
        facts,
        topic="sla_breached",
        clock="first_contact",
        due_at=now,
        rule="规则",
        audiences=["assignee", "users"],
        supervisors=[3, 4],
    )
    assert out == notice(
        now,
        facts,
        topic="sla_breached",
        clock="first_contact",
        due_at=now,
        rule="规则",
        audiences=["assignee", "users"],
        supervisors=[3, 4],
        due_iso=now.isoformat(),
    )
    # The light path's pre-rendered tuples (templates, or one by one) store the same text.
    rendered_row = timeline_tuple(
        case.id,
        now,
        BREACHED,
        clock="first_contact",
        party="platform",
        due_at=(now - timedelta(hours=1)).isoformat(),
        rule="规则 rule “quoted”",
        policy_id="complaint",
    )
    rendered_out = outbox_tuple(
        now,
        facts,
        topic="sla_breached",
        clock="first_contact",
        due_iso=now.isoformat(),
        rule="规则",
        audiences=("assignee", "users"),
        supervisors=(3, 4),
    )
    plan = RowsPlan.of(
        BREACHED,
        "sla_breached",
        clock="first_contact",
        party="platform",
        rule="规则 rule “quoted”",
        policy_id="complaint",
        notices=[],
        violation=False,
    )
    assert plan is not None
    with app.uow() as uow:
        uow.deadlines.append_timeline([row, row])
        uow.deadlines.add_outbox([out, out])
        uow.conn.execute(insert(timeline_table), [row])
        uow.conn.execute(insert(outbox_table), [out])
        uow.deadlines.append_rendered_timeline(
            [rendered_row, plan.timeline(case.id, now, (now - timedelta(hours=1)).isoformat())]
        )
        uow.deadlines.add_rendered_outbox([rendered_out])
        uow.commit()
    with app.reader() as uow:
        stored_timeline = uow.conn.exec_driver_sql(
            "SELECT case_id, kind, actor_id, actor_role, visibility, body, data, created_at"
            " FROM timeline WHERE kind = 'clock' ORDER BY id"
        ).all()
        stored_outbox = uow.conn.exec_driver_sql(
            "SELECT topic, case_id, payload, created_at, available_at, attempts, sent_at"
            " FROM outbox WHERE topic = 'sla_breached' ORDER BY id"
        ).all()
    assert (len(stored_timeline), len(stored_outbox)) == (5, 4)
    assert all(r == stored_timeline[0] for r in stored_timeline)
    assert all(r == stored_outbox[0] for r in stored_outbox)


def test_the_sweep_leaves_pooled_connections_as_it_found_them(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    """SQLite: no WAL checkpoint inside the sweep's commits and a bigger page cache, for the
    sweep's batches only; one checkpoint after the pass. Request connections keep the defaults."""
    if app.engine.dialect.name != "sqlite":
        return
    a_complaint(app, world["buyer"])
    clock.advance(timedelta(hours=12, seconds=1))
    report = sweep_due_clocks(app.uow, clock.now(), SweepConfig(), reader=app.reader)
    assert report.breached >= 1
    held = [app.engine.connect() for _ in range(max(1, app.engine.pool.checkedin()))]
    try:
        for conn in held:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -2000
            conn.rollback()
    finally:
        for conn in held:
            conn.close()
    with app.engine.connect() as conn:
        # Everything committed is in the database file already: nothing left to copy.
        busy, frames, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
        assert (busy, frames - copied) == (0, 0)


def test_clocks_stored_at_the_driver_equal_a_plain_insert(
    app: App, world: dict[str, Actor]
) -> None:
    """add_clocks (one driver-level executemany, JSON pre-rendered) stores what insert() does."""
    case = a_complaint(app, world["buyer"])
    assert case.id is not None
    with app.reader() as uow:
        filed = uow.deadlines.clocks_for_case(case.id)
    assert filed
    with app.uow() as uow:
        uow.deadlines.add_clocks(filed)
        uow.conn.execute(insert(case_clocks), [clock_to_row(c) for c in filed])
        uow.commit()
    columns = ", ".join(CLOCK_COLUMNS)
    with app.reader() as uow:
        stored = uow.conn.exec_driver_sql(
            f"SELECT {columns} FROM case_clocks WHERE case_id = {case.id} ORDER BY id"
        ).all()
    n = len(filed)
    assert len(stored) == 3 * n
    assert stored[:n] == stored[n : 2 * n] == stored[2 * n :]
