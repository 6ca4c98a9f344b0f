"""Where one intake request spends its time: drive kefu's ASGI app in-process, no network.

    uv run python -m bench.profile_intake                 # µs per POST /api/v1/cases
    uv run python -m bench.profile_intake --profile 30    # plus the top 30 functions (cProfile)

Not a target benchmark (bench_intake is): it removes the network and the load client so the
figure is kefu's own per-request cost, and cProfile shows which layer owns it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_intake import bodies, seed
from kefu.bootstrap import build_app
from kefu.config import load_settings
from kefu.web.app import create_app


async def _post(app: Any, path: str, token: str, body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _drive(app: Any, load: list[tuple[str, bytes]]) -> list[int]:
    return [await _post(app, "/api/v1/cases", tok, body) for tok, body in load]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="kefu-profile-intake-"))
    pairs = seed(var_dir)
    settings = load_settings(var_dir=var_dir, secret_key="bench-secret-key")
    app = create_app(build_app(settings))
    load = [(tok, json.dumps(b).encode()) for tok, b in bodies(args.n + 200, pairs, seed_=1)]
    asyncio.run(_drive(app, load[:200]))
    profiler = cProfile.Profile() if args.profile else None
    t0 = time.perf_counter()
    if profiler:
        profiler.enable()
    statuses = asyncio.run(_drive(app, load[200:]))
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - t0
    bad = [s for s in statuses if s != 201]
    print(
        f"{args.n} POSTs in-process: {elapsed / args.n * 1e6:.0f} µs each "
        f"({args.n / elapsed:.0f}/s), non-201: {len(bad)}"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
