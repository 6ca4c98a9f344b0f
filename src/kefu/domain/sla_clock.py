"""SLA clocks: timer specs, deadline computation, pause/resume/breach and suspension limits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from kefu.domain.calendar import BusinessCalendar, DayEnd, Window, to_utc
from kefu.domain.calendar_facts import Deadline
from kefu.domain.errors import DomainError


class Party(StrEnum):
    PLATFORM = "platform"
    SELLER = "seller"
    BUYER = "buyer"


class Measure(StrEnum):
    BUSINESS_HOURS = "business_hours"  # the calendar's windows on working days
    WINDOW_HOURS = "window_hours"  # one fixed window on every calendar day (JD, rule 17)
    WORKING_DAYS = "working_days"  # n-th working date after the start date (rule 25)
    CALENDAR_HOURS = "calendar_hours"  # elapsed time
    CALENDAR_DAYS = "calendar_days"  # end of local date start + n
    CALENDAR_MONTHS = "calendar_months"


class ClockName(StrEnum):
    FIRST_RESPONSE = "first_response"
    FIRST_CONTACT = "first_contact"
    RESOLUTION = "resolution"
    SELLER_FIRST_ANSWER = "seller_first_answer"
    RETURN_REVIEW = "return_review"
    RETURN_SHIPMENT = "return_shipment"  # the buyer ships the approved return back
    RETURN_RECEIPT = "return_receipt"  # the seller confirms the parcel arrived
    REFUND = "refund"
    REPAIR = "repair"
    BUYER_CONFIRM = "buyer_confirm"
    EVIDENCE_WINDOW = "evidence_window"
    RETURN_WINDOW = "return_window"
    WARRANTY = "warranty"


class ClockAction(StrEnum):
    NOTIFY_ASSIGNEE = "notify_assignee"
    NOTIFY_SUPERVISOR = "notify_supervisor"
    RAISE_PRIORITY = "raise_priority"
    REASSIGN = "reassign"
    OPEN_INTERVENTION = "open_intervention"
    RECORD_SELLER_VIOLATION = "record_seller_violation"


class TimeoutOutcome(StrEnum):
    AUTO_APPROVE_REFUND = "auto_approve_refund"
    OPEN_INTERVENTION = "open_intervention"
    CLOSE_REQUEST = "close_request"
    AUTO_REFUND = "auto_refund"
    AUTO_CONFIRM = "auto_confirm"
    DECIDE_ON_EVIDENCE = "decide_on_evidence"
    NONE = "none"


@dataclass(frozen=True)
class Span:
    """An amount of time in one measure, with the rule it comes from."""

    measure: Measure
    amount: int
    rule: str = ""


JD_WINDOW = Window.of("09:00", "18:00")


@dataclass(frozen=True)
class ClockSpec:
    """One timer of a policy; ``caps`` are extra limits, whichever falls first wins."""

    name: str
    party: Party
    measure: Measure
    amount: int
    rule: str = ""
    warn_share: float = 0.8
    on_warning: tuple[ClockAction, ...] = (ClockAction.NOTIFY_ASSIGNEE,)
    on_breach: tuple[ClockAction, ...] = (ClockAction.NOTIFY_SUPERVISOR,)
    on_timeout: TimeoutOutcome = TimeoutOutcome.NONE
    window: Window = JD_WINDOW  # only for WINDOW_HOURS
    day_end: DayEnd = DayEnd.END_OF_DAY
    roll_to_working_day: bool = False
    caps: tuple[Span, ...] = ()


def span_deadline(spec: ClockSpec | Span, start: datetime, calendar: BusinessCalendar) -> Deadline:
    """Where one span ends, ignoring caps."""
    amount, measure = spec.amount, spec.measure
    if isinstance(spec, ClockSpec):
        day_end, roll, window = spec.day_end, spec.roll_to_working_day, spec.window
    else:
        day_end, roll, window = DayEnd.END_OF_DAY, False, JD_WINDOW
    if measure is Measure.BUSINESS_HOURS:
        return calendar.add_business_hours(start, amount)
    if measure is Measure.WINDOW_HOURS:
        return calendar.with_daily_window(window).add_business_hours(start, amount)
    if measure is Measure.WORKING_DAYS:
        return calendar.add_working_days(start, amount, day_end=day_end)
    if measure is Measure.CALENDAR_HOURS:
        return calendar.add_calendar_time(
            start, timedelta(hours=amount), roll_to_working_day=roll, day_end=day_end
        )
    if measure is Measure.CALENDAR_DAYS:
        return calendar.add_calendar_days(start, amount, roll_to_working_day=roll, day_end=day_end)
    return calendar.add_calendar_months(start, amount, day_end=day_end)


def due_at(spec: ClockSpec, start: datetime, calendar: BusinessCalendar) -> Deadline:
    """The clock's deadline: its own span, pulled in by any earlier cap."""
    result = span_deadline(spec, start, calendar)
    for cap in spec.caps:
        capped = span_deadline(cap, start, calendar)
        if capped.at < result.at:
            note = f"封顶 capped: {cap.amount} {cap.measure.value} ({cap.rule})"
            result = Deadline(
                capped.at, capped.provisional or result.provisional, (*capped.facts, note)
            )
    return result


