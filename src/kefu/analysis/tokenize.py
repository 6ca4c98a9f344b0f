"""Tokenising Chinese text: jieba-rs with an e-commerce user dictionary, CJK bigrams, FTS terms."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from itertools import chain
from operator import add
from pathlib import Path
from typing import TYPE_CHECKING

import rjieba

if TYPE_CHECKING:
    import jieba

# jieba's own dictionary joins these, hiding the domain word inside ("开发票" → 开 + 发票);
# 发票 also carries a high frequency in the user dictionary so 开发 + 票 does not win.
_SPLITS = (("开", "发票"), ("发", "快递"))

_lock = threading.Lock()
_tokenizer: rjieba.Jieba | None = None

# CJK unified ideographs (basic + extension A) and compatibility ideographs.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A token worth keeping has at least one letter, digit or ideograph.
_WORDISH = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Python jieba's HMM fallback (finalseg.re_skip) cuts an unknown ASCII run such as "150-200" or
# "2009.03.08" at this pattern; jieba-rs keeps the run whole. Re-cutting keeps the tokens, and so
# the trained model's features and the search terms, the same as Python jieba's.
_ASCII_PIECE = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
# The ASCII characters jieba keeps inside a word besides letters and digits, next to one of those.
_ASCII_JOINED = re.compile(r"[0-9a-zA-Z][+#&._%\-]|[+#&._%\-][0-9a-zA-Z]")


def user_dict_path() -> Path:
    """Return the path of the e-commerce user dictionary shipped with the package."""
    return Path(str(resources.files("kefu.analysis") / "data" / "ecommerce_userdict.txt"))


def user_dict_entries() -> list[tuple[str, int | None, str | None]]:
    """Read the user dictionary as (word, frequency or None, tag or None), jieba's format."""
    out: list[tuple[str, int | None, str | None]] = []
    for line in user_dict_path().read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        out.append((parts[0], freq, tag))
    return out


