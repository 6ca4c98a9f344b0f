"""Micro-benchmark: planning and storing the clocks a case filing starts (µs per case).

    uv run python -m bench.bench_filing_clocks            # 4 000 cases, 3 rounds

`deadlines.filing_clocks` (policy selection, calendar arithmetic for every at-filing clock,
warning times) and `DeadlineRepo.add_clocks` (one statement per filing, rolled back), for
complaints, after-sales requests, disputes and feedback filed at random minutes over two weeks
of the 2026 calendar (National holidays' data, no overrides), on a migrated SQLite database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kefu.adapters.clock import FixedClock
from kefu.bootstrap import build_app, upgrade_database
from kefu.config import load_settings
from kefu.domain.case import Case
from kefu.domain.types import CaseKind, Category, Channel, Priority
from kefu.domain.workflow import Status
from kefu.services import deadlines

START = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
KINDS = (CaseKind.COMPLAINT, CaseKind.AFTERSALES, CaseKind.DISPUTE, CaseKind.FEEDBACK)


def cases(n: int, seed: int = 1) -> list[Case]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = START + timedelta(minutes=rng.randint(0, 60 * 24 * 14), microseconds=i)
        out.append(
            Case(
                None, f"KF{i}", KINDS[i % 4], Channel.WEB, Category.QUALITY, Priority.NORMAL,
                Status.SUBMITTED, 1, "s", "d", at, at, team_id=None, shop_id=None,
            )
        )  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="kefu-fc-"))
    settings = load_settings(var_dir=var, database_url=f"sqlite:///{var}/k.db", secret_key="x")
    upgrade_database(settings)
    app = build_app(settings, clock=FixedClock(START))
    plan_us, store_us = [], []
    with app.uow() as uow:
        stamp = START.strftime("%Y-%m-%d %H:%M:%S.%f")
        uow.conn.exec_driver_sql(
            "INSERT INTO users (id, username, display_name, password_hash, roles, is_active,"
            " created_at) VALUES (1, 'b', 'b', '', 'buyer', 1, ?)",
            (stamp,),
        )
        uow.conn.exec_driver_sql(
            "INSERT INTO cases (id, number, kind, channel, category, priority, status, is_open,"
            " buyer_id, subject, description, version, created_at, updated_at, due_at,"
            " line_nos, contact_phone, contact_email, reject_reason) VALUES (1, 'KF1',"
            " 'complaint', 'web', 'x', 'normal', 'submitted', 1, 1, 's', 'd', 1, ?, ?, ?, '',"
            " '', '', '')",
            (stamp, stamp, stamp),
        )
        for round_no in range(args.rounds):
            batch = cases(args.n, seed=round_no + 1)
            for c in batch[:200]:  # warm: policies, calendars, statements
                deadlines.filing_clocks(uow, c, c.created_at)
            started = time.perf_counter()
            planned = [deadlines.filing_clocks(uow, c, c.created_at) for c in batch]
            plan_us.append((time.perf_counter() - started) / len(batch) * 1e6)
            for rows in planned:
                for row in rows:
                    row.case_id = 1
            started = time.perf_counter()
            for rows in planned:
                uow.deadlines.add_clocks(rows)
            store_us.append((time.perf_counter() - started) / len(batch) * 1e6)
            clocks = sum(map(len, planned)) / len(batch)
            print(
                f"round {round_no + 1}: filing_clocks {plan_us[-1]:.1f} µs, add_clocks"
                f" {store_us[-1]:.1f} µs per case ({clocks:.2f} clocks)"
            )
        uow.rollback()

    def fmt(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} µs ({min(values):.1f}–{max(values):.1f})"

    print(f"filing_clocks  {fmt(plan_us)} per case")
    print(f"add_clocks     {fmt(store_us)} per case")
    app.engine.dispose()


if __name__ == "__main__":
    main()
