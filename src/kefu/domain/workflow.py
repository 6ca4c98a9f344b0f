"""Case lifecycles as data: one transition table per kind, who may fire each action, and guards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kefu.domain.errors import GuardFailed, InvalidTransition
from kefu.domain.types import Actor, CaseKind, Role
from kefu.domain.workflow_guards import FIELD_PARAMS as FIELD_PARAMS
from kefu.domain.workflow_guards import TEXT_PARAM as TEXT_PARAM
from kefu.domain.workflow_guards import Guard as Guard
from kefu.domain.workflow_guards import GuardInput as GuardInput
from kefu.domain.workflow_guards import SuspendReason as SuspendReason
from kefu.domain.workflow_guards import (
    all_of,
    needs_text,
    return_shipment_given,
    suspend_reason_given,
    within_reopen_window,
)
from kefu.domain.workflow_guards import text_param as text_param
from kefu.domain.workflow_states import ACTION_ZH as ACTION_ZH  # the names, re-exported
from kefu.domain.workflow_states import CLOSED_STATUSES as CLOSED_STATUSES
from kefu.domain.workflow_states import STATUS_ZH as STATUS_ZH
from kefu.domain.workflow_states import UNDECIDED_ENDINGS as UNDECIDED_ENDINGS
from kefu.domain.workflow_states import Action as Action
from kefu.domain.workflow_states import Status as Status


@dataclass(frozen=True)
class Transition:
    source: Status
    action: Action
    target: Status | None  # None: back to the status the case was suspended from
    roles: frozenset[Role]
    guard: Guard | None = None
    ends_case: bool = False


B, S, A, T, SV, AD, SYS = (
    Role.BUYER,
    Role.SELLER,
    Role.AGENT,
    Role.TECH_SUPPORT,
    Role.SUPERVISOR,
    Role.ADMIN,
    Role.SYSTEM,
)
STAFF = frozenset({A, T, SV, AD, SYS})
HANDLERS = frozenset({A, T, SV, AD})


def _t(
    source: Status,
    action: Action,
    target: Status | None,
    roles: frozenset[Role] | set[Role],
    guard: Guard | None = None,
) -> Transition:
    return Transition(
        source, action, target, frozenset(roles), guard, ends_case=target in CLOSED_STATUSES
    )


_ST = Status
_AC = Action
_ACTIVE_COMPLAINT = [
    _ST.SUBMITTED,
    _ST.SCREENING,
    _ST.ACCEPTED,
    _ST.AWAITING_SELLER,
    _ST.NEGOTIATING,
    _ST.AGREED,
    _ST.PLATFORM_INTERVENTION,
    _ST.EVIDENCE,
    _ST.INVESTIGATING,
    _ST.DECIDED,
    _ST.EXECUTING,
    _ST.AWAITING_CONFIRMATION,
]

COMPLAINT_TRANSITIONS: list[Transition] = [
    _t(_ST.SUBMITTED, _AC.START_SCREENING, _ST.SCREENING, STAFF),
    _t(_ST.SCREENING, _AC.ACCEPT, _ST.ACCEPTED, STAFF),
    _t(
        _ST.SCREENING,
        _AC.REJECT,
        _ST.REJECTED,
        STAFF,
        needs_text("reason", "不予受理的理由", "a rejection reason"),
    ),
    _t(_ST.ACCEPTED, _AC.FORWARD_TO_SELLER, _ST.AWAITING_SELLER, STAFF),
    _t(
        _ST.AWAITING_SELLER,
        _AC.SELLER_RESPOND,
        _ST.NEGOTIATING,
        {S},
        needs_text("body", "答复内容", "a response"),
    ),
    _t(_ST.NEGOTIATING, _AC.AGREE, _ST.AGREED, {B}),
    _t(_ST.AWAITING_SELLER, _AC.REQUEST_INTERVENTION, _ST.PLATFORM_INTERVENTION, {B, SYS}),
    # Seller silent on a refund/return request: approved for the buyer (rule 16, WeChat 48 h).
    _t(_ST.AWAITING_SELLER, _AC.AUTO_APPROVE, _ST.AGREED, {SYS}),
    _t(_ST.NEGOTIATING, _AC.REQUEST_INTERVENTION, _ST.PLATFORM_INTERVENTION, {B, S, SYS}),
    _t(_ST.AWAITING_SELLER, _AC.INTERVENE, _ST.PLATFORM_INTERVENTION, STAFF),
    _t(_ST.NEGOTIATING, _AC.INTERVENE, _ST.PLATFORM_INTERVENTION, STAFF),
    _t(_ST.PLATFORM_INTERVENTION, _AC.OPEN_EVIDENCE, _ST.EVIDENCE, STAFF),
    _t(_ST.PLATFORM_INTERVENTION, _AC.CLOSE_EVIDENCE, _ST.INVESTIGATING, STAFF),
    _t(_ST.EVIDENCE, _AC.CLOSE_EVIDENCE, _ST.INVESTIGATING, STAFF),
    _t(
        _ST.INVESTIGATING,
        _AC.DECIDE,
        _ST.DECIDED,
        HANDLERS,
        needs_text("decision", "判定结果及依据", "the decision and its grounds"),
    ),
    _t(_ST.AGREED, _AC.EXECUTE, _ST.EXECUTING, {S} | STAFF),
    _t(_ST.DECIDED, _AC.EXECUTE, _ST.EXECUTING, {S} | STAFF),
    _t(_ST.EXECUTING, _AC.COMPLETE_EXECUTION, _ST.AWAITING_CONFIRMATION, {S} | STAFF),
    _t(_ST.AWAITING_CONFIRMATION, _AC.CONFIRM, _ST.RESOLVED, {B, SYS}),
    _t(
        _ST.AWAITING_CONFIRMATION,
        _AC.DISPUTE_RESULT,
        _ST.PLATFORM_INTERVENTION,
        {B},
        needs_text("reason", "异议理由", "a reason"),
    ),
    _t(_ST.RESOLVED, _AC.CLOSE, _ST.CLOSED, STAFF),
    _t(_ST.REJECTED, _AC.CLOSE, _ST.CLOSED, STAFF),
    _t(
        _ST.RESOLVED,
        _AC.REOPEN,
        _ST.PLATFORM_INTERVENTION,
        {B} | HANDLERS,
        all_of(within_reopen_window, needs_text("reason", "重新打开的理由", "a reason")),
    ),
    _t(
        _ST.CLOSED,
        _AC.REOPEN,
        _ST.PLATFORM_INTERVENTION,
        {B} | HANDLERS,
        all_of(within_reopen_window, needs_text("reason", "重新打开的理由", "a reason")),
    ),
    _t(
        _ST.REJECTED,
        _AC.REOPEN,
        _ST.SCREENING,
        {B} | HANDLERS,
        all_of(within_reopen_window, needs_text("reason", "申诉理由", "a reason")),
    ),
    _t(_ST.SUSPENDED, _AC.RESUME, None, STAFF),
    *[
        _t(s, _AC.SUSPEND, _ST.SUSPENDED, STAFF, suspend_reason_given)
        for s in _ACTIVE_COMPLAINT
        if s not in (_ST.SUBMITTED, _ST.SCREENING)
    ],
    *[_t(s, _AC.WITHDRAW, _ST.CLOSED, {B}) for s in _ACTIVE_COMPLAINT],
]

_ACTIVE_FEEDBACK = [_ST.SUBMITTED, _ST.TRIAGED, _ST.IN_PROGRESS]

FEEDBACK_TRANSITIONS: list[Transition] = [
    _t(_ST.SUBMITTED, _AC.TRIAGE, _ST.TRIAGED, STAFF),
    _t(_ST.TRIAGED, _AC.START_WORK, _ST.IN_PROGRESS, HANDLERS),
    _t(_ST.TRIAGED, _AC.REPLY, _ST.REPLIED, HANDLERS, needs_text("body", "答复内容", "a reply")),
    _t(
        _ST.IN_PROGRESS,
        _AC.REPLY,
        _ST.REPLIED,
        HANDLERS,
        needs_text("body", "答复内容", "a reply"),
    ),
    _t(
        _ST.SUBMITTED,
        _AC.REJECT,
        _ST.REJECTED,
        STAFF,
        needs_text("reason", "无效反馈的理由", "why the feedback is invalid"),
    ),
    _t(
        _ST.TRIAGED,
        _AC.REJECT,
        _ST.REJECTED,
        STAFF,
        needs_text("reason", "无效反馈的理由", "why the feedback is invalid"),
    ),
    _t(_ST.REPLIED, _AC.CLOSE, _ST.CLOSED, {B} | STAFF),
    _t(_ST.REJECTED, _AC.CLOSE, _ST.CLOSED, STAFF),
    _t(
        _ST.CLOSED,
        _AC.REOPEN,
        _ST.IN_PROGRESS,
        {B} | HANDLERS,
        all_of(within_reopen_window, needs_text("reason", "重新打开的理由", "a reason")),
    ),
    _t(
        _ST.REPLIED,
        _AC.REOPEN,
        _ST.IN_PROGRESS,
        {B} | HANDLERS,
        needs_text("reason", "追问内容", "a follow-up"),
    ),
    *[_t(s, _AC.WITHDRAW, _ST.CLOSED, {B}) for s in _ACTIVE_FEEDBACK],
]


# After-sales (seed 004: review -> ship back -> inspect -> refund; rule 16 timers). The complaint
# table, except that an approved return waits for the buyer's parcel and then for the seller's
# receipt; receipt (confirmed by the seller, staff, or the system when the seller lets it time
# out) moves on to executing: the refund. A buyer who does not ship in time has the request
# closed by the system, which bars nothing later (rule 30: reopen, or a new quality complaint).
_RETURN = [_ST.AWAITING_RETURN_SHIPMENT, _ST.AWAITING_RETURN_RECEIPT]
_ACTIVE_AFTERSALES = [*_ACTIVE_COMPLAINT, *_RETURN]
_NOT_IN_AFTERSALES = {(_ST.AWAITING_SELLER, _AC.AUTO_APPROVE)}

AFTERSALES_TRANSITIONS: list[Transition] = [
    *[
        t
        for t in COMPLAINT_TRANSITIONS
        if (t.source, t.action) not in _NOT_IN_AFTERSALES
        and t.action not in (_AC.SUSPEND, _AC.WITHDRAW)
    ],
    # Seller silent on the request: approved, the buyer ships back (rule 16, WeChat 48 h).
    _t(_ST.AWAITING_SELLER, _AC.AUTO_APPROVE, _ST.AWAITING_RETURN_SHIPMENT, {SYS}),
    _t(_ST.AWAITING_SELLER, _AC.APPROVE_RETURN, _ST.AWAITING_RETURN_SHIPMENT, {S}),
    _t(_ST.NEGOTIATING, _AC.APPROVE_RETURN, _ST.AWAITING_RETURN_SHIPMENT, {S}),
    _t(
        _ST.AWAITING_RETURN_SHIPMENT,
        _AC.SHIP_RETURN,
        _ST.AWAITING_RETURN_RECEIPT,
        {B},
        return_shipment_given,
    ),
    # Buyer did not ship in time: closed by the system only (never by the seller, rule 30).
    _t(_ST.AWAITING_RETURN_SHIPMENT, _AC.CLOSE_REQUEST, _ST.CLOSED, {SYS}),
    # Nothing to send back (a refund-only request), or the parcel is disputed: the platform.
    _t(_ST.AWAITING_RETURN_SHIPMENT, _AC.REQUEST_INTERVENTION, _ST.PLATFORM_INTERVENTION, {B}),
    _t(_ST.AWAITING_RETURN_RECEIPT, _AC.REQUEST_INTERVENTION, _ST.PLATFORM_INTERVENTION, {B, S}),
    *[_t(s, _AC.INTERVENE, _ST.PLATFORM_INTERVENTION, STAFF) for s in _RETURN],
    # Receipt confirmed (or, seller silent, by the system): the refund is executed.
    _t(_ST.AWAITING_RETURN_RECEIPT, _AC.CONFIRM_RECEIPT, _ST.EXECUTING, {S} | STAFF),
    *[
        _t(s, _AC.SUSPEND, _ST.SUSPENDED, STAFF, suspend_reason_given)
        for s in _ACTIVE_AFTERSALES
        if s not in (_ST.SUBMITTED, _ST.SCREENING)
    ],
    *[_t(s, _AC.WITHDRAW, _ST.CLOSED, {B}) for s in _ACTIVE_AFTERSALES],
]


@dataclass(frozen=True)
class Lifecycle:
    """One kind's transition table, indexed by (status, action)."""

    kind_name: str
    initial: Status
    table: Mapping[tuple[Status, Action], Transition] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, initial: Status, transitions: list[Transition]) -> Lifecycle:
        table: dict[tuple[Status, Action], Transition] = {}
        for t in transitions:
            key = (t.source, t.action)
            if key in table:
                raise ValueError(f"duplicate transition {key} in {name}")
            table[key] = t
        return cls(name, initial, table)

    @property
    def statuses(self) -> frozenset[Status]:
        found = {self.initial}
        for t in self.table.values():
            found.add(t.source)
            if t.target is not None:
                found.add(t.target)
        return frozenset(found)


