"""After-sales returns on a real database: the buyer ships, the seller confirms receipt; both
timeouts driven by the worker's sweep with a fake clock (rule 16 timers, rule 30)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import App
from kefu.domain.errors import GuardFailed, InvalidTransition
from kefu.domain.sla_clock import ClockName, ClockStatus
from kefu.domain.types import Actor, CaseKind, Category
from kefu.domain.workflow import Action, Status
from kefu.worker import run_once
from tests.builders import a_complaint, an_order, imported
from tests.services.deadline_helpers import (
    act,
    buyer_seller_and_staff,
    case_of,
    clocks,
    end_of,
    timeline,
)

SHIPPED = {"carrier": "顺丰速运", "tracking_no": "SF1234567890"}


@pytest.fixture
def world(app: App) -> dict[str, Actor]:
    people = buyer_seller_and_staff(app)
    imported(app, an_order("DD0001"))
    return people


def a_return(app: App, w: dict[str, Actor]) -> str:
    """An after-sales request the seller approved: the buyer is to ship the goods back."""
    case = a_complaint(app, w["buyer"], kind=CaseKind.AFTERSALES, subject="申请退货退款")
    for action in (Action.START_SCREENING, Action.ACCEPT, Action.FORWARD_TO_SELLER):
        act(app, w["agent"], case.number, action)
    approved = act(app, w["seller"], case.number, Action.APPROVE_RETURN)
    assert approved.status is Status.AWAITING_RETURN_SHIPMENT
    return case.number


def test_approval_starts_the_buyers_shipping_clock_and_meets_the_review(
    app: App, world: dict[str, Actor]
) -> None:
    number = a_return(app, world)
    found = clocks(app, number)
    assert found[ClockName.RETURN_REVIEW].state.status is ClockStatus.MET
    shipping = found[ClockName.RETURN_SHIPMENT]
    assert shipping.state.status is ClockStatus.RUNNING
    assert shipping.state.spec.party.value == "buyer"
    assert shipping.state.due_at == end_of(2026, 12, 1)  # 7 calendar days (rule 16)
    assert ClockName.RETURN_RECEIPT not in found
    # The seller cannot ship for the buyer.
    with pytest.raises(InvalidTransition) as err:
        act(app, world["seller"], number, Action.SHIP_RETURN, **SHIPPED)
    assert err.value.status == 409
    with pytest.raises(GuardFailed):
        act(app, world["buyer"], number, Action.SHIP_RETURN, carrier="顺丰速运")


def test_buyer_who_does_not_ship_in_time_has_the_request_closed_without_barring_a_quality_claim(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    number = a_return(app, world)
    clock.set(end_of(2026, 12, 1))
    run_once(app)
    assert case_of(app, number).status is Status.AWAITING_RETURN_SHIPMENT  # on time still
    clock.advance(timedelta(seconds=1))
    run_once(app)
    after = case_of(app, number)
    assert after.status is Status.CLOSED
    assert after.ended_at == clock.now()
    assert after.due_at is None  # off the queue: nothing is owed any more
    changed = timeline(app, number, "status_changed")[-1]
    assert (changed.data["action"], changed.actor_role) == ("close_request", "system")
    [decision] = timeline(app, number, "auto_decision")
    assert decision.data["outcome"] == "close_request"
    assert decision.data["human_review"] == "available"
    assert decision.data["rule"] == "rule-16"
    assert "不影响之后就商品质量问题另行投诉" in decision.body
    assert "does not bar a later quality claim" in decision.body
    found = clocks(app, number)
    shipping = found[ClockName.RETURN_SHIPMENT]
    assert shipping.breached_at == clock.now()
    assert shipping.state.status is ClockStatus.CANCELLED
    assert found[ClockName.RESOLUTION].state.status is ClockStatus.CANCELLED  # not resolved
    # Nothing barred: the buyer may reopen it, and a quality complaint on the order is taken.
    assert Action.REOPEN in after.allowed_actions(world["buyer"])
    quality = a_complaint(
        app,
        world["buyer"],
        subject="商品质量问题",
        description="耳机收到一周后右耳完全没有声音，重新配对和充电都不行，怀疑是质量问题。",
        category=Category.QUALITY,
    )
    assert quality.status is not Status.REJECTED
    assert quality.is_open
    # The same return request filed again is a new request, not a duplicate of the closed one.
    again = a_complaint(
        app,
        world["buyer"],
        kind=CaseKind.AFTERSALES,
        subject=after.subject,
        description=after.description,
    )
    assert again.status is Status.SUBMITTED
    # A second pass has nothing left to do.
    run_once(app)
    assert len(timeline(app, number, "auto_decision")) == 1


def test_seller_who_does_not_confirm_receipt_in_time_has_the_refund_issued(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    number = a_return(app, world)
    clock.advance(timedelta(days=2))  # shipped on Thursday 2026-11-26
    shipped = act(app, world["buyer"], number, Action.SHIP_RETURN, **SHIPPED)
    assert shipped.status is Status.AWAITING_RETURN_RECEIPT
    data = timeline(app, number, "status_changed")[-1].data
    assert (data["carrier"], data["tracking_no"]) == (SHIPPED["carrier"], SHIPPED["tracking_no"])
    found = clocks(app, number)
    assert found[ClockName.RETURN_SHIPMENT].state.status is ClockStatus.MET
    receipt = found[ClockName.RETURN_RECEIPT]
    assert receipt.state.due_at == end_of(2026, 12, 6)  # 10 calendar days (rule 16)
    assert case_of(app, number).due_at is not None
    clock.set(end_of(2026, 12, 6) + timedelta(seconds=1))
    run_once(app)
    after = case_of(app, number)
    assert after.status is Status.EXECUTING
    changed = timeline(app, number, "status_changed")[-1]
    assert (changed.data["action"], changed.actor_role) == ("confirm_receipt", "system")
    [decision] = timeline(app, number, "auto_decision")
    assert (decision.data["outcome"], decision.data["clock"]) == ("auto_refund", "return_receipt")
    assert "refund issued" in decision.body
    found = clocks(app, number)
    late = found[ClockName.RETURN_RECEIPT]
    assert (late.state.status, late.breached_at) == (ClockStatus.MET, clock.now())
    refund = found[ClockName.REFUND]  # the refund is owed from the (assumed) receipt: L2
    assert refund.state.status is ClockStatus.RUNNING
    assert refund.state.started_at == clock.now()
    with app.reader() as uow:
        shop = uow.people.shop_by_code("shop-a")
        assert shop is not None
        violations = uow.deadlines.violations_for_shop(shop.id)
        titles = [n["title"] for n in uow.notifications.for_user(world["supervisor"].user_id)]
    assert [v["clock"] for v in violations] == [ClockName.RETURN_RECEIPT]
    assert any("return_receipt 已超时" in t for t in titles)
    # The seller completes the refund; the buyer confirms as on any case.
    done = act(app, world["seller"], number, Action.COMPLETE_EXECUTION)
    assert done.status is Status.AWAITING_CONFIRMATION
    assert clocks(app, number)[ClockName.REFUND].state.status is ClockStatus.MET


def test_seller_silent_on_the_request_approves_it_and_the_buyer_ships(
    app: App, world: dict[str, Actor], clock: FixedClock
) -> None:
    case = a_complaint(app, world["buyer"], kind=CaseKind.AFTERSALES, subject="申请退货退款")
    for action in (Action.START_SCREENING, Action.ACCEPT, Action.FORWARD_TO_SELLER):
        act(app, world["agent"], case.number, action)
    clock.set(end_of(2026, 11, 26) + timedelta(seconds=1))  # return review: 2 working days
    run_once(app)
    assert case_of(app, case.number).status is Status.AWAITING_RETURN_SHIPMENT
    shipping = clocks(app, case.number)[ClockName.RETURN_SHIPMENT]
    assert shipping.state.started_at == clock.now()
    shipped = act(app, world["buyer"], case.number, Action.SHIP_RETURN, **SHIPPED)
    assert shipped.status is Status.AWAITING_RETURN_RECEIPT
    received = act(app, world["seller"], case.number, Action.CONFIRM_RECEIPT)
    assert received.status is Status.EXECUTING
    assert clocks(app, case.number)[ClockName.RETURN_RECEIPT].state.status is ClockStatus.MET
