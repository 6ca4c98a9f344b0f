"""Case category from complaint text: a weighted keyword rules lexicon, then a linear model."""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import ahocorasick
import numpy as np

from kefu.domain.types import Category

from .tokenize import bigram_tuple, bigrams, normalize, tokens

# A rule decision needs this score and this lead over the runner-up; otherwise the model decides.
RULE_MIN_SCORE = 2.0
RULE_MIN_MARGIN = 1.0
# Below this model probability the text is filed under 其他 rather than a weak guess.
MODEL_MIN_CONFIDENCE = 0.15

Source = Literal["rules", "model"]


@dataclass(frozen=True, slots=True)
class Classification:
    """The chosen category, how sure we are, who decided and the evidence trail."""

    category: Category
    confidence: float
    source: Source
    trail: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RuleScores:
    """Per-category rule scores and the keywords that produced them."""

    scores: dict[Category, float]
    hits: list[tuple[str, Category, float]]

    def ranked(self) -> list[tuple[Category, float]]:
        """Return categories by descending score (ties in enum order, for determinism)."""
        return sorted(self.scores.items(), key=lambda kv: (-kv[1], _ORDER[kv[0]]))


# Built once: iterating an Enum class costs ~3 µs, a third of scoring the rules.
_ORDER = {c: i for i, c in enumerate(Category)}


def _data_dir() -> Path:
    return Path(str(resources.files("kefu.analysis") / "data"))


_lock = threading.Lock()
_rules: ahocorasick.Automaton | None = None
_model: LinearModel | None = None


