"""Seller service agreements (seed 002): the contract blanks, validated and applied to clocks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from kefu.domain.errors import FieldError
from kefu.domain.sla_clock import ClockName, ClockSpec, Measure, Party, Span


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


# (field, platform default, shorter is better for the buyer, zh, en). The defaults are the
# platform's figures (seeds 001–004) and the law (L1): a term may only be at least as good.
AGREEMENT_LIMITS: tuple[tuple[str, int, bool, str, str], ...] = (
    ("reply_within_hours", 24, True, "回复时限", "reply time"),
    ("complaint_acceptance_hours", 24, True, "投诉受理时限", "complaint acceptance time"),
    ("solution_working_days", 7, True, "解决方案时限", "solution time"),
    ("return_window_days", 7, False, "退货期", "return window"),
    ("warranty_months", 0, False, "保修期", "warranty"),
)
# Beyond these a figure is almost certainly a typo (hours typed as minutes, days as hours).
_SANE_MAX = {
    "reply_within_hours": 24,
    "complaint_acceptance_hours": 24,
    "solution_working_days": 7,
    "return_window_days": 365,
    "warranty_months": 120,
}


def validate_agreement(agreement: SellerAgreement) -> list[FieldError]:
    """Every blank that is not a whole number at least as good for the buyer as the default."""
    errors: list[FieldError] = []
    for name, default, shorter, zh, en in AGREEMENT_LIMITS:
        value = getattr(agreement, name)
        if value is None:
            continue
        if value <= 0 and not (name == "warranty_months" and value == 0):
            errors.append(
                FieldError(name, "not_positive", f"{zh}必须大于 0", f"{en} must be positive")
            )
        elif shorter and value > default:
            errors.append(
                FieldError(
                    name,
                    "worse_than_platform",
                    f"{zh}不得长于平台标准 {default}（只能对消费者更有利）",
                    f"{en} may not be longer than the platform's {default} "
                    "(agreements may only favour the buyer)",
                )
            )
        elif not shorter and value < default:
            errors.append(
                FieldError(
                    name,
                    "below_legal_floor",
                    f"{zh}不得短于法定的 {default} 日（消保法 25）",
                    f"{en} may not be shorter than the legal {default} days "
                    "(Consumer Protection Law 25)",
                )
            )
        elif value > _SANE_MAX[name]:
            errors.append(
                FieldError(
                    name,
                    "out_of_range",
                    f"{zh}超出合理范围（最多 {_SANE_MAX[name]}）",
                    f"{en} is out of range (at most {_SANE_MAX[name]})",
                )
            )
    return errors
