"""Clock rules as data: which transitions start, meet, cancel, pause clocks; outcome safety."""

from __future__ import annotations

import pytest

from kefu.domain.clock_rules import OUTCOMES, outcome_action, plan_transition
from kefu.domain.sla_clock import ClockName, Party, PauseReason, TimeoutOutcome
from kefu.domain.types import CaseKind, Role
from kefu.domain.workflow import LIFECYCLES, Action, Status

N = ClockName
COMPLAINT = [
    N.FIRST_RESPONSE,
    N.FIRST_CONTACT,
    N.SELLER_FIRST_ANSWER,
    N.RESOLUTION,
    N.BUYER_CONFIRM,
]


@pytest.mark.parametrize(
    ("action", "source", "target", "live", "start", "meet", "cancel"),
    [
        (Action.FORWARD_TO_SELLER, Status.ACCEPTED, Status.AWAITING_SELLER, [N.RESOLUTION],
         [N.SELLER_FIRST_ANSWER], [], []),
        (Action.SELLER_RESPOND, Status.AWAITING_SELLER, Status.NEGOTIATING,
         [N.RESOLUTION, N.SELLER_FIRST_ANSWER], [], [N.SELLER_FIRST_ANSWER], []),
        (Action.INTERVENE, Status.AWAITING_SELLER, Status.PLATFORM_INTERVENTION,
         [N.RESOLUTION, N.SELLER_FIRST_ANSWER], [], [], [N.SELLER_FIRST_ANSWER]),
        (Action.COMPLETE_EXECUTION, Status.EXECUTING, Status.AWAITING_CONFIRMATION,
         [N.RESOLUTION], [N.BUYER_CONFIRM], [], []),
        (Action.CONFIRM, Status.AWAITING_CONFIRMATION, Status.RESOLVED,
         [N.RESOLUTION, N.BUYER_CONFIRM], [], [N.RESOLUTION, N.BUYER_CONFIRM], []),
        (Action.WITHDRAW, Status.NEGOTIATING, Status.CLOSED,
         [N.RESOLUTION], [], [], [N.RESOLUTION]),
        (Action.REOPEN, Status.CLOSED, Status.PLATFORM_INTERVENTION, [], [N.RESOLUTION], [], []),
        # Back from a suspension nothing restarts, even in a status that starts a clock.
        (Action.RESUME, Status.SUSPENDED, Status.AWAITING_SELLER, [N.RESOLUTION], [], [], []),
    ],
)  # fmt: skip
def test_plan_transition(
    action: Action,
    source: Status,
    target: Status,
    live: list[str],
    start: list[str],
    meet: list[str],
    cancel: list[str],
) -> None:
    plan = plan_transition(
        action=action,
        source=source,
        target=target,
        policy_clocks=COMPLAINT,
        live=live,
        first_response_given=False,
    )
    assert (plan.start, plan.meet, plan.cancel) == (start, meet, cancel)


AFTERSALES = [
    N.FIRST_RESPONSE,
    N.RETURN_REVIEW,
    N.RETURN_SHIPMENT,
    N.RETURN_RECEIPT,
    N.REFUND,
    N.RESOLUTION,
    N.BUYER_CONFIRM,
]


@pytest.mark.parametrize(
    ("action", "source", "target", "live", "start", "meet", "cancel"),
    [
        (Action.APPROVE_RETURN, Status.AWAITING_SELLER, Status.AWAITING_RETURN_SHIPMENT,
         [N.RESOLUTION, N.RETURN_REVIEW], [N.RETURN_SHIPMENT], [N.RETURN_REVIEW], []),
        (Action.AUTO_APPROVE, Status.AWAITING_SELLER, Status.AWAITING_RETURN_SHIPMENT,
         [N.RESOLUTION, N.RETURN_REVIEW], [N.RETURN_SHIPMENT], [], [N.RETURN_REVIEW]),
        (Action.SHIP_RETURN, Status.AWAITING_RETURN_SHIPMENT, Status.AWAITING_RETURN_RECEIPT,
         [N.RESOLUTION, N.RETURN_SHIPMENT], [N.RETURN_RECEIPT], [N.RETURN_SHIPMENT], []),
        (Action.CONFIRM_RECEIPT, Status.AWAITING_RETURN_RECEIPT, Status.EXECUTING,
         [N.RESOLUTION, N.RETURN_RECEIPT], [N.REFUND], [N.RETURN_RECEIPT], []),
        (Action.COMPLETE_EXECUTION, Status.EXECUTING, Status.AWAITING_CONFIRMATION,
         [N.RESOLUTION, N.REFUND], [N.BUYER_CONFIRM], [N.REFUND], []),
        # The refund clock runs from the return's receipt (L2), not from any execution.
        (Action.EXECUTE, Status.AGREED, Status.EXECUTING, [N.RESOLUTION], [], [], []),
        # The buyer did not ship: closed, nothing resolved, nothing met.
        (Action.CLOSE_REQUEST, Status.AWAITING_RETURN_SHIPMENT, Status.CLOSED,
         [N.RESOLUTION, N.RETURN_SHIPMENT], [], [], [N.RESOLUTION, N.RETURN_SHIPMENT]),
        (Action.REQUEST_INTERVENTION, Status.AWAITING_RETURN_RECEIPT,
         Status.PLATFORM_INTERVENTION, [N.RESOLUTION, N.RETURN_RECEIPT], [], [],
         [N.RETURN_RECEIPT]),
    ],
)  # fmt: skip
def test_plan_transition_of_an_aftersales_return(
    action: Action,
    source: Status,
    target: Status,
    live: list[str],
    start: list[str],
    meet: list[str],
    cancel: list[str],
) -> None:
    plan = plan_transition(
        action=action,
        source=source,
        target=target,
        policy_clocks=AFTERSALES,
        live=live,
        first_response_given=False,
    )
    assert (plan.start, plan.meet, plan.cancel) == (start, meet, cancel)


