"""Search documents: the terms a case is indexed under, built once in Python (pure)."""

from __future__ import annotations

import re
from itertools import chain

from kefu.analysis import tokenize

# A term is a run of letters/digits: the engines' tokenizers (FTS5 unicode61, array_to_tsvector
# on spaces) then see exactly the terms built here, so SQLite and PostgreSQL agree.
PIECE = re.compile(r"[^\W_]+")
CJK_SPLIT = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")


def text_terms(subject: str, description: str) -> list[str]:
    """jieba tokens (split into letter/digit runs) then CJK bigrams of subject and description,
    deduplicated in first-seen order. Bigrams make any two-character query findable (退款)
    whatever jieba cut; tokens add the words and single characters jieba kept whole."""
    return list(dict.fromkeys(_text_terms(subject, description)))


def _text_terms(subject: str, description: str) -> chain[str]:
    # Repeats included. Intake's classifier has just cut these very lines and taken their
    # bigrams (both cached), so indexing a new case costs no second jieba pass.
    text = f"{subject}\n{description}"
    toks = tokenize.tokens(text)
    # str.isalnum is exactly "one run of PIECE" (\w is isalnum or "_"; a unit test checks every
    # code point), true of nearly every token: then the tokens are their own pieces. Otherwise
    # one findall over the space-joined tokens yields the pieces of each token in turn (a space
    # is no letter or digit, so no piece spans two tokens).
    pieces = toks if all(map(str.isalnum, toks)) else PIECE.findall(" ".join(toks))
    return chain(pieces, tokenize.bigram_tuple(text))


def key_terms(number: str, order_no: str | None) -> list[str]:
    """The case number and order number, normalised, as whole terms (plus their pieces)."""
    out: list[str] = []
    for key in (number, order_no or ""):
        out.extend(PIECE.findall(tokenize.normalize(key)))
    return out


def join_terms(text: list[str], keys: list[str]) -> str:
    """The search document: text terms then key terms, each once, space-joined."""
    return " ".join(dict.fromkeys([*text, *keys]))


def index_terms(subject: str, description: str, number: str, order_no: str | None) -> str:
    """The search document of one case, ready for SearchRepo.index_case (pure).

    ``join_terms(text_terms(…), key_terms(…))`` in one deduplicating pass (same order)."""
    terms = chain(_text_terms(subject, description), key_terms(number, order_no))
    return " ".join(dict.fromkeys(terms))
