"""Background worker: relay the outbox (and, as they arrive, sweeps) until told to stop."""

from __future__ import annotations

import gc
import os
import socket
import threading

import structlog

from kefu.bootstrap import App
from kefu.mailroom import outbox_handlers, poll_imap_if_due
from kefu.services.deadline_sweep import SweepConfig, sweep_due_clocks
from kefu.services.relay import relay_outbox

log = structlog.get_logger("kefu.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident() % 10000}"


def run_once(app: App) -> int:
    """One pass over every periodic job; returns how many outbox rows were delivered."""
    poll_imap_if_due(app)  # email channel: IMAP poll on its own interval, when configured
    # Deadlines before the relay, so this pass already delivers their notices (issue 4).
    # The reader checkpoints SQLite's WAL once after the sweep, not inside each batch's commit.
    config = SweepConfig(reopen_window=app.policy.reopen_window)
    sweep_due_clocks(app.uow, app.clock.now(), config, reader=app.reader)
    handlers = outbox_handlers(app)  # e.g. case mail goes out by SMTP
    sent = 0
    while True:
        batch = relay_outbox(app.uow, worker_id=worker_id(), now=app.clock.now(), handlers=handlers)
        sent += batch
        if batch == 0:
            return sent


def run(app: App, stop: threading.Event) -> None:
    """Loop until `stop` is set; an error in one pass is logged and the loop goes on."""
    # What exists now (modules, tables, compiled statements) lives as long as the process:
    # keep it out of the collector's full passes, which a large sweep triggers.
    gc.freeze()
    log.info("worker_started", interval_s=app.settings.worker_interval_s)
    while not stop.is_set():
        try:
            run_once(app)
        except Exception:
            log.exception("worker_pass_failed")
        stop.wait(app.settings.worker_interval_s)
    log.info("worker_stopped")


def start_in_thread(app: App) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(app, stop), name="kefu-worker", daemon=True)
    thread.start()
    return thread, stop
