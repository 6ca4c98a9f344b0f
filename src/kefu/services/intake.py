"""Screening a new case inside its filing transaction: gather facts, decide, route, record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from kefu.analysis import dedup, lexicon
from kefu.analysis.classify import Classification, classify
from kefu.analysis.compliance import compliance_terms
from kefu.analysis.priority import PriorityHint, priority_hints
from kefu.analysis.relevance import is_relevant
from kefu.analysis.tokenize import tokens
from kefu.domain.case import Case
from kefu.domain.orders import SHANGHAI, Order
from kefu.domain.routing import pick_assignee, team_for
from kefu.domain.screening import (
    FlagReason,
    IntakeFacts,
    Outcome,
    PriorResolution,
    ScreeningPolicy,
    Verdict,
    rejection_path,
    screen,
)
from kefu.domain.sla_clock import Party
from kefu.domain.types import PRIORITY_RANK, SYSTEM_ACTOR, CaseKind, Category, Priority
from kefu.services import calendars
from kefu.services.unit_of_work import UnitOfWork

# Punctuation and particles say nothing about the problem; they do not count as substance.
_FILLER = frozenset("了的啊吧吗呢呀哦嗯是我你他她它就都也很太真和与")


@dataclass(frozen=True)
class Assessment:
    """What screening concluded about a case about to be filed."""

    verdict: Verdict
    classification: Classification
    category: Category
    priority: PriorityHint
    team_code: str
    fingerprint: int
    order_key: int
    abusive: bool
    subject: str  # as shown: abusive words masked
    description: str


def _distinct_terms(text: str) -> int:
    """Different words in the text, particles left out (tokens already drop punctuation)."""
    return len({t for t in tokens(text) if t not in _FILLER})


def passes_text_checks(text: str, policy: ScreeningPolicy | None = None) -> bool:
    """Would this description pass the text rules on its own (substance, abuse, relevance,
    compliance)? Used to pick demo texts; filing always runs the full screening."""
    words = analyze("", text)
    return (
        words.distinct_terms >= (policy or ScreeningPolicy()).min_distinct_terms
        and not words.abusive
        and not words.compliance_terms
        and words.relevant
    )


def _order_total(order: Order | None, line_nos: tuple[int, ...]) -> int | None:
    if order is None:
        return None
    lines = [ln for ln in order.lines if not line_nos or ln.line_no in line_nos]
    return sum(ln.paid_fen for ln in lines)


@dataclass(frozen=True)
class TextAnalysis:
    """Everything screening reads from the words alone: computed before the write transaction
    opens, so the CPU work (jieba, the classifier, SimHash) never holds the database's lock."""

    text: str
    classification: Classification
    fingerprint: int
    abusive: bool
    subject: str  # as shown: abusive words masked
    description: str
    distinct_terms: int
    substance_without_abuse: int
    compliance_terms: tuple[str, ...]
    relevant: bool


def analyze(subject: str, description: str) -> TextAnalysis:
    """The pure half of screening (no database)."""
    text = f"{subject}\n{description}"
    classification = classify(text)
    abusive = lexicon.is_abusive(text)
    shown_description = lexicon.mask_abuse(description) if abusive else description
    return TextAnalysis(
        text=text,
        classification=classification,
        fingerprint=dedup.fingerprint(text),
        abusive=abusive,
        subject=lexicon.mask_abuse(subject) if abusive else subject,
        description=shown_description,
        # Substance is judged on the description: a title alone does not describe a problem.
        distinct_terms=_distinct_terms(description),
        substance_without_abuse=_distinct_terms(shown_description.replace("＊", "")),
        compliance_terms=compliance_terms(text),
        relevant=is_relevant(text, classification),
    )


