"""Tokeniser: user-dictionary words stay whole, CJK bigrams, FTS terms."""

from __future__ import annotations

import pytest

from kefu.analysis.tokenize import bigrams, search_terms, tokens


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("这个能不能七天无理由退啊", "七天无理由"),
        ("我申请了退货退款三天了", "退货退款"),
        ("商家只同意仅退款", "仅退款"),
        ("下单时买了运费险", "运费险"),
        ("店铺承诺假一赔三", "假一赔三"),
        ("手机在三包期内", "三包"),
        ("请给我开发票", "发票"),
        ("顺丰快递送来时外箱破损", "破损"),
        ("顺丰快递送来时外箱破损", "顺丰"),
        ("商家漏发了一件", "漏发"),
        ("又错发了颜色", "错发"),
        ("人工客服一直不回", "人工客服"),
        ("不处理就给差评", "差评"),
    ],
)
def test_user_dict_words_stay_whole(text: str, word: str) -> None:
    assert word in tokens(text)


def test_tokens_drop_punctuation_and_fold_width() -> None:
    toks = tokens("退款！！ ＡＢＣ，１２３")
    assert not {"！", "，", " "} & set(toks)
    assert {"abc", "123"} <= set(toks)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退款慢", ["退款", "款慢"]),
        ("退款 abc 快递", ["退款", "快递"]),
        ("好", ["好"]),
        ("iPhone坏了", ["坏了"]),
        ("", []),
    ],
)
def test_bigrams_of_cjk_runs(text: str, expected: list[str]) -> None:
    assert bigrams(text) == expected


def test_search_terms_deduplicated_and_space_joined() -> None:
    terms = search_terms("退款退款，申请退款").split(" ")
    assert len(terms) == len(set(terms))
    assert {"退款", "申请", "请退"} <= set(terms)
    assert '"' not in search_terms('他说"退款"')
