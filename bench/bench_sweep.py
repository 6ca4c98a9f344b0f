"""One deadline sweep over N open cases with 1 % of their clocks due, beside a full-scan baseline.

    uv run python -m bench.bench_sweep                  # N = 100 000 (~15 s with generation)
    uv run python -m bench.bench_sweep --n 1000000      # the issue's figure (by hand, not in CI)
    uv run python -m bench.bench_sweep --n 1000000 --dir /tmp/sw --reuse   # keep the 1M DB

Each case gets one running first-contact clock (the complaint default: 12 h, warn at 80 %,
notify the supervisors on breach). 1 % are past due and already warned, so the sweep's work is
exactly "breach these": clock update, timeline row, outbox row each. The other 99 % are due
between now +1 h and +10 days. Rows go in with raw sqlite3 executemany, like bench/generate.py.

Figures printed, all in this one run (3 rounds each, median and range):
- SQL via index: the sweep's predicate through ix_case_clocks_due (rows fetched, nothing else);
- SQL full scan: the same predicate with the index disabled (`NOT INDEXED`) — the baseline, what
  merely finding the due clocks costs without the due/state index; plus the sweep's own claim
  query (`claim_due`) with rows turned into DueClock tuples;
- full pass: `sweep_due_clocks` end to end as the worker calls it (500 clocks per transaction,
  as many batches as it takes, `reader=` so SQLite's WAL is checkpointed once after the
  batches), every due clock breached. Two figures: the sweep itself (the batches: claim,
  mark, timeline + outbox rows, commit) and the sweep with the WAL checkpoint that follows it
  inside the same call (copying the sweep's ~12 000 committed pages into the database file —
  I/O a default SQLite would spread over the commits). The checkpoint alone is printed too.
  Then an idle pass (nothing due: the price of every worker pass). Between rounds the breaches
  are undone with raw SQL (clocks back to running, timeline and outbox emptied).
Target (issue 4): the pass "well under a second" at 1M / 1 %; this bench asks the sweep for
<= 400 ms (median) and prints the figure with the checkpoint beside it.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kefu.bootstrap import upgrade_database
from kefu.config import Settings
from kefu.db.clock_rows import spec_to_json
from kefu.db.deadlines import DeadlineRepo
from kefu.db.engine import make_engine
from kefu.domain.sla_clock import ClockName
from kefu.domain.sla_defaults import DEFAULT_POLICIES
from kefu.services.deadline_sweep import SweepConfig, sweep_due_clocks
from kefu.services.unit_of_work import UnitOfWork

BATCH = 20_000
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def generate(path: Path, n: int, due_share: float, seed: int = 4) -> int:
    url = f"sqlite:///{path}"
    upgrade_database(Settings(database_url=url))
    spec = next(p for p in DEFAULT_POLICIES if p.id == "complaint").clock(ClockName.FIRST_CONTACT)
    assert spec is not None
    spec_json = json.dumps(spec_to_json(spec))
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO users (username, display_name, password_hash, roles, is_active, created_at)"
        " VALUES ('buyer', 'b', '', 'buyer', 1, ?), ('sup', 's', '', 'supervisor', 1, ?)",
        (_ts(NOW), _ts(NOW)),
    )
    conn.execute("INSERT INTO teams (code, name) VALUES ('cs', 'cs')")
    due_count = 0
    for start in range(0, n, BATCH):
        case_rows, clock_rows = [], []
        for i in range(start, min(n, start + BATCH)):
            due = rng.random() < due_share
            due_count += due
            due_at = (
                NOW - timedelta(minutes=rng.randint(1, 600))
                if due
                else (NOW + timedelta(minutes=rng.randint(60, 14_400)))
            )
            started = due_at - timedelta(hours=12)
            warn_at = started + timedelta(hours=9, minutes=36)
            case_rows.append((i + 1, f"KF{i + 1:014d}", _ts(started), _ts(started), _ts(due_at)))
            clock_rows.append(
                (
                    i + 1, spec_json, _ts(started), _ts(due_at), _ts(warn_at),
                    _ts(warn_at) if due or warn_at <= NOW else None,
                )
            )  # fmt: skip
        conn.executemany(
            "INSERT INTO cases (id, number, kind, channel, category, priority, status, is_open,"
            " buyer_id, subject, description, version, created_at, updated_at, due_at, team_id,"
            " line_nos, contact_phone, contact_email, reject_reason)"
            " VALUES (?, ?, 'complaint', 'web', '其他', 'normal', 'submitted', 1, 1, '标题',"
            " '描述', 1, ?, ?, ?, 1, '', '', '', '')",
            case_rows,
        )
        conn.executemany(
            "INSERT INTO case_clocks (case_id, party, clock, policy_id, policy_version, rule, spec,"
            " budget_amount, budget_measure, warn_share, paused_total_s, state, started_at,"
            " due_at, warn_at, warned_at, provisional, facts, on_warning, on_breach, on_timeout)"
            " VALUES (?, 'platform', 'first_contact', 'complaint', 1, 'seed-001', ?, 12,"
            " 'calendar_hours', 0.8, 0, 'running', ?, ?, ?, ?, 0, '[]', 'notify_assignee',"
            " 'notify_supervisor', 'none')",
            clock_rows,
        )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    # Written with synchronous=OFF: flush it now, or round 1's first fsync (the sweep's WAL
    # checkpoint) would wait for the whole generated file to reach the disk.
    with path.open("rb+") as f:
        os.fsync(f.fileno())
    return due_count


def reset(path: Path) -> None:
    """Undo a sweep: the breached clocks run again, the rows it wrote are gone."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute(
        "UPDATE case_clocks SET state = 'running', breached_at = NULL, stopped_at = NULL"
        " WHERE state = 'breached'"
    )
    conn.execute("DELETE FROM timeline")
    conn.execute("DELETE FROM outbox")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def summary(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    return f"{statistics.median(ms):,.1f} ms ({ms[0]:,.1f}–{ms[-1]:,.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep DIR/sweep.db if it exists (migrated to head, breaches undone; same --n/--due)",
    )
    args = parser.parse_args()
    work = args.dir or Path(tempfile.mkdtemp(prefix="kefu-sweep-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "sweep.db"
    if args.reuse and path.exists():
        upgrade_database(Settings(database_url=f"sqlite:///{path}"))
        reset(path)
        with sqlite3.connect(path) as conn:
            sql = "SELECT count(*) FROM case_clocks WHERE due_at < ?"
            due = conn.execute(sql, (_ts(NOW),)).fetchone()[0]
        print(f"reused {path}: {due:,} due")
    else:
        path.unlink(missing_ok=True)
        due, gen_s = timed(lambda: generate(path, args.n, args.due))
        print(f"generated {args.n:,} open cases + clocks, {due:,} due, in {gen_s:.1f} s ({path})")
    engine = make_engine(f"sqlite:///{path}")
    factory = lambda: UnitOfWork(engine)  # noqa: E731
    reader = lambda: UnitOfWork(engine, write=False)  # noqa: E731
    # The checkpoint after the pass is part of the pass; timed on its own as well.
    checkpoint_s: list[float] = []
    real_checkpoint = DeadlineRepo.checkpoint

    def timed_checkpoint(repo: DeadlineRepo) -> tuple[int, int, int] | None:
        result, took = timed(lambda: real_checkpoint(repo))
        checkpoint_s.append(took)
        return result

    DeadlineRepo.checkpoint = timed_checkpoint  # type: ignore[method-assign]

    def claim() -> int:
        with factory() as uow:
            return len(uow.deadlines.claim_due(NOW, 10 * args.n, breach=True))

    def raw(hint: str) -> int:
        with engine.connect() as conn:
            return len(
                conn.exec_driver_sql(
                    f"SELECT * FROM case_clocks {hint} WHERE state = 'running' AND due_at < ?",
                    (_ts(NOW),),
                ).all()
            )

    # The worker freezes what exists at its start (worker.run); so does this process.
    gc.freeze()
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT * FROM case_clocks WHERE state = 'running' AND due_at < ?"
            " ORDER BY due_at LIMIT 1000",
            (_ts(NOW),),
        ).all()
    print("plan:", "; ".join(str(row[-1]) for row in plan))
    index_s, scan_s, claim_s, pass_s, ckpt_s, idle_s = [], [], [], [], [], []
    for round_no in range(args.rounds):
        if round_no:
            reset(path)
        found, t_claim = timed(claim)
        indexed, t_index = timed(lambda: raw("INDEXED BY ix_case_clocks_due"))
        scanned, t_scan = timed(lambda: raw("NOT INDEXED"))
        assert found == indexed == scanned == due, (found, indexed, scanned, due)
        checkpoint_s.clear()
        report, t_pass = timed(
            lambda: sweep_due_clocks(
                factory, NOW, SweepConfig(max_batches=1_000_000), reader=reader
            )
        )
        assert report.breached == due, report
        t_ckpt = sum(checkpoint_s)
        _, t_idle = timed(lambda: sweep_due_clocks(factory, NOW, SweepConfig(), reader=reader))
        for bucket, value in zip(
            (index_s, scan_s, claim_s, pass_s, ckpt_s, idle_s),
            (t_index, t_scan, t_claim, t_pass, t_ckpt, t_idle),
            strict=True,
        ):
            bucket.append(value)
        print(
            f"round {round_no + 1}: {due:,} due — SQL via index {t_index * 1000:.1f} ms,"
            f" SQL full scan {t_scan * 1000:.1f} ms, claim query {t_claim * 1000:.1f} ms;"
            f" full pass {t_pass * 1000:.0f} ms ({t_pass / max(1, due) * 1e6:.0f} µs per clock)"
            f" of which checkpoint {t_ckpt * 1000:.0f} ms, idle pass {t_idle * 1000:.2f} ms"
        )
    full, scan = statistics.median(pass_s), statistics.median(scan_s)
    batches = [p - c for p, c in zip(pass_s, ckpt_s, strict=True)]
    sweep = statistics.median(batches)
    print(f"SQL via index          {summary(index_s)}")
    print(f"SQL full scan (base)   {summary(scan_s)}")
    print(f"claim query -> clocks  {summary(claim_s)}")
    print(
        f"sweep (batches)        {summary(batches)} = {sweep / max(1, due) * 1e6:.0f} µs per"
        f" clock, {sweep / scan:.1f}x the full scan"
    )
    print(
        f"sweep + WAL checkpoint {summary(pass_s)} = {full / max(1, due) * 1e6:.0f} µs per clock,"
        f" {full / scan:.1f}x the full scan (the whole call)"
    )
    print(f"  WAL checkpoint alone {summary(ckpt_s)}")
    print(f"idle pass              {summary(idle_s)}")
    verdict = "MET" if sweep <= 0.4 else "NOT MET"
    print(
        f"target: one sweep over {args.n:,} open cases with {due:,} due in <= 400 ms:"
        f" {sweep * 1000:,.0f} ms, {verdict}; with the checkpoint {full * 1000:,.0f} ms"
        f" ({'under' if full < 1 else 'over'} 1 s); full scan {scan * 1000:,.0f} ms"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
