"""Per-case text analysis at intake: each step and ``intake.analyze`` vs the original code.

    uv run python -m bench.bench_analysis              # 3 rounds x 800 fresh texts per figure
    uv run python -m bench.bench_analysis --rounds 5 --n 1000

Texts are distinct complaint lines from ``src/kefu/demo_data/complaints.txt`` shaped as
``bench.bench_intake`` files them (subject = the first 18 characters, description = the line;
~80 characters per case). The baseline, measured in the same run, is the original analysis:
the pure-Python jieba tokenizer with the same user dictionary and splits, NFKC on every call,
the classifier's dict/loop evaluation (``predict_proba_reference``), the SimHash with one
Python int per feature (``fingerprint_reference``) and the per-character lexicon fold. It is
put in place by patching those module globals, so the baseline runs the very same
``intake.analyze`` and the same rules, lexicons and compliance code around them.

Before every timed pass all caches are emptied and then warmed on 1 000 *other* texts (a
server that has already filed some cases: hashes of common bigrams are cached), so each figure
is for texts the process has never seen: the jieba cut is always cold. The classifier step
alone is timed with the texts' tokens already cut (as intake has them by then). Figures are
µs per case, median of the rounds (min–max), in this thread's CPU time by default: on a shared
box, time spent waiting for a core is not the code's (``--clock wall`` for wall time).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from bench.generate import TEXTS
from kefu.analysis import (
    classify,
    compliance,
    dedup,
    lexicon,
    priority,
    relevance,
    tokenize,
)
from kefu.services import intake

WARM = 1000
_NORMALIZING = (tokenize, classify, dedup, compliance, relevance, priority)


def load_cases(seed: int) -> list[tuple[str, str]]:
    """Distinct complaint lines as (subject, description), shuffled with a fixed seed."""
    seen: dict[str, None] = {}
    for line in TEXTS.read_text(encoding="utf-8").splitlines():
        if len(line.strip()) >= 12:
            seen.setdefault(line.strip(), None)
    lines = list(seen)
    random.Random(seed).shuffle(lines)
    return [(t[:18], t) for t in lines]


def _normalize_reference(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _fold_reference(text: str) -> str:
    return "".join(lexicon._fold_char(ch) for ch in text)


class Baseline:
    """The original analysis, swapped in by patching module globals (see the module docstring)."""

    def __init__(self) -> None:
        t0 = time.perf_counter()
        self.jieba = tokenize.python_tokenizer()
        self.load_s = time.perf_counter() - t0
        cut = self.jieba.cut
        wordish = tokenize._WORDISH

        @lru_cache(maxsize=4096)
        def tokens_cached(text: str) -> tuple[str, ...]:
            norm = _normalize_reference(text)
            return tuple(t for t in cut(norm) if wordish.search(t))

        self.tokens_cached = tokens_cached

    @contextmanager
    def active(self) -> Iterator[None]:
        """Run the original code inside the block."""
        saved: list[tuple[Any, str, Any]] = [(m, "normalize", m.normalize) for m in _NORMALIZING]
        saved += [
            (tokenize, "_tokens_cached", tokenize._tokens_cached),
            (classify.LinearModel, "predict_proba", classify.LinearModel.predict_proba),
            (dedup, "fingerprint", dedup.fingerprint),
            (lexicon, "_fold", lexicon._fold),
        ]
        for m in _NORMALIZING:
            m.normalize = _normalize_reference  # type: ignore[attr-defined]
        tokenize._tokens_cached = self.tokens_cached  # type: ignore[assignment]
        classify.LinearModel.predict_proba = classify.LinearModel.predict_proba_reference  # type: ignore[method-assign]
        dedup.fingerprint = dedup.fingerprint_reference
        lexicon._fold = _fold_reference
        try:
            yield
        finally:
            for owner, name, value in saved:
                setattr(owner, name, value)


def clear_caches(base: Baseline) -> None:
    """Forget every per-text and per-feature cache of both implementations."""
    tokenize._tokens_cached.cache_clear()
    tokenize.normalize.cache_clear()
    tokenize._normalize_line.cache_clear()
    dedup._DIGESTS.clear()
    dedup._hash64.cache_clear()
    base.tokens_cached.cache_clear()


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def per_case(
    fn: Callable[[tuple[str, str]], object],
    base: Baseline,
    cases: list[tuple[str, str]],
    chunk: int = 100,
) -> tuple[float, float]:
    """µs per case for fn, new code then original, the collector quiet during the pass.

    The two alternate every ``chunk`` cases: on a shared, oversubscribed box the speed of a
    core drifts by tens of percent within seconds, and both sides should see the same drift.
    Each keeps its own caches, so alternating changes neither side's cache state."""
    spent = [0.0, 0.0]
    gc.collect()
    gc.disable()
    try:
        for start in range(0, len(cases), chunk):
            part = cases[start : start + chunk]
            t0 = clock()
            for case in part:
                fn(case)
            spent[0] += clock() - t0
            with base.active():
                t0 = clock()
                for case in part:
                    fn(case)
                spent[1] += clock() - t0
    finally:
        gc.enable()
    return spent[0] / len(cases) * 1e6, spent[1] / len(cases) * 1e6


