"""Every (status, action) pair of every lifecycle: in the table or refused with the allowed list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kefu.domain.errors import GuardFailed, InvalidTransition
from kefu.domain.types import CaseKind, Role
from kefu.domain.workflow import (
    CLOSED_STATUSES,
    FIELD_PARAMS,
    LIFECYCLES,
    Action,
    GuardInput,
    Status,
    allowed_actions,
    resolve_transition,
    text_param,
)

NOW = datetime(2026, 11, 24, 2, tzinfo=UTC)
ALL_ROLES = frozenset(Role)
PARAMS = {
    "reason": "self_settlement",
    "body": "b",
    "decision": "d",
    "carrier": "顺丰速运",
    "tracking_no": "SF1234567890",
}


def _g(
    status: Status, params: dict[str, str] | None = None, ended_at: datetime | None = None
) -> GuardInput:
    return GuardInput(
        status, params if params is not None else PARAMS, NOW, ended_at, timedelta(days=15)
    )


@pytest.mark.parametrize("kind", list(CaseKind))
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_pair_is_in_the_table_or_refused(
    kind: CaseKind, status: Status, action: Action
) -> None:
    table = LIFECYCLES[kind].table
    guard = _g(status, ended_at=NOW - timedelta(days=1))
    if (status, action) in table:
        t = resolve_transition(kind, status, action, ALL_ROLES, guard)
        assert t.source is status
        assert t.action is action
    else:
        with pytest.raises(InvalidTransition) as err:
            resolve_transition(kind, status, action, ALL_ROLES, guard)
        assert err.value.status == 409
        assert err.value.extra["current_status"] == status.value
        assert err.value.extra["allowed_actions"] == [
            a.value for a in allowed_actions(kind, status, ALL_ROLES)
        ]


@pytest.mark.parametrize("kind", list(CaseKind))
def test_every_status_is_reachable_and_every_open_status_has_a_way_out(kind: CaseKind) -> None:
    lifecycle = LIFECYCLES[kind]
    reachable = {lifecycle.initial}
    frontier = [lifecycle.initial]
    while frontier:
        current = frontier.pop()
        for (src, _), t in lifecycle.table.items():
            if src == current and t.target is not None and t.target not in reachable:
                reachable.add(t.target)
                frontier.append(t.target)
    assert reachable == lifecycle.statuses
    for status in lifecycle.statuses - CLOSED_STATUSES:
        assert any(src == status for src, _ in lifecycle.table), status


COMPLAINT_HAPPY_PATH = [
    (Role.AGENT, Action.START_SCREENING, Status.SCREENING),
    (Role.AGENT, Action.ACCEPT, Status.ACCEPTED),
    (Role.AGENT, Action.FORWARD_TO_SELLER, Status.AWAITING_SELLER),
    (Role.SELLER, Action.SELLER_RESPOND, Status.NEGOTIATING),
    (Role.BUYER, Action.REQUEST_INTERVENTION, Status.PLATFORM_INTERVENTION),
    (Role.AGENT, Action.OPEN_EVIDENCE, Status.EVIDENCE),
    (Role.AGENT, Action.CLOSE_EVIDENCE, Status.INVESTIGATING),
    (Role.SUPERVISOR, Action.DECIDE, Status.DECIDED),
    (Role.SELLER, Action.EXECUTE, Status.EXECUTING),
    (Role.SELLER, Action.COMPLETE_EXECUTION, Status.AWAITING_CONFIRMATION),
    (Role.BUYER, Action.CONFIRM, Status.RESOLVED),
    (Role.AGENT, Action.CLOSE, Status.CLOSED),
]


def test_complaint_follows_the_seed_lifecycle() -> None:
    status = Status.SUBMITTED
    for role, action, expected in COMPLAINT_HAPPY_PATH:
        t = resolve_transition(CaseKind.COMPLAINT, status, action, frozenset({role}), _g(status))
        assert t.target is expected
        status = expected


@pytest.mark.parametrize(
    ("status", "action", "role"),
    [
        (Status.SUBMITTED, Action.START_SCREENING, Role.BUYER),
        (Status.SUBMITTED, Action.START_SCREENING, Role.SELLER),
        (Status.AWAITING_SELLER, Action.SELLER_RESPOND, Role.AGENT),
        (Status.AWAITING_SELLER, Action.SELLER_RESPOND, Role.BUYER),
        (Status.NEGOTIATING, Action.AGREE, Role.SELLER),
        (Status.AWAITING_CONFIRMATION, Action.CONFIRM, Role.SELLER),
        (Status.AWAITING_CONFIRMATION, Action.CONFIRM, Role.AGENT),
        (Status.INVESTIGATING, Action.DECIDE, Role.SELLER),
        (Status.RESOLVED, Action.CLOSE, Role.BUYER),
    ],
)
def test_roles_that_may_not_fire_an_action_are_refused(
    status: Status, action: Action, role: Role
) -> None:
    with pytest.raises(InvalidTransition):
        resolve_transition(CaseKind.COMPLAINT, status, action, frozenset({role}), _g(status))


@pytest.mark.parametrize(
    ("kind", "status", "action", "field"),
    [
        (CaseKind.COMPLAINT, Status.SCREENING, Action.REJECT, "reason"),
        (CaseKind.COMPLAINT, Status.AWAITING_SELLER, Action.SELLER_RESPOND, "body"),
        (CaseKind.COMPLAINT, Status.INVESTIGATING, Action.DECIDE, "decision"),
        (CaseKind.COMPLAINT, Status.AWAITING_CONFIRMATION, Action.DISPUTE_RESULT, "reason"),
        (CaseKind.COMPLAINT, Status.NEGOTIATING, Action.SUSPEND, "reason"),
        (CaseKind.FEEDBACK, Status.IN_PROGRESS, Action.REPLY, "body"),
        (CaseKind.FEEDBACK, Status.SUBMITTED, Action.REJECT, "reason"),
    ],
)
def test_guards_name_the_missing_field(
    kind: CaseKind, status: Status, action: Action, field: str
) -> None:
    with pytest.raises(GuardFailed) as err:
        resolve_transition(kind, status, action, ALL_ROLES, _g(status, {}))
    assert [f.field for f in err.value.fields] == [field]
    assert err.value.fields[0].zh
    assert err.value.fields[0].en


def test_suspend_needs_a_known_reason() -> None:
    with pytest.raises(GuardFailed):
        resolve_transition(
            CaseKind.COMPLAINT,
            Status.NEGOTIATING,
            Action.SUSPEND,
            ALL_ROLES,
            _g(Status.NEGOTIATING, {"reason": "bored"}),
        )
    t = resolve_transition(
        CaseKind.COMPLAINT,
        Status.NEGOTIATING,
        Action.SUSPEND,
        ALL_ROLES,
        _g(Status.NEGOTIATING, {"reason": "court_or_police"}),
    )
    assert t.target is Status.SUSPENDED


@pytest.mark.parametrize(
    ("ended_days_ago", "allowed"), [(0, True), (15, True), (15.001, False), (40, False)]
)
def test_reopen_only_within_the_window(ended_days_ago: float, allowed: bool) -> None:
    guard = _g(Status.CLOSED, {"reason": "又坏了"}, NOW - timedelta(days=ended_days_ago))
    if allowed:
        t = resolve_transition(
            CaseKind.COMPLAINT, Status.CLOSED, Action.REOPEN, frozenset({Role.BUYER}), guard
        )
        assert t.target is Status.PLATFORM_INTERVENTION
    else:
        with pytest.raises(GuardFailed) as err:
            resolve_transition(
                CaseKind.COMPLAINT, Status.CLOSED, Action.REOPEN, frozenset({Role.BUYER}), guard
            )
        assert err.value.fields[0].code == "reopen_window_passed"


def test_feedback_lifecycle() -> None:
    path = [
        (Action.TRIAGE, Status.TRIAGED),
        (Action.START_WORK, Status.IN_PROGRESS),
        (Action.REPLY, Status.REPLIED),
        (Action.CLOSE, Status.CLOSED),
    ]
    status = Status.SUBMITTED
    for action, expected in path:
        t = resolve_transition(
            CaseKind.FEEDBACK, status, action, frozenset({Role.AGENT}), _g(status)
        )
        assert t.target is expected
        status = expected


def test_withdraw_is_the_buyers_alone() -> None:
    assert Action.WITHDRAW in allowed_actions(
        CaseKind.COMPLAINT, Status.NEGOTIATING, frozenset({Role.BUYER})
    )
    assert Action.WITHDRAW not in allowed_actions(
        CaseKind.COMPLAINT, Status.NEGOTIATING, frozenset({Role.SELLER, Role.AGENT})
    )


@pytest.mark.parametrize("kind", list(CaseKind))
def test_text_param_names_the_field_each_guard_asks_for(kind: CaseKind) -> None:
    for (status, action), transition in LIFECYCLES[kind].table.items():
        if transition.guard is None:
            continue
        asked = {f.field for f in transition.guard(_g(status, {}, NOW))} - {"ended_at"}
        fields = {text_param(action)} if action not in FIELD_PARAMS else set(FIELD_PARAMS[action])
        assert asked <= fields, (status, action, asked)


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"carrier": "顺丰速运", "tracking_no": "SF1234567890"}, set()),
        ({"carrier": " ", "tracking_no": "SF1234567890"}, {"carrier"}),
        ({"carrier": "中通", "tracking_no": "12 34"}, {"tracking_no"}),
        ({"carrier": "中通", "tracking_no": "x" * 41}, {"tracking_no"}),
        ({}, {"carrier", "tracking_no"}),
    ],
)
def test_shipping_a_return_needs_a_carrier_and_a_waybill_number(
    params: dict[str, str], bad: set[str]
) -> None:
    shipping = Status.AWAITING_RETURN_SHIPMENT
    buyer = frozenset({Role.BUYER})
    if not bad:
        t = resolve_transition(
            CaseKind.AFTERSALES, shipping, Action.SHIP_RETURN, buyer, _g(shipping, params)
        )
        assert t.target is Status.AWAITING_RETURN_RECEIPT
        return
    with pytest.raises(GuardFailed) as err:
        resolve_transition(
            CaseKind.AFTERSALES, shipping, Action.SHIP_RETURN, buyer, _g(shipping, params)
        )
    assert {f.field for f in err.value.fields} == bad
    assert all(f.zh and f.en for f in err.value.fields)


def test_an_aftersales_return_walks_from_approval_to_refund() -> None:
    path = [
        (Role.AGENT, Action.START_SCREENING, Status.SCREENING),
        (Role.AGENT, Action.ACCEPT, Status.ACCEPTED),
        (Role.AGENT, Action.FORWARD_TO_SELLER, Status.AWAITING_SELLER),
        (Role.SELLER, Action.APPROVE_RETURN, Status.AWAITING_RETURN_SHIPMENT),
        (Role.BUYER, Action.SHIP_RETURN, Status.AWAITING_RETURN_RECEIPT),
        (Role.SELLER, Action.CONFIRM_RECEIPT, Status.EXECUTING),
        (Role.SELLER, Action.COMPLETE_EXECUTION, Status.AWAITING_CONFIRMATION),
        (Role.BUYER, Action.CONFIRM, Status.RESOLVED),
    ]
    status = Status.SUBMITTED
    for role, action, expected in path:
        t = resolve_transition(CaseKind.AFTERSALES, status, action, frozenset({role}), _g(status))
        assert t.target is expected
        status = expected
    # Only the buyer ships, only the system closes for a missed shipment, the seller confirms.
    shipping, receiving = Status.AWAITING_RETURN_SHIPMENT, Status.AWAITING_RETURN_RECEIPT
    assert allowed_actions(CaseKind.AFTERSALES, shipping, frozenset({Role.SELLER})) == []
    assert Action.CLOSE_REQUEST not in allowed_actions(
        CaseKind.AFTERSALES, shipping, frozenset(Role) - {Role.SYSTEM}
    )
    assert Action.CONFIRM_RECEIPT not in allowed_actions(
        CaseKind.AFTERSALES, receiving, frozenset({Role.BUYER})
    )
    # Complaints and disputes have no return steps.
    assert Action.APPROVE_RETURN not in allowed_actions(
        CaseKind.COMPLAINT, Status.AWAITING_SELLER, frozenset({Role.SELLER})
    )
