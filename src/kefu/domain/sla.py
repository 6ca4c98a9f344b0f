"""SLA policies as versioned data: selection, legal floors, seller agreements and defaults."""

# Clock specs and clock arithmetic (start/pause/resume/meet/breach) live in sla_clock.

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from kefu.domain.errors import FieldError
from kefu.domain.sla_clock import (
    ClockAction,
    ClockName,
    ClockSpec,
    Measure,
    Party,
    Span,
    TimeoutOutcome,
)
from kefu.domain.types import CaseKind, Category, Channel, Priority

# --- policies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyMatch:
    """Which cases a policy covers; None matches anything."""

    kind: CaseKind | None = None
    category: Category | None = None
    priority: Priority | None = None
    channel: Channel | None = None
    seller_id: int | None = None

    @property
    def specificity(self) -> int:
        # Weights make the ranking lexicographic: seller > kind > category > priority > channel.
        weights = (16, 8, 4, 2, 1)
        values = (self.seller_id, self.kind, self.category, self.priority, self.channel)
        return sum(w for w, v in zip(weights, values, strict=True) if v is not None)

    def matches(
        self,
        kind: CaseKind,
        category: Category | None,
        priority: Priority | None,
        channel: Channel | None,
        seller_id: int | None,
    ) -> bool:
        pairs = (
            (self.kind, kind),
            (self.category, category),
            (self.priority, priority),
            (self.channel, channel),
            (self.seller_id, seller_id),
        )
        return all(want is None or want == got for want, got in pairs)


@dataclass(frozen=True)
class SlaPolicy:
    """One version of a named policy; it applies to cases opened from effective_from on."""

    id: str
    version: int
    effective_from: datetime
    match: PolicyMatch
    clocks: tuple[ClockSpec, ...]
    published_at: datetime | None = None  # rule 29: at least 7 days before effective_from

    def clock(self, name: str) -> ClockSpec | None:
        return next((c for c in self.clocks if c.name == name), None)


def select_policy(
    policies: Iterable[SlaPolicy],
    *,
    kind: CaseKind,
    category: Category | None = None,
    priority: Priority | None = None,
    channel: Channel | None = None,
    seller_id: int | None = None,
    at: datetime,
) -> SlaPolicy | None:
    """The most specific policy in force at ``at`` (each id counts with its version then)."""
    in_force: dict[str, SlaPolicy] = {}
    for p in policies:
        if p.effective_from > at:
            continue
        current = in_force.get(p.id)
        if current is None or (p.effective_from, p.version) > (
            current.effective_from,
            current.version,
        ):
            in_force[p.id] = p
    candidates = [
        p
        for p in in_force.values()
        if p.match.matches(kind, category, priority, channel, seller_id)
    ]
    if not candidates:
        return None
    # Ties between different ids: the newer one, then the id, so the choice is stable.
    return max(
        sorted(candidates, key=lambda p: p.id, reverse=True),
        key=lambda p: (p.match.specificity, p.effective_from),
    )


# --- legal floors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalLimit:
    clock: str
    at_most: bool  # True: the clock may not run longer; False: the window may not be shorter
    days: int
    rule: str
    zh: str
    en: str


LEGAL_LIMITS: tuple[LegalLimit, ...] = (
    LegalLimit(
        ClockName.REFUND,
        True,
        7,
        "L2/rule-6",
        "收到退货后退款不得超过 7 日",
        "refund must follow receipt of the return within 7 days",
    ),
    LegalLimit(
        ClockName.RETURN_REVIEW,
        True,
        15,
        "L3/rule-5",
        "退货申请处理不得超过 15 日",
        "a return request must be processed within 15 days",
    ),
    LegalLimit(
        ClockName.RETURN_WINDOW,
        False,
        7,
        "L1/rule-1",
        "七日无理由退货期不得少于 7 日",
        "the no-reason return window may not be shorter than 7 days",
    ),
)


def _longest_days(span: ClockSpec | Span) -> float:
    """Calendar days the span can take at worst; working time is unbounded (long holidays)."""
    if isinstance(span, ClockSpec) and span.roll_to_working_day:
        return float("inf")
    if span.measure is Measure.CALENDAR_DAYS:
        return span.amount
    if span.measure is Measure.CALENDAR_HOURS:
        return span.amount / 24
    return span.amount * 31 if span.measure is Measure.CALENDAR_MONTHS else float("inf")


def _shortest_days(span: ClockSpec | Span) -> float:
    """Whole days after the start date the span covers at least (start may be 23:59)."""
    if span.measure in (Measure.CALENDAR_DAYS, Measure.WORKING_DAYS):
        return span.amount
    if span.measure is Measure.CALENDAR_HOURS:
        return span.amount // 24 - 1
    return span.amount * 28 if span.measure is Measure.CALENDAR_MONTHS else 0


