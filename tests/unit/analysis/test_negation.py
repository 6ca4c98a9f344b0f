"""Negation: a denial cancels a keyword, a rhetorical or sarcastic one keeps it, in both readers."""

from __future__ import annotations

import pytest

from kefu.analysis.compliance import compliance_terms
from kefu.analysis.negation import is_negated
from kefu.analysis.priority import priority_hints
from kefu.domain.types import Priority


def _negated(text: str, keyword: str) -> bool:
    start = text.index(keyword)
    return is_negated(text, start, start + len(keyword))


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("不是假货", "假货"),
        ("应该不像假货", "假货"),
        ("应该不是假货", "假货"),  # 应该 is not the rhetorical 该
        ("应该不会是假货", "假货"),
        ("没有发现任何假冒", "假冒"),
        ("并非高仿", "高仿"),
        ("未发现假冒", "假冒"),
        ("从未卖过假货", "假货"),
        ("我买到的不可能是假货", "假货"),
        ("不太可能是假货", "假货"),
        ("绝非假货", "假货"),
        ("不属于假冒", "假冒"),
        ("不存在假冒", "假冒"),
        ("没鉴定出假货", "假货"),
        ("商家没有发现任何欺诈", "欺诈"),
        ("没有受伤", "受伤"),
        ("没有人受伤", "受伤"),  # a person word between negator and keyword
        ("无人受伤", "受伤"),
        ("没人受伤", "受伤"),
        ("没有任何人受伤", "受伤"),
        ("无一人受伤", "受伤"),
        ("没有发现不是正品", "不是正品"),  # nothing non-genuine was found
        ("这不是假货吧", "假货"),  # 吧 asks for agreement with the denial, it is no rhetoric
        ("这不是假货。", "假货"),
        ("不是假货,是什么问题?", "假货"),  # the question is a new clause
        ("不是假货,你们怎么解释?", "假货"),
        ("应该不是假货吗啡", "假货"),  # 吗 only at the end of the clause
        ("但是不是假货,只是做工差", "假货"),  # 但是 + 不是, not the A-not-A 是不是
        ("可是不是假货", "假货"),
        ("并非假冒", "假冒"),
        ("没有欺诈", "欺诈"),
        ("没有发现假货", "假货"),  # 发现 + a noun: none were found
        ("没发现有假货", "假货"),
        ("没检测出是假货", "假货"),  # a test's finding, not a person's noticing
        ("这不是欺骗消费者吧", "欺骗"),  # 吧 again, with the verb's object in between
        ("这不是假货吧?", "假货"),
        ("不是假货对吗", "假货"),  # a tag asking to confirm the denial
        ("不是假货是吗?", "假货"),
        ("这个不是假货,能退吗?", "假货"),  # the question is a new clause
        ("不是假货能退吗", "假货"),  # a new request in the same clause
        ("如果不是假货的话可以退吗", "假货"),
        ("不是假货为什么不给退?", "假货"),  # a wh-question asks about something else
        ("不是欺骗消费者,是什么问题吗", "欺骗"),  # the question is a new clause
        ("说不定不是假货", "假货"),  # "perhaps not": a hedged denial is still a denial
    ],
)
def test_a_plain_denial_negates(text: str, keyword: str) -> None:
    assert _negated(text, keyword)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("收到的明显是假货", "假货"),  # no negator at all
        ("没想到是假货", "假货"),  # 想到 is not a linking word: surprise, not denial
        ("不知道是假货", "假货"),
        ("难道不是假货", "假货"),  # rhetorical questions assert
        ("岂不是假货", "假货"),
        ("谁说不是假货", "假货"),
        ("怎么不是假货", "假货"),
        ("莫非不是假货", "假货"),
        ("该不会是假货吧", "假货"),  # suspicion, unlike 应该不会
        ("不是假货才怪", "假货"),  # sarcasm after the keyword
        ("不是假的才怪", "假的"),
        ("这货不是假货才有鬼", "假货"),
        ("不是假货就怪了", "假货"),
        ("无非是高仿", "高仿"),  # 无非 means "merely", not "not"
        ("没有，是假货", "假货"),  # the denial answers something else
        ("没有受伤，孩子被烫伤了", "烫伤"),
        ("难道这不是假货吗", "假货"),  # 难道 anywhere earlier in the clause
        ("难道你们卖的不是假货吗", "假货"),
        ("难道这不是诈骗", "诈骗"),
        ("难道你们卖的不是假货", "假货"),
        ("这不是假货是什么", "假货"),  # "if not a fake, then what?"
        ("这不是欺诈是什么", "欺诈"),
        ("不是高仿是什么", "高仿"),
        ("这不是假货还能是什么?", "假货"),
        ("不是假货又是啥", "假货"),
        ("怎么可能不是假货", "假货"),
        ("怎么会不是假货", "假货"),
        ("这不是假货吗?", "假货"),  # a negated keyword asked about at the end of the clause
        ("这不是假货吗", "假货"),
        ("你们卖的不是假货?", "假货"),
        ("不是假的么", "假的"),
        ("这不是假货吗,还说是正品", "假货"),
        ("这是不是假货", "假货"),  # A-not-A asks, like 该不会: a suspicion
        ("我是不是买到假货了", "假货"),
        ("有没有受伤还不知道", "受伤"),
        ("不可能不是假货", "假货"),  # a double negation asserts
        ("不是没有假货", "假货"),
        ("没有不是假货的", "假货"),
        ("这不是欺骗消费者吗", "欺骗"),  # the question ends the clause, after the object
        ("这不是欺骗消费者吗?", "欺骗"),  # is_negated reads normalised text: ？ is ?
        ("你们这不是欺骗消费者么", "欺骗"),
        ("这不是欺骗消费者?", "欺骗"),
        ("这不是假冒伪劣产品吗", "假冒"),
        ("难道不是假货吗", "假货"),
        ("未必不是假货", "假货"),  # a hedged double negation: "may well be"
        ("未必就不是假货", "假货"),
        ("不一定不是假货", "假货"),
        ("不见得不是假货", "假货"),
        ("不好说不是假货", "假货"),
        ("未必是假货", "假货"),  # a hedge is no denial: kept, the safe side
        ("当时没有发现是假货", "假货"),  # the negation is on noticing, the fake is a fact
        ("没发现是假货", "假货"),
        ("没看出是假货", "假货"),
        ("一直没有看到是假的", "假的"),
        ("没注意到是假的", "假的"),
        ("当时没看出来是假货", "假货"),
        ("不得不说是欺诈", "欺诈"),  # 不得不 means "have to"
    ],
)
def test_an_assertion_stays_asserted(text: str, keyword: str) -> None:
    assert not _negated(text, keyword)


