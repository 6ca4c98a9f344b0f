"""Run every benchmark at its default size and print all figures (by hand; never in CI).

    uv run python -m bench.run_all              # ~5 minutes on the 2-core box
    uv run python -m bench.run_all --n 1000000  # queue at 1M (generates bench/out/n1000000 once)

Order: the client self-test (the load generator alone against a trivial server), intake
(5 000 POSTs x 3 rounds at 16 clients vs the bare insert), intake's cost in instructions per
request (callgrind; valgrind comes from scripts/install-bench-deps.sh), the floor under any
screened filing (kefu's rows replayed raw, against 50 % of bare+FTS), then the queue page at
--n cases (generated into bench/out/n<N> if missing) vs the bare query through HTTP and the raw
SQL.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import time

from bench import bench_intake, bench_intake_cost, bench_intake_floor, bench_queue
from bench.loadgen import selftest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="cases for the queue benchmark")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for intake")
    args = parser.parse_args()
    t0 = time.perf_counter()
    print(
        f"machine: {platform.machine()} {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    print("\nload client self-test (trivial asyncio server, 16 connections):")
    print("  " + selftest(16, 30_000).line())
    print()
    intake = bench_intake.run(workers=args.workers)
    print("\nintake cost in instructions (callgrind, 300 requests per server):")
    costs = bench_intake_cost.run(300)
    print("\nthe floor under any screened filing (issue 3's target; one round over HTTP):")
    bench_intake_floor.run(rounds=1)
    print()
    queue = bench_queue.run(n=args.n)
    print(f"\n==== summary ({time.perf_counter() - t0:.0f} s) ====")
    bench_intake.print_report(intake)
    bench_intake_cost.print_report(costs)
    bench_queue.print_report(queue)


if __name__ == "__main__":
    main()
