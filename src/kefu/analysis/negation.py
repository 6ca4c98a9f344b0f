"""Is a keyword negated? "不是假货", "应该不像假货", "没有发现欺诈" deny what the keyword says.

Shared by the compliance terms and the priority rules, so a denial is read the same way in both.
The rule is structural rather than a list of whole phrases: a negator (不是, 不像, 不会, 不可能,
没有, 并非, 未, 无 ...) followed only by linking words (是, 发现, 买到, 任何, 什么 ...) right up
to the keyword. Anything else between them keeps the keyword asserted, which is the safe side:
"没想到是假货" and "不知道是假货" allege a fake. Rhetorical questions ("难道不是假货", "该不会是
假货") and "不是假货才怪" assert it too.
"""

from __future__ import annotations

import re

# How far before the keyword a negation is looked for (characters of normalised text).
WINDOW = 12

# Negators (regex), longest first where one is a prefix of another (alternation is ordered).
_NEGATORS = (
    "不太可能",
    "不可能",
    "不像",
    "不会",
    "不算",
    "不属于",
    "不存在",
    "不是",
    "并非",
    "绝非",
    "并未",
    "从未",
    "从没",
    "没有",
    "没",
    "未",
    "无",
    "(?<![莫无除是])非",  # not 莫非 (rhetorical), 无非 (merely), 除非 (unless), 是非
)
# Words that may stand between the negator and the keyword without breaking the denial.
_LINKS = (
    "发现",
    "看到",
    "见到",
    "看出",
    "查出",
    "检测出",
    "验出",
    "鉴定出",
    "鉴定为",
    "说",
    "说过",
    "买到",
    "收到",
    "买过",
    "卖",
    "卖过",
    "存在",
    "出现",
    "遇到",
    "碰到",
    "涉及",
    "任何",
    "什么",
    "啥",
    "一点",
    "一件",
    "一个",
    "有",
    "是",
    "为",
    "过",
    "到",
    "的",
    "啊",
    "哦",
)
_ALT = "|".join
_NEGATED = re.compile(f"(?:{_ALT(_NEGATORS)})(?:{_ALT(sorted(_LINKS, key=len, reverse=True))})*$")
# Just before the negator, these turn the denial into a rhetorical assertion.
# "应该不是" is a plain denial; "该不会是" is a suspicion.
_RHETORICAL = re.compile(r"(难道|(?<!应)该|莫非|莫|岂|怎么|谁说|谁敢说|难说)$")
_SARCASM = re.compile(r"才怪|才有鬼|就怪了")  # matched at the end of the keyword


def is_negated(text: str, start: int, end: int | None = None) -> bool:
    """True when the keyword at ``text[start:end]`` is denied by the words just before it.

    ``text`` should be normalised (``tokenize.normalize``); ``end`` lets "…假货才怪" count."""
    before = text[max(0, start - WINDOW) : start]
    m = _NEGATED.search(before)
    if m is None:
        return False
    if _RHETORICAL.search(before[: m.start()]):
        return False
    return not (end is not None and _SARCASM.match(text, end))