def test_sarcasm_is_read_only_when_the_keyword_end_is_given() -> None:
    text = "不是假货才怪"
    assert is_negated(text, 2)
    assert not is_negated(text, 2, 4)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("不是假货", ()),
        ("应该不像假货", ()),
        ("没有发现任何假冒", ()),
        ("并非高仿", ()),
        ("这个不是假的", ()),
        ("不是非正品", ()),  # "not non-genuine"
        ("收到的明显是假货", ("假货",)),
        ("没想到是假货", ("假货",)),
        ("不知道是假货", ("假货",)),
        ("难道不是假货？", ("假货",)),
        ("该不会是假货吧", ("假货",)),
        ("不是假货才怪", ("假货",)),
        ("不是正品", ("不是正品",)),  # the negation is the allegation itself
        ("这不是正品，是高仿", ("不是正品", "高仿")),
        ("并非正品", ("非正品",)),
        ("不是假货，是水货", ("水货",)),
        ("老公说不是假货，我觉得是假货", ("假货",)),  # one asserted mention is enough
        ("难道这不是假货吗", ("假货",)),
        ("难道你们卖的不是假货吗", ("假货",)),
        ("这不是假货是什么", ("假货",)),
        ("不是高仿是什么", ("高仿",)),
        ("怎么可能不是假货", ("假货",)),
        ("这不是假货吗？", ("假货",)),
        ("你们卖的不是假货？", ("假货",)),
        ("这是不是假货？", ("假货",)),
        ("这不是假货吧", ()),
        ("没有发现不是正品", ()),  # a denial before 不是正品 denies it like any other term
        ("没有不是正品的", ()),
        ("并非假冒", ()),
        ("没有发现假货", ()),
        ("未必不是假货", ("假货",)),
        ("当时没有发现是假货", ("假货",)),
        ("没注意到是假的", ("假的",)),
        ("当时没看出来是假货", ("假货",)),
        ("这不是假冒伪劣产品吗？", ("假冒",)),
        ("这不是走私进来的吗", ("走私",)),
    ],
)
def test_compliance_terms_count_only_asserted_words(text: str, terms: tuple[str, ...]) -> None:
    assert compliance_terms(text) == terms


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("孩子被烫伤了", "safety"),
        ("没有受伤，但孩子被烫伤了", "safety"),
        ("该不会起火吧", "safety"),
        ("商家欺诈消费者", "fraud"),
        ("你们就是骗子", "fraud"),
        ("我受骗了，钱也没退", "fraud"),
        ("没想到被骗了", "fraud"),
        ("不知道是骗子", "fraud"),
        ("难道不是欺诈", "fraud"),
        ("不是诈骗才怪", "fraud"),
        ("难道这不是诈骗吗", "fraud"),
        ("这不是欺诈是什么", "fraud"),
        ("这不是诈骗吗？", "fraud"),
        ("吃完不得不住院", "safety"),  # 不得不 means "had to"
        ("宝宝会不会过敏", "safety"),
        ("过不过敏还不知道", "safety"),
        ("这不是欺骗消费者吗", "fraud"),
        ("这不是欺骗消费者吗？", "fraud"),
        ("不得不说是欺诈", "fraud"),
        ("未必不是诈骗", "fraud"),
        ("当时没发现是骗子", "fraud"),
        ("孩子不是过敏了吗", "safety"),
    ],
)
def test_asserted_danger_is_urgent(text: str, code: str) -> None:
    hint = priority_hints(text, amount_fen=None, repeat_contacts=0)
    assert hint.priority is Priority.URGENT
    assert code in [r.code for r in hint.reasons]