def _metric(spec: ClockSpec, calendar: BusinessCalendar) -> BusinessCalendar | None:
    """The calendar a clock's elapsed time is measured in; None means plain elapsed time."""
    if spec.measure is Measure.BUSINESS_HOURS:
        return calendar
    if spec.measure is Measure.WINDOW_HOURS:
        return calendar.with_daily_window(spec.window)
    if spec.measure is Measure.WORKING_DAYS:
        return calendar.working_day_clock()
    return None


def _between(metric: BusinessCalendar | None, a: datetime, b: datetime) -> timedelta:
    return b - a if metric is None else metric.business_time_between(a, b)


def _advance(metric: BusinessCalendar | None, at: datetime, span: timedelta) -> datetime:
    if metric is None or span == timedelta(0):
        return at + span
    return metric.add_business_time(at, span).at


# --- clocks ---------------------------------------------------------------------------------


class PauseReason(StrEnum):
    WAITING_ON_BUYER = "waiting_on_buyer"
    SUSPENDED_SELF_SETTLEMENT = "suspended_self_settlement"
    SUSPENDED_COURT_POLICE = "suspended_court_police"
    LAB_TESTING = "lab_testing"
    OTHER = "other"


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


class Phase(StrEnum):
    ON_TIME = "on_time"
    WARNING = "warning"
    BREACHED = "breached"


class ClockError(DomainError):
    """A clock operation that does not fit the clock's state."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        super().__init__(code, zh, en, (), {}, 409)


@dataclass(frozen=True)
class ClockState:
    """A running timer; every operation returns a new state."""

    spec: ClockSpec
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    status: ClockStatus = ClockStatus.RUNNING
    paused_at: datetime | None = None
    pause_reason: PauseReason | None = None
    paused_total: timedelta = timedelta(0)  # in the clock's own measure
    stopped_at: datetime | None = None
    met_late: bool = False
    provisional: bool = False
    facts: tuple[str, ...] = ()


def start_clock(spec: ClockSpec, at: datetime, calendar: BusinessCalendar) -> ClockState:
    """Start a clock at ``at``; warning falls at warn_share of the measured span."""
    at = to_utc(at)
    due = due_at(spec, at, calendar)
    metric = _metric(spec, calendar)
    warn = _advance(metric, at, _between(metric, at, due.at) * spec.warn_share)
    return ClockState(
        spec,
        at,
        due.at,
        min(warn, due.at),
        provisional=due.provisional,
        facts=due.facts,
    )


_VERB_ZH = {
    "pause": "暂停",
    "resume": "恢复",
    "meet": "完成",
    "cancel": "取消",
    "breach": "判为超时",
}
_STATUS_ZH = {
    "running": "计时中",
    "paused": "已暂停",
    "met": "已达成",
    "breached": "已超时",
    "cancelled": "已取消",
}


def _refuse(state: ClockState, wanted: str) -> ClockError:
    if wanted == "pause" and state.status is ClockStatus.PAUSED:
        return ClockError("clock_already_paused", "计时器已暂停", "the clock is already paused")
    if wanted == "resume" and state.status is not ClockStatus.PAUSED:
        return ClockError("clock_not_paused", "计时器未暂停，无法恢复", "the clock is not paused")
    return ClockError(
        "clock_wrong_state",
        f"计时器{_STATUS_ZH[state.status]}，不能{_VERB_ZH[wanted]}",
        f"cannot {wanted} a clock that is {state.status.value}",
    )


def _not_before(at: datetime, earlier: datetime | None) -> None:
    if earlier is not None and at < earlier:
        raise ClockError(
            "clock_time_reversed", "时间早于上一次操作", "time is before the last change"
        )


def pause(state: ClockState, at: datetime, reason: PauseReason) -> ClockState:
    """Stop the clock from counting (waiting on the buyer, suspension, testing …)."""
    at = to_utc(at)
    if state.status is not ClockStatus.RUNNING:
        raise _refuse(state, "pause")
    _not_before(at, state.started_at)
    return replace(state, status=ClockStatus.PAUSED, paused_at=at, pause_reason=reason)


def resume(state: ClockState, at: datetime, calendar: BusinessCalendar) -> ClockState:
    """Count again; due and warning move out by the pause measured in the clock's measure."""
    at = to_utc(at)
    if state.status is not ClockStatus.PAUSED or state.paused_at is None:
        raise _refuse(state, "resume")
    _not_before(at, state.paused_at)
    metric = _metric(state.spec, calendar)
    span = _between(metric, state.paused_at, at)
    return replace(
        state,
        status=ClockStatus.RUNNING,
        due_at=_advance(metric, state.due_at, span),
        warn_at=_advance(metric, state.warn_at, span),
        paused_at=None,
        pause_reason=None,
        paused_total=state.paused_total + span,
    )


