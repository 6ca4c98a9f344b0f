"""Duplicate check as intake runs it, in the database: scoped index lookup vs a linear scan.

    uv run python -m bench.bench_dedup_db                    # 100 000 fingerprints
    uv run python -m bench.bench_dedup_db --n 1000000        # the issue's 1M target (< 5 ms)

A fresh migrated SQLite file gets N rows in `case_fingerprints` (raw executemany; 10 per buyer
over 5 orders, created within the lookback window). Each query is one intake's duplicate check
through the real code path: SimHash of a Chinese complaint text, then
`IntakeRepo.fingerprints_in_scope` (index range on buyer + order + time) and the Hamming test.
Half the queries repeat a stored case's text with a few changed bits, half are new. The
baseline, measured in the same run, is a linear scan: read every stored fingerprint and compare
with numpy (what a system without the scoped index must do). Both must agree on the answer for
every query checked against the scan.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from bench.generate import TEXTS
from kefu.analysis import dedup
from kefu.bootstrap import build_app, upgrade_database
from kefu.config import load_settings
from kefu.db.intake import IntakeRepo

PER_BUYER = 10
ORDERS_PER_BUYER = 5
MAX_DISTANCE = 11


def populate(db: Path, n: int, rng: random.Random, now: datetime) -> list[tuple[int, int, int]]:
    """Insert n fingerprint rows; returns (buyer, order_key, fingerprint) of each."""
    rows: list[tuple[int, int, int]] = []
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    batch = []
    for i in range(n):
        buyer = i // PER_BUYER + 1
        order_key = buyer * 10 + rng.randrange(ORDERS_PER_BUYER)
        fp = dedup.to_signed(rng.getrandbits(64))
        at = now - timedelta(minutes=rng.randrange(60 * 24 * 170))
        rows.append((buyer, order_key, fp))
        batch.append(
            (i + 1, buyer, order_key, "商品质量", fp, at.replace(tzinfo=None).isoformat(" "))
        )
        if len(batch) == 50_000:
            conn.executemany("INSERT INTO case_fingerprints VALUES (?,?,?,?,?,?)", batch)
            batch.clear()
    if batch:
        conn.executemany("INSERT INTO case_fingerprints VALUES (?,?,?,?,?,?)", batch)
    conn.commit()
    conn.close()
    return rows


def near(fp: int, bits: int, rng: random.Random) -> int:
    u = dedup.to_unsigned(fp)
    for b in rng.sample(range(64), bits):
        u ^= 1 << b
    return dedup.to_signed(u)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--scans", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    var_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-dedup-"))
    settings = load_settings(var_dir=var_dir, secret_key="bench-secret-key")
    upgrade_database(settings)
    t0 = time.perf_counter()
    stored = populate(var_dir / "kefu.db", args.n, rng, now)
    print(f"dedup: {args.n:,} fingerprints loaded in {time.perf_counter() - t0:.1f} s ({var_dir})")
    texts = [t for t in TEXTS.read_text(encoding="utf-8").splitlines() if len(t) > 20]
    queries = []
    for q in range(args.queries):
        buyer, order_key, fp = stored[rng.randrange(len(stored))]
        repeat = q % 2 == 0
        queries.append((buyer, order_key, near(fp, rng.randrange(0, 6), rng) if repeat else None))
    app = build_app(settings)
    since = now - timedelta(days=180)
    index_us: list[float] = []
    answers: list[int | None] = []
    used: list[int] = []
    with app.engine.connect() as conn:
        repo = IntakeRepo(conn)
        for buyer, order_key, fp_or_none in queries:
            text = texts[rng.randrange(len(texts))]
            t = time.perf_counter()
            fp = dedup.fingerprint(text) if fp_or_none is None else fp_or_none
            if fp_or_none is not None:
                dedup.fingerprint(text)  # same work either way: intake always hashes its text
            best = None
            for case_id, other in repo.fingerprints_in_scope(buyer, order_key, since):
                if dedup.hamming(fp, other) <= MAX_DISTANCE:
                    best = case_id
                    break
            index_us.append((time.perf_counter() - t) * 1e6)
            answers.append(best)
            used.append(fp)
    raw = sqlite3.connect(var_dir / "kefu.db")
    scan_us = []
    agree = 0
    checked = list(zip(queries, answers, used, strict=True))[: args.scans]
    for (buyer, order_key, _fp), best, fp in checked:
        t = time.perf_counter()
        dedup.fingerprint(texts[0])  # the scan hashes the new text too
        data = raw.execute(
            "SELECT case_id, buyer_id, order_key, fingerprint FROM case_fingerprints"
        ).fetchall()
        arr = np.array(data, dtype=np.int64)
        scoped = arr[(arr[:, 1] == buyer) & (arr[:, 2] == order_key)]
        dist = np.bitwise_count(scoped[:, 3].view(np.uint64) ^ np.uint64(dedup.to_unsigned(fp)))
        hits = scoped[dist <= MAX_DISTANCE, 0]
        scan_us.append((time.perf_counter() - t) * 1e6)
        agree += (best in set(hits.tolist())) if best is not None else not len(hits)
    found = sum(1 for a in answers if a is not None)
    idx = sorted(index_us)
    scan = sorted(scan_us)
    print(f"  queries: {len(queries):,} (half repeats with 0-5 changed bits); found {found:,}")
    print(
        f"  scoped index  p50 {statistics.median(idx) / 1000:.3f} ms  "
        f"p99 {idx[int(len(idx) * 0.99) - 1] / 1000:.3f} ms   (fingerprint + lookup + Hamming)"
    )
    print(
        f"  linear scan   p50 {statistics.median(scan) / 1000:.1f} ms  "
        f"max {scan[-1] / 1000:.1f} ms   ({len(scan)} queries; agreement {agree}/{len(scan)})"
    )
    verdict = "MET" if idx[int(len(idx) * 0.99) - 1] < 5000 else "NOT MET"
    print(f"  target < 5 ms per intake at {args.n:,}: {verdict}")


if __name__ == "__main__":
    main()
