"""Intake's cost in CPU instructions per request, counted by callgrind: repeatable on a busy box.

    uv run python -m bench.bench_intake_cost                 # 300 requests per server (~2 min)
    uv run python -m bench.bench_intake_cost --requests 100  # quicker, a few per cent rougher

Wall-clock figures on this two-core box swing by 2x between runs (docs/performance.md). An
instruction count does not: it is the same however busy the machine is, so it says what each
server *does* per request, and whether a change made a filing cheaper. Each server (kefu, the
bare insert, bare + FTS, the FastAPI `async` reference) runs as one process under
`valgrind --tool=callgrind --instr-atstart=no`; the load client (bench.loadgen, 16 connections
as in bench_intake) warms it up, counting is switched on with `callgrind_control -i on`, the
timed requests are sent, counting is switched off. kefu's filings therefore share group COMMITs
the way they do under load. It also counts, in-process, what intake's text analysis alone costs
per filing (the classifier, SimHash, lexicons and search terms every screened filing needs).

Only the server's own user-space work is counted: not the kernel's sockets and WAL writes, not
the load client. And the baselines do not keep the cores busy (they wait on SQLite's writer;
bench_intake prints CPU per request and the ceilings), so an instruction ratio is not a req/s
ratio. It answers "how much more does kefu do", which is what a change to the filing path moves.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from bench.bench_intake import WARMUP, bodies, seed
from bench.loadgen import free_port, request_bytes, run_load
from bench.servers import ROOT, Server

# What each server is asked, as bench_intake asks it.
_BARE = {
    "bare": ("bench.bare:app", "/insert"),
    "bare+fts": ("bench.bare:app", "/insert_fts"),
    "fastapi-async": ("bench.bare:fastapi_async_app", "/insert"),
}


@dataclass(frozen=True)
class Cost:
    name: str
    instructions: int
    requests: int

    @property
    def per_request(self) -> float:
        return self.instructions / self.requests


def _valgrind(out: Path) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
    ]


def _collected(log: Path) -> int:
    found = re.findall(r"Collected : (\d+)", log.read_text())
    if not found:
        raise RuntimeError(f"callgrind wrote no count; see {log}")
    return int(found[-1])


def _control(pid: int, state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(pid)], check=True, capture_output=True)


def measure_server(name: str, var_dir: Path, pairs: list[tuple[str, str]], n: int) -> Cost:
    """Instructions one server process executes for `n` requests at 16 connections."""
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix=f"kefu-cost-{name}-"))
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        KEFU_VAR_DIR=str(var_dir),
        KEFU_SECRET_KEY="bench-secret-key",
        KEFU_LOG_FORMAT="json",
        BENCH_DB=str(var_dir / "kefu.db"),
        BENCH_LOG_DIR=str(work),
    )
    py = sys.executable
    if name == "kefu":
        argv = [py, "-m", "kefu", "serve", "--no-worker", "--port", str(port), "--workers", "1"]
        path, ready = "/api/v1/cases", "/healthz"
    else:
        app, path = _BARE[name]
        argv = [py, "-m", "uvicorn", app, "--port", str(port), "--log-level", "warning"]
        argv.append("--no-access-log")
        ready = "/ping"
    out = work / "callgrind.out"
    # Under valgrind a start-up (imports, dictionaries, the model) takes minutes, not seconds.
    server = Server(name, _valgrind(out) + argv, env, ready, port, ready_timeout=900)
    load = bodies(n + WARMUP, pairs, seed_=7)
    reqs = [
        request_bytes("POST", path, body=b, headers={"Authorization": f"Bearer {tok}"})
        for tok, b in load
    ]
    try:
        run_load(port, reqs[:WARMUP], concurrency=16, total=WARMUP)
        _control(server.proc.pid, "on")
        result = run_load(port, reqs[WARMUP:], concurrency=16, total=n)
        _control(server.proc.pid, "off")
    finally:
        server.proc.send_signal(signal.SIGINT)
        try:
            server.proc.wait(300)
        except subprocess.TimeoutExpired:
            server.stop()
    if result.ok != n:
        raise RuntimeError(f"{name}: {result.ok} of {n} requests answered 2xx; see {server.log}")
    return Cost(name, _collected(server.log), n)


_ANALYSIS = textwrap.dedent(
    """
    import json, os, subprocess, sys
    from kefu.analysis.search_terms import index_terms
    from kefu.services import intake
    texts = json.load(open(sys.argv[1]))
    def run(part):
        for subject, description in part:
            words = intake.analyze(subject, description)
            index_terms(words.subject, words.description, "KF20261206000001", "DD00001000")
    half = len(texts) // 2
    run(texts[:half])  # warm: dictionaries, the model, the lexicons
    ctl = ["callgrind_control", "-i"]
    subprocess.run(ctl + ["on", str(os.getpid())], check=True, capture_output=True)
    run(texts[half:])
    subprocess.run(ctl + ["off", str(os.getpid())], check=True, capture_output=True)
    """
)


def measure_analysis(n: int) -> Cost:
    """Instructions of the text analysis a screened filing runs (no HTTP, no database)."""
    work = Path(tempfile.mkdtemp(prefix="kefu-cost-analysis-"))
    texts = [(b["subject"], b["description"]) for _t, b in bodies(2 * n, [("", "")], seed_=7)]
    (work / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    (work / "analysis.py").write_text(_ANALYSIS, encoding="utf-8")
    log = work / "valgrind.log"
    argv = [sys.executable, str(work / "analysis.py"), str(work / "texts.json")]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with log.open("wb") as fh:
        subprocess.run(
            _valgrind(work / "callgrind.out") + argv,
            env=env,
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            check=True,
        )
    return Cost("text analysis", _collected(log), n)


def print_report(costs: dict[str, Cost]) -> None:
    m = {k: c.per_request / 1e6 for k, c in costs.items()}
    print("\nINTAKE COST  M instructions per request (callgrind; server process only)")
    for key in ("kefu", "bare", "bare+fts", "fastapi-async", "text analysis"):
        if key in m:
            print(f"  {key:15} {m[key]:7.2f}   ({costs[key].requests} requests)")
    for base in ("bare", "bare+fts", "fastapi-async"):
        if "kefu" in m and base in m:
            print(f"  kefu does {m['kefu'] / m[base]:.1f}x the work of {base}")
    if {"kefu", "fastapi-async", "text analysis"} <= m.keys():
        rest = m["kefu"] - m["fastapi-async"] - m["text analysis"]
        print(
            f"  kefu beyond FastAPI's least request and the text analysis: {rest:.2f} M "
            "(its other rows, screening rules, routing, clocks, timeline, outbox, the reply)"
        )


ALL = ("kefu", "bare", "bare+fts", "fastapi-async", "analysis")


def run(requests: int, only: tuple[str, ...] = ALL) -> dict[str, Cost]:
    """Count every server in `only` (and the text analysis), printing each as it finishes."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("valgrind is missing: `bash scripts/install-bench-deps.sh` installs it")
    var_dir = Path(tempfile.mkdtemp(prefix="kefu-bench-cost-"))
    pairs = seed(var_dir)
    costs: dict[str, Cost] = {}
    for name in ("kefu", "bare", "bare+fts", "fastapi-async"):
        if name in only:
            costs[name] = measure_server(name, var_dir, pairs, requests)
            print(f"  {name}: {costs[name].per_request / 1e6:.2f} M instructions per request")
    if "analysis" in only:
        costs["text analysis"] = measure_analysis(requests)
        print(f"  text analysis: {costs['text analysis'].per_request / 1e6:.2f} M per filing")
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--only", nargs="*", choices=ALL, default=list(ALL))
    args = parser.parse_args()
    print_report(run(args.requests, tuple(args.only)))


if __name__ == "__main__":
    main()
