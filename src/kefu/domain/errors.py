"""Domain errors: each carries a stable code, the fields at fault and a zh-CN + en message."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class FieldError:
    """One field at fault and why, in Chinese and English."""

    field: str
    code: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "field": self.field,
            "code": self.code,
            "message_zh": self.zh,
            "message_en": self.en,
        }


@dataclass
class DomainError(Exception):
    """Base of every error a user can cause; the web layer maps `status` to HTTP."""

    code: str
    zh: str
    en: str
    fields: Sequence[FieldError] = field(default_factory=tuple)
    extra: dict[str, Any] = field(default_factory=dict)
    status: int = 400

    def __str__(self) -> str:
        return f"{self.code}: {self.en}"


class InvalidInput(DomainError):
    def __init__(self, fields: Sequence[FieldError], *, code: str = "invalid_input") -> None:
        zh = "；".join(f"{f.field}：{f.zh}" for f in fields) or "输入无效"
        en = "; ".join(f"{f.field}: {f.en}" for f in fields) or "invalid input"
        super().__init__(code, zh, en, tuple(fields), {}, 422)


def invalid(field_name: str, code: str, zh: str, en: str) -> InvalidInput:
    """Build an InvalidInput for a single field."""
    return InvalidInput([FieldError(field_name, code, zh, en)])


def split_label(label: str) -> tuple[str, str]:
    """ "SLA 策略版本 SLA policy version" -> ("SLA 策略版本", "SLA policy version"): the words up
    to the last one holding Chinese are the zh name, the rest the English one."""
    words = label.split()
    last_zh = max((i for i, w in enumerate(words) if _CJK.search(w)), default=-1)
    if last_zh < 0 or last_zh == len(words) - 1:
        return label, label
    return " ".join(words[: last_zh + 1]), " ".join(words[last_zh + 1 :])


class NotFound(DomainError):
    def __init__(self, what: str, key: object) -> None:
        zh, en = split_label(what)
        super().__init__(
            "not_found",
            f"未找到{zh}：{key}",
            f"{en} not found: {key}",
            (),
            {"what": what, "key": str(key)},
            404,
        )


class PermissionDenied(DomainError):
    def __init__(self, zh: str = "无权执行此操作", en: str = "not allowed") -> None:
        super().__init__("permission_denied", zh, en, (), {}, 403)


class NotAuthenticated(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "not_authenticated",
            "请先登录或提供有效的 API 令牌",
            "log in or present a valid API token",
            (),
            {},
            401,
        )


class InvalidTransition(DomainError):
    def __init__(self, current: str, action: str, allowed: Sequence[str]) -> None:
        super().__init__(
            "invalid_transition",
            f"当前状态“{current}”下不能执行“{action}”；可执行：{'、'.join(allowed) or '无'}",
            f"cannot {action} in state {current}; allowed: {', '.join(allowed) or 'none'}",
            (),
            {"current_status": current, "action": action, "allowed_actions": list(allowed)},
            409,
        )


class GuardFailed(DomainError):
    """A transition exists but its guard refused it (reason missing, window passed …)."""

    def __init__(self, field_errors: Sequence[FieldError], code: str = "guard_failed") -> None:
        zh = "；".join(f.zh for f in field_errors)
        en = "; ".join(f.en for f in field_errors)
        super().__init__(code, zh, en, tuple(field_errors), {}, 422)


class VersionConflict(DomainError):
    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            "version_conflict",
            f"数据已被他人修改（你的版本 {expected}，当前版本 {actual}），请刷新后重试",
            f"the record changed (your version {expected}, current {actual}); reload and retry",
            (),
            {"expected_version": expected, "current_version": actual},
            409,
        )


class IdempotencyMismatch(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于另一个不同的请求",
            "this Idempotency-Key was already used for a different request",
            (
                FieldError(
                    "Idempotency-Key",
                    "reused",
                    "键已被不同请求使用",
                    "key used for a different request",
                ),
            ),
            {},
            422,
        )
