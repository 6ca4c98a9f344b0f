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


@pytest.mark.parametrize("outcome", list(OUTCOMES))
@pytest.mark.parametrize("status", sorted(LIFECYCLES[CaseKind.COMPLAINT].statuses))
def test_a_seller_timeout_never_resolves_against_the_buyer(
    outcome: TimeoutOutcome, status: Status
) -> None:
    action = outcome_action(Party.SELLER, outcome, status)
    if action is None:
        return
    transition = LIFECYCLES[CaseKind.COMPLAINT].table[(status, action)]
    assert Role.SYSTEM in transition.roles
    assert transition.target not in (Status.CLOSED, Status.REJECTED)
    assert not OUTCOMES[outcome].against_buyer


def test_every_expressible_outcome_is_a_system_action_of_the_lifecycle() -> None:
    table = LIFECYCLES[CaseKind.COMPLAINT].table
    for rule in OUTCOMES.values():
        for status, action in rule.fires.items():
            assert Role.SYSTEM in table[(status, action)].roles, (rule.outcome, status)


def test_closing_a_request_is_only_for_buyer_side_timeouts() -> None:
    assert (
        outcome_action(Party.SELLER, TimeoutOutcome.CLOSE_REQUEST, Status.AWAITING_SELLER) is None
    )
    assert outcome_action(Party.PLATFORM, TimeoutOutcome.CLOSE_REQUEST, Status.NEGOTIATING) is None
