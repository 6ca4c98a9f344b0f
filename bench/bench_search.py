"""Full-text search: GET /api/v1/search?q=退款 (page of 50, newest first) at N cases.

    uv run python -m bench.bench_search                  # 100 000 cases (generated if missing)
    uv run python -m bench.bench_search --n 1000000      # the 1M target
    uv run python -m bench.bench_search --user supervisor --q 质量   # unscoped, a common word

Same shape as bench.bench_queue, one client, sequential requests, in this run:
  kefu  GET /api/v1/search?q=…&limit=50 with the user's token (scope, masking, JSON) through
        `kefu serve --no-worker`;
  bare  bench/bare.py GET /search: the very SQL kefu's SearchRepo.search sends (captured at the
        driver from the service), raw sqlite3, rows as JSON;
  sql   the same statement through raw sqlite3 in this process;
  like  the baseline without an index: same scope, same order, `LIKE '%q%'` over subject,
        description, case number and order number (fewer requests: it scans).
Then the cost of indexing one case in-process: building its terms (jieba + bigrams), the
SearchRepo.index_case upsert (FTS5 row via trigger) and, beside them, a bare one-row INSERT.
A database generated without the search index gets it first (bench.generate.build_search_index).
Target: kefu p99 <= 3 x bare p99 at 1M cases.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.bare import BARE_TABLE, ensure_table, run_search
from bench.generate import TEXTS, build_search_index, generate
from bench.loadgen import LoadResult, pct, request_bytes, run_load
from bench.servers import running, start_bare, start_kefu
from kefu.bootstrap import App, build_app, upgrade_database
from kefu.config import load_settings
from kefu.db.search import fts5_match
from kefu.domain.types import Actor
from kefu.services import search as search_svc
from kefu.services import users as user_svc


def ensure_db(n: int, var_dir: Path | None) -> Path:
    var_dir = var_dir or Path("bench/out") / f"n{n}"
    db = var_dir / "kefu.db"
    if not db.exists():
        print(f"search: generating {n:,} cases into {db} ...")
        t0 = time.perf_counter()
        generate(f"sqlite:///{db}", n, log=lambda _s: None)
        print(f"search: generated in {time.perf_counter() - t0:.1f} s")
        return var_dir
    upgrade_database(load_settings(var_dir=var_dir, secret_key="bench-secret-key"))
    conn = sqlite3.connect(db, isolation_level=None)
    cases, docs = conn.execute(
        "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_search)"
    ).fetchone()
    if docs < cases:
        print(f"search: indexing {cases:,} cases of {db} ({docs:,} documents) ...")
        t0 = time.perf_counter()
        build_search_index(conn, log=lambda _s: None)
        print(f"search: indexed in {time.perf_counter() - t0:.1f} s")
    conn.close()
    return var_dir


def capture(app: App, actor: Actor, q: str, limit: int) -> dict[str, Any]:
    """The SQL search_cases sends for this actor's page 1, as the driver receives it."""
    seen: list[tuple[str, list[Any]]] = []

    @event.listens_for(app.engine, "before_cursor_execute")
    def _capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, list(params)))

    search_svc.search_cases(app.reader(), actor=actor, q=q, limit=limit)
    event.remove(app.engine, "before_cursor_execute", _capture)
    (sql, params) = seen[-1]
    return {"sql": sql, "params": params}


def like_spec(actor: Actor, q: str, limit: int) -> dict[str, Any]:
    """The no-index baseline: same visibility, same newest-first order, LIKE scans."""
    scope = search_svc.scope_for(actor)
    where, params = [], []
    if scope.buyer_id is not None:
        where.append("buyer_id = ?")
        params.append(scope.buyer_id)
    if scope.shop_id is not None:
        where.append("shop_id = ?")
        params.append(scope.shop_id)
    if scope.team_ids is not None:
        marks = ", ".join("?" * len(scope.team_ids)) or "NULL"
        where.append(f"(team_id IN ({marks}) OR assignee_id = ?)")
        params += [*scope.team_ids, scope.user_id]
    pattern = f"%{q}%"
    where.append("(subject LIKE ? OR description LIKE ? OR number LIKE ? OR order_no LIKE ?)")
    params += [pattern] * 4
    sql = f"SELECT * FROM cases WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?"
    return {"sql": sql, "params": [*params, limit + 1]}


def explain(db: Path, spec: dict[str, Any]) -> str:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("EXPLAIN QUERY PLAN " + spec["sql"], spec["params"]).fetchall()
    return "\n".join(f"    {r[-1]}" for r in rows)


