"""Priority hints for intake: urgent/high/normal/low from text, amount and repeats, with reasons."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kefu.domain.types import PRIORITY_RANK, Priority

from .negation import is_negated
from .tokenize import normalize

DEFAULT_LARGE_AMOUNT_FEN = 500_000  # ¥5,000
DEFAULT_HIGH_AMOUNT_FEN = 100_000  # ¥1,000
DEFAULT_REPEAT_CONTACTS = 3


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a priority was suggested: a stable code plus Chinese and English text."""

    code: str
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class PriorityHint:
    """The suggested priority and every reason that contributed (strongest first)."""

    priority: Priority
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    priority: Priority
    zh: str
    en: str
    pattern: re.Pattern[str]
    bare_not: bool = False  # a lone 不 denies the words: they are verbs ("不过敏", "不冒烟")


def _rule(
    code: str, priority: Priority, zh: str, en: str, words: str, *, bare_not: bool = False
) -> _Rule:
    return _Rule(code, priority, zh, en, re.compile(words), bare_not)


# A negation just before the keyword ("没有受伤", "无人受伤", "不是诈骗", "并没有欺诈") cancels
# it; see _hit() and negation.is_negated, which compliance shares.

_RULES: tuple[_Rule, ...] = (
    _rule(
        "safety",
        Priority.URGENT,
        "人身安全风险",
        "personal safety risk",
        r"受伤|划伤|割伤|砸伤|起火|着火|自燃|冒烟|烫伤|烧伤|灼伤|过敏|食物中毒|中毒|"
        r"触电|漏电|爆炸|炸裂|爆裂|送医|住院|急诊|窒息|呕吐|腹泻|拉肚子",
        bare_not=True,
    ),
    _rule(
        "fraud",
        Priority.URGENT,
        "疑似诈骗",
        "suspected fraud",
        r"诈骗|欺诈|欺骗|骗我|骗了我|坑骗|诓骗|骗子|受骗|骗局|骗钱|骗走|被骗|"
        r"钓鱼链接|冒充客服|盗刷|盗号|套现|虚假链接|让我转账|私下转账|验证码被",
    ),
    _rule(
        "minor",
        Priority.URGENT,
        "涉及未成年人",
        "involves a minor",
        r"未成年|未满18|未满十八|(孩子|小孩|儿子|女儿|学生)(偷偷|偷拿|瞒着|私自)|误食|吞下|吞食|误吞",
    ),
    # A children's product alone ("儿童玩具发货慢") is not an emergency; it is handled with care.
    _rule(
        "child_product",
        Priority.HIGH,
        "儿童/婴幼儿用品",
        "product for children or infants",
        r"儿童|婴儿|幼儿|宝宝|奶粉|童装|玩具",
    ),
    _rule(
        "regulator",
        Priority.HIGH,
        "扬言投诉监管或媒体",
        "threatens regulator or media escalation",
        r"12315|消协|消费者协会|市场监管|工商局|报警|起诉|律师|曝光|媒体|黑猫投诉",
    ),
    _rule(
        "counterfeit",
        Priority.HIGH,
        "疑似假货或走私",
        "suspected counterfeit or smuggled",
        # The compliance queue's words (analysis.compliance) that name fake or smuggled goods:
        # a case compliance must see should not wait behind routine ones. The generic 假的 and
        # 来源不明 route it there but say too little to raise it.
        r"假货|假冒|冒牌|仿冒|高仿|山寨|盗版|不是正品|非正品|假一赔|假药|走私|水货|翻新机",
    ),
    _rule(
        "angry",
        Priority.HIGH,
        "情绪激烈",
        "strong dissatisfaction",
        r"忍无可忍|太过分|气死|欺人太甚|再不处理|最后一次|给个说法",
    ),
    _rule(
        "suggestion",
        Priority.LOW,
        "建议或咨询",
        "suggestion or enquiry",
        r"建议|希望能|希望可以|能不能增加|可否增加|想咨询|请问一下|顺便问",
    ),
)


def _hit(rule: _Rule, text: str) -> bool:
    return any(
        not is_negated(text, m.start(), m.end(), bare_not=rule.bare_not)
        for m in rule.pattern.finditer(text)
    )


def priority_hints(
    text: str,
    *,
    amount_fen: int | None,
    repeat_contacts: int,
    large_amount_fen: int = DEFAULT_LARGE_AMOUNT_FEN,
    high_amount_fen: int = DEFAULT_HIGH_AMOUNT_FEN,
    repeat_threshold: int = DEFAULT_REPEAT_CONTACTS,
) -> PriorityHint:
    """Suggest a priority: the strongest of the text rules, the amount and repeat contacts."""
    norm = normalize(text)
    reasons: list[tuple[Priority, Reason]] = [
        (r.priority, Reason(r.code, r.zh, r.en)) for r in _RULES if _hit(r, norm)
    ]
    if amount_fen is not None and amount_fen >= large_amount_fen:
        yuan = f"{amount_fen / 100:,.2f}"
        reasons.append(
            (
                Priority.URGENT,
                Reason("large_amount", f"金额较大(¥{yuan})", f"large amount (¥{yuan})"),
            )
        )
    elif amount_fen is not None and amount_fen >= high_amount_fen:
        yuan = f"{amount_fen / 100:,.2f}"
        reasons.append(
            (Priority.HIGH, Reason("high_amount", f"金额偏高(¥{yuan})", f"high amount (¥{yuan})"))
        )
    if repeat_contacts >= repeat_threshold:
        reasons.append(
            (
                Priority.URGENT,
                Reason(
                    "repeat_contacts",
                    f"重复来访{repeat_contacts}次",
                    f"contacted {repeat_contacts} times about this",
                ),
            )
        )
    elif repeat_contacts == repeat_threshold - 1 and repeat_threshold > 1:
        reasons.append(
            (Priority.HIGH, Reason("second_contact", "再次来访", "contacted again about this"))
        )
    if not reasons:
        return PriorityHint(Priority.NORMAL, [])
    reasons.sort(key=lambda pr: PRIORITY_RANK[pr[0]])  # stable: rule order within a rank
    strongest = reasons[0][0]
    # LOW only when nothing else speaks: a suggestion with a safety issue is still urgent.
    return PriorityHint(strongest, [r for _, r in reasons])
