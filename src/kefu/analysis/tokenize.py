"""Tokenising Chinese text: jieba with an e-commerce user dictionary, CJK bigrams, FTS terms."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jieba

# jieba's own dictionary joins these, hiding the domain word inside ("开发票" → 开 + 发票);
# 发票 also carries a high frequency in the user dictionary so 开发 + 票 does not win.
_SPLITS = (("开", "发票"), ("发", "快递"))

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None

# CJK unified ideographs (basic + extension A) and compatibility ideographs.
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# A token worth keeping has at least one letter, digit or ideograph.
_WORDISH = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def user_dict_path() -> Path:
    """Return the path of the e-commerce user dictionary shipped with the package."""
    return Path(str(resources.files("kefu.analysis") / "data" / "ecommerce_userdict.txt"))


def get_tokenizer() -> jieba.Tokenizer:
    """Return the shared jieba tokenizer, building it (and loading the user dictionary) once."""
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                # A private Tokenizer: other code using jieba's global instance is unaffected.
                tk = jieba.Tokenizer()
                tk.initialize()
                tk.load_userdict(str(user_dict_path()))
                for parts in _SPLITS:
                    tk.suggest_freq(parts, tune=True)
                _tokenizer = tk
    return _tokenizer


def normalize(text: str) -> str:
    """Fold full-width forms to half-width (NFKC) and lowercase Latin letters."""
    return unicodedata.normalize("NFKC", text).lower()


def tokens(text: str) -> list[str]:
    """Cut text into jieba tokens, dropping whitespace and punctuation-only pieces.

    Each line is cut and cached on its own (jieba treats a line break as a boundary anyway), so
    intake cuts a case's subject and description once, whether classification asks for them
    together or screening for the description alone."""
    if "\n" not in text:
        return list(_tokens_cached(text))
    return [t for line in text.split("\n") for t in _tokens_cached(line)]


@lru_cache(maxsize=4096)
def _tokens_cached(text: str) -> tuple[str, ...]:
    norm = normalize(text)
    return tuple(t for t in get_tokenizer().cut(norm) if _WORDISH.search(t))


def bigrams(text: str) -> list[str]:
    """Return character bigrams of each CJK run, in order; a one-character run yields itself."""
    out: list[str] = []
    for run in _CJK_RUN.findall(normalize(text)):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def search_terms(text: str) -> str:
    """Return tokens then bigrams, deduplicated in first-seen order, space-joined for FTS5."""
    seen: dict[str, None] = {}
    for term in (*tokens(text), *bigrams(text)):
        # FTS5 query syntax treats quotes specially; tokens never need them.
        term = term.replace('"', "")
        if term:
            seen.setdefault(term, None)
    return " ".join(seen)