def _text(case: tuple[str, str]) -> str:
    return f"{case[0]}\n{case[1]}"


STEPS: list[tuple[str, Callable[[tuple[str, str]], object], bool]] = [
    # (name, one case's work, tokens cut beforehand)
    ("normalize (NFKC + lower)", lambda c: tokenize.normalize(_text(c)), False),
    ("jieba tokens, cold", lambda c: tokenize.tokens(_text(c)), False),
    ("rule scores", lambda c: classify.rule_scores(_text(c)), False),
    ("model predict_proba", lambda c: classify.get_model().predict_proba(_text(c)), True),
    ("classify (rules, then model)", lambda c: classify.classify(_text(c)), False),
    ("SimHash fingerprint", lambda c: dedup.fingerprint(_text(c)), False),
    ("abuse lexicon", lambda c: lexicon.is_abusive(_text(c)), False),
    ("compliance terms", lambda c: compliance.compliance_terms(_text(c)), False),
    ("intake.analyze()", lambda c: intake.analyze(*c), False),
]


def measure(
    base: Baseline, warm: list[tuple[str, str]], cases: list[tuple[str, str]], step: int
) -> tuple[float, float]:
    """One round of one step: (new µs, original µs), after emptying and warming the caches."""
    _, fn, pre_cut = STEPS[step]
    clear_caches(base)
    for case in warm:
        intake.analyze(*case)
        with base.active():
            intake.analyze(*case)
    if pre_cut:
        for case in cases:
            tokenize.tokens(_text(case))
            with base.active():
                tokenize.tokens(_text(case))
    return per_case(fn, base, cases)


def check_same(base: Baseline, cases: list[tuple[str, str]]) -> int:
    """Count cases whose analysis differs between the two implementations (must be 0)."""
    differ = 0
    for subject, description in cases:
        new = intake.analyze(subject, description)
        with base.active():
            old = intake.analyze(subject, description)
        same_class = new.classification.category is old.classification.category
        probs_close = abs(new.classification.confidence - old.classification.confidence) < 1e-6
        rest_same = (new.fingerprint, new.abusive, new.subject, new.description) == (
            old.fingerprint,
            old.abusive,
            old.subject,
            old.description,
        ) and (new.distinct_terms, new.compliance_terms, new.relevant) == (
            old.distinct_terms,
            old.compliance_terms,
            old.relevant,
        )
        differ += not (same_class and probs_close and rest_same)
    return differ


def main() -> None:
    """Print µs per case per step, new beside the original, and check both agree."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=800, help="fresh texts per timed pass")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="thread CPU time or wall time"
    )
    args = ap.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    cases = load_cases(args.seed)
    need = WARM + args.rounds * args.n
    if len(cases) < need:
        raise SystemExit(f"{len(cases)} distinct texts, need {need}: lower --n or --rounds")
    warm = cases[:WARM]
    rounds = [cases[WARM + r * args.n : WARM + (r + 1) * args.n] for r in range(args.rounds)]
    base = Baseline()
    t0 = time.perf_counter()
    tokenize.get_tokenizer()
    chars = statistics.mean(len(_text(c)) for c in cases)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"tokenizer load: jieba-rs {(time.perf_counter() - t0) * 1e3:.0f} ms, "
        f"Python jieba {base.load_s * 1e3:.0f} ms; {len(cases)} distinct texts, "
        f"{chars:.0f} characters per case; {args.rounds} rounds x {args.n} fresh texts"
    )
    differ = check_same(base, cases[WARM : WARM + args.n])
    print(
        f"same analysis (category, confidence ±1e-6, SimHash, masks, terms): "
        f"{args.n - differ}/{args.n}"
    )
    print(f"\n{'µs per case':30s} {'new':>17s} {'original':>19s} {'speed-up':>9s}")
    for i, (name, _, _) in enumerate(STEPS):
        pairs = [measure(base, warm, rounds[r], i) for r in range(args.rounds)]
        new = [p[0] for p in pairs]
        old = [p[1] for p in pairs]
        mn, mo = statistics.median(new), statistics.median(old)
        print(
            f"{name:30s} {mn:7.1f} ({min(new):5.1f}–{max(new):5.1f}) "
            f"{mo:7.1f} ({min(old):6.1f}–{max(old):6.1f}) {mo / mn:8.1f}x"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