def time_sql(db: Path, spec: dict[str, Any], requests: int, warmup: int) -> list[float]:
    conn = sqlite3.connect(db)
    for _ in range(warmup):
        run_search(conn, spec)
    lat = []
    for _ in range(requests):
        t0 = time.perf_counter()
        run_search(conn, spec)
        lat.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return lat


@dataclass
class IndexCost:
    terms_us: float
    upsert_us: float
    bare_insert_us: float
    bytes_per_doc: float


def index_cost(app: App, db: Path, count: int = 500) -> IndexCost:
    """Per case, in-process, on this database: building the terms; SearchRepo.index_case of a
    new case in its own write transaction, less an empty one (what filing pays on top, FTS5
    segment flush included; rolled back, so the WAL write of the commit is not counted);
    beside them a bare one-row INSERT with its own commit (the bare endpoint's database work;
    rows removed afterwards)."""
    rng = random.Random(7)
    lines = [t.strip() for t in TEXTS.read_text(encoding="utf-8").splitlines() if t.strip()]
    # Fresh texts (a random line plus a random tail) so no cache helps, as for a new complaint.
    texts = [f"{rng.choice(lines)}{rng.choice(lines)[:20]}" for _ in range(count)]
    search_svc.index_terms("预热", "预热 warm-up", "KF1", None)
    t0 = time.perf_counter()
    docs = [
        search_svc.index_terms(t[:18], t, f"KF20261124{i:06d}", f"DD{i:010d}")
        for i, t in enumerate(texts)
    ]
    terms_us = (time.perf_counter() - t0) / count * 1e6
    with app.reader() as uow:
        # New case ids past the last one (the insert path, as filing takes); their cases do not
        # exist, so the foreign key check is deferred to a commit that never comes.
        last = uow.search.source_count() + 10_000_000
    # One write transaction per case, as filing has, rolled back; minus an empty one.
    t0 = time.perf_counter()
    for case_id, doc in enumerate(docs, last):
        with app.uow() as uow:
            uow.conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            uow.search.index_case(case_id, doc)
    with_doc = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _doc in docs:
        with app.uow() as uow:
            uow.conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    upsert_us = (with_doc - (time.perf_counter() - t0)) / count * 1e6
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    ensure_table(conn)
    first = conn.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {BARE_TABLE}").fetchone()[0]
    t0 = time.perf_counter()
    for t in texts:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"INSERT INTO {BARE_TABLE} (subject, description, order_no, contact_phone, "
            "created_at) VALUES (?, ?, ?, ?, ?)",
            (t[:18], t, "DD0000000001", "13800000000", "2026-11-25 00:00:00"),
        )
        conn.execute("COMMIT")
    bare_us = (time.perf_counter() - t0) / count * 1e6
    conn.execute(f"DELETE FROM {BARE_TABLE} WHERE id >= ?", (first,))
    conn.close()
    size = statistics.mean(len(d.encode()) for d in docs)
    return IndexCost(terms_us, upsert_us, bare_us, size)


@dataclass
class SearchRound:
    kefu: LoadResult
    bare: LoadResult
    sql: list[float]
    like: list[float]


