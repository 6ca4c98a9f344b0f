"""Intake screening as data: the rules a new case passes through, in order, and their verdict."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from kefu.domain.types import CaseKind, Role
from kefu.domain.workflow import LIFECYCLES, Action, Status


class Outcome(StrEnum):
    ACCEPT = "accept"  # goes on to classification and routing
    REJECT = "reject"  # filed, then closed as not accepted, with the reason
    COMPLIANCE = "compliance"  # taken out of the normal flow into the compliance queue


class ReasonCode(StrEnum):
    """Stable codes of screening verdicts (API, timeline, reports)."""

    ACCEPTED = "accepted"
    OUT_OF_WINDOW = "out_of_window"
    ALREADY_ELSEWHERE = "already_elsewhere"
    DUPLICATE = "duplicate"
    ABUSIVE = "abusive"
    VAGUE = "vague"
    IRRELEVANT = "irrelevant"
    SUSPECTED_COUNTERFEIT = "suspected_counterfeit"


class FlagReason(StrEnum):
    REPEATED_REJECTIONS = "repeated_rejections"


class FlagStatus(StrEnum):
    """A buyer flag is open until a supervisor clears it (fair complaints) or confirms it."""

    OPEN = "open"
    CLEARED = "cleared"
    CONFIRMED = "confirmed"


class PriorResolution(StrEnum):
    """What the buyer declares about the matter elsewhere (seed 001/003 exclusions)."""

    NONE = "none"
    LITIGATION = "litigation"  # 已诉讼
    ARBITRATION = "arbitration"  # 已仲裁
    OFFLINE_AGREEMENT = "offline_agreement"  # 已线下和解
    ADMINISTRATIVE = "administrative"  # 已由行政部门受理


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the rule trail: which rule looked, what it decided, and on what."""

    rule: str
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"rule": self.rule, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    code: ReasonCode
    reason_zh: str
    reason_en: str
    trail: tuple[Step, ...]
    duplicate_of: int | None = None

    @property
    def reason(self) -> str:
        """The reason as the timeline and the buyer see it: Chinese first, then English."""
        return f"{self.reason_zh} / {self.reason_en}"


@dataclass(frozen=True)
class ScreeningPolicy:
    """Thresholds of the screening rules; every figure is configuration with a seed default."""

    # Seed 001: complaints are accepted up to one year after the purchase.
    acceptance_window: dict[CaseKind, timedelta] = field(
        default_factory=lambda: {
            CaseKind.COMPLAINT: timedelta(days=365),
            CaseKind.DISPUTE: timedelta(days=365),
            CaseKind.AFTERSALES: timedelta(days=365),
            CaseKind.FEEDBACK: timedelta(days=365),
        }
    )
    min_distinct_terms: int = 3  # fewer different words than this reads as "vague"
    duplicate_max_distance: int = 11  # SimHash bits (see kefu.analysis.dedup)
    duplicate_lookback: timedelta = timedelta(days=180)
    malicious_rejections: int = 3  # rejected cases in the window that flag a buyer for review
    malicious_window: timedelta = timedelta(days=90)


@dataclass(frozen=True)
class IntakeFacts:
    """Everything the rules look at, gathered by the service before deciding."""

    kind: CaseKind
    now: datetime
    purchased_at: datetime | None  # the order's payment time; None without an order
    prior_resolution: PriorResolution
    distinct_terms: int
    abusive: bool
    substance_without_abuse: int  # distinct terms left once abusive words are removed
    compliance_terms: tuple[str, ...]  # counterfeit / smuggling words found (not negated)
    relevant: bool  # mentions anything the platform handles
    duplicate_of: int | None  # an earlier case of this buyer/order/issue with the same text
    duplicate_distance: int | None = None


