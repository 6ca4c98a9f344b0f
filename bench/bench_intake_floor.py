"""The least CPU any screened filing costs on SQLite, against issue 3's intake target.

    uv run python -m bench.bench_intake_floor        # 2 000 filings; baselines at 2 processes
    uv run python -m bench.bench_intake_floor --filings 4000 --rounds 3 --workers 2

Issue 3 asks intake over HTTP, with every screening step on, to keep >= 50 % of the req/s of a
bare endpoint that inserts one row and maintains a full-text index (bench_intake measures both).
This bench asks a different question: however kefu's Python were written, what must a filing
cost at least? Three parts, each measured here, and the baseline in the same run:

1. **SQLite's own work for the rows a filing writes and the reads it needs**: the case row and its
   queue indexes, timeline and outbox rows, SLA clocks, the screening verdict, the duplicate
   fingerprint, the search document, the day's case counter, the assignee's load, the order and
   the duplicate scope. Real filings go through kefu's ASGI app in-process on a sqlite3
   connection class that records every statement with its parameters; the recording is then
   replayed by plain sqlite3 on a copy of the database as it was before them, with nothing else
   in the loop, at 1, 16 and 64 filings per COMMIT (group commit). SQLite has one writer, so
   this work is serial: one second over its cost bounds filings per second on any number of
   cores.
2. **The text analysis** every screened filing runs (classifier, SimHash, lexicons, compliance
   and priority rules, search terms), in-process.
3. **FastAPI's least request**: an `async def` endpoint doing the bare one-row insert, over HTTP
   at the same process count, CPU of the server and of the load client (which shares the cores
   in every run); that insert's own SQLite cost is subtracted so it is not counted twice.

The target is 50 % of bare+FTS's req/s measured here. The issue also quotes about 2 700 req/s
for this machine kind; that is half of bare+FTS on a box about twice as fast as some this bench
has run on, so the report checks it only when bare+FTS ran at least 90 % that fast here. Only
the ratios within one run mean much: the box's speed varies from day to day.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pickle
import re
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from bench import bare
from bench.bench_intake import WARMUP, analysis_cpu_us, bodies, seed, timed_load
from bench.loadgen import request_bytes, run_load
from bench.profile_intake import _drive
from bench.servers import running, start_bare, start_kefu
from kefu.bootstrap import App, build_app
from kefu.config import load_settings
from kefu.db.engine import make_engine
from kefu.web.app import create_app

ISSUE_QUOTED_TARGET = 2700  # req/s: issue 3's "about 2,700 req/s on this machine"
# The issue's figure is half of bare+FTS on the box it was measured on (~5 400 req/s). A box
# that runs bare+FTS much slower (a busier or slower host: load average does not show it) would
# make that absolute figure unfair, so it is compared only on a box at least 90 % that fast.
ISSUE_BARE_FTS = 2 * ISSUE_QUOTED_TARGET
GROUPS = (1, 16, 64)

Statement = tuple[str, str | None, Any]  # ("x" execute | "m" executemany | "c" commit, sql, params)


class _Records:
    """execute/executemany that keep the statement and its parameters in Recording.log."""

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        Recording.log.append(("x", sql, _frozen(parameters)))
        return super().execute(sql, parameters)  # type: ignore[misc]

    def executemany(self, sql: str, rows: Any, /) -> Any:
        rows = [_frozen(r) for r in rows]
        Recording.log.append(("m", sql, rows))
        return super().executemany(sql, rows)  # type: ignore[misc]


class Recording(_Records, sqlite3.Connection):
    """A sqlite3 connection that keeps every statement it is sent, with its parameters."""

    log: ClassVar[list[Statement]] = []

    def cursor(self, factory: Any = None) -> Any:  # type: ignore[override]
        return super().cursor(factory or RecordingCursor)

    def commit(self) -> None:
        Recording.log.append(("c", None, None))
        super().commit()


class RecordingCursor(_Records, sqlite3.Cursor):
    """The cursors SQLAlchemy's ordinary execution path uses, recorded the same way."""


