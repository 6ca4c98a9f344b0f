"""A small raw-asyncio HTTP/1.1 keep-alive load client (httpx async tops out near 500 req/s here).

    uv run python -m bench.loadgen --selftest      # the client alone against a trivial server

N connections each send their next request as soon as the previous response is complete; the
requests come from a list of pre-encoded byte strings (so every POST may differ). Per-request
latency is recorded; the result carries req/s, p50, p99, status counts and errors. `run_load`
runs the client in its own process (uvloop if installed) so that it never shares an event loop
with the server under test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing
import socket
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: dict[int, int]
    errors: int
    sample_body: bytes = field(default=b"", repr=False)
    # CPU seconds (user + system) the client spent on the recorded requests, and, when the
    # caller measures it (bench_intake), the server's: what a request costs however idle the
    # cores were.
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        """Server and client CPU per recorded request, in microseconds."""
        if not self.requests:
            return 0.0
        return (self.server_cpu_s + self.client_cpu_s) / self.requests * 1e6

    @property
    def ok(self) -> int:
        return sum(v for k, v in self.statuses.items() if 200 <= k < 300)

    def pct(self, q: float) -> float:
        return pct(self.latencies_ms, q)

    @property
    def p50(self) -> float:
        return self.pct(0.50)

    @property
    def p99(self) -> float:
        return self.pct(0.99)

    def line(self) -> str:
        return (
            f"{self.rps:8,.0f} req/s  p50 {self.p50:7.2f} ms  p99 {self.p99:7.2f} ms  "
            f"n={self.requests} errors={self.errors} statuses={dict(self.statuses)}"
        )


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values, nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def request_bytes(
    method: str,
    path: str,
    *,
    host: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> bytes:
    """Encode one HTTP/1.1 keep-alive request; a non-bytes body is sent as JSON."""
    data = b""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: keep-alive"]
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """Read one response; returns (status, server keeps the connection, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    first, _, rest = head.partition(b"\r\n")
    status = int(first.split(b" ", 2)[1])
    length = -1
    chunked = False
    keep = True
    for raw in rest.split(b"\r\n"):
        name, _, value = raw.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
        elif name == b"connection" and b"close" in value.lower():
            keep = False
    if chunked:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    elif length >= 0:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
        keep = False
    return status, keep, body


async def _load(
    host: str,
    port: int,
    requests: list[bytes],
    *,
    concurrency: int,
    total: int | None,
    duration: float | None,
    warmup: int,
) -> LoadResult:
    counter = itertools.count()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    sample = b""
    deadline = 0.0
    limit = total if total is not None else 10**12

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    async def worker(recording: bool, count: int) -> None:
        nonlocal errors, sample
        reader, writer = await connect()
        try:
            while True:
                i = next(counter)
                if i >= count or (recording and duration and time.perf_counter() > deadline):
                    return
                t0 = time.perf_counter()
                try:
                    writer.write(requests[i % len(requests)])
                    status, keep, body = await _read_response(reader)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    errors += recording
                    writer.close()
                    reader, writer = await connect()
                    continue
                if recording:
                    latencies.append((time.perf_counter() - t0) * 1000)
                    statuses[status] += 1
                    if not 200 <= status < 300:
                        errors += 1
                        if not sample:
                            sample = body[:500]
                if not keep:
                    writer.close()
                    reader, writer = await connect()
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    if warmup:
        await asyncio.gather(*(worker(False, warmup) for _ in range(min(concurrency, warmup))))
        counter = itertools.count()
    t_start = time.perf_counter()
    cpu_start = time.process_time()
    deadline = t_start + (duration or 0)
    await asyncio.gather(*(worker(True, limit) for _ in range(concurrency)))
    seconds = time.perf_counter() - t_start
    client_cpu = time.process_time() - cpu_start
    return LoadResult(
        len(latencies), seconds, latencies, dict(statuses), errors, sample, client_cpu
    )


def _run(
    host: str,
    port: int,
    requests: list[bytes],
    concurrency: int,
    total: int | None,
    duration: float | None,
    warmup: int,
) -> LoadResult:
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        runner = asyncio.run
    return runner(
        _load(
            host,
            port,
            requests,
            concurrency=concurrency,
            total=total,
            duration=duration,
            warmup=warmup,
        )
    )


def run_load(
    port: int,
    requests: list[bytes],
    *,
    concurrency: int = 16,
    total: int | None = None,
    duration: float | None = None,
    warmup: int = 0,
    host: str = "127.0.0.1",
    in_process: bool = False,
) -> LoadResult:
    """Send `total` requests (or for `duration` seconds) over `concurrency` connections."""
    if total is None and duration is None:
        raise ValueError("give total or duration")
    if in_process:
        return _run(host, port, requests, concurrency, total, duration, warmup)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(
            _run, host, port, requests, concurrency, total, duration, warmup
        ).result()


# --- self-test: the client alone against the cheapest possible server -------------------------

_CANNED = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


async def _trivial_server(port: int, ready: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(_CANNED)
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    ready.set()
    async with server:
        await server.serve_forever()


def _serve_trivial(port: int, ready: Any) -> None:
    try:
        import uvloop

        uvloop.run(_trivial_server(port, ready))
    except ImportError:  # pragma: no cover
        asyncio.run(_trivial_server(port, ready))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def selftest(concurrency: int = 16, total: int = 50_000) -> LoadResult:
    """Peak rate of this client against a canned-response asyncio server (separate process)."""
    ctx = multiprocessing.get_context("spawn")
    port = free_port()
    ready = ctx.Event()
    server = ctx.Process(target=_serve_trivial, args=(port, ready), daemon=True)
    server.start()
    try:
        ready.wait(10)
        return run_load(
            port, [request_bytes("GET", "/")], concurrency=concurrency, total=total, warmup=500
        )
    finally:
        server.terminate()
        server.join()


def main() -> None:
    parser = argparse.ArgumentParser(description="raw asyncio HTTP/1.1 load client")
    parser.add_argument(
        "--selftest", action="store_true", help="measure the client alone against a trivial server"
    )
    parser.add_argument("--url-port", type=int, help="load GET <path> on 127.0.0.1:<port>")
    parser.add_argument("--path", default="/")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    if args.selftest or not args.url_port:
        print("client self-test (trivial asyncio server, separate processes):")
        print("  " + selftest(args.concurrency, args.n).line())
    else:
        print(
            "  "
            + run_load(
                args.url_port,
                [request_bytes("GET", args.path)],
                concurrency=args.concurrency,
                total=args.n,
            ).line()
        )


if __name__ == "__main__":
    main()
