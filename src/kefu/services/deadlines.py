"""SLA clocks of cases: started at filing, moved by lifecycle transitions, paused and resumed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import structlog

from kefu.db.clock_rows import ClockRow
from kefu.domain import rbac
from kefu.domain.case import Case
from kefu.domain.clock_rules import (
    SUSPEND_LIMIT,
    SUSPENSION_REASONS,
    plan_transition,
)
from kefu.domain.deadline_events import ClockChanged
from kefu.domain.errors import DomainError, FieldError, InvalidInput
from kefu.domain.events import StatusChanged
from kefu.domain.rbac import Permission
from kefu.domain.sla_clock import (
    ClockSpec,
    ClockStatus,
    PauseReason,
    cancel,
    meet,
    pause,
    resume,
    start_clock,
    suspension_ends,
)
from kefu.domain.types import Actor, Visibility
from kefu.domain.workflow import Action, Status
from kefu.services import cases as case_svc  # module import: cases.py calls our hooks
from kefu.services.calendars import calendar_for, calendar_keys
from kefu.services.sla_policy import EffectivePolicy as EffectivePolicy  # sla_admin imports
from kefu.services.sla_policy import effective_policy as effective_policy  # these from here
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.deadlines")
MANUAL_PAUSES = frozenset(
    {PauseReason.WAITING_ON_BUYER, PauseReason.LAB_TESTING, PauseReason.OTHER}
)
PAUSE_ZH = {
    PauseReason.WAITING_ON_BUYER: "等待买家补充",
    PauseReason.SUSPENDED_SELF_SETTLEMENT: "中止：双方自行和解",
    PauseReason.SUSPENDED_COURT_POLICE: "中止：诉讼/仲裁/报警",
    PauseReason.LAB_TESTING: "检测鉴定中",
    PauseReason.OTHER: "其他原因",
}


def _case_policy(uow: UnitOfWork, case: Case) -> EffectivePolicy | None:
    # Rule 29: the version in force when the case was opened, not today's.
    return effective_policy(
        uow,
        kind=case.kind,
        category=case.category,
        priority=case.priority,
        channel=case.channel,
        shop_id=case.shop_id,
        at=case.created_at,
    )


def _start(
    uow: UnitOfWork, case: Case, eff: EffectivePolicy, spec: ClockSpec, now: datetime
) -> ClockRow:
    state = start_clock(
        spec, now, calendar_for(uow, calendar_keys(spec.party, case.shop_id, case.team_id))
    )
    if state.provisional:
        log.warning(
            "provisional_deadline",
            case=case.number,
            clock=spec.name,
            due_at=state.due_at.isoformat(),
        )
    return ClockRow(None, case.id or 0, eff.label, eff.policy.version, state)


def earliest_due(clocks: Iterable[ClockRow]) -> datetime | None:
    # Overdue obligations keep the case at the top of the queue until met or cancelled.
    due = (ClockStatus.RUNNING, ClockStatus.BREACHED)
    running = [c.state.due_at for c in clocks if c.state.status in due]
    return min(running) if running else None


def filing_clocks(uow: UnitOfWork, case: Case, now: datetime) -> list[ClockRow]:
    """The clocks filing starts (not stored yet); sets case.due_at to the earliest of them.

    Called before the case is inserted, so the due time goes in with the INSERT and
    add_filing_clocks then needs one statement.
    """
    eff = _case_policy(uow, case)
    if eff is None:
        return []
    rows = [_start(uow, case, eff, spec, now) for spec in eff.at_filing]
    case.due_at = earliest_due(rows)
    return rows


def add_filing_clocks(uow: UnitOfWork, case: Case, rows: list[ClockRow]) -> None:
    """Store the clocks from filing_clocks once the case has its id (one multi-row insert)."""
    assert case.id is not None
    for row in rows:
        row.case_id = case.id
    uow.deadlines.add_clocks(rows)


def _event(
    change: str,
    clock: ClockRow,
    now: datetime,
    actor: tuple[int, str],
    *,
    text: str,
    reason: str = "",
) -> ClockChanged:
    return ClockChanged(
        now,
        actor[0],
        actor[1],
        Visibility.PUBLIC,
        change=change,
        clock=clock.name,
        party=clock.state.spec.party.value,
        due_at=clock.state.due_at.isoformat(),
        text=text,
        reason=reason,
    )


def on_transition(uow: UnitOfWork, case: Case, now: datetime) -> None:
    """Hook in act_on_case, before the save: move the clocks with the status change just made."""
    change = next((e for e in reversed(case.events) if isinstance(e, StatusChanged)), None)
    if change is None or case.id is None:
        return
    live = uow.deadlines.clocks_for_case(case.id, live_only=True)
    apply_transition_clocks(uow, case, change, live, now)


def apply_transition_clocks(
    uow: UnitOfWork, case: Case, change: StatusChanged, live: Sequence[ClockRow], now: datetime
) -> None:
    """Meet, cancel, pause, resume and start clocks for one transition; updates case.due_at."""
    assert case.id is not None
    eff = _case_policy(uow, case)
    action, source = Action(change.action), Status(change.from_status)
    reason = change.params.get("reason")
    plan = plan_transition(
        action=action,
        source=source,
        target=Status(change.to_status),
        policy_clocks=[c.name for c in eff.clocks] if eff else [],
        live=[c.name for c in live],
        first_response_given=case.first_response_at is not None,
        suspend_reason=reason,
    )
    who = (change.actor_id, change.actor_role)
    changed: list[ClockRow] = []
    events: list[ClockChanged] = []
    for c in live:
        if c.name in plan.meet:
            c.state, c.met_at = meet(c.state, now), now
        elif c.name in plan.cancel:
            c.state = cancel(c.state, now)
        elif plan.pause_for and c.state.status is ClockStatus.RUNNING:
            c.state = pause(c.state, now, plan.pause_for)
            events.append(
                _event(
                    "paused",
                    c,
                    now,
                    who,
                    reason=plan.pause_for.value,
                    text=PAUSE_ZH[plan.pause_for],
                )
            )
        elif (
            plan.resume_suspended
            and c.state.status is ClockStatus.PAUSED
            and c.state.pause_reason in SUSPENSION_REASONS
        ):
            c.state = resume(c.state, now, _calendar(uow, case, c))
            events.append(_event("resumed", c, now, who, text="恢复计时 clock resumed"))
        else:
            continue
        changed.append(c)
    if action is Action.SUSPEND and reason is not None and reason in SUSPEND_LIMIT:
        key = SUSPEND_LIMIT[reason]
        ends = suspension_ends(key, now, calendar_for(uow, ("platform",)))
        uow.deadlines.add_suspension(case.id, reason, key, now, ends.at)
    if source is Status.SUSPENDED:
        open_one = uow.deadlines.open_suspension(case.id)
        if open_one is not None:
            uow.deadlines.end_suspension(open_one.id, now, change.actor_role)
    new = [_start(uow, case, eff, spec, now) for n in plan.start if eff and (spec := eff.spec(n))]
    uow.deadlines.save_clocks(changed)
    uow.deadlines.add_clocks(new)
    case.events.extend(events)
    if live or new:
        case.due_at = earliest_due([*live, *new])


def _calendar(uow: UnitOfWork, case: Case, c: ClockRow):  # type: ignore[no-untyped-def]
    return calendar_for(uow, calendar_keys(c.state.spec.party, case.shop_id, case.team_id))


class NoClock(DomainError):
    def __init__(self, zh: str, en: str) -> None:
        super().__init__("no_matching_clock", zh, en, (), {}, 409)


def _reason(value: str) -> PauseReason:
    reason = next((r for r in MANUAL_PAUSES if r.value == value), None)
    if reason is None:
        allowed = ", ".join(sorted(r.value for r in MANUAL_PAUSES))
        raise InvalidInput(
            [
                FieldError(
                    "reason",
                    "invalid_choice",
                    f"暂停原因必须是：{allowed}（中止请使用案件的“中止”操作）",
                    f"reason must be one of {allowed} (use the case's suspend action to suspend)",
                )
            ]
        )
    return reason


def pause_case_clocks(
    uow: UnitOfWork, *, actor: Actor, number: str, reason: str, clock: str | None, now: datetime
) -> list[ClockRow]:
    """Stop running clocks (all, or the named one) for a typed reason; audited on the timeline."""
    rbac.require(actor, Permission.PAUSE_CLOCKS)
    why = _reason(reason)
    with uow:
        case = case_svc.load_visible(uow, actor, number)
        assert case.id is not None
        live = uow.deadlines.clocks_for_case(case.id, live_only=True)
        targets = [
            c for c in live if c.state.status is ClockStatus.RUNNING and clock in (None, c.name)
        ]
        if not targets:
            raise NoClock("没有正在计时的计时器可暂停", "no running clock to pause")
        who = (actor.user_id, actor.primary_role.value)
        for c in targets:
            c.state = pause(c.state, now, why)
            case.events.append(_event("paused", c, now, who, reason=why.value, text=PAUSE_ZH[why]))
        return _finish(uow, case, live, targets, now)


def resume_case_clocks(
    uow: UnitOfWork, *, actor: Actor, number: str, clock: str | None, now: datetime
) -> list[ClockRow]:
    """Restart clocks paused by hand; suspended cases resume only through the case's resume."""
    rbac.require(actor, Permission.PAUSE_CLOCKS)
    with uow:
        case = case_svc.load_visible(uow, actor, number)
        assert case.id is not None
        live = uow.deadlines.clocks_for_case(case.id, live_only=True)
        paused = [
            c for c in live if c.state.status is ClockStatus.PAUSED and clock in (None, c.name)
        ]
        targets = [c for c in paused if c.state.pause_reason not in SUSPENSION_REASONS]
        if not targets:
            if paused:
                raise NoClock(
                    "案件已中止，请通过“恢复处理”恢复计时", "the case is suspended: resume the case"
                )
            raise NoClock("没有已暂停的计时器", "no paused clock to resume")
        who = (actor.user_id, actor.primary_role.value)
        for c in targets:
            c.state = resume(c.state, now, _calendar(uow, case, c))
            case.events.append(_event("resumed", c, now, who, text="恢复计时 clock resumed"))
        return _finish(uow, case, live, targets, now)