def run(
    *,
    n: int = 100_000,
    var_dir: Path | None = None,
    user: str = "agent-cs-1",
    q: str = "退款",
    requests: int = 500,
    warmup: int = 100,
    like_requests: int = 20,
    rounds: int = 3,
) -> None:
    var_dir = ensure_db(n, var_dir)
    db = var_dir / "kefu.db"
    app = build_app(load_settings(var_dir=var_dir, secret_key="bench-secret-key"))
    with sqlite3.connect(db) as conn:
        actual_n, docs = conn.execute(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM case_search)"
        ).fetchone()
    token = user_svc.issue_token(app.uow(), username=user, name="bench", now=app.clock.now())
    actor = user_svc.actor_for_token(app.reader(), token)
    assert actor is not None
    spec = capture(app, actor, q, 50)
    like = like_spec(actor, q, 50)
    with sqlite3.connect(db) as conn:
        matches = conn.execute(
            "SELECT count(*) FROM case_search_fts WHERE case_search_fts MATCH ?",
            (fts5_match(search_svc.query_terms(q)),),
        ).fetchone()[0]
    path = f"/api/v1/search?q={urllib.parse.quote(q)}&limit=50"
    print(
        f"search: {actual_n:,} cases ({docs:,} documents) in {db}; q={q!r} as {user}; "
        f"{matches:,} documents match before scoping\n  SQL: {spec['sql']!r} {spec['params']}"
        f"\nEXPLAIN QUERY PLAN (search)\n{explain(db, spec)}\n"
        f"EXPLAIN QUERY PLAN (LIKE baseline)\n{explain(db, like)}"
    )
    kefu_req = [request_bytes("GET", path, headers={"Authorization": f"Bearer {token}"})]
    bare_req = [request_bytes("GET", "/search")]
    out: list[SearchRound] = []
    with (
        running(start_kefu(var_dir)) as kefu,
        running(start_bare(db, search_spec=json.dumps(spec))) as bare,
    ):
        req = urllib.request.Request(
            f"http://127.0.0.1:{kefu.port}{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req) as resp:  # noqa: S310 - loopback
            body = json.loads(resp.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{bare.port}/search") as resp:
            bare_body = json.loads(resp.read())
        like_rows = run_search(sqlite3.connect(db), like)["items"]
        kefu_numbers = [i["number"] for i in body["items"]]
        same = kefu_numbers == [i["number"] for i in bare_body["items"][:50]]
        like_same = kefu_numbers == [i["number"] for i in like_rows[:50]]
        print(
            f"  kefu page: {len(kefu_numbers)} items; same cases in the same order as bare: "
            f"{same}; as the LIKE scan: {like_same}"
        )
        for r in range(rounds):
            k = run_load(kefu.port, kefu_req, concurrency=1, total=requests, warmup=warmup)
            b = run_load(bare.port, bare_req, concurrency=1, total=requests, warmup=warmup)
            s = time_sql(db, spec, requests, warmup)
            lk = time_sql(db, like, like_requests, 2)
            out.append(SearchRound(k, b, s, lk))
            print(
                f"  round {r + 1}: kefu {k.line()}\n           bare {b.line()}\n"
                f"           sql  p50 {pct(s, 0.5):.2f} ms  p99 {pct(s, 0.99):.2f} ms\n"
                f"           like p50 {pct(lk, 0.5):.1f} ms  p99 {pct(lk, 0.99):.1f} ms"
            )
    cost = index_cost(app, db)
    app.engine.dispose()
    print_report(actual_n, q, user, out, cost)


def _mr(values: list[float], fmt: str = ".2f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def print_report(n: int, q: str, user: str, rs: list[SearchRound], cost: IndexCost) -> None:
    rows = [
        ("kefu HTTP", [r.kefu.p50 for r in rs], [r.kefu.p99 for r in rs]),
        ("bare HTTP", [r.bare.p50 for r in rs], [r.bare.p99 for r in rs]),
        ("raw SQL", [pct(r.sql, 0.5) for r in rs], [pct(r.sql, 0.99) for r in rs]),
        ("LIKE scan", [pct(r.like, 0.5) for r in rs], [pct(r.like, 0.99) for r in rs]),
    ]
    print(
        f"\nSEARCH  q={q!r} as {user}, page of 50 newest first; {n:,} cases; "
        f"{rs[0].kefu.requests} sequential requests x {len(rs)} rounds "
        f"(LIKE: {len(rs[0].like)}): median (min-max)"
    )
    print(f"  {'':10} {'p50 ms':>24} {'p99 ms':>24}")
    for name, p50, p99 in rows:
        print(f"  {name:10} {_mr(p50):>24} {_mr(p99):>24}")
    ratio99 = [r.kefu.p99 / r.bare.p99 for r in rs]
    ratio50 = [r.kefu.p50 / r.bare.p50 for r in rs]
    like_x = [pct(r.like, 0.5) / r.kefu.p50 for r in rs]
    verdict = "MET" if statistics.median(ratio99) <= 3 else "NOT MET"
    print(f"  kefu/bare p99: {_mr(ratio99)}x  (p50 {_mr(ratio50)}x)  target <= 3x: {verdict}")
    print(f"  LIKE scan p50 / kefu HTTP p50: {_mr(like_x, '.0f')}x")
    print(
        f"INDEX ONE CASE (in-process, 500 fresh texts): terms {cost.terms_us:.0f} µs + "
        f"index_case in its transaction {cost.upsert_us:.0f} µs = "
        f"{cost.terms_us + cost.upsert_us:.0f} µs; bare one-row INSERT + commit "
        f"{cost.bare_insert_us:.0f} µs; document {cost.bytes_per_doc:.0f} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--var-dir", type=Path, default=None)
    parser.add_argument("--user", default="agent-cs-1", help="generated user (agent-cs-1, …)")
    parser.add_argument("--q", default="退款")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--like-requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run(
        n=args.n,
        var_dir=args.var_dir,
        user=args.user,
        q=args.q,
        requests=args.requests,
        warmup=args.warmup,
        like_requests=args.like_requests,
        rounds=args.rounds,
    )


if __name__ == "__main__":
    main()
