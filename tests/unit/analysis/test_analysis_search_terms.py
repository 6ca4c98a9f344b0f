"""Search terms from the shared tokens and bigrams: the same documents as the original loop."""

from __future__ import annotations

from pathlib import Path

from kefu.analysis import tokenize
from kefu.analysis.search_terms import PIECE, index_terms, join_terms, key_terms, text_terms

CORPUS = Path(__file__).resolve().parents[3] / "src/kefu/demo_data/complaints.txt"
ODD = [
    ("iPhone 15 屏幕碎了", "申请退款，屏幕碎了。"),
    ("a_b c__d", "snake_case 和 150-200 元, 2009.03.08 订的"),
    ('他说"退款"', "C++ 与 C# 的 _下划线_ ，！？"),
    ("", ""),
    ("好", "a"),
]


def _text_terms_loop(subject: str, description: str) -> list[str]:
    # The original text_terms: PIECE per token, then the bigrams, first-seen order.
    seen: dict[str, None] = {}
    for token in tokenize.tokens(f"{subject}\n{description}"):
        for piece in PIECE.findall(token):
            seen[piece] = None
    for bigram in tokenize.bigrams(tokenize.normalize(f"{subject}\n{description}")):
        seen[bigram] = None
    return list(seen)


def _cases() -> list[tuple[str, str]]:
    lines = [t.strip() for t in CORPUS.read_text(encoding="utf-8").splitlines() if t.strip()]
    return [(t[:18], t) for t in lines] + ODD


def test_isalnum_is_exactly_one_piece() -> None:
    # The fast path in text_terms takes an alphanumeric token as its own single piece.
    for code in range(0x110000):
        ch = chr(code)
        assert bool(PIECE.fullmatch(ch)) == ch.isalnum(), hex(code)


def test_text_terms_equal_the_original_loop() -> None:
    for subject, description in _cases():
        assert text_terms(subject, description) == _text_terms_loop(subject, description)


def test_index_terms_equal_text_terms_joined_with_key_terms() -> None:
    for subject, description in _cases():
        for number, order_no in (("KF20250101000001", None), ("KF2", "DD-0001"), ("退款", "好")):
            assert index_terms(subject, description, number, order_no) == join_terms(
                _text_terms_loop(subject, description), key_terms(number, order_no)
            )
