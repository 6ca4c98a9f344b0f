"""`kefu mail fetch` and `kefu mail smtpd` as real subprocesses against loopback servers."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kefu.bootstrap import App
from tests.adapters.test_imap_fetcher import PASSWORD, USER, Imap, dovecot, imap  # noqa: F401
from tests.channels.conftest import a_mail, free_port
from tests.e2e.helpers import kefu_env, run_cli

pytestmark = pytest.mark.e2e


def _cases(app: App) -> list[tuple[str, str]]:
    with app.uow() as uow:
        rows = uow.conn.exec_driver_sql("SELECT number, channel FROM cases ORDER BY id")
        return [(r[0], r[1]) for r in rows]


def test_mail_fetch_polls_imap_once(
    app: App,
    imap: Imap,  # noqa: F811 - the Dovecot fixture imported above
    tmp_path: Path,
) -> None:
    imap.deliver(a_mail(message_id="<cli-1@example.com>"))
    env = kefu_env(tmp_path, app.settings.database_url)
    env.update(
        {
            "KEFU_IMAP_HOST": "127.0.0.1",
            "KEFU_IMAP_PORT": str(imap.port),
            "KEFU_IMAP_USER": USER,
            "KEFU_IMAP_PASSWORD": PASSWORD,
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "kefu", "mail", "fetch"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fetched 1, failed 0" in done.stdout
    assert [c for _n, c in _cases(app)] == ["email"]


def test_mail_fetch_without_imap_settings_says_what_is_missing(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "mail", "fetch")
    assert done.returncode == 2
    assert "KEFU_IMAP_HOST" in done.stdout


def test_mail_smtpd_runs_the_intake_per_message(app: App, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kefu", "mail", "smtpd", "--host", "127.0.0.1", "--port", str(port)],
        env=kefu_env(tmp_path, app.settings.database_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, "kefu mail smtpd exited"
                assert time.monotonic() < deadline, "kefu mail smtpd did not listen"
                time.sleep(0.1)
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("buyer@example.com", ["kefu@localhost"], a_mail())
        assert [c for _n, c in _cases(app)] == ["email"]  # stored before the 250 came back
    finally:
        proc.terminate()
        proc.wait(timeout=10)