COMPLAINT_LIFECYCLE = Lifecycle.of("complaint", Status.SUBMITTED, COMPLAINT_TRANSITIONS)
AFTERSALES_LIFECYCLE = Lifecycle.of("aftersales", Status.SUBMITTED, AFTERSALES_TRANSITIONS)
FEEDBACK_LIFECYCLE = Lifecycle.of("feedback", Status.SUBMITTED, FEEDBACK_TRANSITIONS)

# Disputes follow the complaint lifecycle (seed 003). After-sales requests have the return
# steps on top; per-line requests (return/exchange/repair …) are the after-sales issue's.
LIFECYCLES: dict[CaseKind, Lifecycle] = {
    CaseKind.COMPLAINT: COMPLAINT_LIFECYCLE,
    CaseKind.DISPUTE: COMPLAINT_LIFECYCLE,
    CaseKind.AFTERSALES: AFTERSALES_LIFECYCLE,
    CaseKind.FEEDBACK: FEEDBACK_LIFECYCLE,
}


def party_roles(actor: Actor, *, is_buyer: bool, is_seller: bool) -> frozenset[Role]:
    """Roles the actor holds *on this case*: buyer/seller only when they are that party."""
    roles: set[Role] = {r for r in actor.roles if r not in (Role.BUYER, Role.SELLER)}
    if is_buyer and Role.BUYER in actor.roles:
        roles.add(Role.BUYER)
    if is_seller and Role.SELLER in actor.roles:
        roles.add(Role.SELLER)
    return frozenset(roles)


def allowed_actions(kind: CaseKind, status: Status, roles: frozenset[Role]) -> list[Action]:
    """Actions these case-roles may fire from this status, in table order."""
    lifecycle = LIFECYCLES[kind]
    return [
        t.action for (src, _), t in lifecycle.table.items() if src == status and t.roles & roles
    ]


def resolve_transition(
    kind: CaseKind, status: Status, action: Action, roles: frozenset[Role], guard_input: GuardInput
) -> Transition:
    """Find the transition for this action or raise InvalidTransition / GuardFailed."""
    transition = LIFECYCLES[kind].table.get((status, action))
    if transition is None or not (transition.roles & roles):
        raise InvalidTransition(
            status.value, action.value, [a.value for a in allowed_actions(kind, status, roles)]
        )
    if transition.guard is not None:
        problems = transition.guard(guard_input)
        if problems:
            raise GuardFailed(problems)
    return transition