def meet(state: ClockState, at: datetime) -> ClockState:
    """The obligation was fulfilled at ``at``; a paused clock is judged at its pause."""
    at = to_utc(at)
    if state.status not in (ClockStatus.RUNNING, ClockStatus.PAUSED, ClockStatus.BREACHED):
        raise _refuse(state, "meet")
    _not_before(at, state.paused_at or state.started_at)
    judged_at = state.paused_at or at
    late = state.status is ClockStatus.BREACHED or judged_at > state.due_at
    return replace(state, status=ClockStatus.MET, stopped_at=at, met_late=late)


def cancel(state: ClockState, at: datetime) -> ClockState:
    """Drop the clock (the obligation no longer exists)."""
    at = to_utc(at)
    if state.status in (ClockStatus.MET, ClockStatus.CANCELLED):
        raise _refuse(state, "cancel")
    return replace(state, status=ClockStatus.CANCELLED, stopped_at=at)


def phase(state: ClockState, now: datetime) -> Phase:
    """Timeliness at ``now``; the deadline instant itself is still on time."""
    if state.status is ClockStatus.BREACHED or (state.status is ClockStatus.MET and state.met_late):
        return Phase.BREACHED
    if state.status in (ClockStatus.MET, ClockStatus.CANCELLED):
        return Phase.ON_TIME
    effective = state.paused_at if state.paused_at is not None else to_utc(now)
    if effective > state.due_at:
        return Phase.BREACHED
    return Phase.WARNING if effective >= state.warn_at else Phase.ON_TIME


def is_due(state: ClockState, now: datetime) -> bool:
    return phase(state, now) is Phase.BREACHED


def mark_breached(state: ClockState, now: datetime) -> ClockState:
    """Record that a running clock passed its deadline (the sweep's job)."""
    if state.status is not ClockStatus.RUNNING:
        raise _refuse(state, "breach")
    if not is_due(state, now):
        raise ClockError("clock_not_due", "尚未超时", "the clock is not past its deadline")
    return replace(state, status=ClockStatus.BREACHED, stopped_at=to_utc(now))


def recomputed(state: ClockState, calendar: BusinessCalendar) -> ClockState:
    """Deadline and warning again from the start, on newer calendar data, pauses still excluded."""
    fresh = start_clock(state.spec, state.started_at, calendar)
    metric = _metric(state.spec, calendar)
    return replace(
        state,
        due_at=_advance(metric, fresh.due_at, state.paused_total),
        warn_at=_advance(metric, fresh.warn_at, state.paused_total),
        provisional=fresh.provisional,
        facts=fresh.facts,
    )


def remaining(state: ClockState, now: datetime, calendar: BusinessCalendar) -> timedelta:
    """Time left in the clock's own measure (negative when overdue)."""
    effective = state.paused_at if state.paused_at is not None else to_utc(now)
    return _between(_metric(state.spec, calendar), effective, state.due_at)


# --- suspension limits (rule 18) ------------------------------------------------------------


@dataclass(frozen=True)
class SuspensionLimit:
    key: str
    reason: PauseReason
    span: Span
    zh: str
    en: str


SUSPENSION_LIMITS: tuple[SuspensionLimit, ...] = (
    SuspensionLimit(
        "self_settlement",
        PauseReason.SUSPENDED_SELF_SETTLEMENT,
        Span(Measure.CALENDAR_DAYS, 30, "rule-18"),
        "自行和解中止满 30 日未履行或未反馈的，恢复处理",
        "self-settlement: resume after 30 days without execution or report",
    ),
    SuspensionLimit(
        "court_police_proof",
        PauseReason.SUSPENDED_COURT_POLICE,
        Span(Measure.WORKING_DAYS, 7, "rule-18"),
        "7 个工作日内未提交法院/公安受理证明的，恢复处理",
        "court/police: resume if no acceptance proof within 7 working days",
    ),
    SuspensionLimit(
        "police_no_conclusion",
        PauseReason.SUSPENDED_COURT_POLICE,
        Span(Measure.CALENDAR_MONTHS, 6, "rule-18"),
        "公安立案后 6 个月仍无结论的，恢复处理",
        "police: resume after 6 months without a conclusion",
    ),
)


def suspension_limit(key: str) -> SuspensionLimit:
    return next(limit for limit in SUSPENSION_LIMITS if limit.key == key)


def suspension_ends(key: str, at: datetime, calendar: BusinessCalendar) -> Deadline:
    """When a suspension started at ``at`` must be lifted."""
    return span_deadline(suspension_limit(key).span, at, calendar)