def load_rules() -> list[tuple[str, Category, float]]:
    """Read data/category_rules.tsv as (keyword, category, weight)."""
    out: list[tuple[str, Category, float]] = []
    for line in (_data_dir() / "category_rules.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            word, cat, weight = line.split("\t")
            out.append((normalize(word), Category(cat), float(weight)))
    return out


def _get_rules() -> ahocorasick.Automaton:
    global _rules
    if _rules is None:
        with _lock:
            if _rules is None:
                auto = ahocorasick.Automaton()
                for word, cat, weight in load_rules():
                    auto.add_word(word, (word, cat, weight))
                auto.make_automaton()
                _rules = auto
    return _rules


def rule_scores(text: str) -> RuleScores:
    """Score each category by the weights of the distinct keywords found (longest wins overlaps)."""
    found = [
        (end - len(w) + 1, end + 1, w, c, wt)
        for end, (w, c, wt) in _get_rules().iter(normalize(text))
    ]
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    # A keyword inside a longer hit of the same category adds nothing ("态度" in "态度差").
    chosen: list[tuple[int, int, str, Category, float]] = []
    for f in found:
        if any(c[3] == f[3] and c[0] <= f[0] and f[1] <= c[1] for c in chosen):
            continue
        chosen.append(f)
    seen: set[str] = set()
    scores: dict[Category, float] = {}
    hits: list[tuple[str, Category, float]] = []
    for _, _, word, cat, weight in chosen:
        if word not in seen:
            seen.add(word)
            scores[cat] = scores.get(cat, 0.0) + weight
            hits.append((word, cat, weight))
    return RuleScores(scores, hits)


def features(text: str) -> list[str]:
    """Return the model's features: jieba tokens (w:) and CJK character bigrams (b:)."""
    return [f"w:{t}" for t in tokens(text)] + [f"b:{b}" for b in bigrams(text)]


class LinearModel:
    """Multinomial logistic regression over sublinear TF-IDF, evaluated from stored JSON.

    ``predict_proba`` gathers the rows of a dense (features × classes) matrix with the idf folded
    in: one numpy product instead of a Python loop over every (feature, class) weight.
    ``predict_proba_reference`` is that loop, kept as the oracle for tests and benchmarks."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.classes = [Category(c) for c in data["classes"]]
        vocabulary: list[str] = data["vocabulary"]
        self.vocab: dict[str, int] = {w: i for i, w in enumerate(vocabulary)}
        self.idf: list[float] = data["idf"]
        self.intercept: list[float] = data["intercept"]
        # Sparse coefficients: feature index -> [(class index, weight)].
        self.coef: dict[int, list[tuple[int, float]]] = {
            int(k): [(int(ci), float(w)) for ci, w in v] for k, v in data["coef"].items()
        }
        # Tokens and bigrams looked up without building the "w:"/"b:" feature strings.
        self._words = {w[2:]: i for w, i in self.vocab.items() if w.startswith("w:")}
        self._bigrams = {w[2:]: i for w, i in self.vocab.items() if w.startswith("b:")}
        self._idf = np.array(self.idf, dtype=np.float64)
        weights = np.zeros((len(vocabulary), len(self.classes)), dtype=np.float64)
        for i, col in self.coef.items():
            for ci, w in col:
                weights[i, ci] = w
        self._weights = weights * self._idf[:, None]
        self._intercept = np.array(self.intercept, dtype=np.float64)

    @classmethod
    def load(cls, path: Path | None = None) -> LinearModel:
        """Read the model JSON written by ``python -m kefu.analysis.train``."""
        path = path or _data_dir() / "model.json"
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def feature_ids(self, text: str) -> list[int]:
        """Return the vocabulary index of each known feature of the text, repeats included."""
        words, pairs = self._words, self._bigrams
        ids = [i for t in tokens(text) if (i := words.get(t)) is not None]
        # The cached bigrams: search_terms indexes the case with the very same ones.
        ids.extend(i for b in bigram_tuple(text) if (i := pairs.get(b)) is not None)
        return ids

    def predict_proba(self, text: str) -> list[tuple[Category, float]]:
        """Return (category, probability) for every class, in class order."""
        counts = Counter(self.feature_ids(text))
        if counts:
            rows = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            tf = np.log(tf, out=tf)
            tf += 1.0
            scaled = tf * self._idf[rows]
            norm = math.sqrt(float(scaled @ scaled)) or 1.0
            logits = (tf @ self._weights[rows]) / norm + self._intercept
        else:
            logits = self._intercept
        return _softmax(self.classes, logits.tolist())

    def predict_proba_reference(self, text: str) -> list[tuple[Category, float]]:
        """The same probabilities through Python dicts and loops (the original evaluation)."""
        counts = Counter(self.vocab[f] for f in features(text) if f in self.vocab)
        weighted = {i: (1.0 + math.log(n)) * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
        logits = list(self.intercept)
        for i, v in weighted.items():
            for ci, w in self.coef.get(i, ()):
                logits[ci] += w * v / norm
        return _softmax(self.classes, logits)


def _softmax(classes: list[Category], logits: list[float]) -> list[tuple[Category, float]]:
    top = max(logits)
    exps = [math.exp(z - top) for z in logits]
    total = sum(exps)
    return [(c, e / total) for c, e in zip(classes, exps, strict=True)]


def get_model() -> LinearModel:
    """Return the shared model, loading model.json once."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = LinearModel.load()
    return _model


def rules_decide(text: str) -> Category | None:
    """Return the rule decision when it is confident (the weak labeller for training), else None."""
    ranked = rule_scores(text).ranked()
    if not ranked:
        return None
    score = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if score >= RULE_MIN_SCORE and score - runner_up >= RULE_MIN_MARGIN:
        return ranked[0][0]
    return None


def classify(text: str, *, model: LinearModel | None = None) -> Classification:
    """Pick a category: a confident rule decision wins, otherwise the linear model decides."""
    rs = rule_scores(text)
    ranked = rs.ranked()
    trail = [f"rule {w}→{c.value} +{wt:g}" for w, c, wt in rs.hits]
    if ranked:
        best, score = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if score >= RULE_MIN_SCORE and score - runner_up >= RULE_MIN_MARGIN:
            confidence = min(0.99, 0.6 + 0.1 * score - 0.1 * runner_up)
            trail.append(f"rules decide {best.value} (score {score:g}, next {runner_up:g})")
            return Classification(best, round(confidence, 3), "rules", trail)
    probs = sorted((model or get_model()).predict_proba(text), key=lambda cp: -cp[1])
    trail.extend(f"model {c.value} {p:.2f}" for c, p in probs[:3])
    category, p = probs[0]
    if p < MODEL_MIN_CONFIDENCE:
        trail.append(f"model unsure (< {MODEL_MIN_CONFIDENCE}); filed as {Category.OTHER.value}")
        return Classification(Category.OTHER, round(p, 3), "model", trail)
    return Classification(category, round(p, 3), "model", trail)
