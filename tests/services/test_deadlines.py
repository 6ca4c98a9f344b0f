"""SLA clocks on a real database: 2025–2027 dates, pauses, suspensions, outcomes via the worker."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.domain.errors import DomainError
from kefu.domain.sla_clock import ClockName, ClockStatus, PauseReason
from kefu.domain.types import Actor, Priority
from kefu.domain.workflow import Action, Status
from kefu.services import calendars as calendar_svc
from kefu.services import deadlines as deadline_svc
from kefu.services import sla_admin
from kefu.services.deadline_sweep import (
    refresh_provisional_clocks,
)
from tests.builders import a_complaint
from tests.services.deadline_helpers import (
    act,
    case_of,
    clocks,
    deadline_world,
    end_of,
    sh,
    timeline,
    to_status,
)


@pytest.fixture
def world(app: App) -> dict[str, Actor]:
    return deadline_world(app)


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