def _finish(
    uow: UnitOfWork, case: Case, live: list[ClockRow], changed: list[ClockRow], now: datetime
) -> list[ClockRow]:
    assert case.id is not None
    uow.deadlines.save_clocks(changed)
    case.updated_at = now
    uow.touch_case(case)
    uow.deadlines.set_case_due(case.id, earliest_due(live))
    uow.commit()
    return live


def case_clocks(uow: UnitOfWork, *, actor: Actor, number: str) -> tuple[Case, list[ClockRow]]:
    """Every clock of a case the actor may see (transparent tracking, seed 001)."""
    rbac.require(actor, Permission.VIEW_CASE)
    with uow:
        case = case_svc.load_visible(uow, actor, number)
        assert case.id is not None
        return case, uow.deadlines.clocks_for_case(case.id)


def record_court_acceptance(
    uow: UnitOfWork, *, actor: Actor, number: str, now: datetime
) -> datetime:
    """Proof of court/police acceptance arrived: the suspension may now last 6 months (rule 18)."""
    rbac.require(actor, Permission.PAUSE_CLOCKS)
    with uow:
        case = case_svc.load_visible(uow, actor, number)
        assert case.id is not None
        open_one = uow.deadlines.open_suspension(case.id)
        if open_one is None or open_one.limit_key != "court_police_proof":
            raise NoClock(
                "案件未处于等待法院/公安受理证明的中止状态",
                "the case is not suspended awaiting court/police acceptance proof",
            )
        ends = suspension_ends("police_no_conclusion", now, calendar_for(uow, ("platform",))).at
        uow.deadlines.extend_suspension(open_one.id, "police_no_conclusion", ends)
        uow.commit()
        return ends
