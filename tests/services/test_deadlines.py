"""SLA clocks on a real database: 2025–2027 dates, pauses, suspensions, outcomes via the worker."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
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
from kefu.domain.errors import DomainError, InvalidInput
from kefu.domain.sla_clock import ClockName, ClockStatus, PauseReason
from kefu.domain.types import Actor, CaseKind, Priority
from kefu.domain.workflow import Action, Status
from kefu.services import calendars as calendar_svc
from kefu.services import deadlines as deadline_svc
from kefu.services import messages as message_svc
from kefu.services import sla_admin
from kefu.services.deadline_sweep import (
    SweepConfig,
    SweepReport,
    refresh_provisional_clocks,
    sweep_due_clocks,
)
from kefu.services.sweep_light import BREACHED, clock_event, clock_row, notice
from kefu.services.sweep_rows import RowsPlan, outbox_tuple, timeline_tuple
from kefu.worker import run_once
from tests.builders import a_complaint, a_user, an_order, imported
from tests.conftest import START
from tests.services.deadline_helpers import (
    SH,
    act,
    buyer_seller_and_staff,
    case_of,
    clocks,
    end_of,
    timeline,
)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


@pytest.fixture
def world(app: App) -> dict[str, Actor]:
    people = {**buyer_seller_and_staff(app), "admin": a_user(app, "admin", "admin")}
    imported(app, an_order("DD0001"), an_order("DD0002"), an_order("DD0003"))
    return people


def to_status(app: App, w: dict[str, Actor], number: str, status: Status) -> None:
    """Walk a complaint forward with the real actors."""
    path = [
        (Status.SCREENING, w["agent"], Action.START_SCREENING, {}),
        (Status.ACCEPTED, w["agent"], Action.ACCEPT, {}),
        (Status.AWAITING_SELLER, w["agent"], Action.FORWARD_TO_SELLER, {}),
        (Status.PLATFORM_INTERVENTION, w["agent"], Action.INTERVENE, {}),
        (Status.EVIDENCE, w["agent"], Action.OPEN_EVIDENCE, {}),
        (Status.INVESTIGATING, w["agent"], Action.CLOSE_EVIDENCE, {}),
        (Status.DECIDED, w["agent"], Action.DECIDE, {"decision": "退款"}),
        (Status.EXECUTING, w["agent"], Action.EXECUTE, {}),
        (Status.AWAITING_CONFIRMATION, w["agent"], Action.COMPLETE_EXECUTION, {}),
    ]
    for target, actor, action, params in path:
        act(app, actor, number, action, **params)
        if target is status:
            return
    raise AssertionError(status)


# --- filing: real calendars -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filed", "resolution_due", "provisional"),
    [
        # Spring Festival 2026: 02-15..23 off, Saturdays 02-14 and 02-28 are working days.
        (sh(2026, 2, 13, 10), end_of(2026, 3, 2), False),
        # National Day 2025: 10-01..08 off, Saturday 10-11 works (民法典 201: count from 10-01).
        (sh(2025, 9, 30, 10), end_of(2025, 10, 16), False),
        (sh(2025, 5, 12, 10), end_of(2025, 5, 21), False),
        # Beyond the package's data: Monday–Friday assumed, flagged provisional.
        (sh(2027, 1, 4, 10), end_of(2027, 1, 13), True),
    ],
)
def test_filing_starts_clocks_on_the_real_calendar(
    app: App,
    world: dict[str, Actor],
    clock: FixedClock,
    filed: datetime,
    resolution_due: datetime,
    provisional: bool,
) -> None:
    clock.set(filed)
    case = a_complaint(app, world["buyer"])
    found = clocks(app, case.number)
    assert set(found) == {ClockName.FIRST_RESPONSE, ClockName.FIRST_CONTACT, ClockName.RESOLUTION}
    resolution = found[ClockName.RESOLUTION]
    assert resolution.state.due_at == resolution_due
    assert resolution.state.provisional is provisional
    assert (resolution.policy_id, resolution.policy_version) == ("complaint", 1)
    assert found[ClockName.FIRST_CONTACT].state.due_at == filed + timedelta(hours=12)
    # The queue sorts by the earliest running deadline: first contact, 12 h (seed 001).
    assert case_of(app, case.number).due_at == filed.astimezone(UTC) + timedelta(hours=12)


def test_urgent_cases_get_the_faster_platform_clocks(app: App, world: dict[str, Actor]) -> None:
    case = a_complaint(app, world["buyer"], priority=Priority.URGENT)
    assert clocks(app, case.number)[ClockName.FIRST_RESPONSE].state.spec.amount == 4
    assert case_of(app, case.number).due_at == app.clock.now() + timedelta(hours=2)


def test_transitions_start_and_meet_the_seller_clock(app: App, world: dict[str, Actor]) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_SELLER)
    answer = clocks(app, case.number)[ClockName.SELLER_FIRST_ANSWER]
    assert answer.state.status is ClockStatus.RUNNING
    # Tuesday 2026-11-24 10:00: one working day -> end of Wednesday.
    assert answer.state.due_at == end_of(2026, 11, 25)
    act(app, world["seller"], case.number, Action.SELLER_RESPOND, body="同意退款")
    found = clocks(app, case.number)
    assert found[ClockName.SELLER_FIRST_ANSWER].state.status is ClockStatus.MET
    # The agent acted: first response and first contact are met too.
    assert found[ClockName.FIRST_RESPONSE].state.status is ClockStatus.MET
    assert case_of(app, case.number).due_at == found[ClockName.RESOLUTION].state.due_at


def test_a_case_keeps_the_agreement_in_force_when_it_was_opened(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    before = a_complaint(app, world["buyer"])
    clock.advance(timedelta(minutes=5))
    sla_admin.set_agreement(
        app.uow(),
        actor=world["admin"],
        shop_code="shop-a",
        terms={"solution_working_days": 3},
        now=clock.now(),
    )
    clock.advance(timedelta(minutes=5))
    after = a_complaint(app, world["buyer"], order_no="DD0002")
    old, new = clocks(app, before.number), clocks(app, after.number)
    assert old[ClockName.RESOLUTION].state.spec.amount == 7
    assert (new[ClockName.RESOLUTION].state.spec.amount, new[ClockName.RESOLUTION].policy_id) == (
        3,
        "complaint+agreement.v1",
    )


def test_provisional_deadlines_are_recomputed_when_days_become_known(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    clock.set(sh(2026, 12, 30, 10))
    case = a_complaint(app, world["buyer"])
    assert clocks(app, case.number)[ClockName.RESOLUTION].state.provisional
    assert refresh_provisional_clocks(app.uow, clock.now()) == 0  # nothing new yet
    # An admin enters the 2027 New Year schedule: 01-01..03 off, 01-04.. ordinary.
    items = [
        calendar_svc.OverrideIn(
            "platform", date(2027, 1, d), d >= 4 and date(2027, 1, d).weekday() < 5, note="元旦"
        )
        for d in range(1, 15)
    ]
    calendar_svc.add_overrides(app.uow(), actor=world["admin"], items=items, now=clock.now())
    assert refresh_provisional_clocks(app.uow, clock.now()) == 1
    resolution = clocks(app, case.number)[ClockName.RESOLUTION]
    assert not resolution.state.provisional
    # 12-31 (1), then 2027-01-04..08 (2-6), 01-11 (7).
    assert resolution.state.due_at == end_of(2027, 1, 11)


# --- pause and resume -----------------------------------------------------------------------

MANUAL = [PauseReason.WAITING_ON_BUYER, PauseReason.LAB_TESTING, PauseReason.OTHER]


@pytest.mark.parametrize("reason", MANUAL)
@pytest.mark.parametrize("suspended_meanwhile", [False, True], ids=["plain", "suspended-meanwhile"])
@pytest.mark.parametrize("only", [None, ClockName.RESOLUTION], ids=["all", "one-clock"])
def test_manual_pause_and_resume(
    app: App,
    world: dict[str, Actor],
    clock: FixedClock,
    reason: PauseReason,
    suspended_meanwhile: bool,
    only: str | None,
) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_SELLER)
    running = {ClockName.RESOLUTION, ClockName.SELLER_FIRST_ANSWER}
    before = clocks(app, case.number)
    assert {n for n, c in before.items() if c.state.status is ClockStatus.RUNNING} == running
    deadline_svc.pause_case_clocks(
        app.uow(),
        actor=world["agent"],
        number=case.number,
        reason=reason.value,
        clock=only,
        now=clock.now(),
    )
    hand_paused = {n for n in running if only in (None, n)}
    for name in running:
        state = clocks(app, case.number)[name].state
        assert state.status is (ClockStatus.PAUSED if name in hand_paused else ClockStatus.RUNNING)
    clock.advance(timedelta(hours=30))
    if suspended_meanwhile:
        act(app, world["agent"], case.number, Action.SUSPEND, reason="self_settlement")
        clock.advance(timedelta(hours=5))
        act(app, world["agent"], case.number, Action.RESUME)
        # Back from the suspension a hand-paused clock keeps its own pause and reason.
        for name in running:
            state = clocks(app, case.number)[name].state
            assert state.pause_reason is (reason if name in hand_paused else None)
    deadline_svc.resume_case_clocks(
        app.uow(), actor=world["agent"], number=case.number, clock=only, now=clock.now()
    )
    after = clocks(app, case.number)
    for name in running:
        assert after[name].state.status is ClockStatus.RUNNING
        moved = after[name].state.due_at > before[name].state.due_at
        assert moved is (name in hand_paused or suspended_meanwhile)
    assert case_of(app, case.number).due_at == min(after[n].state.due_at for n in running)
    entries = timeline(app, case.number, "clock")
    assert [e.data["reason"] for e in entries if e.data["change"] == "paused"][
        : len(hand_paused)
    ] == [reason.value] * len(hand_paused)


def test_pause_moves_a_working_day_deadline_by_the_working_time_paused(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    clock.set(sh(2025, 9, 26, 10))  # Friday before National Day
    case = a_complaint(app, world["buyer"])
    due = clocks(app, case.number)[ClockName.RESOLUTION].state.due_at
    deadline_svc.pause_case_clocks(
        app.uow(),
        actor=world["agent"],
        number=case.number,
        reason="lab_testing",
        clock=ClockName.RESOLUTION,
        now=clock.now(),
    )
    clock.set(sh(2025, 10, 9, 10))  # 09-26 14 h, 09-28 (调休 Sunday), 29, 30, 10-09 10 h
    deadline_svc.resume_case_clocks(
        app.uow(), actor=world["agent"], number=case.number, clock=None, now=clock.now()
    )
    resumed = clocks(app, case.number)[ClockName.RESOLUTION].state
    assert resumed.paused_total == timedelta(days=4)  # working time only; the holiday is free
    assert due == end_of(2025, 10, 13)
    assert resumed.due_at == end_of(2025, 10, 17)


@pytest.mark.parametrize(
    ("reason", "clock_name", "code"),
    [
        ("suspended_self_settlement", None, "invalid_input"),
        ("because", None, "invalid_input"),
        ("waiting_on_buyer", "no_such_clock", "no_matching_clock"),
    ],
)
def test_bad_pauses_are_refused(
    app: App, world: dict[str, Actor], reason: str, clock_name: str | None, code: str
) -> None:
    case = a_complaint(app, world["buyer"])
    with pytest.raises(DomainError) as caught:
        deadline_svc.pause_case_clocks(
            app.uow(),
            actor=world["agent"],
            number=case.number,
            reason=reason,
            clock=clock_name,
            now=app.clock.now(),
        )
    assert caught.value.code == code


def test_double_pause_and_resume_without_pause_are_conflicts(
    app: App, world: dict[str, Actor]
) -> None:
    case = a_complaint(app, world["buyer"])
    kw = {"actor": world["agent"], "number": case.number, "now": app.clock.now()}
    with pytest.raises(DomainError) as nothing:
        deadline_svc.resume_case_clocks(app.uow(), clock=None, **kw)  # type: ignore[arg-type]
    assert nothing.value.status == 409
    deadline_svc.pause_case_clocks(app.uow(), reason="waiting_on_buyer", clock=None, **kw)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as twice:
        deadline_svc.pause_case_clocks(app.uow(), reason="waiting_on_buyer", clock=None, **kw)  # type: ignore[arg-type]
    assert twice.value.status == 409


def test_suspended_clocks_resume_only_with_the_case(app: App, world: dict[str, Actor]) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_SELLER)
    act(app, world["agent"], case.number, Action.SUSPEND, reason="court_or_police")
    found = clocks(app, case.number)
    live = [c for c in found.values() if c.state.status is ClockStatus.PAUSED]
    assert {c.state.pause_reason for c in live} == {PauseReason.SUSPENDED_COURT_POLICE}
    assert {c.name for c in live} == {ClockName.RESOLUTION, ClockName.SELLER_FIRST_ANSWER}
    assert case_of(app, case.number).due_at is None  # nothing runs: sorts last
    with pytest.raises(DomainError) as caught:
        deadline_svc.resume_case_clocks(
            app.uow(), actor=world["agent"], number=case.number, clock=None, now=app.clock.now()
        )
    assert "resume the case" in caught.value.en


# --- the worker: warnings, breaches, outcomes -----------------------------------------------


def test_warning_at_80_percent_notifies_the_team_once(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    clock.advance(timedelta(hours=9, minutes=35))  # contact: 12 h budget, warning at 9 h 36 min
    run_once(app)
    assert clocks(app, case.number)[ClockName.FIRST_CONTACT].warned_at is None
    clock.advance(timedelta(minutes=2))
    run_once(app)
    run_once(app)
    assert clocks(app, case.number)[ClockName.FIRST_CONTACT].warned_at == clock.now()
    with app.reader() as uow:
        notices = uow.notifications.for_user(world["agent"].user_id)
    assert [n["title"].split(" / ")[0] for n in notices if "即将超时" in n["title"]] == [
        f"案件 {case.number} first_contact 即将超时"
    ]


def test_an_answer_in_the_thread_meets_the_response_clocks(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    clock.advance(timedelta(hours=1))
    message_svc.post_message(
        app.uow(),
        actor=world["agent"],
        number=case.number,
        body="您好，已收到",
        internal=False,
        now=clock.now(),
    )
    clock.advance(timedelta(hours=10))
    run_once(app)
    found = clocks(app, case.number)
    assert found[ClockName.FIRST_CONTACT].state.status is ClockStatus.MET
    assert found[ClockName.FIRST_CONTACT].warned_at is None
    assert timeline(app, case.number, "clock") == []


def test_first_response_breach_raises_priority_and_tells_supervisors(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    clock.advance(timedelta(hours=24, seconds=1))
    run_once(app)
    after = case_of(app, case.number)
    assert (after.priority, after.version) == (Priority.HIGH, case.version + 1)
    assert clocks(app, case.number)[ClockName.FIRST_RESPONSE].state.status is ClockStatus.BREACHED
    assert after.due_at == case.due_at  # overdue cases stay at the top of the queue
    with app.reader() as uow:
        titles = [n["title"] for n in uow.notifications.for_user(world["supervisor"].user_id)]
    assert any("first_response 已超时" in t for t in titles)


def test_seller_silent_in_a_complaint_opens_platform_intervention(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_SELLER)
    clock.set(end_of(2026, 11, 25))
    run_once(app)
    assert (
        case_of(app, case.number).status is Status.AWAITING_SELLER
    )  # the deadline instant is on time
    clock.advance(timedelta(seconds=1))
    run_once(app)
    assert case_of(app, case.number).status is Status.PLATFORM_INTERVENTION
    decision = timeline(app, case.number, "auto_decision")
    assert [(d.data["outcome"], d.data["rule"], d.data["human_review"]) for d in decision] == [
        ("open_intervention", "seed-003", "available")
    ]
    with app.reader() as uow:
        shop = uow.people.shop_by_code("shop-a")
        assert shop is not None
        violations = uow.deadlines.violations_for_shop(shop.id)
    assert [v["clock"] for v in violations] == [ClockName.SELLER_FIRST_ANSWER]


def test_seller_silent_on_a_return_request_approves_it(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"], kind=CaseKind.AFTERSALES, subject="申请退货退款")
    to_status(app, world, case.number, Status.AWAITING_SELLER)
    review = clocks(app, case.number)[ClockName.RETURN_REVIEW]
    assert review.state.due_at == end_of(2026, 11, 26)  # 2 working days
    clock.set(end_of(2026, 11, 26) + timedelta(seconds=1))
    run_once(app)
    # Approved: the buyer now ships the goods back (tests/services/test_deadline_returns.py).
    assert case_of(app, case.number).status is Status.AWAITING_RETURN_SHIPMENT
    changed = timeline(app, case.number, "status_changed")[-1]
    assert (changed.data["action"], changed.actor_role) == ("auto_approve", "system")
    assert timeline(app, case.number, "auto_decision")[0].data["outcome"] == "auto_approve_refund"


def test_buyer_silent_on_the_result_confirms_it(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_CONFIRMATION)
    confirm = clocks(app, case.number)[ClockName.BUYER_CONFIRM]
    assert confirm.state.due_at == end_of(2026, 12, 1)  # 7 calendar days
    clock.set(end_of(2026, 12, 1) + timedelta(seconds=1))
    run_once(app)
    after = case_of(app, case.number)
    assert after.status is Status.RESOLVED
    assert clocks(app, case.number)[ClockName.BUYER_CONFIRM].state.status is ClockStatus.MET
    assert clocks(app, case.number)[ClockName.RESOLUTION].state.status is ClockStatus.MET
    assert after.due_at is None


def test_evidence_window_closes_and_the_case_is_decided_on_what_is_there(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    clock.set(sh(2025, 10, 1, 14, 1))  # National Day: the JD clock runs 09:00–18:00 every day
    case = a_complaint(app, world["buyer"], kind=CaseKind.DISPUTE)
    to_status(app, world, case.number, Status.EVIDENCE)
    window = clocks(app, case.number)[ClockName.EVIDENCE_WINDOW]
    assert window.state.due_at == sh(2025, 10, 2, 9, 1).astimezone(UTC)
    clock.set(sh(2025, 10, 2, 9, 2))
    run_once(app)
    assert case_of(app, case.number).status is Status.INVESTIGATING
    assert timeline(app, case.number, "auto_decision")[0].data["outcome"] == "decide_on_evidence"


def test_buyer_can_ask_for_a_human_review_of_an_automatic_decision(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_CONFIRMATION)
    clock.advance(timedelta(days=8))
    run_once(app)
    decision = timeline(app, case.number, "auto_decision")[0]
    sla_admin.request_review(
        app.uow(),
        actor=world["buyer"],
        number=case.number,
        decision_id=decision.id,
        reason="我没有收到退款",
        now=clock.now(),
    )
    assert [e.data for e in timeline(app, case.number, "review_requested")] == [
        {"decision_id": decision.id}
    ]
    with pytest.raises(InvalidInput):
        sla_admin.request_review(
            app.uow(),
            actor=world["buyer"],
            number=case.number,
            decision_id=decision.id - 1,
            reason="",
            now=clock.now(),
        )


@pytest.mark.parametrize(
    ("reason", "limit_reached"),
    [
        ("self_settlement", sh(2026, 12, 24)),  # 30 days: end of 12-24
        ("court_or_police", sh(2026, 12, 3)),  # 7 working days after 11-24: end of 12-03
    ],
)
def test_suspension_resumes_the_case_at_its_limit(
    app: App, world: dict[str, Actor], clock: FixedClock, reason: str, limit_reached: datetime
) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.AWAITING_SELLER)
    due_before = clocks(app, case.number)[ClockName.RESOLUTION].state.due_at
    act(app, world["agent"], case.number, Action.SUSPEND, reason=reason)
    clock.set(limit_reached + timedelta(hours=23, minutes=59))
    run_once(app)
    assert case_of(app, case.number).status is Status.SUSPENDED
    clock.advance(timedelta(minutes=1))
    run_once(app)
    after = case_of(app, case.number)
    assert after.status is Status.AWAITING_SELLER
    resolution = clocks(app, case.number)[ClockName.RESOLUTION].state
    assert resolution.status is ClockStatus.RUNNING
    assert resolution.due_at > due_before  # the suspension did not count
    decisions = timeline(app, case.number, "auto_decision")
    assert [d.data["rule"] for d in decisions] == ["rule-18"]


def test_proof_of_court_acceptance_extends_the_suspension(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"])
    to_status(app, world, case.number, Status.ACCEPTED)
    act(app, world["agent"], case.number, Action.SUSPEND, reason="court_or_police")
    clock.advance(timedelta(days=2))
    ends = deadline_svc.record_court_acceptance(
        app.uow(), actor=world["agent"], number=case.number, now=clock.now()
    )
    assert ends.astimezone(SH).date() == date(2027, 5, 26)
    clock.set(sh(2026, 12, 20))
    run_once(app)
    assert case_of(app, case.number).status is Status.SUSPENDED


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
