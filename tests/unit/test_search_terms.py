"""Search documents and query terms: pure functions, no database."""

from __future__ import annotations

import pytest

from kefu.db.search import QueryTerm, fts5_match, pg_tsquery
from kefu.domain.errors import InvalidInput
from kefu.services.search import index_terms, join_terms, key_terms, query_terms, text_terms


def test_a_document_holds_words_bigrams_and_both_numbers_once() -> None:
    doc = index_terms("iPhone 15 屏幕碎了", "申请退款，屏幕碎了。", "KF20261124000001", "DD-0001")
    terms = doc.split(" ")
    assert len(terms) == len(set(terms))
    for term in ("iphone", "15", "屏幕", "退款", "幕碎", "碎了", "kf20261124000001", "dd", "0001"):
        assert term in terms
    assert "" not in terms


def test_full_width_and_upper_case_are_folded() -> None:
    assert "iphone" in index_terms("ｉＰｈｏｎｅ", "", "KF1", None).split()
    assert query_terms("ＩＰＨＯＮＥ") == [QueryTerm("iphone", prefix=True)]


def test_index_terms_is_text_terms_joined_with_key_terms() -> None:
    text = text_terms("耳机没声音", "右耳完全没有声音")
    assert index_terms("耳机没声音", "右耳完全没有声音", "KF1", "DD2") == join_terms(
        text, key_terms("KF1", "DD2")
    )


def test_query_terms_use_bigrams_for_chinese_and_prefixes_for_words() -> None:
    assert query_terms("退款") == [QueryTerm("退款")]
    assert query_terms("iPhone 屏幕") == [QueryTerm("iphone", True), QueryTerm("屏幕")]
    assert query_terms("屏幕碎了") == [QueryTerm("屏幕"), QueryTerm("幕碎"), QueryTerm("碎了")]
    assert query_terms("iphone屏幕") == [QueryTerm("iphone", True), QueryTerm("屏幕")]
    assert query_terms("碎") == [QueryTerm("碎", True)]
    assert query_terms("退款 退款") == [QueryTerm("退款")]


@pytest.mark.parametrize(
    ("q", "code"),
    [("", "required"), ("   ", "required"), ("退" * 101, "too_long"), ("？！…", "no_terms")],
)
def test_bad_queries_name_the_field(q: str, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        query_terms(q)
    assert [(f.field, f.code) for f in err.value.fields] == [("q", code)]
    assert err.value.fields[0].zh
    assert err.value.fields[0].en


def test_engine_query_syntax_quotes_every_term() -> None:
    terms = [QueryTerm("退款"), QueryTerm("iphone", True), QueryTerm("o'k")]
    assert fts5_match(terms) == '"退款" "iphone"* "o\'k"'
    assert pg_tsquery(terms) == "'退款' & 'iphone':* & 'o''k'"