@pytest.mark.parametrize(
    ("reason", "pause"),
    [
        ("self_settlement", PauseReason.SUSPENDED_SELF_SETTLEMENT),
        ("court_or_police", PauseReason.SUSPENDED_COURT_POLICE),
    ],
)
def test_suspension_pauses_with_a_typed_reason(reason: str, pause: PauseReason) -> None:
    plan = plan_transition(
        action=Action.SUSPEND,
        source=Status.AWAITING_SELLER,
        target=Status.SUSPENDED,
        policy_clocks=COMPLAINT,
        live=[N.RESOLUTION, N.SELLER_FIRST_ANSWER],
        first_response_given=True,
        suspend_reason=reason,
    )
    assert (plan.pause_for, plan.meet, plan.cancel) == (pause, [], [])


_TIMED = (CaseKind.COMPLAINT, CaseKind.AFTERSALES)  # the lifecycles the outcomes act in
_STATES = sorted({(k, s) for k in _TIMED for s in LIFECYCLES[k].statuses})


@pytest.mark.parametrize("outcome", list(OUTCOMES))
@pytest.mark.parametrize(("kind", "status"), _STATES)
@pytest.mark.parametrize("party", [Party.SELLER, Party.PLATFORM])
def test_a_seller_timeout_never_resolves_against_the_buyer(
    outcome: TimeoutOutcome, kind: CaseKind, status: Status, party: Party
) -> None:
    action = outcome_action(party, outcome, status)
    if action is None or (status, action) not in LIFECYCLES[kind].table:
        return
    transition = LIFECYCLES[kind].table[(status, action)]
    assert Role.SYSTEM in transition.roles
    assert transition.target not in (Status.CLOSED, Status.REJECTED)
    assert not OUTCOMES[outcome].against_buyer


def test_every_expressible_outcome_is_a_system_action_of_a_lifecycle() -> None:
    for rule in OUTCOMES.values():
        for status, action in rule.fires.items():
            kinds = [k for k in _TIMED if (status, action) in LIFECYCLES[k].table]
            assert kinds, (rule.outcome, status)
            for kind in kinds:
                assert Role.SYSTEM in LIFECYCLES[kind].table[(status, action)].roles


def test_the_buyer_side_return_timeout_closes_and_the_seller_side_one_refunds() -> None:
    table = LIFECYCLES[CaseKind.AFTERSALES].table
    shipping, receiving = Status.AWAITING_RETURN_SHIPMENT, Status.AWAITING_RETURN_RECEIPT
    close = outcome_action(Party.BUYER, TimeoutOutcome.CLOSE_REQUEST, shipping)
    assert close is Action.CLOSE_REQUEST
    assert table[(shipping, close)].roles == {Role.SYSTEM}  # never the seller's to close
    assert table[(shipping, close)].target is Status.CLOSED
    refund = outcome_action(Party.SELLER, TimeoutOutcome.AUTO_REFUND, receiving)
    assert refund is Action.CONFIRM_RECEIPT
    assert table[(receiving, refund)].target is Status.EXECUTING
    # Only a buyer clock may close: the same outcome on a seller clock does nothing.
    assert outcome_action(Party.SELLER, TimeoutOutcome.CLOSE_REQUEST, shipping) is None


def test_closing_a_request_is_only_for_buyer_side_timeouts() -> None:
    assert (
        outcome_action(Party.SELLER, TimeoutOutcome.CLOSE_REQUEST, Status.AWAITING_SELLER) is None
    )
    assert outcome_action(Party.PLATFORM, TimeoutOutcome.CLOSE_REQUEST, Status.NEGOTIATING) is None