def _frozen(params: Any) -> Any:
    return dict(params) if isinstance(params, dict) else tuple(params)


def record_filings(n: int) -> tuple[Path, list[Statement], int]:
    """File n complaints through the ASGI app; return the database before them, their statements
    and how many were filed (201)."""
    var_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-floor-"))
    pairs = seed(var_dir)
    settings = load_settings(var_dir=var_dir, secret_key="bench-secret-key")
    plain = build_app(settings)
    engine = make_engine(settings.database_url, sqlite_connection_class=Recording)
    app = App(settings, engine, plain.clock, plain.storage, plain.policy)
    asgi = create_app(app)
    load = [(tok, json.dumps(b).encode()) for tok, b in bodies(n + WARMUP, pairs, seed_=7)]
    asyncio.run(_drive(asgi, load[:WARMUP]))  # compiled statements, caches, token lookups
    snapshot = var_dir / "before.db"
    live = sqlite3.connect(str(engine.url.database))
    copy = sqlite3.connect(snapshot)
    live.backup(copy)
    copy.close()
    live.close()
    Recording.log = []
    statuses = asyncio.run(_drive(asgi, load[WARMUP:]))
    return snapshot, Recording.log, sum(1 for s in statuses if s == 201)


def _table(sql: str) -> str:
    head = sql.split(None, 1)[0].upper()
    if head in {"SAVEPOINT", "RELEASE", "COMMIT"}:
        return head
    m = re.search(r"\b(?:INTO|UPDATE|FROM)\s+(\w+)", sql)
    return f"{head.lower()} {m.group(1) if m else '?'}"


@dataclass
class Replay:
    group: int
    cpu_us: float  # per filing
    by_statement: dict[str, float]  # µs per filing


def replay(snapshot: Path, log: list[Statement], filings: int, group: int) -> Replay:
    """Run the recorded statements with plain sqlite3, committing every `group` filings."""
    path = Path(tempfile.mkdtemp(prefix="kefu-bench-replay-")) / "kefu.db"
    shutil.copy(snapshot, path)
    conn = sqlite3.connect(path, isolation_level=None)
    cases_before = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    spent: dict[str, float] = defaultdict(float)
    done = 0
    in_tx = False
    clock = time.process_time
    started = clock()
    for kind, sql, params in log:
        t = clock()
        if kind == "c":
            done += 1
            if done % group == 0:
                conn.execute("COMMIT")
                in_tx = False
                spent["COMMIT"] += clock() - t
            continue
        assert sql is not None
        if sql.startswith(("PRAGMA", "BEGIN")) and sql != "BEGIN IMMEDIATE":
            continue  # connection set-up and the token lookups' read transactions
        if sql == "BEGIN IMMEDIATE":
            if in_tx:
                continue
            in_tx = True
        if kind == "x":
            conn.execute(sql, params).fetchall()
        else:
            conn.executemany(sql, params)
        spent[_table(sql)] += clock() - t
    if in_tx:
        conn.execute("COMMIT")
    total = clock() - started
    # The replay must have written what the filings did, or its cost means nothing.
    cases_after = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    if cases_after - cases_before != filings:
        raise SystemExit(f"replay wrote {cases_after - cases_before} cases, not {filings}")
    conn.close()
    shutil.rmtree(path.parent)
    return Replay(group, total / filings * 1e6, {k: v / filings * 1e6 for k, v in spent.items()})


def bare_insert_sqlite_us(n: int = 3000) -> float:
    """CPU µs of the bare endpoint's own INSERT + COMMIT with plain sqlite3 (no HTTP)."""
    path = Path(tempfile.mkdtemp(prefix="kefu-bench-bare-")) / "bare.db"
    conn = bare.connect(str(path))
    bare.ensure_table(conn)
    for _ in range(200):
        bare.insert_row(conn, "发货慢", "下单一周了还没有发货", "DD1", "13800000000")
    started = time.process_time()
    for i in range(n):
        bare.insert_row(conn, "发货慢", f"下单一周了还没有发货 {i}", "DD1", "13800000000")
    spent = time.process_time() - started
    conn.close()
    shutil.rmtree(path.parent)
    return spent / n * 1e6


