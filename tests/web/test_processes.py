"""`kefu serve --workers N`: every process takes connections, a dead one is replaced, a signal
stops them all, and a taken port is an error at once."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _supervisor(port: int, workers: int = 2) -> subprocess.Popen[bytes]:
    code = (
        "import sys\n"
        "from kefu.web.processes import serve\n"
        "if __name__ == '__main__':\n"
        f"    sys.exit(serve('tests.web.pid_app:app', host='127.0.0.1', port={port}, "
        f"workers={workers}, log_level='warning'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)


def _pid_of_new_connection(port: int) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/")
        return int(conn.getresponse().read())
    finally:
        conn.close()


def _wait_until_serving(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the supervisor exited"
        try:
            _pid_of_new_connection(port)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("not serving after 60 s")


@pytest.fixture
def served() -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    port = _free_port()
    proc = _supervisor(port)
    try:
        _wait_until_serving(port, proc)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)


def _pids(port: int, connections: int = 48) -> set[int]:
    # Held open together, as a client's connection pool holds them.
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(connections)]
    try:
        for c in conns:
            c.connect()
        found = set()
        for c in conns:
            c.request("GET", "/")
            found.add(int(c.getresponse().read()))
        return found
    finally:
        for c in conns:
            c.close()


def test_connections_opened_at_once_reach_every_process(
    served: tuple[int, subprocess.Popen[bytes]],
) -> None:
    port, _proc = served
    # Children start one after the other: wait until both listen.
    deadline = time.monotonic() + 60
    pids: set[int] = set()
    while len(pids) < 2 and time.monotonic() < deadline:
        pids = _pids(port)
    assert len(pids) == 2, pids


def test_a_killed_process_is_replaced(served: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, proc = served
    deadline = time.monotonic() + 60
    pids: set[int] = set()
    while len(pids) < 2 and time.monotonic() < deadline:
        pids = _pids(port)
    victim = min(pids)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    now_serving: set[int] = set()
    while time.monotonic() < deadline:
        try:
            now_serving = _pids(port)
        except OSError:  # connections queued at the killed process are reset
            continue
        if len(now_serving) == 2 and victim not in now_serving:
            break
        time.sleep(0.2)
    assert proc.poll() is None
    assert victim not in now_serving
    assert len(now_serving) == 2, now_serving


def test_sigterm_stops_every_process(served: tuple[int, subprocess.Popen[bytes]]) -> None:
    port, proc = served
    pids = _pids(port)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(ConnectionRefusedError):
        _pid_of_new_connection(port)


def test_a_port_taken_without_reuseport_fails_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = _supervisor(port)
        assert proc.wait(30) != 0
