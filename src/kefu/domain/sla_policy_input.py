"""An SLA policy draft from plain data (API, CLI): every problem a FieldError in zh-CN + en."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from kefu.domain.calendar import DayEnd, Window
from kefu.domain.errors import FieldError
from kefu.domain.sla import PolicyMatch, SlaPolicy
from kefu.domain.sla_clock import (
    JD_WINDOW,
    ClockAction,
    ClockName,
    ClockSpec,
    Measure,
    Party,
    Span,
    TimeoutOutcome,
)
from kefu.domain.types import CaseKind, Category, Channel, Priority

POLICY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
CLOCK_KEYS = frozenset(
    {
        "name",
        "party",
        "measure",
        "amount",
        "rule",
        "warn_share",
        "on_warning",
        "on_breach",
        "on_timeout",
        "window",
        "day_end",
        "roll_to_working_day",
        "caps",
    }
)
E = TypeVar("E", bound=StrEnum)


class PolicyStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


@dataclass(frozen=True)
class MatchIn:
    """What a draft covers; ``seller_id`` is already resolved from the shop code."""

    kind: str | None = None
    category: str | None = None
    priority: str | None = None
    channel: str | None = None
    seller_id: int | None = None


def _enum(kind: type[E], value: object, field: str, errors: list[FieldError]) -> E | None:
    if isinstance(value, str) and value in kind._value2member_map_:
        return kind(value)
    allowed = ", ".join(m.value for m in kind)
    errors.append(
        FieldError(
            field,
            "invalid_choice",
            f"取值无效：{value!r}，可选：{allowed}",
            f"invalid value {value!r}; one of {allowed}",
        )
    )
    return None


def _int(value: object, field: str, errors: list[FieldError]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError(field, "not_integer", "应为整数", "must be an integer"))
        return 0
    return value


def _bool(value: object, field: str, errors: list[FieldError]) -> bool:
    # bool("false") is True: a draft sending text would silently get the opposite rule.
    if not isinstance(value, bool):
        errors.append(
            FieldError(field, "not_boolean", "应为 true 或 false", "must be true or false")
        )
        return False
    return value


def _window(value: object, field: str, errors: list[FieldError]) -> Window:
    try:
        if isinstance(value, str):
            start, _, end = value.replace("–", "-").partition("-")
            return Window.of(start.strip(), end.strip())
        if isinstance(value, Sequence) and len(value) == 2:
            return Window(int(value[0]), int(value[1]))
    except (TypeError, ValueError):
        pass
    errors.append(
        FieldError(
            field,
            "invalid_window",
            "时段格式应为 09:00-18:00",
            "window looks like 09:00-18:00",
        )
    )
    return JD_WINDOW


def _actions(value: object, field: str, errors: list[FieldError]) -> tuple[ClockAction, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        errors.append(FieldError(field, "not_list", "应为列表", "must be a list"))
        return ()
    found = [_enum(ClockAction, a, f"{field}[{i}]", errors) for i, a in enumerate(value)]
    return tuple(a for a in found if a is not None)


def parse_clock(d: Mapping[str, Any], at: str, errors: list[FieldError]) -> ClockSpec | None:
    """One clock spec; the optional keys default as in ClockSpec."""
    before = len(errors)
    unknown = sorted(set(d) - CLOCK_KEYS)
    if unknown:
        errors.append(
            FieldError(
                f"{at}.{unknown[0]}",
                "unknown_field",
                f"未知字段：{', '.join(unknown)}",
                f"unknown field(s): {', '.join(unknown)}",
            )
        )
    for key in ("name", "party", "measure", "amount"):
        if key not in d:
            errors.append(FieldError(f"{at}.{key}", "missing", "必填", "required"))
    if len(errors) > before:
        return None
    name = _enum(ClockName, d["name"], f"{at}.name", errors)
    party = _enum(Party, d["party"], f"{at}.party", errors)
    measure = _enum(Measure, d["measure"], f"{at}.measure", errors)
    amount = _int(d["amount"], f"{at}.amount", errors)
    warn_share = d.get("warn_share", 0.8)
    if isinstance(warn_share, bool) or not isinstance(warn_share, int | float):
        errors.append(FieldError(f"{at}.warn_share", "not_number", "应为数字", "must be a number"))
        warn_share = 0.8
    caps: list[Span] = []
    raw_caps = d.get("caps", [])
    if not isinstance(raw_caps, Sequence) or isinstance(raw_caps, str):
        errors.append(FieldError(f"{at}.caps", "not_list", "应为列表", "must be a list"))
        raw_caps = []
    for j, cap in enumerate(raw_caps):
        where = f"{at}.caps[{j}]"
        if not isinstance(cap, Mapping) or not {"measure", "amount"} <= set(cap):
            errors.append(
                FieldError(
                    where,
                    "invalid_cap",
                    "上限须含 measure 与 amount",
                    "a cap needs measure, amount",
                )
            )
            continue
        cap_measure = _enum(Measure, cap["measure"], f"{where}.measure", errors)
        cap_amount = _int(cap["amount"], f"{where}.amount", errors)
        if cap_measure is not None:
            caps.append(Span(cap_measure, cap_amount, str(cap.get("rule", ""))[:200]))
    spec_window = _window(d["window"], f"{at}.window", errors) if "window" in d else JD_WINDOW
    day_end = _enum(DayEnd, d.get("day_end", DayEnd.END_OF_DAY.value), f"{at}.day_end", errors)
    on_timeout = _enum(TimeoutOutcome, d.get("on_timeout", "none"), f"{at}.on_timeout", errors)
    defaults = ClockSpec(ClockName.RESOLUTION, Party.PLATFORM, Measure.CALENDAR_DAYS, 1)
    on_warning = (
        _actions(d["on_warning"], f"{at}.on_warning", errors)
        if "on_warning" in d
        else defaults.on_warning
    )
    on_breach = (
        _actions(d["on_breach"], f"{at}.on_breach", errors)
        if "on_breach" in d
        else defaults.on_breach
    )
    roll = _bool(d.get("roll_to_working_day", False), f"{at}.roll_to_working_day", errors)
    if len(errors) > before:
        return None
    assert name is not None
    assert party is not None
    assert measure is not None
    assert day_end is not None
    assert on_timeout is not None
    return ClockSpec(
        name=name.value,
        party=party,
        measure=measure,
        amount=amount,
        rule=str(d.get("rule", ""))[:200],
        warn_share=float(warn_share),
        on_warning=on_warning,
        on_breach=on_breach,
        on_timeout=on_timeout,
        window=spec_window,
        day_end=day_end,
        roll_to_working_day=roll,
        caps=tuple(caps),
    )


def parse_policy(
    *,
    policy_id: str,
    version: int,
    match: MatchIn,
    clocks: Sequence[Mapping[str, Any]],
    effective_from: datetime,
) -> tuple[SlaPolicy | None, list[FieldError]]:
    """The draft as a SlaPolicy (not yet validated against the law: see validate_policy)."""
    errors: list[FieldError] = []
    if not POLICY_ID.match(policy_id):
        errors.append(
            FieldError(
                "policy_id",
                "invalid_id",
                "策略编号只能用小写字母、数字、- 和 _（最多 60 个字符）",
                "policy_id: lowercase letters, digits, - and _ (at most 60)",
            )
        )
    if effective_from.tzinfo is None:
        errors.append(
            FieldError(
                "effective_from",
                "naive_datetime",
                "时间须带时区，如 2026-12-10T00:00+08:00",
                "effective_from needs an offset",
            )
        )
    kind = _enum(CaseKind, match.kind, "match.kind", errors) if match.kind else None
    category = _enum(Category, match.category, "match.category", errors) if match.category else None
    priority = _enum(Priority, match.priority, "match.priority", errors) if match.priority else None
    channel = _enum(Channel, match.channel, "match.channel", errors) if match.channel else None
    if not clocks:
        errors.append(
            FieldError("clocks", "empty", "至少需要一个计时器", "a policy needs at least one clock")
        )
    specs = []
    for i, raw in enumerate(clocks):
        if not isinstance(raw, Mapping):
            errors.append(FieldError(f"clocks[{i}]", "not_object", "应为对象", "must be an object"))
            continue
        spec = parse_clock(raw, f"clocks[{i}]", errors)
        if spec is not None:
            specs.append(spec)
    if errors:
        return None, errors
    policy_match = PolicyMatch(
        kind=kind, category=category, priority=priority, channel=channel, seller_id=match.seller_id
    )
    return SlaPolicy(policy_id, version, effective_from, policy_match, tuple(specs)), []
