"""Counterfeit and smuggling words: a complaint that alleges them goes to the compliance team."""

from __future__ import annotations

import re

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
# "不是假货", "并非高仿", "没有发现假冒" cancel the allegation.
_NEGATION = re.compile(r"(不是|并非|并不是|没有|没|绝非|非|未)(发现|看到|见到|说)?$")


def compliance_terms(text: str) -> tuple[str, ...]:
    """The counterfeit/smuggling words the text asserts (negated mentions do not count)."""
    norm = normalize(text)
    found: dict[str, None] = {}
    for m in _PATTERN.finditer(norm):
        before = norm[max(0, m.start() - 5) : m.start()]
        if m.group(0) == "不是正品" or not _NEGATION.search(before):
            found.setdefault(m.group(0), None)
    return tuple(found)
