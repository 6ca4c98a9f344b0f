"""Is a keyword negated? "不是假货", "应该不像假货", "没有发现欺诈" deny what the keyword says.

Shared by the compliance terms and the priority rules, so a denial is read the same way in both.
The rule is structural rather than a list of whole phrases: a negator (不是, 不像, 不会, 不可能,
没有, 并非, 未, 无 ...) followed only by linking words (是, 发现, 买到, 任何, 什么, 人 ...) right up
to the keyword. Anything else between them keeps the keyword asserted, which is the safe side:
"没想到是假货" and "不知道是假货" allege a fake. Questions assert too: rhetorical ones ("难道不是
假货", "难道这不是假货", "怎么可能不是假货", "这不是假货吗？"), also with the keyword's object
before the question ("这不是欺骗消费者吗"), "if not X then what" ("不是假货是什么") and sarcasm
("不是假货才怪"), A-not-A ("是不是假货") and suspicion ("该不会是假货"), as does a double
negation, plain ("不可能不是假货") or hedged ("未必不是假货", "不一定不是假货"). A negated
perception verb with a 是-clause denies the noticing, not the fact: "当时没有发现是假货" alleges
a fake, while "没有发现假货" (no clause) still finds none.
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
    "人",  # 没有人受伤, 无人受伤: "nobody was hurt" denies the injury
    "人员",
    "一人",
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
# 不 alone denies a verb or adjective ("不过敏", "不冒烟"), never a noun ("不知道是假货" is no
# denial of 假货), so callers opt in per keyword. Not after 得/要/能/可: "不得不住院" = "had to".
_BARE_NOT = re.compile("(?<![得要能可])不$")
# Just before the negator, these turn the denial into a rhetorical assertion.
# "应该不是" is a plain denial; "该不会是" is a suspicion.
_RHETORICAL = re.compile(r"(难道|(?<!应)该|莫非|莫|岂|怎么可能|怎么会|怎会|怎么|谁说|谁敢说|难说)$")
# These ask rhetorically from anywhere earlier in the clause: "难道你们卖的不是假货".
_RHETORICAL_CLAUSE = re.compile(r"(难道|莫非|谁说)[^,.!?;:、。…~\s]*$")
_CLAUSE_END = r"(?=$|[,.!?;:、。…~\s])"
# "但是不是假货" is "but it is not a fake", not the A-not-A question 是不是.
_CONJUNCTION_SHI = re.compile("(?:但|可|只|就|要|若|于|而|倒|总|也)是$")
# Before the negator, a hedge on the denial ("未必", "不一定": "not necessarily not") makes it a
# suspicion: "未必不是假货" = "may well be a fake". 说不定/说不准 are left out: "说不定不是假货"
# = "perhaps not a fake", a hedged denial. 难说 is in _RHETORICAL already.
_HEDGED = re.compile("(?:未必|不一定|不见得|未见得|不好说)(?:就|也|会|真的?)?$")
# A perception verb then 是 opens a clause: "没有发现是假货" = "did not notice that it was a
# fake", so the negation is on the noticing and the fake is the complainant's fact. Without 是
# ("没有发现假货", "没发现有假货") the verb's object is what was not found: a denial. Only the
# linking perception verbs need this; 注意到, 看出来, 意识到 are no links, so they never deny.
# 检测出/鉴定出/查出 stay denials: "没检测出是假货" reports a test's finding.
_NOTICED = re.compile("(?:发现|看到|见到|看出)是")
# Matched right after the keyword: sarcasm and "if not X then what".
_ASSERTED_AFTER = re.compile(
    "|".join(
        (
            "才怪|才有鬼|就怪了",
            f"(?:那|还|又|那还|那又)?(?:能|会)?是(?:什么|啥)(?:东西|玩意儿?)?[呢啊呀]?{_CLAUSE_END}",
        )
    )
)
# The rest of the keyword's clause, up to punctuation or a line break.
_CLAUSE_REST = re.compile(r"[^,.!?;:、。…~\s]*")
# A yes/no question closing the clause: 吗, or a 么 that does not end 什么/怎么/这么/那么/多么.
# 吧 is no question here: "不是假货吧" asks the reader to agree with the denial.
_YES_NO = re.compile("(?:吗|(?<![什怎那这多要])么)[呢啊呀]?$")
# Between the keyword and the question, these make it ask about something else: a new request
# ("不是假货能退吗"), a wh-word ("不是假货为什么不给退?"), or asking to confirm the denial
# ("这不是假货吧?", "不是假货对吗", "不是假货是吗").
_OTHER_QUESTION = re.compile(
    "能|可以|可否|给|帮|请|要|想|什么|怎|哪|谁|多少|为何|如何|啥|吧|(?:对|是|好|行|没错)$"
)


def is_negated(text: str, start: int, end: int | None = None, *, bare_not: bool = False) -> bool:
    """True when the keyword at ``text[start:end]`` is denied by the words just before it.

    ``text`` should be normalised (``tokenize.normalize``); ``end`` lets "…假货才怪" and
    "…假货吗？" count; ``bare_not`` lets a lone 不 deny a verb-like keyword ("不过敏")."""
    before = text[max(0, start - WINDOW) : start]
    m = _NEGATED.search(before)
    if m is not None:
        if _NOTICED.search(m.group()):
            return False
        negator = start - len(before) + m.start()
    elif bare_not and _BARE_NOT.search(before):
        negator = start - 1
    else:
        return False
    if _asked_or_doubled(text, negator):
        return False
    return not (end is not None and (_ASSERTED_AFTER.match(text, end) or _asked_after(text, end)))


def _asked_after(text: str, end: int) -> bool:
    """Does the keyword's clause, ending at ``text[end]``, close as a yes/no question?

    "这不是假货吗？", "你们卖的不是假货？" and, with the keyword's object in between, "这不是欺骗
    消费者吗" ask rhetorically: they allege. Up to WINDOW characters may stand between, as long
    as none of them turns the question to something else (_OTHER_QUESTION)."""
    rest = _CLAUSE_REST.match(text, end)
    assert rest is not None  # a * pattern always matches
    question = _YES_NO.search(rest.group())
    if question is not None:
        between = rest.group()[: question.start()]
    elif text.startswith("?", rest.end()):
        between = rest.group()
    else:
        return False
    return len(between) <= WINDOW and _OTHER_QUESTION.search(between) is None


def _asked_or_doubled(text: str, negator: int) -> bool:
    """Do the words before the negator at ``text[negator]`` turn its denial into an assertion?"""
    prefix = text[max(0, negator - 2 * WINDOW) : negator]
    if _RHETORICAL.search(prefix) or _RHETORICAL_CLAUSE.search(prefix):
        return True
    # A-not-A ("是不是", "有没有", "会不会", "过不过敏") asks; it does not deny.
    if (
        prefix
        and negator + 1 < len(text)
        and prefix[-1] == text[negator + 1]
        and not _CONJUNCTION_SHI.search(prefix)
    ):
        return True
    if _HEDGED.search(prefix):
        return True
    # A negation of the negation asserts: "不可能不是假货", "不是没有假货", "没有不是假货的".
    return _NEGATED.search(prefix[-WINDOW:]) is not None
