"""Start and stop the servers under test as subprocesses (kefu itself and the bare baselines)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from bench.loadgen import free_port

ROOT = Path(__file__).resolve().parents[1]


class Server:
    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        ready_path: str,
        port: int,
        ready_timeout: float = 60,
    ) -> None:
        self.name, self.port = name, port
        self.log = Path(env.get("BENCH_LOG_DIR", "/tmp")) / f"bench-{name}-{port}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
            )
        self._wait(ready_path, ready_timeout)

    def _wait(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}{path}"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status < 500:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout} s; see {self.log}")

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) used so far by the server and its live child processes
        (uvicorn's workers), read from /proc."""
        return tree_cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_kefu(var_dir: Path, *, workers: int = 1) -> Server:
    """`kefu serve --no-worker --workers N` (N web processes)."""
    port = free_port()
    env = _env(
        KEFU_VAR_DIR=str(var_dir), KEFU_SECRET_KEY="bench-secret-key", KEFU_LOG_FORMAT="json"
    )
    argv = [sys.executable, "-m", "kefu", "serve", "--no-worker", "--port", str(port)]
    argv += ["--workers", str(workers)]
    return Server(f"kefu-w{workers}", argv, env, "/healthz", port)


def start_bare(
    db: Path, *, workers: int = 1, queue_spec: str = "", search_spec: str = "", app: str = "app"
) -> Server:
    """bench.bare:app (Starlette), or app="fastapi_app" / "fastapi_async_app" (references)."""
    port = free_port()
    env = _env(BENCH_DB=str(db), BENCH_QUEUE=queue_spec, BENCH_SEARCH=search_spec)
    if workers > 1:  # spread like kefu serve --workers N (bench/bare_serve.py)
        argv = [sys.executable, "-m", "bench.bare_serve", f"bench.bare:{app}"]
        argv += [str(port), str(workers)]
    else:
        argv = [sys.executable, "-m", "uvicorn", f"bench.bare:{app}", "--port", str(port)]
        argv += ["--log-level", "warning", "--no-access-log"]
    return Server(f"bare-{app}-w{workers}", argv, env, "/ping", port)


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of a process and all its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces or brackets: fields start after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        used[pid] = int(fields[11]) + int(fields[12])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(used.get(pid, 0) for pid in tree) / tick


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()
