"""When each SLA clock starts and stops in a lifecycle, and what a timeout does: tables as data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kefu.domain.sla_clock import ClockName, Party, PauseReason, TimeoutOutcome
from kefu.domain.types import Priority
from kefu.domain.workflow import (
    CLOSED_STATUSES,
    UNDECIDED_ENDINGS,
    Action,
    Status,
    SuspendReason,
)


@dataclass(frozen=True)
class ClockRule:
    """One clock's place in the lifecycle.

    ``starts_on``: statuses whose entry starts it (empty with ``at_filing``: starts when filed;
    empty without it: no current lifecycle state starts it — repair and warranty states will).
    ``entered_from``: if not empty, only an entry from one of these statuses starts it.
    ``runs_in``: the statuses it keeps running in (None: every open status).
    ``met_by``: actions that, leaving ``runs_in``, count as the obligation fulfilled; any other
    way out cancels the clock (the obligation no longer exists).
    """

    clock: ClockName
    at_filing: bool = False
    starts_on: frozenset[Status] = frozenset()
    runs_in: frozenset[Status] | None = None
    met_by: frozenset[Action] = frozenset()
    met_by_first_response: bool = False  # met once anyone but the buyer answered
    entered_from: frozenset[Status] = frozenset()


_AWAITING_SELLER = frozenset({Status.AWAITING_SELLER})
_ANSWERED = frozenset({Action.SELLER_RESPOND, Action.APPROVE_RETURN})
_SHIPPING = frozenset({Status.AWAITING_RETURN_SHIPMENT})
_RECEIVING = frozenset({Status.AWAITING_RETURN_RECEIPT})
_EXECUTING = frozenset({Status.EXECUTING})

CLOCK_RULES: Mapping[str, ClockRule] = {
    r.clock: r
    for r in (
        ClockRule(ClockName.FIRST_RESPONSE, at_filing=True, met_by_first_response=True),
        ClockRule(ClockName.FIRST_CONTACT, at_filing=True, met_by_first_response=True),
        ClockRule(ClockName.RESOLUTION, at_filing=True),
        ClockRule(
            ClockName.SELLER_FIRST_ANSWER, False, _AWAITING_SELLER, _AWAITING_SELLER, _ANSWERED
        ),
        ClockRule(ClockName.RETURN_REVIEW, False, _AWAITING_SELLER, _AWAITING_SELLER, _ANSWERED),
        ClockRule(
            ClockName.EVIDENCE_WINDOW,
            starts_on=frozenset({Status.EVIDENCE}),
            runs_in=frozenset({Status.EVIDENCE}),
            met_by=frozenset({Action.CLOSE_EVIDENCE}),
        ),
        ClockRule(
            ClockName.BUYER_CONFIRM,
            starts_on=frozenset({Status.AWAITING_CONFIRMATION}),
            runs_in=frozenset({Status.AWAITING_CONFIRMATION}),
            met_by=frozenset({Action.CONFIRM, Action.DISPUTE_RESULT}),
        ),
        # After-sales returns: the buyer ships, the seller confirms receipt, then refunds
        # (L2: within 7 days of receiving the goods back, so only after the return's receipt).
        ClockRule(
            ClockName.RETURN_SHIPMENT, False, _SHIPPING, _SHIPPING, frozenset({Action.SHIP_RETURN})
        ),
        ClockRule(
            ClockName.RETURN_RECEIPT,
            False,
            _RECEIVING,
            _RECEIVING,
            frozenset({Action.CONFIRM_RECEIPT}),
        ),
        ClockRule(
            ClockName.REFUND,
            starts_on=_EXECUTING,
            runs_in=_EXECUTING,
            met_by=frozenset({Action.COMPLETE_EXECUTION}),
            entered_from=_RECEIVING,
        ),
        # Repair, return window and warranty need states the after-sales issue brings (in
        # repair, goods signed for): in the policies and the outcome table, started by nothing.
        ClockRule(ClockName.REPAIR),
        ClockRule(ClockName.RETURN_WINDOW),
        ClockRule(ClockName.WARRANTY),
    )
}

SUSPEND_PAUSE: Mapping[str, PauseReason] = {
    SuspendReason.SELF_SETTLEMENT: PauseReason.SUSPENDED_SELF_SETTLEMENT,
    SuspendReason.COURT_OR_POLICE: PauseReason.SUSPENDED_COURT_POLICE,
}
# Which suspension limit (sla_clock.SUSPENSION_LIMITS) applies first for each reason.
SUSPEND_LIMIT: Mapping[str, str] = {
    SuspendReason.SELF_SETTLEMENT: "self_settlement",
    SuspendReason.COURT_OR_POLICE: "court_police_proof",
}
SUSPENSION_REASONS = frozenset(SUSPEND_PAUSE.values())


def clocks_at_filing(names: Iterable[str]) -> list[str]:
    return [n for n in names if (rule := CLOCK_RULES.get(n)) is not None and rule.at_filing]


@dataclass
class ClockPlan:
    """What a status change does to a case's clocks (names of clocks, by what to do)."""

    start: list[str] = field(default_factory=list)
    meet: list[str] = field(default_factory=list)
    cancel: list[str] = field(default_factory=list)
    pause_for: PauseReason | None = None
    resume_suspended: bool = False