@dataclass
class OverHttp:
    bare_fts_rps: list[float]
    fastapi_async_cpu_us: list[float]
    kefu_rps: list[float]
    kefu_cpu_us: list[float]


def measure_over_http(rounds: int, requests: int, workers: int, concurrency: int) -> OverHttp:
    """kefu's intake as it is today, bare+FTS and FastAPI's least request, over HTTP at
    `workers` processes each, on the same SQLite file, in turns."""
    var_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-floor-http-"))
    pairs = seed(var_dir)
    out = OverHttp([], [], [], [])
    with (
        running(start_kefu(var_dir, workers=workers)) as kefu,
        running(start_bare(var_dir / "kefu.db", workers=workers)) as b,
        running(start_bare(var_dir / "kefu.db", workers=workers, app="fastapi_async_app")) as fa,
    ):
        for r in range(rounds):
            load = bodies(requests + WARMUP, pairs, seed_=100 + r)
            auth = [{"Authorization": f"Bearer {tok}"} for tok, _b in load]
            filings = [
                request_bytes("POST", "/api/v1/cases", body=b, headers=h)
                for (_t, b), h in zip(load, auth, strict=True)
            ]
            fts = [request_bytes("POST", "/insert_fts", body=b) for _t, b in load]
            plain = [request_bytes("POST", "/insert", body=b) for _t, b in load]
            run_load(kefu.port, filings[:WARMUP], concurrency=concurrency, total=WARMUP)
            k = timed_load(kefu, filings[WARMUP:], concurrency, requests)
            run_load(b.port, fts[:WARMUP], concurrency=concurrency, total=WARMUP)
            t = timed_load(b, fts[WARMUP:], concurrency, requests)
            run_load(fa.port, plain[:WARMUP], concurrency=concurrency, total=WARMUP)
            a = timed_load(fa, plain[WARMUP:], concurrency, requests)
            if k.statuses.get(201, 0) != requests:
                raise SystemExit(f"kefu answered {k.statuses}, not {requests} x 201")
            out.kefu_rps.append(k.rps)
            out.kefu_cpu_us.append(k.cpu_us_per_request)
            out.bare_fts_rps.append(t.rps)
            out.fastapi_async_cpu_us.append(a.cpu_us_per_request)
            print(f"  kefu {k.line()}")
            print(f"  bare+fts {t.line()}")
            print(f"  fastapi-async-ref {a.line()}")
    shutil.rmtree(var_dir)
    return out


