"""Several web processes on one port, each with its own listening socket (SO_REUSEPORT).

uvicorn's own `--workers` shares one listening socket between its processes, and asyncio drains
the whole accept queue in whichever process wakes first: the connections a client pool opens at
once all land in one process, which then does the work of both while the other idles (measured:
one process used 1.13 s of CPU, the other none, for 4 000 requests over 16 keep-alive
connections). With a socket per process bound with SO_REUSEPORT the kernel spreads new
connections across the processes by their address hash instead. A process that dies is replaced.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import time
from multiprocessing.process import BaseProcess
from typing import Any

# A process that exits by itself this soon after it started did not start (port taken, bad
# settings): replacing it would only loop. One killed by a signal is always replaced.
START_GRACE_S = 10.0
STOP_TIMEOUT_S = 15.0


def reuseport_socket(host: str, port: int, *, listen: bool = True) -> socket.socket:
    """A TCP socket on host:port that other processes of this user may bind as well."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        if listen:
            sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _run_one(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    import uvicorn

    sock = reuseport_socket(host, port)
    config = uvicorn.Config(app, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """Start `workers` processes serving `app`, replace any that dies, stop them on a signal."""

    def __init__(self, app: str, *, host: str, port: int, workers: int, **options: Any):
        self.target = (app, host, port, options)
        self.workers = workers
        self._ctx = multiprocessing.get_context("spawn")
        self._procs: list[tuple[BaseProcess, float]] = []
        self._stopping = False

    def _start_one(self) -> tuple[BaseProcess, float]:
        proc = self._ctx.Process(target=_run_one, args=self.target, name="kefu-web")
        proc.start()
        return proc, time.monotonic()

    def stop(self, *_args: Any) -> None:
        """Ask every process to finish its requests and exit (uvicorn's SIGTERM)."""
        self._stopping = True
        for proc, _ in self._procs:
            if proc.is_alive():
                proc.terminate()

    def run(self) -> int:
        """Serve until SIGINT/SIGTERM; 0 on a requested stop, 1 if a process could not start."""
        _app, host, port, _options = self.target
        # Fail here, not in every child, when the port is taken by a socket without
        # SO_REUSEPORT; kept bound (not listening) until the end so nothing else takes it.
        holder = reuseport_socket(host, port, listen=False)
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        self._procs = [self._start_one() for _ in range(self.workers)]
        code = 0
        try:
            while not self._stopping:
                time.sleep(0.2)
                for i, (proc, started) in enumerate(self._procs):
                    if proc.is_alive() or self._stopping:
                        continue
                    failed_to_start = (proc.exitcode or 0) >= 0
                    if failed_to_start and time.monotonic() - started < START_GRACE_S:
                        code = 1
                        self.stop()
                        break
                    self._procs[i] = self._start_one()
        finally:
            self.stop()
            deadline = time.monotonic() + STOP_TIMEOUT_S
            for proc, _ in self._procs:
                proc.join(max(0.1, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
                    proc.join()
            holder.close()
        return code


def serve(app: str, *, host: str, port: int, workers: int, **options: Any) -> int:
    """Serve the ASGI app `app` ("module:attr", uvicorn options such as factory=True) from
    `workers` processes on host:port; returns the exit code."""
    return Supervisor(app, host=host, port=port, workers=workers, **options).run()
