"""Intake over HTTP: kefu's POST /api/v1/cases vs a bare one-INSERT endpoint, same SQLite file.

    uv run python -m bench.bench_intake                  # 5 000 POSTs x 3 rounds, 16 clients
    uv run python -m bench.bench_intake --workers 2      # kefu and bare with 2 uvicorn workers

A fresh temp var dir is migrated and seeded (64 buyers with API tokens, 4 orders each, 8 shops),
then `kefu serve --no-worker` (1 uvicorn process by default) and bench/bare.py (same worker
count, same kefu.db file) are started. Each round sends 5 000 complaints (different buyer, order
and Chinese text each) at 16 concurrent keep-alive connections to kefu, then the same bodies to
the bare endpoint, to a FastAPI reference endpoint (for context) and to the bare endpoint that
also writes a bigram FTS5 row; a short warm-up precedes each. kefu runs every screening step
(classification, duplicates, abuse, priority, routing) and starts the SLA clocks. After the
rounds every 201 is checked against the rows in `cases` (and the bare table). Targets: kefu >=
50 % of the bare req/s (issue 2) and >= 50 % of bare+FTS (issue 3).
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench.bare import BARE_TABLE
from bench.generate import TEXTS
from bench.loadgen import LoadResult, request_bytes, run_load
from bench.servers import Server, running, start_bare, start_kefu
from kefu.analysis.search_terms import index_terms
from kefu.bootstrap import App, build_app, upgrade_database
from kefu.config import load_settings
from kefu.domain.orders import parse_order
from kefu.domain.types import SYSTEM_ACTOR, Role
from kefu.services import intake, screening_admin
from kefu.services import orders as order_svc
from kefu.services import users as user_svc

BUYERS = 64
ORDERS_PER_BUYER = 4
SHOPS = 8
WARMUP = 200


@dataclass
class IntakeRound:
    kefu: LoadResult
    bare: LoadResult
    fastapi: LoadResult
    bare_fts: LoadResult
    fastapi_async: LoadResult

    @property
    def ratio(self) -> float:
        return self.kefu.rps / self.bare.rps if self.bare.rps else 0.0

    @property
    def ratio_fts(self) -> float:
        return self.kefu.rps / self.bare_fts.rps if self.bare_fts.rps else 0.0


@dataclass
class IntakeReport:
    rounds: list[IntakeRound]
    workers: int
    kefu_201: int
    kefu_rows: int
    bare_201: int
    bare_rows: int
    analysis_us: float = 0.0  # CPU per filing of the text analysis alone, in this process

    @property
    def verified(self) -> bool:
        return self.kefu_201 == self.kefu_rows and self.bare_201 == self.bare_rows


def seed(var_dir: Path) -> list[tuple[str, str]]:
    """Migrate and load buyers (with tokens), shops and orders; returns [(token, order_no)]."""
    settings = load_settings(var_dir=var_dir, secret_key="bench-secret-key")
    upgrade_database(settings)
    app = build_app(settings)
    now = app.clock.now()
    raw = []
    pairs: list[tuple[str, str]] = []
    for b in range(BUYERS):
        ref = f"B{b:05d}"
        with app.uow() as uow:
            uow.people.add_user(
                username=f"buyer{b:05d}",
                display_name="刘洋",
                password_hash="",
                roles=frozenset({Role.BUYER}),
                shop_id=None,
                buyer_ref=ref,
                phone="",
                email="",
                now=now,
            )
            uow.commit()
        token = user_svc.issue_token(app.uow(), username=f"buyer{b:05d}", name="bench", now=now)
        for k in range(ORDERS_PER_BUYER):
            order_no = f"DD{b:05d}{k:03d}"
            paid = now - timedelta(days=10 + k)
            raw.append(
                (
                    order_no,
                    parse_order(
                        {
                            "order_no": order_no,
                            "shop_code": f"shop-{(b + k) % SHOPS}",
                            "buyer_ref": ref,
                            "buyer_name": "刘洋",
                            "buyer_phone": "13812345678",
                            "buyer_address": "北京市朝阳区建国路 88 号 1201",
                            "paid_at": paid.isoformat(),
                            "shipped_at": (paid + timedelta(days=1)).isoformat(),
                            "signed_at": (paid + timedelta(days=3)).isoformat(),
                            "carrier": "顺丰速运",
                            "tracking_no": f"SF{b:05d}{k}",
                            "lines": [
                                {
                                    "line_no": 1,
                                    "sku": "A-1",
                                    "title": "无线蓝牙耳机",
                                    "quantity": 1,
                                    "unit_price_fen": 39900,
                                    "paid_fen": 37900,
                                    "paid_cash_fen": 36900,
                                    "paid_points_fen": 0,
                                    "paid_coupon_fen": 1000,
                                    "flags": ["durable"],
                                }
                            ],
                        }
                    ),
                )
            )
            pairs.append((token, order_no))
    order_svc.import_orders(app.uow(), actor=SYSTEM_ACTOR, orders=raw, now=now)
    _staff(app, now)
    app.engine.dispose()
    return pairs


def _staff(app: App, now: datetime) -> None:
    """The routing targets a real deployment has: three teams of three, on duty around the
    clock, so every accepted filing is routed to a team and assigned to its least-loaded agent."""
    admin = user_svc.create_user(
        app.uow(),
        actor=SYSTEM_ACTOR,
        username="bench-admin",
        password="bench-password",
        roles=[Role.ADMIN.value],
        now=now,
    ).actor()
    for team, role in (("cs", Role.AGENT), ("tech", Role.TECH_SUPPORT), ("compliance", Role.AGENT)):
        for k in range(3):
            username = f"{team}-agent{k}"
            user_svc.create_user(
                app.uow(),
                actor=SYSTEM_ACTOR,
                username=username,
                password="bench-password",
                roles=[role.value],
                display_name=username,
                shop_code=None,
                team_codes=[team],
                phone="",
                email="",
                now=now,
            )
            screening_admin.set_availability(
                app.uow(),
                actor=admin,
                username=username,
                on_duty=True,
                shift_start="00:00",
                shift_end="23:59",
                working_days_only=False,
            )


def bodies(n: int, pairs: list[tuple[str, str]], seed_: int) -> list[tuple[str, dict[str, object]]]:
    rng = random.Random(seed_)
    texts = [
        t.strip() for t in TEXTS.read_text(encoding="utf-8").splitlines() if len(t.strip()) >= 12
    ]
    out = []
    for i in range(n):
        token, order_no = pairs[i % len(pairs)]
        text = rng.choice(texts)
        out.append(
            (
                token,
                {
                    "kind": "complaint",
                    "channel": "app",
                    "subject": text[:18],
                    "description": text,
                    "order_no": order_no,
                    "line_nos": [1],
                    "contact_phone": f"13{rng.randrange(10**9):09d}",
                },
            )
        )
    return out


def run(
    *,
    requests: int = 5000,
    rounds: int = 3,
    concurrency: int = 16,
    workers: int = 1,
    log: bool = True,
) -> IntakeReport:
    var_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-intake-"))
    db = var_dir / "kefu.db"
    t0 = time.perf_counter()
    pairs = seed(var_dir)
    if log:
        print(
            f"intake: seeded {BUYERS} buyers, {len(pairs)} orders in {var_dir} "
            f"({time.perf_counter() - t0:.1f} s); {requests} POSTs x {rounds} rounds, "
            f"{concurrency} clients, {workers} uvicorn worker(s) each"
        )
    rounds_out: list[IntakeRound] = []
    kefu_201 = bare_201 = 0
    with (
        running(start_kefu(var_dir, workers=workers)) as kefu,
        running(start_bare(db, workers=workers)) as bare,
        running(start_bare(db, workers=workers, app="fastapi_app")) as fapi,
        running(start_bare(db, workers=workers, app="fastapi_async_app")) as fasync,
    ):
        for r in range(rounds):
            load = bodies(requests + WARMUP, pairs, seed_=r)
            kefu_reqs = [
                request_bytes(
                    "POST", "/api/v1/cases", body=b, headers={"Authorization": f"Bearer {tok}"}
                )
                for tok, b in load
            ]
            bare_reqs = [request_bytes("POST", "/insert", body=b) for _tok, b in load]
            fts_reqs = [request_bytes("POST", "/insert_fts", body=b) for _tok, b in load]
            warm = run_load(kefu.port, kefu_reqs[:WARMUP], concurrency=concurrency, total=WARMUP)
            k = timed_load(kefu, kefu_reqs[WARMUP:], concurrency, requests)
            warm_b = run_load(bare.port, bare_reqs[:WARMUP], concurrency=concurrency, total=WARMUP)
            b = timed_load(bare, bare_reqs[WARMUP:], concurrency, requests)
            warm_f = run_load(fapi.port, bare_reqs[:WARMUP], concurrency=concurrency, total=WARMUP)
            f = timed_load(fapi, bare_reqs[WARMUP:], concurrency, requests)
            warm_t = run_load(bare.port, fts_reqs[:WARMUP], concurrency=concurrency, total=WARMUP)
            t = timed_load(bare, fts_reqs[WARMUP:], concurrency, requests)
            warm_a = run_load(
                fasync.port, bare_reqs[:WARMUP], concurrency=concurrency, total=WARMUP
            )
            a = timed_load(fasync, bare_reqs[WARMUP:], concurrency, requests)
            kefu_201 += warm.statuses.get(201, 0) + k.statuses.get(201, 0)
            bare_201 += sum(
                x.statuses.get(201, 0) for x in (warm_b, b, warm_f, f, warm_t, t, warm_a, a)
            )
            rounds_out.append(IntakeRound(k, b, f, t, a))
            if log:
                print(f"  round {r + 1}: kefu {k.line()}")
                print(f"           bare {b.line()}")
                print(f"           fastapi-ref {f.line()}")
                print(f"           bare+fts {t.line()}")
                print(f"           fastapi-async-ref {a.line()}")
                print(
                    f"           kefu/bare = {k.rps / b.rps:.1%}, "
                    f"kefu/bare+fts = {k.rps / t.rps:.1%}"
                )
                if k.errors:
                    print(f"           kefu error sample: {k.sample_body[:300]!r}")
    with sqlite3.connect(db) as conn:
        kefu_rows = conn.execute("SELECT count(*) FROM cases").fetchone()[0]
        bare_rows = conn.execute(f"SELECT count(*) FROM {BARE_TABLE}").fetchone()[0]
    report = IntakeReport(
        rounds_out, workers, kefu_201, kefu_rows, bare_201, bare_rows, analysis_cpu_us()
    )
    if log:
        print_report(report)
    return report


def timed_load(server: Server, reqs: list[bytes], concurrency: int, total: int) -> LoadResult:
    """run_load, with the CPU the server (all its processes) spent on the timed requests."""
    before = server.cpu_seconds()
    result = run_load(server.port, reqs, concurrency=concurrency, total=total)
    result.server_cpu_s = server.cpu_seconds() - before
    return result


def analysis_cpu_us(n: int = 2000) -> float:
    """CPU µs per filing of the text analysis every screened filing runs (classifier, SimHash,
    lexicons, compliance and priority rules, search terms), measured in this process."""
    texts = [(b["subject"], b["description"]) for _t, b in bodies(2 * n, [("", "")], seed_=11)]

    def run(part: list[tuple[object, object]]) -> None:
        for subject, description in part:
            words = intake.analyze(str(subject), str(description))
            index_terms(words.subject, words.description, "KF20261206000001", "DD00001000")

    run(texts[:n])  # warm: dictionaries, the model, the lexicons
    t0 = time.process_time()
    run(texts[n:])
    return (time.process_time() - t0) / n * 1e6


def _mrange(values: list[float], fmt: str) -> str:
    return (
        f"{format(statistics.median(values), fmt)} "
        f"({format(min(values), fmt)}-{format(max(values), fmt)})"
    )


def print_report(rep: IntakeReport) -> None:
    ks = [r.kefu for r in rep.rounds]
    bs = [r.bare for r in rep.rounds]
    print(
        f"\nINTAKE  POST /api/v1/cases, {ks[0].requests} requests x {len(rep.rounds)} rounds, "
        f"16 clients, {rep.workers} worker(s): median (min-max)"
    )
    print(f"  {'':6} {'req/s':>22} {'p50 ms':>22} {'p99 ms':>22}")
    fs = [r.fastapi for r in rep.rounds]
    ts = [r.bare_fts for r in rep.rounds]
    fa = [r.fastapi_async for r in rep.rounds]
    for name, rs in (("kefu", ks), ("bare", bs), ("fa-ref", fs), ("fa-asy", fa), ("b+fts", ts)):
        print(
            f"  {name:6} {_mrange([x.rps for x in rs], ',.0f'):>22} "
            f"{_mrange([x.p50 for x in rs], '.1f'):>22} "
            f"{_mrange([x.p99 for x in rs], '.1f'):>22}"
        )
    ratios = [r.ratio for r in rep.rounds]
    verdict = "MET" if statistics.median(ratios) >= 0.5 else "NOT MET"
    print(f"  kefu/bare req/s: {_mrange(ratios, '.1%')}  issue 2 target >= 50 %: {verdict}")
    fts_ratios = [r.ratio_fts for r in rep.rounds]
    fts_verdict = "MET" if statistics.median(fts_ratios) >= 0.5 else "NOT MET"
    print(
        f"  kefu (every screening step on)/bare+fts req/s: {_mrange(fts_ratios, '.1%')}  "
        f"issue 3 target >= 50 %: {fts_verdict}"
    )
    print(
        f"  (fa-ref = the same insert as a FastAPI def endpoint with a Pydantic body; "
        f"kefu/fa-ref {_mrange([r.kefu.rps / r.fastapi.rps for r in rep.rounds], '.1%')})"
    )
    print(
        f"  (fa-asy = the same as an async def endpoint: FastAPI's least cost; fa-asy/bare "
        f"{_mrange([r.fastapi_async.rps / r.bare.rps for r in rep.rounds], '.1%')})"
    )
    print_cpu(rep)
    print(
        f"  verified: kefu 201s {rep.kefu_201} = rows in cases {rep.kefu_rows}: "
        f"{rep.kefu_201 == rep.kefu_rows}; bare+references 201s {rep.bare_201} = rows "
        f"{rep.bare_rows}: {rep.bare_201 == rep.bare_rows}"
    )


def print_cpu(rep: IntakeReport) -> None:
    """What a request costs in CPU (server + load client), and what that allows at best.

    Wall-clock ratios depend on how busy the cores were; CPU per request does not. A server
    whose requests cost c µs of CPU cannot serve more than cores / c requests a second, however
    its waiting is arranged."""
    cores = os.cpu_count() or 1
    per = {
        name: statistics.median(getattr(r, attr).cpu_us_per_request for r in rep.rounds)
        for name, attr in (
            ("kefu", "kefu"),
            ("bare", "bare"),
            ("fa-ref", "fastapi"),
            ("fa-asy", "fastapi_async"),
            ("b+fts", "bare_fts"),
        )
    }
    rps = {
        name: statistics.median(getattr(r, attr).rps for r in rep.rounds)
        for name, attr in (("bare", "bare"), ("b+fts", "bare_fts"))
    }
    print(f"  CPU per request (server + load client), median; ceiling = {cores} cores / CPU:")
    for name, us in per.items():
        print(f"    {name:6} {us:8,.0f} µs   ceiling {cores / us * 1e6:8,.0f} req/s")
    ceiling = cores / per["kefu"] * 1e6
    print(
        f"  kefu at full use of every core: <= {ceiling:,.0f} req/s = "
        f"{ceiling / rps['bare']:.1%} of bare, {ceiling / rps['b+fts']:.1%} of bare+fts"
    )
    if rep.analysis_us:
        floor_us = per["fa-asy"] + rep.analysis_us
        floor = cores / floor_us * 1e6
        print(
            f"  floor: FastAPI's least request with one insert ({per['fa-asy']:,.0f} µs) + the "
            f"text analysis alone ({rep.analysis_us:,.0f} µs) = {floor_us:,.0f} µs: <= "
            f"{floor:,.0f} req/s = {floor / rps['bare']:.1%} of bare, "
            f"{floor / rps['b+fts']:.1%} of bare+fts before any other row or rule"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    run(
        requests=args.requests,
        rounds=args.rounds,
        concurrency=args.concurrency,
        workers=args.workers,
    )


if __name__ == "__main__":
    main()