@pytest.mark.parametrize(
    "text",
    [
        "没有受伤",
        "幸好没有受伤",
        "没有出现过敏",
        "应该不会起火",
        "并没有欺诈",
        "商家没有发现任何欺诈",
        "不是骗子",
        "没有受骗",
        "并没有被骗",
        "没有人受伤",
        "无人受伤",
        "幸好无一人受伤",
        "不过敏",  # 不 alone denies a verb-like symptom
        "用了一周，一点都不过敏",
        "家里没有人过敏",
        "没有欺诈",
        "并不过敏",
    ],
)
def test_denied_danger_is_not_urgent(text: str) -> None:
    hint = priority_hints(text, amount_fen=None, repeat_contacts=0)
    assert hint.priority is Priority.NORMAL
    assert hint.reasons == []


@pytest.mark.parametrize(
    "text",
    [
        "不是假货",
        "应该不像假货",
        "并非高仿",
        "没有发现任何假冒",
        "收到的明显是假货",
        "难道不是假货",
        "该不会是山寨货吧",
        "不是高仿才怪",
        "难道这不是假货吗",
        "难道你们卖的不是假货吗",
        "这不是假货是什么",
        "怎么可能不是假货",
        "这不是假货吗？",
        "你们卖的不是假货？",
        "这是不是假货",
        "不可能不是假货",
        "这不是假货吧",
        "没有发现不是正品",
        "没有发现不是正品，但有一件是高仿",
        "没想到是假货",
        "未必不是假货",
        "当时没有发现是假货",
        "当时没看出来是假货",
        "这不是假冒伪劣产品吗",
        "没有发现假货",
    ],
)
def test_compliance_and_priority_read_a_denial_the_same_way(text: str) -> None:
    alleged = bool(compliance_terms(text))
    codes = [r.code for r in priority_hints(text, amount_fen=None, repeat_contacts=0).reasons]
    assert ("counterfeit" in codes) == alleged
