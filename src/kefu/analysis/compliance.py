"""Counterfeit and smuggling words: a complaint that alleges them goes to the compliance team."""

from __future__ import annotations

import re

from .negation import is_negated
from .tokenize import normalize

# Alleging fake or smuggled goods (seed 003 excludes them from the normal dispute flow). Kept
# narrow on purpose: "质量差" is a quality complaint, "假货" is an allegation compliance must see.
_TERMS = (
    "假货",
    "假冒",
    "冒牌",
    "仿冒",
    "高仿",
    "山寨",
    "盗版",
    "非正品",
    "不是正品",
    "假的",
    "走私",
    "水货",
    "来源不明",
    "翻新机",
    "贴牌",
    "假药",
)
_PATTERN = re.compile("|".join(sorted(map(re.escape, _TERMS), key=len, reverse=True)))
# A denial just before the word ("不是假货", "应该不像假货", "不会是假的", "并非高仿", "没有发现
# 任何假冒") cancels the allegation; see negation.is_negated. "不是正品" is itself the allegation
# (its own 不是 is inside the match, never read as a denial), and a denial before it denies it
# like any other word: "没有发现不是正品" says nothing non-genuine was found, so it alleges
# nothing. The priority rules read it the same way, and must: both share is_negated.


def compliance_terms(text: str) -> tuple[str, ...]:
    """The counterfeit/smuggling words the text asserts (negated mentions do not count)."""
    norm = normalize(text)
    found: dict[str, None] = {}
    for m in _PATTERN.finditer(norm):
        term = m.group(0)
        if not is_negated(norm, m.start(), m.end()):
            found.setdefault(term, None)
    return tuple(found)
