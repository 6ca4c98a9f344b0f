"""Agent queue: page 1 of 50 (open, team cs, sorted by due time) + capped count, at N cases.

    uv run python -m bench.bench_queue                   # 100 000 cases (generated if missing)
    uv run python -m bench.bench_queue --n 1000000       # the 1M target

Three ways of getting the same page, one after another in this run, each with 1 client and
sequential requests (warm-up, then --requests timed ones):
  kefu  GET /api/v1/cases?open=true&team=cs&limit=50 (agent-cs-1's token: team scope + RBAC,
        masking, JSON shaping) through `kefu serve --no-worker`;
  bare  bench/bare.py GET /queue: the very SQL kefu's CaseRepo.page + count_capped emit
        (captured at the driver from the repository), raw sqlite3, rows as JSON;
  sql   the same two statements through raw sqlite3 in this process (no HTTP).
Also prints EXPLAIN QUERY PLAN for both statements and flags a sort that does not use an index.
Target: kefu p99 <= 3 x bare p99 at 1M cases.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.generate import generate
from bench.loadgen import LoadResult, pct, request_bytes, run_load
from bench.servers import running, start_bare, start_kefu
from kefu.bootstrap import build_app
from kefu.config import load_settings
from kefu.db.cases import CaseFilter, CaseRepo
from kefu.db.engine import make_engine
from kefu.services import users as user_svc
from kefu.services.views import COUNT_CAP

AGENT = "agent-cs-1"
PATH = "/api/v1/cases?open=true&team=cs&limit=50"


def queue_spec(db: Path, agent: str = AGENT, team: str = "cs") -> dict[str, Any]:
    """The SQL kefu runs for this agent's page 1 (same filter list_cases builds), captured as
    the driver receives it from CaseRepo.page and count_capped on a real connection."""
    conn = sqlite3.connect(db)
    team_id = conn.execute("SELECT id FROM teams WHERE code = ?", (team,)).fetchone()[0]
    user_id = conn.execute("SELECT id FROM users WHERE username = ?", (agent,)).fetchone()[0]
    team_ids = tuple(
        r[0]
        for r in conn.execute(
            "SELECT team_id FROM team_members WHERE user_id = ? ORDER BY team_id", (user_id,)
        )
    )
    conn.close()
    f = CaseFilter(team_id=team_id, open_only=True, scope_team_ids=team_ids, scope_user_id=user_id)
    engine = make_engine(f"sqlite:///{db}")
    seen: list[tuple[str, list[Any]]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, list(params)))

    with engine.connect() as c:
        repo = CaseRepo(c)
        repo.page(f, after=None, limit=50 + 1)
        repo.count_capped(f, COUNT_CAP + 1)
    engine.dispose()
    (page_sql, page_params), (count_sql, count_params) = seen
    return {
        "page_sql": page_sql,
        "page_params": page_params,
        "count_sql": count_sql,
        "count_params": count_params,
    }


def explain(db: Path, spec: dict[str, Any]) -> tuple[str, bool]:
    """EXPLAIN QUERY PLAN for page and count; True when the page's sort uses an index."""
    conn = sqlite3.connect(db)
    out = []
    sort_indexed = True
    for name in ("page", "count"):
        rows = conn.execute(
            "EXPLAIN QUERY PLAN " + spec[f"{name}_sql"], spec[f"{name}_params"]
        ).fetchall()
        out.append(f"  {name}:")
        out += [f"    {r[-1]}" for r in rows]
        if name == "page" and any("TEMP B-TREE" in r[-1] for r in rows):
            sort_indexed = False
    conn.close()
    return "\n".join(out), sort_indexed


def time_sql(db: Path, spec: dict[str, Any], requests: int, warmup: int) -> list[float]:
    from bench.bare import run_queue

    conn = sqlite3.connect(db)
    for _ in range(warmup):
        run_queue(conn, spec)
    lat = []
    for _ in range(requests):
        t0 = time.perf_counter()
        run_queue(conn, spec)
        lat.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return lat


@dataclass
class QueueRound:
    kefu: LoadResult
    bare: LoadResult
    sql: list[float]


@dataclass
class QueueReport:
    n: int
    rounds: list[QueueRound]
    plan: str
    sort_indexed: bool
    items: int
    count: Any


def ensure_db(n: int, var_dir: Path | None) -> Path:
    var_dir = var_dir or Path("bench/out") / f"n{n}"
    db = var_dir / "kefu.db"
    if not db.exists():
        print(f"queue: generating {n:,} cases into {db} ...")
        t0 = time.perf_counter()
        generate(f"sqlite:///{db}", n, log=lambda _s: None)
        print(f"queue: generated in {time.perf_counter() - t0:.1f} s")
    return var_dir


def agent_token(var_dir: Path) -> str:
    app = build_app(load_settings(var_dir=var_dir, secret_key="bench-secret-key"))
    token = user_svc.issue_token(app.uow(), username=AGENT, name="bench", now=app.clock.now())
    app.engine.dispose()
    return token