def validate_policy(policy: SlaPolicy) -> list[FieldError]:
    """Everything wrong with a policy, including terms worse for the buyer than the law."""
    errors: list[FieldError] = []
    if policy.published_at is not None and (
        policy.effective_from - policy.published_at < timedelta(days=7)
    ):
        errors.append(
            FieldError(
                "effective_from",
                "notice_too_short",
                "规则变更须至少提前 7 日公示（电子商务法 34）",
                "rule changes need at least 7 days' public notice (E-Commerce Law 34)",
            )
        )
    seen: set[str] = set()
    for i, c in enumerate(policy.clocks):
        at = f"clocks[{i}]"
        if c.name in seen:
            errors.append(
                FieldError(
                    f"{at}.name",
                    "duplicate",
                    f"计时器“{c.name}”重复",
                    f"clock {c.name} appears twice",
                )
            )
        seen.add(c.name)
        if c.amount <= 0 or any(cap.amount <= 0 for cap in c.caps):
            errors.append(
                FieldError(
                    f"{at}.amount", "not_positive", "时长必须大于 0", "amount must be positive"
                )
            )
        if not 0 < c.warn_share < 1:
            errors.append(
                FieldError(
                    f"{at}.warn_share",
                    "out_of_range",
                    "预警比例必须在 0 与 1 之间",
                    "warn_share must be between 0 and 1",
                )
            )
        if c.party is not Party.BUYER and c.on_timeout is TimeoutOutcome.CLOSE_REQUEST:
            errors.append(
                FieldError(
                    f"{at}.on_timeout",
                    "silent_expiry",
                    "商家或平台超时不得关闭消费者的请求（规则 30）",
                    "a seller/platform timeout may not close the buyer's request (rule 30)",
                )
            )
        for law in LEGAL_LIMITS:
            if law.clock != c.name:
                continue
            if law.at_most:
                worst = min([_longest_days(c), *map(_longest_days, c.caps)])
                bad = worst > law.days
            else:
                bad = min([_shortest_days(c), *map(_shortest_days, c.caps)]) < law.days
            if bad:
                errors.append(
                    FieldError(
                        f"{at}.amount",
                        "below_legal_floor",
                        f"{law.zh}（{law.rule}）",
                        f"{law.en} ({law.rule})",
                    )
                )
    return errors


# --- seller service agreements (seed 002) ---------------------------------------------------


@dataclass(frozen=True)
class SellerAgreement:
    """The blanks a seller filled in its service contract; None = left blank."""

    seller_id: int
    reply_within_hours: int | None = None  # §3.1.1, §4.3.1
    warranty_months: int | None = None  # §3.2.1
    return_window_days: int | None = None  # §3.3.1
    complaint_acceptance_hours: int | None = None  # §5.2.1
    solution_working_days: int | None = None  # §4.3.2, §5.4.2


# (field, clock, measure, party, shorter is better)
_TERMS: tuple[tuple[str, ClockName, Measure, Party, bool], ...] = (
    ("reply_within_hours", ClockName.FIRST_RESPONSE, Measure.CALENDAR_HOURS, Party.SELLER, True),
    (
        "complaint_acceptance_hours",
        ClockName.SELLER_FIRST_ANSWER,
        Measure.CALENDAR_HOURS,
        Party.SELLER,
        True,
    ),
    ("solution_working_days", ClockName.RESOLUTION, Measure.WORKING_DAYS, Party.SELLER, True),
    ("return_window_days", ClockName.RETURN_WINDOW, Measure.CALENDAR_DAYS, Party.BUYER, False),
    ("warranty_months", ClockName.WARRANTY, Measure.CALENDAR_MONTHS, Party.BUYER, False),
)


def apply_agreement(
    clocks: Sequence[ClockSpec], agreement: SellerAgreement
) -> tuple[ClockSpec, ...]:
    """Use a seller's term only where it beats the platform default for the buyer."""
    result = list(clocks)
    for attr, name, measure, party, shorter in _TERMS:
        amount = getattr(agreement, attr)
        if amount is None or amount <= 0:
            continue
        rule = f"seed-002:{attr}"
        index = next((i for i, c in enumerate(result) if c.name == name), None)
        if index is None:
            result.append(ClockSpec(name, party, measure, amount, rule))
            continue
        c = result[index]
        if c.measure is measure:
            better = amount < c.amount if shorter else amount > c.amount
            if better:
                result[index] = replace(c, amount=amount, rule=f"{c.rule}; {rule}")
        elif shorter:
            # Different measures are not comparable up front; whichever falls first applies.
            result[index] = replace(c, caps=(*c.caps, Span(measure, amount, rule)))
        # A longer window in another measure is left for a human: it may not be longer at all.
    return tuple(result)


# --- platform defaults (seeds 000–004, rules.md) --------------------------------------------

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
    CaseKind.COMPLAINT: ("response", "contact", "seller_answer", "resolution"),
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