def assess(
    uow: UnitOfWork,
    words: TextAnalysis,
    *,
    buyer_id: int,
    order_id: int | None,
    order: Order | None,
    kind: CaseKind,
    line_nos: tuple[int, ...],
    chosen_category: Category | None,
    chosen_priority: Priority | None,
    prior_resolution: PriorResolution,
    now: datetime,
    policy: ScreeningPolicy,
    default_team: str,
) -> Assessment:
    """Add the facts only the database knows (one indexed read) and let the domain decide."""
    text = words.text
    classification = words.classification
    category = chosen_category or classification.category
    fingerprint = words.fingerprint
    order_key = order_id or 0
    earlier = uow.intake.fingerprints_in_scope(buyer_id, order_key, now - policy.duplicate_lookback)
    duplicate_of = distance = None
    for case_id, fp in earlier:
        d = dedup.hamming(fp, fingerprint)
        if d <= policy.duplicate_max_distance and (distance is None or d < distance):
            duplicate_of, distance = case_id, d
    facts = IntakeFacts(
        kind=kind,
        now=now,
        purchased_at=order.paid_at if order is not None else None,
        prior_resolution=prior_resolution,
        distinct_terms=words.distinct_terms,
        abusive=words.abusive,
        substance_without_abuse=words.substance_without_abuse,
        compliance_terms=words.compliance_terms,
        relevant=words.relevant,
        duplicate_of=duplicate_of,
        duplicate_distance=distance,
    )
    verdict = screen(facts, policy)
    hint = priority_hints(
        text, amount_fen=_order_total(order, line_nos), repeat_contacts=len(earlier) + 1
    )
    if (
        chosen_priority is not None
        and PRIORITY_RANK[chosen_priority] < PRIORITY_RANK[hint.priority]
    ):
        hint = PriorityHint(chosen_priority, hint.reasons)
    team = team_for(
        category, compliance=verdict.outcome is Outcome.COMPLIANCE, default=default_team
    )
    return Assessment(
        verdict,
        classification,
        category,
        hint,
        team,
        fingerprint,
        order_key,
        words.abusive,
        words.subject,
        words.description,
    )


def apply_assessment(
    uow: UnitOfWork, case: Case, a: Assessment, *, now: datetime, reopen_window: timedelta
) -> None:
    """Before the case is stored: the verdict's status path, or routing to an agent on duty."""
    if a.verdict.outcome is Outcome.REJECT:
        for action in rejection_path(case.kind):
            case.apply(SYSTEM_ACTOR, action, {"reason": a.verdict.reason}, now, reopen_window)
        return
    if case.team_id is None:
        return
    local = now.astimezone(SHANGHAI)
    # The team's calendar, with the admins' overrides: a declared extra holiday is a day off.
    team_calendar = calendars.calendar_for(
        uow, calendars.calendar_keys(Party.PLATFORM, None, case.team_id)
    )
    working_day, _provisional = team_calendar.is_working_day(local.date())
    assignee = pick_assignee(uow.intake.staff_slots(case.team_id), local, working_day=working_day)
    if assignee is not None:
        case.assign(SYSTEM_ACTOR, assignee, case.team_id, now)


def record_assessment(
    uow: UnitOfWork,
    case: Case,
    a: Assessment,
    *,
    original: tuple[str, str],
    now: datetime,
    policy: ScreeningPolicy,
) -> None:
    """After the case row exists: the verdict row, its fingerprint, and any buyer flag."""
    assert case.id is not None
    v = a.verdict
    uow.intake.add_screening(
        {
            "case_id": case.id,
            "outcome": v.outcome.value,
            "code": v.code,
            "reason": v.reason,
            "trail": [s.as_dict() for s in v.trail],
            "category_source": a.classification.source,
            "model_category": a.classification.category.value,
            "category_confidence": a.classification.confidence,
            "classification_trail": list(a.classification.trail),
            "priority_reasons": [
                {"code": r.code, "zh": r.zh, "en": r.en} for r in a.priority.reasons
            ],
            "duplicate_of": v.duplicate_of,
            "abusive": a.abusive,
            "original_subject": original[0] if a.abusive else None,
            "original_description": original[1] if a.abusive else None,
            "created_at": now,
        }
    )
    if v.outcome is not Outcome.REJECT:
        uow.intake.add_fingerprint(
            case_id=case.id,
            buyer_id=case.buyer_id,
            order_key=a.order_key,
            category=a.category.value,
            fingerprint=a.fingerprint,
            now=now,
        )
        return
    rejected = uow.intake.rejected_since(case.buyer_id, now - policy.malicious_window)
    if (
        rejected >= policy.malicious_rejections
        and uow.intake.open_flag(case.buyer_id, FlagReason.REPEATED_REJECTIONS) is None
    ):
        detail = f"{rejected} rejected cases in {policy.malicious_window.days} days"
        uow.intake.add_flag(
            buyer_id=case.buyer_id, reason=FlagReason.REPEATED_REJECTIONS, detail=detail, now=now
        )
        uow.outbox.add(
            "buyer_flagged",
            case.id,
            {
                "event": "buyer_flagged",
                "case_number": case.number,
                "audiences": ["users"],
                "user_ids": sorted(uow.people.user_ids_with_role("supervisor")),
                "title": f"买家多次被驳回，请复核 / buyer flagged for review ({detail})",
                "body": "",
            },
            now,
        )