def get_tokenizer() -> rjieba.Jieba:
    """Return the shared jieba-rs tokenizer, building it (and loading the user dictionary) once.

    Only ``cut`` is called on the shared instance once it is published: jieba-rs cuts through a
    shared reference with the GIL released, so threads may cut at the same time; ``add_word``
    (a mutable borrow) happens here, under the lock, before anyone else can see the instance."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                # A private instance: rjieba's module-level one (and anyone using it) is unaffected.
                tk = rjieba.Jieba()
                for word, freq, tag in user_dict_entries():
                    # freq None: jieba's suggested frequency, as Python jieba's load_userdict does.
                    tk.add_word(word, freq, tag)
                for parts in _SPLITS:
                    # jieba-rs's suggest_freq can only join. Python jieba's split tuning lowers the
                    # joined word's frequency below the split's (to 2 and 0 here); a small positive
                    # one is not enough in jieba-rs (发快递 at 1 beats 发 + 快递, 快递 being rare in
                    # dict.txt). At 0 (log 0 = -inf) no route takes the joined word.
                    tk.add_word("".join(parts), 0, None)
                _tokenizer = tk
    return _tokenizer


def python_tokenizer() -> jieba.Tokenizer:
    """Build the pure-Python jieba tokenizer with the same dictionary and splits (slow: ~1 s).

    Not used at intake: the baseline for ``bench/bench_analysis.py`` and the parity tests."""
    import jieba  # heavy, and only comparisons need it

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    tk.load_userdict(str(user_dict_path()))
    for parts in _SPLITS:
        tk.suggest_freq(parts, tune=True)
    return tk


# Full-width ASCII forms and the ideographic space: the characters Chinese text carries that NFKC
# changes. Each maps to exactly its NFKC form, so folding them first changes no result.
_FULL_WIDTH = re.compile(r"[\u3000\uff01-\uff5e]+")
_FULL_WIDTH_TABLE = {0x3000: " ", **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}}


def _half_width(m: re.Match[str]) -> str:
    return m.group().translate(_FULL_WIDTH_TABLE)


# The full-width punctuation a Chinese input method types by default: str.replace scans in C,
# a fifth of the cost of the substitution below with its Python callback per match.
_COMMON_FULL_WIDTH = tuple((c, chr(ord(c) - 0xFEE0)) for c in "，！？：；（）～")


def fold_full_width(text: str) -> str:
    """Replace full-width ASCII forms and U+3000 by their (one-character) NFKC forms."""
    for wide, narrow in _COMMON_FULL_WIDTH:
        if wide in text:
            text = text.replace(wide, narrow)
    if _FULL_WIDTH.search(text):
        text = _FULL_WIDTH.sub(_half_width, text)
    return text


@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """Fold full-width forms to half-width (NFKC) and lowercase Latin letters.

    Equal to ``unicodedata.normalize("NFKC", text).lower()`` (tested), which costs ~12 µs on a
    100-character complaint with full-width punctuation: CPython decomposes and recomposes every
    character once one needs it. Cached, since intake normalises the same text for the rules,
    bigrams, SimHash, compliance and relevance; line by line, since a line break neither
    composes nor changes case with its neighbours, so a case's subject and description are
    normalised once whether they come alone or joined."""
    if "\n" not in text:
        return _normalize_line(text)
    return "\n".join(map(_normalize_line, text.split("\n")))


@lru_cache(maxsize=4096)
def _normalize_line(text: str) -> str:
    # Folding the full-width forms first leaves most Chinese text already NFKC, which a quick
    # check (no decomposition) confirms.
    if not unicodedata.is_normalized("NFKC", text):
        text = fold_full_width(text)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
    return text.lower()


def tokens(text: str) -> list[str]:
    """Cut text into jieba tokens, dropping whitespace and punctuation-only pieces.

    Each line is cut and cached on its own (jieba treats a line break as a boundary anyway), so
    intake cuts a case's subject and description once, whether classification asks for them
    together or screening for the description alone."""
    if "\n" not in text:
        return list(_tokens_cached(text))
    return list(chain.from_iterable(map(_tokens_cached, text.split("\n"))))


def cut_words(norm: str, cut: Callable[[str], list[str]] | None = None) -> list[str]:
    """Cut already normalised text and keep the word-like tokens (see ``tokens``).

    ``cut`` defaults to the shared jieba-rs tokenizer's; the benchmark passes Python jieba's."""
    raw = (cut or get_tokenizer().cut)(norm)
    if not _ASCII_JOINED.search(norm):
        # No token can hold an ASCII separator next to a letter or digit: keep the fast path.
        return list(filter(_WORDISH.search, raw))
    out: list[str] = []
    for t in filter(_WORDISH.search, raw):
        if t.isascii() and not t.isalnum():
            out.extend(p for p in _ASCII_PIECE.split(t) if p and _WORDISH.search(p))
        else:
            out.append(t)
    return out


@lru_cache(maxsize=4096)
def _tokens_cached(line: str) -> tuple[str, ...]:
    return tuple(cut_words(_normalize_line(line)))


def bigrams(text: str) -> list[str]:
    """Return character bigrams of each CJK run, in order; a one-character run yields itself."""
    return list(bigram_tuple(text))


@lru_cache(maxsize=1024)
def bigram_tuple(text: str) -> tuple[str, ...]:
    """``bigrams`` as a tuple, cached: the classifier and the search terms of a case share it."""
    out: list[str] = []
    # map(add, run, run[1:]) pairs neighbours in C, no slice per bigram.
    for run in _CJK_RUN.findall(normalize(text)):
        if len(run) == 1:
            out.append(run)
        else:
            out += map(add, run, run[1:])
    return tuple(out)


def search_terms(text: str) -> str:
    """Return tokens then bigrams, deduplicated in first-seen order, space-joined for FTS5."""
    seen: dict[str, None] = {}
    for term in (*tokens(text), *bigrams(text)):
        # FTS5 query syntax treats quotes specially; tokens never need them.
        term = term.replace('"', "")
        if term:
            seen.setdefault(term, None)
    return " ".join(seen)
