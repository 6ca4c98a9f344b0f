"""SLA policies, legal floors, seller agreements and clocks (pause, resume, breach)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kefu.adapters.holidays import load_chinese_holidays
from kefu.domain.calendar import BusinessCalendar
from kefu.domain.errors import DomainError
from kefu.domain.seller_agreement import SellerAgreement, apply_agreement
from kefu.domain.sla import (
    PolicyMatch,
    SlaPolicy,
    select_policy,
    validate_policy,
)
from kefu.domain.sla_clock import (
    ClockError,
    ClockName,
    ClockSpec,
    ClockState,
    ClockStatus,
    Measure,
    Party,
    PauseReason,
    Phase,
    Span,
    TimeoutOutcome,
    cancel,
    due_at,
    is_due,
    mark_breached,
    meet,
    pause,
    phase,
    remaining,
    resume,
    start_clock,
    suspension_ends,
)
from kefu.domain.sla_defaults import DEFAULT_POLICIES
from kefu.domain.types import CaseKind, Category, Channel, Priority

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar().with_holidays(load_chinese_holidays())
US = timedelta(microseconds=1)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def local(at: datetime) -> tuple[int, ...]:
    t = at.astimezone(SH)
    return (t.year, t.month, t.day, t.hour, t.minute)


def spec(measure: Measure, amount: int, name: str = "test", **kw: object) -> ClockSpec:
    return ClockSpec(name, Party.PLATFORM, measure, amount, "test", **kw)


HOURS_24 = spec(Measure.CALENDAR_HOURS, 24)
BUSINESS_2 = spec(Measure.BUSINESS_HOURS, 2)
WORKING_7 = spec(Measure.WORKING_DAYS, 7)


# --- defaults -------------------------------------------------------------------------------


def _default(kind: CaseKind, priority: Priority | None = None) -> SlaPolicy:
    policy = select_policy(DEFAULT_POLICIES, kind=kind, priority=priority, at=sh(2025, 10, 13))
    assert policy is not None
    return policy


@pytest.mark.parametrize(
    ("kind", "priority", "clock", "measure", "amount"),
    [
        (CaseKind.COMPLAINT, None, ClockName.FIRST_RESPONSE, Measure.CALENDAR_HOURS, 24),
        (CaseKind.COMPLAINT, None, ClockName.FIRST_CONTACT, Measure.CALENDAR_HOURS, 12),
        (CaseKind.COMPLAINT, None, ClockName.RESOLUTION, Measure.WORKING_DAYS, 7),
        (CaseKind.DISPUTE, None, ClockName.SELLER_FIRST_ANSWER, Measure.WORKING_DAYS, 1),
        (CaseKind.AFTERSALES, None, ClockName.FIRST_RESPONSE, Measure.BUSINESS_HOURS, 2),
        (CaseKind.AFTERSALES, None, ClockName.RETURN_REVIEW, Measure.WORKING_DAYS, 2),
        (CaseKind.AFTERSALES, None, ClockName.REFUND, Measure.WORKING_DAYS, 3),
        (CaseKind.AFTERSALES, None, ClockName.REPAIR, Measure.WORKING_DAYS, 15),
        (CaseKind.COMPLAINT, Priority.URGENT, ClockName.FIRST_RESPONSE, Measure.CALENDAR_HOURS, 4),
        (CaseKind.COMPLAINT, Priority.URGENT, ClockName.RESOLUTION, Measure.WORKING_DAYS, 3),
        (CaseKind.AFTERSALES, Priority.URGENT, ClockName.FIRST_RESPONSE, Measure.BUSINESS_HOURS, 1),
        # priority never shortens a seller duty or a buyer window
        (CaseKind.AFTERSALES, Priority.URGENT, ClockName.REFUND, Measure.WORKING_DAYS, 3),
        (CaseKind.AFTERSALES, Priority.URGENT, ClockName.RETURN_WINDOW, Measure.CALENDAR_DAYS, 7),
        (CaseKind.COMPLAINT, Priority.LOW, ClockName.RESOLUTION, Measure.WORKING_DAYS, 7),
    ],
)
def test_default_figures(
    kind: CaseKind, priority: Priority | None, clock: str, measure: Measure, amount: int
) -> None:
    found = _default(kind, priority).clock(clock)
    assert found is not None
    assert (found.measure, found.amount) == (measure, amount)


@pytest.mark.parametrize("policy", DEFAULT_POLICIES, ids=lambda p: p.id)
def test_every_default_policy_passes_the_law(policy: SlaPolicy) -> None:
    assert validate_policy(policy) == []


def test_default_refund_is_capped_by_the_seven_day_law() -> None:
    refund = _default(CaseKind.AFTERSALES).clock(ClockName.REFUND)
    assert refund is not None
    over_holiday = due_at(refund, sh(2025, 9, 30, 10), CAL)  # 3 working days → 10-11
    assert local(over_holiday.at)[:3] == (2025, 10, 7)
    assert over_holiday.facts[-1] == "封顶 capped: 7 calendar_days (L2)"
    ordinary = due_at(refund, sh(2025, 10, 13, 10), CAL)
    assert local(ordinary.at)[:3] == (2025, 10, 16)
    assert not any("封顶" in f for f in ordinary.facts)


def test_default_evidence_window_is_the_jd_business_clock() -> None:
    evidence = _default(CaseKind.DISPUTE).clock(ClockName.EVIDENCE_WINDOW)
    assert evidence is not None
    assert local(due_at(evidence, sh(2025, 10, 1, 14, 1), CAL).at) == (2025, 10, 2, 9, 1)


# --- selection ------------------------------------------------------------------------------

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def policy(pid: str, version: int = 1, start: datetime = T0, **match: object) -> SlaPolicy:
    return SlaPolicy(pid, version, start, PolicyMatch(**match), (HOURS_24,))


POLICIES = (
    policy("any"),
    policy("complaint", kind=CaseKind.COMPLAINT),
    policy("complaint-urgent", kind=CaseKind.COMPLAINT, priority=Priority.URGENT),
    policy("quality", kind=CaseKind.COMPLAINT, category=Category.QUALITY),
    policy("phone", channel=Channel.PHONE),
    policy("seller-7", seller_id=7),
    policy("v", 1, T0, kind=CaseKind.DISPUTE),
    policy("v", 2, datetime(2025, 6, 1, tzinfo=UTC), kind=CaseKind.DISPUTE),
    policy(
        "v", 3, datetime(2026, 1, 1, tzinfo=UTC), kind=CaseKind.DISPUTE, category=Category.LOGISTICS
    ),
)


@pytest.mark.parametrize(
    ("kind", "category", "priority", "channel", "seller", "at", "expected"),
    [
        (CaseKind.FEEDBACK, None, None, None, None, T0, ("any", 1)),
        (CaseKind.COMPLAINT, None, None, None, None, T0, ("complaint", 1)),
        (CaseKind.COMPLAINT, None, Priority.URGENT, None, None, T0, ("complaint-urgent", 1)),
        (CaseKind.COMPLAINT, Category.QUALITY, Priority.URGENT, None, None, T0, ("quality", 1)),
        (CaseKind.COMPLAINT, None, None, Channel.PHONE, None, T0, ("complaint", 1)),
        (CaseKind.FEEDBACK, None, None, Channel.PHONE, None, T0, ("phone", 1)),
        (CaseKind.COMPLAINT, Category.QUALITY, None, None, 7, T0, ("seller-7", 1)),
        (CaseKind.DISPUTE, None, None, None, None, datetime(2025, 6, 1, tzinfo=UTC) - US, ("v", 1)),
        (CaseKind.DISPUTE, None, None, None, None, datetime(2025, 6, 1, tzinfo=UTC), ("v", 2)),
        # v3 narrows the match: from 2026 it no longer covers other dispute categories
        (
            CaseKind.DISPUTE,
            Category.QUALITY,
            None,
            None,
            None,
            datetime(2026, 2, 1, tzinfo=UTC),
            ("any", 1),
        ),
        (
            CaseKind.DISPUTE,
            Category.LOGISTICS,
            None,
            None,
            None,
            datetime(2026, 2, 1, tzinfo=UTC),
            ("v", 3),
        ),
    ],
)
def test_select_policy(
    kind: CaseKind,
    category: Category | None,
    priority: Priority | None,
    channel: Channel | None,
    seller: int | None,
    at: datetime,
    expected: tuple[str, int],
) -> None:
    chosen = select_policy(
        POLICIES,
        kind=kind,
        category=category,
        priority=priority,
        channel=channel,
        seller_id=seller,
        at=at,
    )
    assert chosen is not None
    assert (chosen.id, chosen.version) == expected


def test_no_policy_before_any_takes_effect() -> None:
    assert select_policy(POLICIES, kind=CaseKind.COMPLAINT, at=T0 - US) is None


# --- law floors -----------------------------------------------------------------------------


def _codes(*clocks: ClockSpec, published: datetime | None = None) -> list[tuple[str, str]]:
    p = SlaPolicy("p", 1, T0, PolicyMatch(), clocks, published_at=published)
    errors = validate_policy(p)
    assert all(e.zh and e.en for e in errors)
    return [(e.field, e.code) for e in errors]


FLOOR = "below_legal_floor"
CAP7 = (Span(Measure.CALENDAR_DAYS, 7, "L2"),)


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        (spec(Measure.CALENDAR_DAYS, 7, ClockName.REFUND), []),
        (spec(Measure.CALENDAR_DAYS, 8, ClockName.REFUND), [FLOOR]),
        (spec(Measure.CALENDAR_HOURS, 168, ClockName.REFUND), []),
        (spec(Measure.CALENDAR_HOURS, 200, ClockName.REFUND), [FLOOR]),
        (spec(Measure.WORKING_DAYS, 3, ClockName.REFUND), [FLOOR]),  # Golden Week can stretch it
        (spec(Measure.WORKING_DAYS, 3, ClockName.REFUND, caps=CAP7), []),
        (spec(Measure.CALENDAR_DAYS, 7, ClockName.REFUND, roll_to_working_day=True), [FLOOR]),
        (spec(Measure.CALENDAR_DAYS, 15, ClockName.RETURN_REVIEW), []),
        (spec(Measure.CALENDAR_DAYS, 16, ClockName.RETURN_REVIEW), [FLOOR]),
        (spec(Measure.CALENDAR_DAYS, 7, ClockName.RETURN_WINDOW), []),
        (spec(Measure.CALENDAR_DAYS, 6, ClockName.RETURN_WINDOW), [FLOOR]),
        (spec(Measure.WORKING_DAYS, 7, ClockName.RETURN_WINDOW), []),
        (spec(Measure.CALENDAR_HOURS, 168, ClockName.RETURN_WINDOW), [FLOOR]),  # signed at 23:59
        (spec(Measure.CALENDAR_HOURS, 192, ClockName.RETURN_WINDOW), []),
        (spec(Measure.BUSINESS_HOURS, 500, ClockName.RETURN_WINDOW), [FLOOR]),
        (
            spec(
                Measure.CALENDAR_DAYS,
                10,
                ClockName.RETURN_WINDOW,
                caps=(Span(Measure.CALENDAR_DAYS, 5),),
            ),
            [FLOOR],
        ),
        (spec(Measure.CALENDAR_DAYS, 30, ClockName.REPAIR), []),  # no statutory figure
        (spec(Measure.CALENDAR_DAYS, 0), ["not_positive"]),
        (spec(Measure.CALENDAR_DAYS, 3, caps=(Span(Measure.CALENDAR_DAYS, 0),)), ["not_positive"]),
        (spec(Measure.CALENDAR_DAYS, 3, warn_share=1.0), ["out_of_range"]),
        (spec(Measure.CALENDAR_DAYS, 3, warn_share=0.0), ["out_of_range"]),
        (
            spec(Measure.CALENDAR_DAYS, 3, on_timeout=TimeoutOutcome.CLOSE_REQUEST),
            ["silent_expiry"],
        ),
        (
            replace(
                spec(Measure.CALENDAR_DAYS, 7, on_timeout=TimeoutOutcome.CLOSE_REQUEST),
                party=Party.BUYER,
            ),
            [],
        ),
    ],
)
def test_validate_policy_clock(clock: ClockSpec, expected: list[str]) -> None:
    assert [code for _, code in _codes(clock)] == expected


def test_duplicate_clocks_and_short_notice_are_refused() -> None:
    assert _codes(HOURS_24, HOURS_24) == [("clocks[1].name", "duplicate")]
    assert _codes(HOURS_24, published=T0 - timedelta(days=6)) == [
        ("effective_from", "notice_too_short")
    ]
    assert _codes(HOURS_24, published=T0 - timedelta(days=7)) == []


# --- seller agreements ----------------------------------------------------------------------

AFTERSALES = _default(CaseKind.AFTERSALES).clocks
COMPLAINT = _default(CaseKind.COMPLAINT).clocks


def _amount(clocks: tuple[ClockSpec, ...], name: str) -> int | None:
    found = next((c for c in clocks if c.name == name), None)
    return None if found is None else found.amount


@pytest.mark.parametrize(
    ("clocks", "terms", "clock", "expected"),
    [
        (COMPLAINT, {"reply_within_hours": 12}, ClockName.FIRST_RESPONSE, 12),
        (COMPLAINT, {"reply_within_hours": 48}, ClockName.FIRST_RESPONSE, 24),
        (COMPLAINT, {"solution_working_days": 5}, ClockName.RESOLUTION, 5),
        (COMPLAINT, {"solution_working_days": 10}, ClockName.RESOLUTION, 7),
        (AFTERSALES, {"return_window_days": 15}, ClockName.RETURN_WINDOW, 15),
        (AFTERSALES, {"return_window_days": 5}, ClockName.RETURN_WINDOW, 7),
        (AFTERSALES, {"warranty_months": 12}, ClockName.WARRANTY, 12),
        (COMPLAINT, {"return_window_days": 0}, ClockName.RETURN_WINDOW, None),
        (COMPLAINT, {}, ClockName.FIRST_RESPONSE, 24),
    ],
)
def test_agreement_only_helps_the_buyer(
    clocks: tuple[ClockSpec, ...], terms: dict[str, int], clock: str, expected: int | None
) -> None:
    result = apply_agreement(clocks, SellerAgreement(seller_id=7, **terms))
    assert _amount(result, clock) == expected
    assert validate_policy(SlaPolicy("s", 1, T0, PolicyMatch(seller_id=7), result)) == []


def test_agreement_in_another_measure_becomes_a_cap() -> None:
    result = apply_agreement(COMPLAINT, SellerAgreement(7, complaint_acceptance_hours=8))
    answer = next(c for c in result if c.name == ClockName.SELLER_FIRST_ANSWER)
    assert (answer.measure, answer.amount) == (Measure.WORKING_DAYS, 1)
    assert answer.caps == (Span(Measure.CALENDAR_HOURS, 8, "seed-002:complaint_acceptance_hours"),)
    # Friday 20:00: 1 working day would mean Monday night; the seller promised 8 hours.
    assert local(due_at(answer, sh(2025, 10, 17, 20), CAL).at) == (2025, 10, 18, 4, 0)
    business = apply_agreement(AFTERSALES, SellerAgreement(7, reply_within_hours=1))
    reply = next(c for c in business if c.name == ClockName.FIRST_RESPONSE)
    assert local(due_at(reply, sh(2025, 10, 13, 10), CAL).at) == (2025, 10, 13, 11, 0)
    assert local(due_at(reply, sh(2025, 10, 13, 20, 30), CAL).at) == (2025, 10, 13, 21, 30)


# --- clocks ---------------------------------------------------------------------------------


def test_start_clock_places_warning_at_its_share_of_the_measure() -> None:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    assert c.due_at - c.started_at == timedelta(hours=24)
    assert c.warn_at - c.started_at == timedelta(hours=19, minutes=12)
    b = start_clock(BUSINESS_2, sh(2025, 10, 13, 20), CAL)  # 1 h tonight, 1 h tomorrow
    assert (local(b.due_at), local(b.warn_at)) == ((2025, 10, 14, 10, 0), (2025, 10, 14, 9, 36))
    assert b.status is ClockStatus.RUNNING
    assert b.started_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("warn-1us", Phase.ON_TIME),
        ("warn", Phase.WARNING),
        ("due", Phase.WARNING),
        ("due+1us", Phase.BREACHED),
    ],
)
def test_phase_at_exact_boundaries(instant: str, expected: Phase) -> None:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    now = {
        "warn-1us": c.warn_at - US,
        "warn": c.warn_at,
        "due": c.due_at,
        "due+1us": c.due_at + US,
    }[instant]
    assert phase(c, now) is expected
    assert is_due(c, now) is (expected is Phase.BREACHED)


def test_working_day_clock_breaches_after_the_last_microsecond_of_the_day() -> None:
    c = start_clock(WORKING_7, sh(2025, 9, 26, 10), CAL)
    assert local(c.due_at)[:3] == (2025, 10, 13)
    assert not is_due(c, sh(2025, 10, 14) - US)
    assert is_due(c, sh(2025, 10, 14))


@pytest.mark.parametrize("reason", list(PauseReason))
def test_pause_and_resume_calendar_clock(reason: PauseReason) -> None:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    paused = pause(c, sh(2025, 10, 13, 12), reason)
    assert (paused.status, paused.pause_reason) == (ClockStatus.PAUSED, reason)
    back = resume(paused, sh(2025, 10, 15, 12), CAL)
    assert back.status is ClockStatus.RUNNING
    assert back.pause_reason is None
    assert back.due_at - c.due_at == timedelta(days=2)
    assert back.warn_at - c.warn_at == timedelta(days=2)
    assert back.paused_total == timedelta(days=2)


def test_business_clock_pause_is_measured_in_business_time() -> None:
    c = start_clock(BUSINESS_2, sh(2025, 10, 13, 20), CAL)  # due Tue 10:00
    back = resume(
        pause(c, sh(2025, 10, 13, 20, 30), PauseReason.WAITING_ON_BUYER),
        sh(2025, 10, 14, 9, 30),
        CAL,
    )
    assert back.paused_total == timedelta(hours=1)
    assert local(back.due_at) == (2025, 10, 14, 11, 0)


def test_business_clock_paused_outside_windows_does_not_move() -> None:
    c = start_clock(BUSINESS_2, sh(2025, 10, 13, 20), CAL)
    back = resume(pause(c, sh(2025, 10, 13, 22), PauseReason.OTHER), sh(2025, 10, 14, 8), CAL)
    assert (back.due_at, back.paused_total) == (c.due_at, timedelta(0))


def test_working_day_clock_pause_over_a_holiday_costs_only_working_time() -> None:
    c = start_clock(WORKING_7, sh(2025, 9, 26, 10), CAL)  # due 10-13
    back = resume(pause(c, sh(2025, 9, 30, 10), PauseReason.LAB_TESTING), sh(2025, 10, 9, 10), CAL)
    assert back.paused_total == timedelta(hours=24)  # 14 h on 09-30 + 10 h on 10-09
    assert local(back.due_at)[:3] == (2025, 10, 14)


def test_repeated_pauses_accumulate() -> None:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    for day in (13, 14):
        c = resume(
            pause(c, sh(2025, 10, day, 11), PauseReason.WAITING_ON_BUYER),
            sh(2025, 10, day, 12),
            CAL,
        )
    assert c.paused_total == timedelta(hours=2)
    assert local(c.due_at) == (2025, 10, 14, 12, 0)


def test_paused_clock_does_not_breach_and_remaining_is_frozen() -> None:
    c = pause(
        start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL),
        sh(2025, 10, 13, 16),
        PauseReason.SUSPENDED_SELF_SETTLEMENT,
    )
    later = sh(2025, 11, 30)
    assert phase(c, later) is Phase.ON_TIME
    assert remaining(c, later, CAL) == timedelta(hours=18)


def _stopped() -> list[ClockState]:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    return [
        meet(c, sh(2025, 10, 13, 11)),
        cancel(c, sh(2025, 10, 13, 11)),
        mark_breached(c, sh(2025, 10, 15)),
    ]


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (
            lambda c: pause(
                pause(c, sh(2025, 10, 13, 11), PauseReason.OTHER),
                sh(2025, 10, 13, 12),
                PauseReason.OTHER,
            ),
            "clock_already_paused",
        ),
        (lambda c: resume(c, sh(2025, 10, 13, 11), CAL), "clock_not_paused"),
        (
            lambda c: resume(
                pause(c, sh(2025, 10, 13, 11), PauseReason.OTHER), sh(2025, 10, 13, 10, 30), CAL
            ),
            "clock_time_reversed",
        ),
        (lambda c: pause(c, sh(2025, 10, 13, 9), PauseReason.OTHER), "clock_time_reversed"),
        (lambda c: mark_breached(c, sh(2025, 10, 14, 10)), "clock_not_due"),
        (
            lambda c: mark_breached(
                pause(c, sh(2025, 10, 13, 11), PauseReason.OTHER), sh(2025, 10, 20)
            ),
            "clock_wrong_state",
        ),
    ],
)
def test_clock_misuse_raises(make: object, code: str) -> None:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    with pytest.raises(ClockError) as caught:
        make(c)  # type: ignore[operator]
    assert caught.value.code == code
    assert isinstance(caught.value, DomainError)
    assert caught.value.status == 409
    assert caught.value.zh
    assert caught.value.en


@pytest.mark.parametrize("index", [0, 1, 2])
@pytest.mark.parametrize(
    "operation",
    [
        lambda s: pause(s, sh(2025, 10, 16), PauseReason.OTHER),
        lambda s: resume(s, sh(2025, 10, 16), CAL),
    ],
)
def test_stopped_clocks_cannot_pause_or_resume(index: int, operation: object) -> None:
    with pytest.raises(ClockError):
        operation(_stopped()[index])  # type: ignore[operator]


def test_meet_and_cancel_outcomes() -> None:
    c = start_clock(HOURS_24, sh(2025, 10, 13, 10), CAL)
    on_time = meet(c, c.due_at)
    assert (on_time.status, on_time.met_late, phase(on_time, sh(2026, 1, 1))) == (
        ClockStatus.MET,
        False,
        Phase.ON_TIME,
    )
    late = meet(c, c.due_at + US)
    assert (late.met_late, phase(late, c.due_at)) == (True, Phase.BREACHED)
    paused = pause(c, sh(2025, 10, 13, 12), PauseReason.WAITING_ON_BUYER)
    assert not meet(paused, sh(2025, 10, 20)).met_late  # judged when it stopped counting
    breached = mark_breached(c, c.due_at + US)
    assert breached.status is ClockStatus.BREACHED
    assert phase(breached, c.due_at) is Phase.BREACHED
    assert meet(breached, sh(2025, 10, 20)).met_late
    cancelled = cancel(paused, sh(2025, 10, 14))
    assert (cancelled.status, phase(cancelled, sh(2026, 1, 1))) == (
        ClockStatus.CANCELLED,
        Phase.ON_TIME,
    )
    with pytest.raises(ClockError):
        cancel(cancelled, sh(2025, 10, 15))
    with pytest.raises(ClockError):
        meet(on_time, sh(2025, 10, 15))


def test_clock_reaching_2027_is_provisional() -> None:
    c = start_clock(WORKING_7, sh(2026, 12, 25, 10), CAL)
    assert c.provisional
    assert any("暂定" in f for f in c.facts)
    assert not start_clock(WORKING_7, sh(2025, 12, 1, 10), CAL).provisional


@pytest.mark.parametrize(
    ("key", "start", "expected"),
    [
        ("self_settlement", sh(2025, 9, 20, 10), date(2025, 10, 20)),
        ("court_police_proof", sh(2025, 9, 30, 10), date(2025, 10, 16)),
        ("police_no_conclusion", sh(2025, 8, 31, 10), date(2026, 2, 28)),
    ],
)
def test_suspension_limits(key: str, start: datetime, expected: date) -> None:
    ends = suspension_ends(key, start, CAL)
    assert local(ends.at) == (expected.year, expected.month, expected.day, 23, 59)
