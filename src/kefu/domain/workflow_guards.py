"""What an action needs besides the transition table: its parameters and its guards."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kefu.domain.errors import FieldError
from kefu.domain.workflow_states import Action, Status

# The one free-text parameter an action takes; forms show a single text box for it.
TEXT_PARAM: dict[Action, str] = {
    Action.REJECT: "reason",
    Action.REOPEN: "reason",
    Action.DISPUTE_RESULT: "reason",
    Action.SUSPEND: "reason",
    Action.SELLER_RESPOND: "body",
    Action.REPLY: "body",
    Action.DECIDE: "decision",
}


# Actions that take named fields rather than one text (forms and the API need one input each).
FIELD_PARAMS: dict[Action, tuple[str, ...]] = {
    Action.SHIP_RETURN: ("carrier", "tracking_no"),
}


def text_param(action: Action) -> str:
    """The parameter name a free-text answer to this action goes into."""
    return TEXT_PARAM.get(action, "reason")


class SuspendReason(StrEnum):
    SELF_SETTLEMENT = "self_settlement"  # 双方自行和解
    COURT_OR_POLICE = "court_or_police"  # 诉讼、仲裁或报警


@dataclass(frozen=True)
class GuardInput:
    """What a guard may look at: the case facts, the parameters of the action and the time."""

    status: Status
    params: Mapping[str, object]
    now: datetime
    ended_at: datetime | None
    reopen_window: timedelta


Guard = Callable[[GuardInput], list[FieldError]]


def needs_text(name: str, zh: str, en: str) -> Guard:
    def guard(g: GuardInput) -> list[FieldError]:
        value = g.params.get(name)
        if isinstance(value, str) and value.strip():
            return []
        return [FieldError(name, "required", f"必须填写{zh}", f"{en} is required")]

    return guard


def suspend_reason_given(g: GuardInput) -> list[FieldError]:
    if g.params.get("reason") in {r.value for r in SuspendReason}:
        return []
    return [
        FieldError(
            "reason",
            "invalid_choice",
            "中止原因必须是 self_settlement（自行和解）或 court_or_police（诉讼/报警）",
            "reason must be self_settlement or court_or_police",
        )
    ]


def within_reopen_window(g: GuardInput) -> list[FieldError]:
    if g.ended_at is not None and g.now - g.ended_at <= g.reopen_window:
        return []
    days = g.reopen_window.days
    return [
        FieldError(
            "ended_at",
            "reopen_window_passed",
            f"已超过可重新打开的期限（结案后 {days} 天内）",
            f"the reopen window ({days} days after the case ended) has passed",
        )
    ]


_TRACKING = re.compile(r"^[A-Za-z0-9-]{6,40}$")


def return_shipment_given(g: GuardInput) -> list[FieldError]:
    """ship_return: the carrier and the waybill number the seller can track the return by."""
    problems: list[FieldError] = []
    carrier = g.params.get("carrier")
    if not (isinstance(carrier, str) and 0 < len(carrier.strip()) <= 40):
        problems.append(
            FieldError(
                "carrier",
                "required",
                "必须填写退货快递公司（不超过 40 字）",
                "the return carrier is required (at most 40 characters)",
            )
        )
    tracking = g.params.get("tracking_no")
    if not (isinstance(tracking, str) and _TRACKING.match(tracking.strip())):
        problems.append(
            FieldError(
                "tracking_no",
                "invalid_tracking_no",
                "退货快递单号必填，6–40 位字母、数字或连字符",
                "the return waybill number is required: 6-40 letters, digits or hyphens",
            )
        )
    return problems


def all_of(*guards: Guard) -> Guard:
    def guard(g: GuardInput) -> list[FieldError]:
        return [e for each in guards for e in each(g)]

    return guard