def plan_transition(
    *,
    action: Action,
    source: Status,
    target: Status,
    policy_clocks: Iterable[str],
    live: Iterable[str],
    first_response_given: bool,
    suspend_reason: str | None = None,
) -> ClockPlan:
    """Clocks to start, meet, cancel, pause or resume for one transition (pure)."""
    plan = ClockPlan()
    live = list(live)
    if action is Action.SUSPEND:
        plan.pause_for = SUSPEND_PAUSE.get(suspend_reason or "", PauseReason.OTHER)
        return plan
    if source is Status.SUSPENDED:
        plan.resume_suspended = True
    ending = target in CLOSED_STATUSES
    for name in live:
        rule = CLOCK_RULES.get(name, ClockRule(ClockName(name)))
        if rule.met_by_first_response and first_response_given:
            plan.meet.append(name)
        elif ending:
            # Withdrawn, or closed because the buyer did not ship: nothing was resolved.
            done = name == ClockName.RESOLUTION and action not in UNDECIDED_ENDINGS
            (plan.meet if done or action in rule.met_by else plan.cancel).append(name)
        elif rule.runs_in is not None and target not in rule.runs_in:
            (plan.meet if action in rule.met_by else plan.cancel).append(name)
    # Back from a suspension the paused clocks simply run on: nothing starts afresh.
    if not ending and not plan.resume_suspended:
        still = set(live) - set(plan.meet) - set(plan.cancel)
        for name in policy_clocks:
            starting = CLOCK_RULES.get(name)
            if starting is None or name in still:
                continue
            reopened = action is Action.REOPEN and name == ClockName.RESOLUTION
            entered = target in starting.starts_on and source not in starting.starts_on
            if entered and starting.entered_from and source not in starting.entered_from:
                entered = False
            if entered or reopened:
                plan.start.append(name)
    return plan


# --- timeout outcomes -----------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRule:
    """A default outcome: the SYSTEM action it fires in each status where it can be expressed."""

    outcome: TimeoutOutcome
    fires: Mapping[Status, Action]
    zh: str
    en: str
    against_buyer: bool = False  # ends the buyer's request: only a buyer-side timeout may


OUTCOMES: Mapping[TimeoutOutcome, OutcomeRule] = {
    o.outcome: o
    for o in (
        OutcomeRule(
            TimeoutOutcome.AUTO_APPROVE_REFUND,
            {Status.AWAITING_SELLER: Action.AUTO_APPROVE},
            "商家超时未处理退款/退货申请，系统自动同意",
            "the seller did not answer the refund/return request in time: approved automatically",
        ),
        OutcomeRule(
            TimeoutOutcome.OPEN_INTERVENTION,
            {
                Status.AWAITING_SELLER: Action.REQUEST_INTERVENTION,
                Status.NEGOTIATING: Action.REQUEST_INTERVENTION,
            },
            "商家超时未答复，平台介入",
            "the seller did not answer in time: the platform steps in",
        ),
        OutcomeRule(
            TimeoutOutcome.AUTO_CONFIRM,
            {Status.AWAITING_CONFIRMATION: Action.CONFIRM},
            "买家超时未确认，系统默认确认解决",
            "the buyer did not confirm in time: confirmed automatically",
        ),
        OutcomeRule(
            TimeoutOutcome.DECIDE_ON_EVIDENCE,
            {Status.EVIDENCE: Action.CLOSE_EVIDENCE},
            "举证期届满，依现有证据调查判定",
            "the evidence window closed: the case is decided on the evidence at hand",
        ),
        # Receipt is taken as confirmed and the case moves on to the refund (executing; the
        # refund clock runs). Moving the money itself needs escrow (the payments issue).
        OutcomeRule(
            TimeoutOutcome.AUTO_REFUND,
            {Status.AWAITING_RETURN_RECEIPT: Action.CONFIRM_RECEIPT},
            "商家超时未确认收到退货，系统视为已收货并退款",
            "the seller did not confirm receipt of the return in time: receipt is assumed "
            "and the refund issued",
        ),
        # Closing never bars a later quality claim (rule 30): the buyer may reopen within the
        # window or file a new complaint about the goods' quality.
        OutcomeRule(
            TimeoutOutcome.CLOSE_REQUEST,
            {Status.AWAITING_RETURN_SHIPMENT: Action.CLOSE_REQUEST},
            "买家超时未寄回商品，退货申请关闭；不影响之后就商品质量问题另行投诉或重新申请",
            "the buyer did not ship the return in time: the request is closed; this does not "
            "bar a later quality claim or a new request",
            against_buyer=True,
        ),
    )
}


def outcome_action(party: Party, outcome: TimeoutOutcome, status: Status) -> Action | None:
    """The SYSTEM action a timeout fires now, or None; a seller timeout never hurts the buyer."""
    rule = OUTCOMES.get(outcome)
    if rule is None or (rule.against_buyer and party is not Party.BUYER):
        return None
    return rule.fires.get(status)


_RAISED = {
    Priority.LOW: Priority.NORMAL,
    Priority.NORMAL: Priority.HIGH,
    Priority.HIGH: Priority.URGENT,
    Priority.URGENT: Priority.URGENT,
}


def raised(priority: Priority) -> Priority:
    return _RAISED[priority]