def screen(facts: IntakeFacts, policy: ScreeningPolicy) -> Verdict:
    """Run the rules in order; the first that refuses decides, and every rule leaves a step."""
    trail: list[Step] = []

    def refuse(code: ReasonCode, zh: str, en: str, duplicate_of: int | None = None) -> Verdict:
        return Verdict(Outcome.REJECT, code, zh, en, tuple(trail), duplicate_of)

    window = policy.acceptance_window.get(facts.kind)
    if facts.purchased_at is not None and window is not None:
        age = facts.now - facts.purchased_at
        late = age > window
        trail.append(Step("acceptance_window", not late, f"{age.days} d since purchase"))
        if late:
            return refuse(
                ReasonCode.OUT_OF_WINDOW,
                f"超过受理期限：购买已 {age.days} 天（受理期限 {window.days} 天）",
                f"too late: bought {age.days} days ago (accepted within {window.days} days)",
            )
    if facts.prior_resolution is not PriorResolution.NONE:
        trail.append(Step("prior_resolution", False, facts.prior_resolution.value))
        return refuse(
            ReasonCode.ALREADY_ELSEWHERE,
            "该争议已通过诉讼、仲裁、行政处理或线下和解处理或正在处理中，平台不重复受理",
            "the matter is settled or pending by litigation, arbitration, an authority or an "
            "offline agreement",
        )
    trail.append(Step("prior_resolution", True, "none"))
    if facts.duplicate_of is not None:
        trail.append(
            Step("duplicate", False, f"case {facts.duplicate_of} d={facts.duplicate_distance}")
        )
        return refuse(
            ReasonCode.DUPLICATE,
            "与您此前就同一订单、同一问题提交的案件重复且无新信息，已关联到原案件",
            "repeats your earlier case on the same order and issue with no new information; "
            "linked to it",
            facts.duplicate_of,
        )
    trail.append(Step("duplicate", True))
    if facts.abusive and facts.substance_without_abuse < policy.min_distinct_terms:
        trail.append(Step("abusive", False, "insults without a describable problem"))
        return refuse(
            ReasonCode.ABUSIVE,
            "内容以辱骂为主，未说明具体问题；原文已作为证据保存",
            "abusive without a describable problem; the original text is kept as evidence",
        )
    trail.append(Step("abusive", True, "masked" if facts.abusive else ""))
    if facts.distinct_terms < policy.min_distinct_terms:
        trail.append(Step("vague", False, f"{facts.distinct_terms} distinct terms"))
        return refuse(
            ReasonCode.VAGUE,
            "描述过于笼统，请说明时间、商品和具体问题后重新提交",
            "too vague: say when, which item and what exactly went wrong, then file again",
        )
    trail.append(Step("vague", True, f"{facts.distinct_terms} distinct terms"))
    if facts.kind is CaseKind.FEEDBACK and not facts.relevant:
        trail.append(Step("relevance", False))
        return refuse(
            ReasonCode.IRRELEVANT,
            "反馈内容与本平台的商品、交易或服务无关",
            "the feedback is not about this platform's goods, orders or services",
        )
    trail.append(Step("relevance", True))
    if facts.compliance_terms:
        trail.append(Step("compliance", False, ",".join(facts.compliance_terms)))
        return Verdict(
            Outcome.COMPLIANCE,
            ReasonCode.SUSPECTED_COUNTERFEIT,
            "疑似假冒或走私商品，已转合规团队处理",
            "suspected counterfeit or smuggled goods: handed to the compliance team",
            tuple(trail),
        )
    trail.append(Step("compliance", True))
    return Verdict(
        Outcome.ACCEPT, ReasonCode.ACCEPTED, "通过受理审核", "passed intake screening", tuple(trail)
    )


# Statuses a case may pass through before acceptance; the path search must not wander further.
_PRE_DECISION = frozenset({Status.SUBMITTED, Status.SCREENING, Status.TRIAGED})


def rejection_path(kind: CaseKind) -> list[Action]:
    """The system's shortest path from a new case to REJECTED through the transition table, so an
    automatic rejection leaves the same status history a person's would."""
    lifecycle = LIFECYCLES[kind]
    start: Status = lifecycle.initial
    seen = {start}
    queue: deque[tuple[Status, list[Action]]] = deque([(start, [])])
    while queue:
        status, path = queue.popleft()
        for (source, action), t in lifecycle.table.items():
            if source is not status or t.target is None or Role.SYSTEM not in t.roles:
                continue
            if t.target is Status.REJECTED:
                return [*path, action]
            if t.target not in seen and t.target in _PRE_DECISION:
                seen.add(t.target)
                queue.append((t.target, [*path, action]))
    raise ValueError(f"{kind.value}: the system cannot reject a new case")


def kinds_for(has_order: bool) -> list[CaseKind]:
    """What a buyer may file: complaints, disputes and after-sales need an order (proof of
    purchase, seed 000 §三); feedback needs none."""
    if not has_order:
        return [CaseKind.FEEDBACK]
    return [CaseKind.COMPLAINT, CaseKind.AFTERSALES, CaseKind.DISPUTE, CaseKind.FEEDBACK]
