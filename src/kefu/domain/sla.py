"""SLA policies as versioned data: selection and the legal floors no policy may go below."""

# Clock specs and arithmetic live in sla_clock; seller agreements in seller_agreement;
# the platform defaults in sla_defaults.

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from kefu.domain.errors import FieldError
from kefu.domain.sla_clock import (
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
