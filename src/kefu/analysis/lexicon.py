"""Abuse lexicon: find, mask and judge insults, profanity and threats with Aho-Corasick."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import ahocorasick

from .tokenize import fold_full_width

# Third-party entries carry no weight column: every kept entry is abusive on its own.
DEFAULT_WEIGHT = 1.0
# Score (sum of weights of non-overlapping hits) at which a text counts as abusive.
DEFAULT_THRESHOLD = 1.0

CATEGORIES = ("profanity", "insult", "threat", "merchant")


@dataclass(frozen=True, slots=True)
class Match:
    """One lexicon hit: text[start:end] == word (after width/case folding)."""

    start: int
    end: int
    word: str
    category: str
    weight: float = DEFAULT_WEIGHT


@dataclass(frozen=True, slots=True)
class _Entry:
    word: str
    category: str
    weight: float


_lock = threading.Lock()
_automaton: ahocorasick.Automaton | None = None


def _data_dir() -> Path:
    return Path(str(resources.files("kefu.analysis") / "data"))


def load_entries() -> dict[str, _Entry]:
    """Read the curated third-party list, then kefu's own list (which overrides it)."""
    entries: dict[str, _Entry] = {}
    for name in ("abuse_lexicon.tsv", "abuse_own.tsv"):
        for line in (_data_dir() / name).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            word = _fold(cols[0].strip())
            weight = float(cols[2]) if name == "abuse_own.tsv" else DEFAULT_WEIGHT
            if len(word) >= 2:
                entries[word] = _Entry(word, cols[1].strip(), weight)
    return entries


def _get_automaton() -> ahocorasick.Automaton:
    global _automaton
    if _automaton is None:
        with _lock:
            if _automaton is None:
                auto = ahocorasick.Automaton()
                for word, entry in load_entries().items():
                    auto.add_word(word, entry)
                auto.make_automaton()
                _automaton = auto
    return _automaton


def _fold_char(ch: str) -> str:
    folded = unicodedata.normalize("NFKC", ch).lower()
    # Keep offsets aligned with the original text: only 1-to-1 foldings are applied.
    return folded if len(folded) == 1 else ch


def _fold(text: str) -> str:
    """Per character: NFKC then lowercase where that stays one character (offsets aligned)."""
    # Fast path, same result: full-width forms fold one-to-one; in an NFKC-normalised string
    # every character is its own NFKC form; and a whole-string lower() that keeps the length
    # lowered each character alone, except a final sigma (Σ → ς in context, σ alone).
    folded = fold_full_width(text)
    if unicodedata.is_normalized("NFKC", folded) and "Σ" not in folded:
        lowered = folded.lower()
        if len(lowered) == len(folded):
            return lowered
    return "".join(_fold_char(ch) for ch in text)


def find_abuse(text: str) -> list[Match]:
    """Return every lexicon hit, overlapping ones included, ordered by start then longest first."""
    found: list[Match] = []
    for end_idx, entry in _get_automaton().iter(_fold(text)):
        start = end_idx - len(entry.word) + 1
        found.append(Match(start, end_idx + 1, entry.word, entry.category, entry.weight))
    found.sort(key=lambda m: (m.start, -(m.end - m.start)))
    return found


def _non_overlapping(matches: list[Match]) -> list[Match]:
    """Pick leftmost-longest hits so 操你妈 is one hit, not three (操你, 你妈…, 操你妈)."""
    chosen: list[Match] = []
    last_end = -1
    for m in matches:  # already sorted by start, longest first
        if m.start >= last_end:
            chosen.append(m)
            last_end = m.end
    return chosen


def abuse_score(text: str) -> float:
    """Sum the weights of the leftmost-longest, non-overlapping hits."""
    return sum(m.weight for m in _non_overlapping(find_abuse(text)))


def is_abusive(text: str, *, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Tell whether the text's abuse score reaches the threshold."""
    return abuse_score(text) >= threshold


def mask_abuse(text: str, *, mask: str = "＊") -> str:
    """Replace every character covered by any hit with the mask, keeping the length."""
    covered = bytearray(len(text))
    for m in find_abuse(text):
        covered[m.start : m.end] = b"\x01" * (m.end - m.start)
    return "".join(mask if covered[i] else ch for i, ch in enumerate(text))