def report(
    replays: list[Replay],
    analysis_us: float,
    bare_sql_us: float,
    http: OverHttp,
    filed: int,
) -> None:
    cores = os.cpu_count() or 1
    grouped = {r.group: r for r in replays}
    print(f"\nSQLite's own work per filing, {filed} real filings replayed with plain sqlite3:")
    for r in replays:
        print(f"  {r.group:3d} filing(s) per COMMIT: {r.cpu_us:6.0f} µs CPU")
    print("  where it goes at 16 per COMMIT (µs per filing):")
    for key, us in sorted(grouped[16].by_statement.items(), key=lambda kv: -kv[1]):
        if us >= 1:
            print(f"    {us:6.1f}  {key}")
    best_sql = min(r.cpu_us for r in replays)
    fastapi_us = statistics.median(http.fastapi_async_cpu_us) - bare_sql_us
    bare_fts = statistics.median(http.bare_fts_rps)
    floor_us = best_sql + analysis_us + fastapi_us
    writer_bound = 1e6 / best_sql
    cpu_bound = cores / floor_us * 1e6
    print(
        f"\nfloor per filing: SQLite {best_sql:,.0f} µs (the best grouping) + text analysis "
        f"{analysis_us:,.0f} µs + FastAPI's least request with its load client "
        f"{fastapi_us:,.0f} µs (its own insert, {bare_sql_us:,.0f} µs, taken out) = "
        f"{floor_us:,.0f} µs, before any of kefu's Python"
    )
    kefu_us = statistics.median(http.kefu_cpu_us)
    kefu_rps = statistics.median(http.kefu_rps)
    print(f"  one writer, busy all the time: <= {writer_bound:,.0f} filings/s")
    print(f"  {cores} cores, busy all the time:  <= {cpu_bound:,.0f} filings/s")
    print(
        f"kefu today: {kefu_rps:,.0f} req/s, {kefu_us:,.0f} µs CPU per filing with its load "
        f"client, of which {kefu_us - floor_us:,.0f} µs above the floor (kefu's own Python: "
        f"validation, rules, routing, clocks, statements' parameters, reply, hand-offs)"
    )
    targets = [(f"50 % of bare+FTS measured here ({bare_fts:,.0f} req/s)", bare_fts / 2)]
    as_fast = bare_fts >= 0.9 * ISSUE_BARE_FTS
    if as_fast:
        targets.append(("the issue's figure for this machine kind", ISSUE_QUOTED_TARGET))
    for label, target in targets:
        budget = cores / target * 1e6
        room = budget - floor_us
        print(
            f"  target {target:,.0f} req/s ({label}): {budget:,.0f} µs of CPU per filing "
            f"with both cores busy all the time; the floor takes {floor_us / budget:.0%} of it"
            + (
                f", leaving {room:,.0f} µs for what kefu does above it today in "
                f"{kefu_us - floor_us:,.0f} µs ({(kefu_us - floor_us) / room:.1f}x too much)"
                if room > 0
                else ": OUT OF REACH before any of kefu's own work"
            )
            + ("; and the single writer cannot keep up" if writer_bound < target else "")
        )
    if not as_fast:
        print(
            f"  (the issue's {ISSUE_QUOTED_TARGET:,} req/s is half of bare+FTS at about "
            f"{ISSUE_BARE_FTS:,} req/s; this box ran bare+FTS at {bare_fts / ISSUE_BARE_FTS:.0%} "
            "of that speed, so the absolute figure is not compared with these CPU costs)"
        )


def run(
    *,
    filings: int = 2000,
    rounds: int = 3,
    requests: int = 5000,
    workers: int = 2,
    concurrency: int = 16,
    keep: Path | None = None,
) -> None:
    """Record, replay, measure over HTTP and print the report (bench.run_all calls this too)."""
    started = time.perf_counter()
    print(f"load average before the run: {os.getloadavg()[0]:.2f}")
    snapshot, log, filed = record_filings(filings)
    if filed != filings:
        raise SystemExit(f"only {filed} of {filings} filings were accepted")
    if keep:
        keep.write_bytes(pickle.dumps((str(snapshot), log)))
    print(
        f"recorded {len(log)} statements for {filed} filings "
        f"({time.perf_counter() - started:.0f} s); replaying"
    )
    replays = [replay(snapshot, log, filed, g) for g in GROUPS]
    analysis_us = analysis_cpu_us()
    bare_sql_us = bare_insert_sqlite_us()
    print(f"over HTTP, {workers} process(es) each, {concurrency} clients:")
    http = measure_over_http(rounds, requests, workers, concurrency)
    report(replays, analysis_us, bare_sql_us, http, filed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--filings", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--keep", type=Path, help="pickle the recording here")
    args = parser.parse_args()
    run(
        filings=args.filings,
        rounds=args.rounds,
        requests=args.requests,
        workers=args.workers,
        concurrency=args.concurrency,
        keep=args.keep,
    )


if __name__ == "__main__":
    main()
