"""Benchmarks for kefu: data generator, load client, bare baselines and workloads.

Each workload prints kefu's figures beside a baseline measured in the same run (see
docs/performance.md). Benchmarks are run by hand, never in CI, and tests never assert time.

    uv run python -m bench.generate --n 100000 --var-dir bench/out/n100k
    uv run python -m bench.bench_intake
    uv run python -m bench.bench_queue --n 100000
    uv run python -m bench.run_all
"""
