"""One order field at a time: text, whole numbers, money and times, each fault named."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kefu.domain.errors import FieldError
from kefu.domain.text_faults import fault_error, text_fault
from kefu.domain.types import INSTANT_RANGE_EN, INSTANT_RANGE_ZH, in_instant_range

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Bounds that keep every number well inside the database's 64-bit (line_no, quantity: 32-bit)
# integers: one line or one order at most 10^13 - 1 fen (just under 1000 亿元).
MAX_FEN = 10**13 - 1
MAX_QUANTITY = 1_000_000
MAX_LINE_NO = 100_000
_FEN = ("金额", " fen")


def blank(value: Any) -> bool:
    """An absent value: missing, None, or a cell of only spaces (spreadsheets leave those)."""
    return value is None or (isinstance(value, str) and not value.strip())


class FieldCollector:
    """Reads one field at a time, keeping every fault (named by its path) for one answer."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, code: str, zh: str, en: str) -> None:
        self.errors.append(FieldError(field, code, zh, en))

    def text(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        required: bool,
        max_len: int = 200,
        path: str = "",
    ) -> str:
        value = data.get(key)
        name = path + key
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(name, "required", "必填", "is required")
            return ""
        if not isinstance(value, str | int):
            self.add(name, "type", "必须是文本", "must be text")
            return ""
        text = str(value).strip()
        fault = text_fault(text)
        if fault is not None:  # every way in (API, files, webhooks) meets the same rule here
            self.errors.append(fault_error(name, fault))
            return ""
        if len(text) > max_len:
            self.add(
                name,
                "too_long",
                f"不能超过 {max_len} 个字符",
                f"must be at most {max_len} characters",
            )
        return text

    def integer(
        self,
        data: Mapping[str, Any],
        key: str,
        *,
        path: str,
        low: int,
        high: int,
        label: tuple[str, str],
        default: int | None = None,
    ) -> int | None:
        """A whole number in [low, high] (int, integral float or digits); None when rejected."""
        value = data.get(key)
        name = path + key
        money = label == _FEN
        if blank(value):
            if default is not None:
                return default
            if money:
                self.add(name, "required", "必填（单位：分）", "is required (in fen)")
            else:
                self.add(name, "required", "必填", "is required")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # 2.0 from a JSON writer is 2; 1.9 is not a whole number
        if isinstance(value, bool) or not isinstance(value, int | str):
            if money:
                self.add(name, "type", "必须是整数（单位：分）", "must be an integer number of fen")
            else:
                self.add(name, "type", "必须是整数", "must be an integer")
            return None
        if isinstance(value, str):
            digits = value.strip()
            if not re.fullmatch(r"[-+]?\d+", digits):
                if money:
                    self.add(
                        name,
                        "not_integer",
                        "金额必须是整数分，不能有小数",
                        "money must be whole fen, no decimals",
                    )
                else:
                    self.add(
                        name, "not_integer", "必须是整数，不能有小数", "must be a whole number"
                    )
                return None
            # Past 30 digits it is out of range anyway (and int() refuses ~4300+ digits).
            value = int(digits) if len(digits) <= 30 else (-1 if digits[0] == "-" else 1) * 10**30
        zh_label, en_label = label
        if value < 0 and low >= 0:
            self.add(name, "negative", f"{zh_label}不能为负数", "must not be negative")
            return None
        if value < low:
            self.add(
                name,
                "zero" if value == 0 else "too_small",
                f"{zh_label}至少为 {low}",
                f"must be at least {low}",
            )
            return None
        if value > high:
            self.add(
                name,
                "too_large",
                f"{zh_label}不能超过 {high}{'（分）' if money else ''}",
                f"must be at most {high}{en_label}",
            )
            return None
        return int(value)

    def fen(
        self, data: Mapping[str, Any], key: str, *, path: str, default: int | None = None
    ) -> int | None:
        return self.integer(data, key, path=path, low=0, high=MAX_FEN, label=_FEN, default=default)

    def when(self, data: Mapping[str, Any], key: str, *, required: bool) -> datetime | None:
        value = data.get(key)
        if blank(value):
            if required:
                self.add(key, "required", "必填（ISO 8601 时间）", "is required (ISO 8601 time)")
            return None
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError:
                self.add(
                    key,
                    "bad_time",
                    "时间格式无效，应为 ISO 8601，如 2026-11-20T10:00:00+08:00",
                    "invalid time; use ISO 8601 such as 2026-11-20T10:00:00+08:00",
                )
                return None
        if not in_instant_range(parsed):
            self.add(key, "out_of_range", INSTANT_RANGE_ZH, INSTANT_RANGE_EN)
            return None
        if parsed.tzinfo is None:
            # Shop exports commonly carry local wall-clock times: read them as Asia/Shanghai.
            parsed = parsed.replace(tzinfo=SHANGHAI)
        return parsed.astimezone(UTC)
