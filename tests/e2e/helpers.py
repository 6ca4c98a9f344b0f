"""E2E helpers: the CLI and `kefu serve` as real subprocesses (own var dir each), HTTP calls."""

from __future__ import annotations

import http.client
import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT_S = 30.0


def kefu_env(var_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """Environment for a kefu subprocess: its own var dir, wide rich output, no inherited DB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEFU_")}
    env["KEFU_VAR_DIR"] = str(var_dir)
    if database_url:
        env["KEFU_DATABASE_URL"] = database_url
    # rich wraps at 80 columns when stdout is not a terminal; a report line must stay whole.
    env["COLUMNS"] = "400"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_cli(
    var_dir: Path, *args: str, database_url: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `python -m kefu ARGS` to completion and return its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "kefu", *args],
        env=kefu_env(var_dir, database_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `kefu serve` subprocess; `proc.pid` is the server process itself."""

    proc: subprocess.Popen[bytes]
    port: int
    var_dir: Path
    log_path: Path
    database_url: str | None = None
    log_handle: object = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        handle = self.log_handle
        if handle is not None:
            handle.close()  # type: ignore[attr-defined]
            self.log_handle = None


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last_error = ""
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise AssertionError(
                f"kefu serve exited with {server.proc.returncode}:\n{server.log()[-4000:]}"
            )
        try:
            status, _ = call(server.port, "GET", "/healthz", timeout=2)
            if status == 200:
                return
            last_error = f"status {status}"
        except (OSError, http.client.HTTPException) as exc:
            last_error = str(exc)
        time.sleep(0.05)
    raise AssertionError(f"kefu serve not healthy after {STARTUP_TIMEOUT_S}s: {last_error}")


def start_server(
    var_dir: Path, *, database_url: str | None = None, worker: bool = True, workers: int = 1
) -> Server:
    """Start `python -m kefu serve` on a free port (no `uv run` wrapper) and wait for /healthz.

    The server leads its own process group, so `os.killpg` reaches every web process."""
    var_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = var_dir / f"server-{port}.log"
    handle = log_path.open("wb")
    args = [sys.executable, "-m", "kefu", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not worker:
        args.append("--no-worker")
    if workers > 1:
        args += ["--workers", str(workers)]
    proc = subprocess.Popen(
        args,
        env=kefu_env(var_dir, database_url),
        stdout=handle,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(proc, port, var_dir, log_path, database_url, handle)
    try:
        _wait_healthy(server)
    except BaseException:
        server.stop()
        raise
    return server


def tiny_png(width: int = 4, height: int = 3, text: bytes = b"") -> bytes:
    """A valid RGB PNG built from scratch; `text` goes into a tEXt chunk to make it unique."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes([200, 30, 30]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"Comment\x00" + text) if text else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def call(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    timeout: float = 30,
) -> tuple[int, Any]:
    """One JSON request on a fresh connection; returns (status, parsed JSON or raw text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Accept": "application/json"}
        payload = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, raw.decode("utf-8", "replace")
