"""Tokeniser: user-dictionary words stay whole, forced splits, parity with Python jieba."""

from __future__ import annotations

import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jieba
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.analysis.tokenize import (
    _CJK_RUN,
    bigram_tuple,
    bigrams,
    cut_words,
    get_tokenizer,
    normalize,
    python_tokenizer,
    search_terms,
    tokens,
)


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


# --- jieba-rs at intake, Python jieba as the reference --------------------------------------

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO / "src/kefu/demo_data/complaints.txt"
HANDWRITTEN = REPO / "src/kefu/analysis/data/handwritten.tsv"
_CHARS = list("abcAZΣσςİıﬁ①㈱ｅＡ，。！？（）　 \u0301\u0308e가\u1100\u1161\u212bÅé退款發票\n-.%")


@pytest.fixture(scope="module")
def python_jieba() -> jieba.Tokenizer:
    return python_tokenizer()


def _corpus_lines() -> list[str]:
    lines = [t.strip() for t in CORPUS.read_text(encoding="utf-8").splitlines() if t.strip()]
    for row in HANDWRITTEN.read_text(encoding="utf-8").splitlines():
        if row.strip() and not row.startswith("#"):
            lines.append(row.split("\t", 1)[1])
    return lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The forced splits: jieba's dictionary joins 开发票 and 发快递.
        ("请给我开发票", ["请", "给", "我", "开", "发票"]),
        ("商家不给开发票", ["商家", "不", "给", "开", "发票"]),
        ("明天发快递", ["明天", "发", "快递"]),
        ("我要发快递", ["我要", "发", "快递"]),
        # User-dictionary words stay whole beside them.
        ("申请补开发票", ["申请", "补开发票"]),
        ("退货退款还没到", ["退货退款", "还", "没到"]),
        # ASCII runs are cut as Python jieba's HMM fallback cuts them.
        ("适合2-10岁的孩子", ["适合", "2", "10", "岁", "的", "孩子"]),
        ("2009.03.08订的货", ["2009.03", "08", "订", "的", "货"]),
        ("iphone15坏了", ["iphone15", "坏", "了"]),
    ],
)
def test_pinned_segmentations(
    text: str, expected: list[str], python_jieba: jieba.Tokenizer
) -> None:
    assert tokens(text) == expected
    assert cut_words(normalize(text), python_jieba.lcut) == expected


def test_same_tokens_as_python_jieba(python_jieba: jieba.Tokenizer) -> None:
    lines = _corpus_lines()
    assert len(lines) > 4000
    differ = [
        line
        for line in lines
        if cut_words(normalize(line)) != cut_words(normalize(line), python_jieba.lcut)
    ]
    assert differ == []


def test_shared_tokenizer_cuts_from_many_threads() -> None:
    lines = [normalize(line) for line in _corpus_lines()[:400]]
    tk = get_tokenizer()
    expected = [tk.cut(line) for line in lines]

    def work(offset: int) -> list[list[str]]:
        order = lines[offset:] + lines[:offset]
        return [tk.cut(line) for line in order for _ in range(3)][::3]

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(0, 400, 50)))
    for offset, got in zip(range(0, 400, 50), results, strict=True):
        assert got == expected[offset:] + expected[:offset]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_CHARS), max_size=16).map("".join) | st.text(max_size=24))
def test_normalize_is_nfkc_then_lower(text: str) -> None:
    assert normalize(text) == unicodedata.normalize("NFKC", text).lower()


def test_normalize_matches_nfkc_on_the_corpus() -> None:
    for line in _corpus_lines():
        assert normalize(line) == unicodedata.normalize("NFKC", line).lower()


def _bigrams_loop(text: str) -> list[str]:
    # The original bigrams(): a Python loop over the CJK runs.
    out: list[str] = []
    for run in _CJK_RUN.findall(normalize(text)):
        out.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return out


def test_bigrams_equal_the_loop_over_runs_on_the_corpus() -> None:
    texts = _corpus_lines()
    assert [bigrams(t) for t in texts] == [_bigrams_loop(t) for t in texts]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from([*_CHARS, "退", "款", "慢", " "]), max_size=16).map("".join))
def test_bigrams_equal_the_loop_over_runs(text: str) -> None:
    assert bigrams(text) == _bigrams_loop(text)


def test_bigram_cache_is_bounded_and_returns_fresh_lists() -> None:
    assert bigram_tuple.cache_info().maxsize is not None
    first = bigrams("退款慢")
    first.append("x")
    assert bigrams("退款慢") == ["退款", "款慢"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_CHARS), max_size=16).map("".join) | st.text(max_size=24))
def test_normalize_is_idempotent(text: str) -> None:
    # search_terms takes the bigrams of the text as the classifier does (normalised once);
    # the original normalised twice: the same whenever a second pass changes nothing.
    assert normalize(normalize(text)) == normalize(text)
