"""Text no column can hold (NUL, lone surrogates): the rule every way in refuses, field named."""

from __future__ import annotations

import re

from kefu.domain.errors import FieldError

# PostgreSQL text cannot hold U+0000 (SQLite can, so the engines would disagree), and a lone
# surrogate (a JSON escape such as "\ud800" with no partner) is no character at all: it cannot
# be encoded as UTF-8 for any column, log line or response. Both are refused as input.
NUL = ("nul_character", "不能包含空字符（U+0000）", "must not contain the NUL character (U+0000)")
SURROGATE = (
    "invalid_unicode",
    "包含无效的 Unicode 字符（不成对的代理项）",
    "contains invalid Unicode (a lone surrogate)",
)
_UNSHOWABLE = re.compile("[\x00\ud800-\udfff]")


def text_fault(value: str) -> tuple[str, str, str] | None:
    """NUL or SURROGATE when `value` holds one (code, zh, en), else None."""
    if "\x00" in value:
        return NUL
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def showable(text: str) -> str:
    """`text` with NUL and lone surrogates written as \\uXXXX, safe to echo in any message."""
    return _UNSHOWABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def fault_error(field: str, fault: tuple[str, str, str]) -> FieldError:
    # The field name may echo a key that itself holds the bad character.
    return FieldError(showable(field), *fault)


def text_error(field: str, value: str) -> FieldError | None:
    """The error naming `field` when `value` is text no column can hold, else None."""
    fault = text_fault(value)
    return None if fault is None else fault_error(field, fault)
