"""Case lifecycles as data: one transition table per kind, who may fire each action, and guards."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from kefu.domain.errors import FieldError, GuardFailed, InvalidTransition
from kefu.domain.types import Actor, CaseKind, Role


class Status(StrEnum):
    SUBMITTED = "submitted"
    SCREENING = "screening"
    REJECTED = "rejected"
    ACCEPTED = "accepted"
    AWAITING_SELLER = "awaiting_seller"
    NEGOTIATING = "negotiating"
    AGREED = "agreed"
    PLATFORM_INTERVENTION = "platform_intervention"
    EVIDENCE = "evidence"
    INVESTIGATING = "investigating"
    DECIDED = "decided"
    EXECUTING = "executing"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    RESOLVED = "resolved"
    CLOSED = "closed"
    SUSPENDED = "suspended"
    # feedback
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"


STATUS_ZH: dict[Status, str] = {
    Status.SUBMITTED: "已提交",
    Status.SCREENING: "审核中",
    Status.REJECTED: "不予受理",
    Status.ACCEPTED: "已受理",
    Status.AWAITING_SELLER: "待商家处理",
    Status.NEGOTIATING: "协商中",
    Status.AGREED: "已达成一致",
    Status.PLATFORM_INTERVENTION: "平台介入",
    Status.EVIDENCE: "举证期",
    Status.INVESTIGATING: "调查核实",
    Status.DECIDED: "已判定",
    Status.EXECUTING: "执行中",
    Status.AWAITING_CONFIRMATION: "待确认",
    Status.RESOLVED: "已解决",
    Status.CLOSED: "已关闭",
    Status.SUSPENDED: "已中止",
    Status.TRIAGED: "已分类",
    Status.IN_PROGRESS: "处理中",
    Status.REPLIED: "已答复",
}

# Terminal for queue purposes: nothing is expected of anyone until a reopen.
CLOSED_STATUSES = frozenset({Status.REJECTED, Status.RESOLVED, Status.CLOSED})


class Action(StrEnum):
    START_SCREENING = "start_screening"
    ACCEPT = "accept"
    REJECT = "reject"
    FORWARD_TO_SELLER = "forward_to_seller"
    SELLER_RESPOND = "seller_respond"
    AGREE = "agree"
    REQUEST_INTERVENTION = "request_intervention"
    INTERVENE = "intervene"
    OPEN_EVIDENCE = "open_evidence"
    CLOSE_EVIDENCE = "close_evidence"
    DECIDE = "decide"
    EXECUTE = "execute"
    COMPLETE_EXECUTION = "complete_execution"
    CONFIRM = "confirm"
    DISPUTE_RESULT = "dispute_result"
    CLOSE = "close"
    REOPEN = "reopen"
    SUSPEND = "suspend"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    AUTO_APPROVE = "auto_approve"  # the system, when the seller let a request time out
    # feedback
    TRIAGE = "triage"
    START_WORK = "start_work"
    REPLY = "reply"


ACTION_ZH: dict[Action, str] = {
    Action.START_SCREENING: "开始审核",
    Action.ACCEPT: "受理",
    Action.REJECT: "不予受理",
    Action.FORWARD_TO_SELLER: "转商家处理",
    Action.SELLER_RESPOND: "商家答复",
    Action.AGREE: "同意方案",
    Action.REQUEST_INTERVENTION: "申请平台介入",
    Action.INTERVENE: "平台主动介入",
    Action.OPEN_EVIDENCE: "开启举证",
    Action.CLOSE_EVIDENCE: "结束举证",
    Action.DECIDE: "作出判定",
    Action.EXECUTE: "开始执行",
    Action.COMPLETE_EXECUTION: "执行完毕",
    Action.CONFIRM: "确认解决",
    Action.DISPUTE_RESULT: "对结果有异议",
    Action.CLOSE: "关闭",
    Action.REOPEN: "重新打开",
    Action.SUSPEND: "中止",
    Action.RESUME: "恢复处理",
    Action.WITHDRAW: "撤回",
    Action.AUTO_APPROVE: "超时自动同意",
    Action.TRIAGE: "分类",
    Action.START_WORK: "开始处理",
    Action.REPLY: "答复",
}


# The one free-text parameter an action takes; forms show a single text box for it.
TEXT_PARAM: dict[Action, str] = {
    Action.REJECT: "reason",
    Action.REOPEN: "reason",
    Action.DISPUTE_RESULT: "reason",
    Action.SUSPEND: "reason",
    Action.SELLER_RESPOND: "body",
    Action.REPLY: "body",
    Action.DECIDE: "decision",
}


def text_param(action: Action) -> str:
    """The parameter name a free-text answer to this action goes into."""
    return TEXT_PARAM.get(action, "reason")


class SuspendReason(StrEnum):
    SELF_SETTLEMENT = "self_settlement"  # 双方自行和解
    COURT_OR_POLICE = "court_or_police"  # 诉讼、仲裁或报警


@dataclass(frozen=True)
class GuardInput:
    """What a guard may look at: the case facts, the parameters of the action and the time."""

    status: Status
    params: Mapping[str, object]
    now: datetime
    ended_at: datetime | None
    reopen_window: timedelta


Guard = Callable[[GuardInput], list[FieldError]]


def _needs_text(name: str, zh: str, en: str) -> Guard:
    def guard(g: GuardInput) -> list[FieldError]:
        value = g.params.get(name)
        if isinstance(value, str) and value.strip():
            return []
        return [FieldError(name, "required", f"必须填写{zh}", f"{en} is required")]

    return guard


def _suspend_reason(g: GuardInput) -> list[FieldError]:
    if g.params.get("reason") in {r.value for r in SuspendReason}:
        return []
    return [
        FieldError(
            "reason",
            "invalid_choice",
            "中止原因必须是 self_settlement（自行和解）或 court_or_police（诉讼/报警）",
            "reason must be self_settlement or court_or_police",
        )
    ]


def _within_reopen_window(g: GuardInput) -> list[FieldError]:
    if g.ended_at is not None and g.now - g.ended_at <= g.reopen_window:
        return []
    days = g.reopen_window.days
    return [
        FieldError(
            "ended_at",
            "reopen_window_passed",
            f"已超过可重新打开的期限（结案后 {days} 天内）",
            f"the reopen window ({days} days after the case ended) has passed",
        )
    ]


def _all(*guards: Guard) -> Guard:
    def guard(g: GuardInput) -> list[FieldError]:
        return [e for each in guards for e in each(g)]

    return guard


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
        _needs_text("reason", "不予受理的理由", "a rejection reason"),
    ),
    _t(_ST.ACCEPTED, _AC.FORWARD_TO_SELLER, _ST.AWAITING_SELLER, STAFF),
    _t(
        _ST.AWAITING_SELLER,
        _AC.SELLER_RESPOND,
        _ST.NEGOTIATING,
        {S},
        _needs_text("body", "答复内容", "a response"),
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
        _needs_text("decision", "判定结果及依据", "the decision and its grounds"),
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
        _needs_text("reason", "异议理由", "a reason"),
    ),
    _t(_ST.RESOLVED, _AC.CLOSE, _ST.CLOSED, STAFF),
    _t(_ST.REJECTED, _AC.CLOSE, _ST.CLOSED, STAFF),
    _t(
        _ST.RESOLVED,
        _AC.REOPEN,
        _ST.PLATFORM_INTERVENTION,
        {B} | HANDLERS,
        _all(_within_reopen_window, _needs_text("reason", "重新打开的理由", "a reason")),
    ),
    _t(
        _ST.CLOSED,
        _AC.REOPEN,
        _ST.PLATFORM_INTERVENTION,
        {B} | HANDLERS,
        _all(_within_reopen_window, _needs_text("reason", "重新打开的理由", "a reason")),
    ),
    _t(
        _ST.REJECTED,
        _AC.REOPEN,
        _ST.SCREENING,
        {B} | HANDLERS,
        _all(_within_reopen_window, _needs_text("reason", "申诉理由", "a reason")),
    ),
    _t(_ST.SUSPENDED, _AC.RESUME, None, STAFF),
    *[
        _t(s, _AC.SUSPEND, _ST.SUSPENDED, STAFF, _suspend_reason)
        for s in _ACTIVE_COMPLAINT
        if s not in (_ST.SUBMITTED, _ST.SCREENING)
    ],
    *[_t(s, _AC.WITHDRAW, _ST.CLOSED, {B}) for s in _ACTIVE_COMPLAINT],
]

_ACTIVE_FEEDBACK = [_ST.SUBMITTED, _ST.TRIAGED, _ST.IN_PROGRESS]

FEEDBACK_TRANSITIONS: list[Transition] = [
    _t(_ST.SUBMITTED, _AC.TRIAGE, _ST.TRIAGED, STAFF),
    _t(_ST.TRIAGED, _AC.START_WORK, _ST.IN_PROGRESS, HANDLERS),
    _t(_ST.TRIAGED, _AC.REPLY, _ST.REPLIED, HANDLERS, _needs_text("body", "答复内容", "a reply")),
    _t(
        _ST.IN_PROGRESS,
        _AC.REPLY,
        _ST.REPLIED,
        HANDLERS,
        _needs_text("body", "答复内容", "a reply"),
    ),
    _t(
        _ST.SUBMITTED,
        _AC.REJECT,
        _ST.REJECTED,
        STAFF,
        _needs_text("reason", "无效反馈的理由", "why the feedback is invalid"),
    ),
    _t(
        _ST.TRIAGED,
        _AC.REJECT,
        _ST.REJECTED,
        STAFF,
        _needs_text("reason", "无效反馈的理由", "why the feedback is invalid"),
    ),
    _t(_ST.REPLIED, _AC.CLOSE, _ST.CLOSED, {B} | STAFF),
    _t(_ST.REJECTED, _AC.CLOSE, _ST.CLOSED, STAFF),
    _t(
        _ST.CLOSED,
        _AC.REOPEN,
        _ST.IN_PROGRESS,
        {B} | HANDLERS,
        _all(_within_reopen_window, _needs_text("reason", "重新打开的理由", "a reason")),
    ),
    _t(
        _ST.REPLIED,
        _AC.REOPEN,
        _ST.IN_PROGRESS,
        {B} | HANDLERS,
        _needs_text("reason", "追问内容", "a follow-up"),
    ),
    *[_t(s, _AC.WITHDRAW, _ST.CLOSED, {B}) for s in _ACTIVE_FEEDBACK],
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
FEEDBACK_LIFECYCLE = Lifecycle.of("feedback", Status.SUBMITTED, FEEDBACK_TRANSITIONS)

# Disputes and after-sales requests follow the complaint lifecycle (seed 003) until the
# after-sales issue gives them their own per-line table.
LIFECYCLES: dict[CaseKind, Lifecycle] = {
    CaseKind.COMPLAINT: COMPLAINT_LIFECYCLE,
    CaseKind.DISPUTE: COMPLAINT_LIFECYCLE,
    CaseKind.AFTERSALES: COMPLAINT_LIFECYCLE,
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
