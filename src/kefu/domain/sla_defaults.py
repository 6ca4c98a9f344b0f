"""Platform default SLA policies (seeds 000–004, rules.md), one per case kind and priority."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from kefu.domain.sla import PolicyMatch, SlaPolicy
from kefu.domain.sla_clock import (
    ClockAction,
    ClockName,
    ClockSpec,
    Measure,
    Party,
    Span,
    TimeoutOutcome,
)
from kefu.domain.types import CaseKind, Priority

_A, _B, _P = ClockAction, TimeoutOutcome, Party
_SELLER_BREACH = (_A.RECORD_SELLER_VIOLATION, _A.NOTIFY_SUPERVISOR)
_LAUNCH = datetime(2025, 1, 1, tzinfo=UTC)

_BASE: dict[str, ClockSpec] = {
    "response": ClockSpec(
        ClockName.FIRST_RESPONSE,
        _P.PLATFORM,
        Measure.CALENDAR_HOURS,
        24,
        "seed-000/001",
        on_breach=(_A.NOTIFY_SUPERVISOR, _A.RAISE_PRIORITY),
    ),
    "contact": ClockSpec(
        ClockName.FIRST_CONTACT, _P.PLATFORM, Measure.CALENDAR_HOURS, 12, "seed-001"
    ),
    "resolution": ClockSpec(
        ClockName.RESOLUTION,
        _P.PLATFORM,
        Measure.WORKING_DAYS,
        7,
        "seed-001",
        on_breach=(_A.NOTIFY_SUPERVISOR, _A.REASSIGN),
    ),
    "seller_answer": ClockSpec(
        ClockName.SELLER_FIRST_ANSWER,
        _P.SELLER,
        Measure.WORKING_DAYS,
        1,
        "seed-003",
        on_breach=(_A.RECORD_SELLER_VIOLATION, _A.OPEN_INTERVENTION),
        on_timeout=_B.OPEN_INTERVENTION,
    ),
    "evidence": ClockSpec(
        ClockName.EVIDENCE_WINDOW,
        _P.SELLER,
        Measure.WINDOW_HOURS,
        4,
        "rule-15",
        on_timeout=_B.DECIDE_ON_EVIDENCE,
    ),
    "aftersales_response": ClockSpec(
        ClockName.FIRST_RESPONSE,
        _P.PLATFORM,
        Measure.BUSINESS_HOURS,
        2,
        "seed-004",
        on_breach=(_A.NOTIFY_SUPERVISOR, _A.RAISE_PRIORITY),
    ),
    "return_review": ClockSpec(
        ClockName.RETURN_REVIEW,
        _P.SELLER,
        Measure.WORKING_DAYS,
        2,
        "seed-004/rule-5",
        on_breach=_SELLER_BREACH,
        on_timeout=_B.AUTO_APPROVE_REFUND,
        caps=(Span(Measure.CALENDAR_DAYS, 15, "L3"),),
    ),
    # Rule 16 (WeChat mini-store): the buyer uploads the return waybill within 7 days, else
    # the request closes (a consumer-side timer, rule 30); the seller confirms receipt within
    # 10 days of the return being shipped, else the system takes it as received and refunds.
    "return_shipment": ClockSpec(
        ClockName.RETURN_SHIPMENT,
        _P.BUYER,
        Measure.CALENDAR_DAYS,
        7,
        "rule-16",
        on_timeout=_B.CLOSE_REQUEST,
        on_warning=(),
        on_breach=(),
    ),
    "return_receipt": ClockSpec(
        ClockName.RETURN_RECEIPT,
        _P.SELLER,
        Measure.CALENDAR_DAYS,
        10,
        "rule-16",
        on_breach=_SELLER_BREACH,
        on_timeout=_B.AUTO_REFUND,
    ),
    "refund": ClockSpec(
        ClockName.REFUND,
        _P.SELLER,
        Measure.WORKING_DAYS,
        3,
        "seed-004/rule-6",
        on_breach=_SELLER_BREACH,
        on_timeout=_B.AUTO_REFUND,
        caps=(Span(Measure.CALENDAR_DAYS, 7, "L2"),),
    ),
    "repair": ClockSpec(
        ClockName.REPAIR,
        _P.SELLER,
        Measure.WORKING_DAYS,
        15,
        "seed-004",
        on_breach=_SELLER_BREACH,
        on_timeout=_B.OPEN_INTERVENTION,
        caps=(Span(Measure.CALENDAR_DAYS, 30, "L27"),),
    ),
    "return_window": ClockSpec(
        ClockName.RETURN_WINDOW,
        _P.BUYER,
        Measure.CALENDAR_DAYS,
        7,
        "L1/rule-1",
        roll_to_working_day=True,
        on_warning=(),
        on_breach=(),
    ),
    "buyer_confirm": ClockSpec(
        ClockName.BUYER_CONFIRM,
        _P.BUYER,
        Measure.CALENDAR_DAYS,
        7,
        "platform",
        on_timeout=_B.AUTO_CONFIRM,
        on_warning=(),
        on_breach=(),
    ),
}

_KIND_CLOCKS: dict[CaseKind | None, tuple[str, ...]] = {
    None: ("response", "contact", "resolution"),
    CaseKind.FEEDBACK: ("response",),
    CaseKind.COMPLAINT: ("response", "contact", "seller_answer", "resolution", "buyer_confirm"),
    CaseKind.DISPUTE: (
        "response",
        "contact",
        "seller_answer",
        "evidence",
        "resolution",
        "buyer_confirm",
    ),
    CaseKind.AFTERSALES: (
        "aftersales_response",
        "return_review",
        "return_shipment",
        "return_receipt",
        "refund",
        "repair",
        "return_window",
        "buyer_confirm",
        "resolution",
    ),
}

# Priority speeds up only the platform's own clocks: seller duties and buyer windows stay put.
_FASTER: dict[Priority, dict[tuple[str, Measure], int]] = {
    Priority.URGENT: {
        (ClockName.FIRST_RESPONSE, Measure.CALENDAR_HOURS): 4,
        (ClockName.FIRST_RESPONSE, Measure.BUSINESS_HOURS): 1,
        (ClockName.FIRST_CONTACT, Measure.CALENDAR_HOURS): 2,
        (ClockName.RESOLUTION, Measure.WORKING_DAYS): 3,
    },
    Priority.HIGH: {
        (ClockName.FIRST_RESPONSE, Measure.CALENDAR_HOURS): 12,
        (ClockName.FIRST_CONTACT, Measure.CALENDAR_HOURS): 6,
        (ClockName.RESOLUTION, Measure.WORKING_DAYS): 5,
    },
}


def _default_policy(kind: CaseKind | None, priority: Priority | None) -> SlaPolicy:
    faster = _FASTER.get(priority, {}) if priority is not None else {}
    clocks = tuple(
        replace(c, amount=faster.get((c.name, c.measure), c.amount))
        for c in (_BASE[key] for key in _KIND_CLOCKS[kind])
    )
    name = "-".join(part for part in (kind or "default", priority) if part)
    return SlaPolicy(name, 1, _LAUNCH, PolicyMatch(kind=kind, priority=priority), clocks)


DEFAULT_POLICIES: tuple[SlaPolicy, ...] = tuple(
    _default_policy(kind, priority)
    for kind in _KIND_CLOCKS
    for priority in (None, Priority.URGENT, Priority.HIGH)
)
