"""Deadlines warned and breached through the worker, and the outcomes the rules name for them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.domain.errors import InvalidInput
from kefu.domain.sla_clock import ClockName, ClockStatus
from kefu.domain.types import Actor, CaseKind, Priority
from kefu.domain.workflow import Action, Status
from kefu.services import deadlines as deadline_svc
from kefu.services import messages as message_svc
from kefu.services import sla_admin
from kefu.worker import run_once
from tests.builders import a_complaint
from tests.services.deadline_helpers import (
    SH,
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