def run(
    *,
    n: int = 100_000,
    var_dir: Path | None = None,
    requests: int = 500,
    warmup: int = 100,
    rounds: int = 3,
    log: bool = True,
) -> QueueReport:
    var_dir = ensure_db(n, var_dir)
    db = var_dir / "kefu.db"
    with sqlite3.connect(db) as conn:
        actual_n = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
    spec = queue_spec(db)
    plan, sort_indexed = explain(db, spec)
    token = agent_token(var_dir)
    kefu_req = [request_bytes("GET", PATH, headers={"Authorization": f"Bearer {token}"})]
    bare_req = [request_bytes("GET", "/queue")]
    if log:
        print(
            f"queue: {actual_n:,} cases in {db}; {requests} sequential requests after "
            f"{warmup} warm-up, {rounds} rounds\n  page SQL: {spec['page_sql']!r} "
            f"{spec['page_params']}\n  count SQL: {spec['count_sql']!r} "
            f"{spec['count_params']}\nEXPLAIN QUERY PLAN\n{plan}\n  sort uses an index: "
            f"{sort_indexed}"
        )
    out: list[QueueRound] = []
    items = 0
    count: Any = None
    with (
        running(start_kefu(var_dir)) as kefu,
        running(start_bare(db, queue_spec=json.dumps(spec))) as bare,
    ):
        # One checked response: kefu's page has 50 items and the same (capped) count.
        import urllib.request

        req = urllib.request.Request(
            f"http://127.0.0.1:{kefu.port}{PATH}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(req) as resp:  # noqa: S310 - loopback
            body = json.loads(resp.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{bare.port}/queue") as resp:
            bare_body = json.loads(resp.read())
        items = len(body["items"])
        count = (body["count"], body["count_is_capped"], bare_body["count"])
        same = [i["number"] for i in body["items"]] == [
            i["number"] for i in bare_body["items"][:50]
        ]
        if log:
            print(
                f"  kefu page: {items} items, count {body['count']} "
                f"(capped {body['count_is_capped']}); bare count {bare_body['count']}; "
                f"same 50 cases in the same order: {same}"
            )
        for r in range(rounds):
            k = run_load(kefu.port, kefu_req, concurrency=1, total=requests, warmup=warmup)
            b = run_load(bare.port, bare_req, concurrency=1, total=requests, warmup=warmup)
            s = time_sql(db, spec, requests, warmup)
            out.append(QueueRound(k, b, s))
            if log:
                print(
                    f"  round {r + 1}: kefu {k.line()}\n           bare {b.line()}\n"
                    f"           sql  p50 {pct(s, 0.5):.2f} ms  p99 {pct(s, 0.99):.2f} ms"
                )
    report = QueueReport(actual_n, out, plan, sort_indexed, items, count)
    if log:
        print_report(report)
    return report


def _mr(values: list[float], fmt: str = ".2f") -> str:
    return f"{statistics.median(values):{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def print_report(rep: QueueReport) -> None:
    rs = rep.rounds
    rows = [
        ("kefu HTTP", [r.kefu.p50 for r in rs], [r.kefu.p99 for r in rs]),
        ("bare HTTP", [r.bare.p50 for r in rs], [r.bare.p99 for r in rs]),
        ("raw SQL", [pct(r.sql, 0.5) for r in rs], [pct(r.sql, 0.99) for r in rs]),
    ]
    print(
        f"\nQUEUE  page 1 of 50, open, team cs, sorted by due, + capped count; {rep.n:,} cases;"
        f" {rs[0].kefu.requests} sequential requests x {len(rs)} rounds: median (min-max)"
    )
    print(f"  {'':10} {'p50 ms':>22} {'p99 ms':>22}")
    for name, p50, p99 in rows:
        print(f"  {name:10} {_mr(p50):>22} {_mr(p99):>22}")
    ratio99 = [r.kefu.p99 / r.bare.p99 for r in rs]
    ratio50 = [r.kefu.p50 / r.bare.p50 for r in rs]
    ratio_sql = [r.kefu.p99 / pct(r.sql, 0.99) for r in rs]
    verdict = "MET" if statistics.median(ratio99) <= 3 else "NOT MET"
    print(f"  kefu/bare p99: {_mr(ratio99)}x  (p50 {_mr(ratio50)}x)  target <= 3x: {verdict}")
    print(f"  kefu/raw SQL p99: {_mr(ratio_sql, '.1f')}x; sort uses an index: {rep.sort_indexed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument(
        "--var-dir",
        type=Path,
        default=None,
        help="existing generated var dir (default bench/out/n<N>)",
    )
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run(
        n=args.n,
        var_dir=args.var_dir,
        requests=args.requests,
        warmup=args.warmup,
        rounds=args.rounds,
    )


if __name__ == "__main__":
    main()
