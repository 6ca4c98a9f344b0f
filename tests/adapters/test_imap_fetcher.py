"""fetch_new against a real Dovecot on loopback: handled once, \\Seen only after handling."""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.adapters.email_parser import parse_email
from kefu.adapters.imap_fetcher import FetchResult, ImapError, fetch_new

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)
USER, PASSWORD = "kefu", "s3cret"


@dataclass
class Imap:
    port: int
    log: Path

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        conn.login(USER, PASSWORD)
        return conn

    def deliver(self, *raws: bytes, mailbox: str = "INBOX") -> None:
        conn = self.connect()
        try:
            for raw in raws:
                typ, data = conn.append(mailbox, None, None, raw)
                assert typ == "OK", data
        finally:
            conn.logout()

    def flags(self, mailbox: str = "INBOX") -> dict[bytes, bool]:
        """Message-ID header -> whether \\Seen is set, read without touching flags."""
        conn = self.connect()
        try:
            conn.select(mailbox, readonly=True)
            _typ, data = conn.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            result: dict[bytes, bool] = {}
            for item in data:
                if isinstance(item, tuple):
                    result[item[1].split(b":", 1)[1].strip()] = b"\\Seen" in item[0]
            return result
        finally:
            conn.logout()


def _config(root: Path, port: int, mail_user: pwd.struct_passwd, is_root: bool) -> str:
    me = pwd.getpwuid(os.getuid()).pw_name
    users = "" if is_root else f"default_login_user = {me}\ndefault_internal_user = {me}\n"
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = {mail_user.pw_uid}
mail_location = maildir:~/Maildir
{users}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot(port_factory: Callable[[], int]) -> Iterator[Imap]:
    if DOVECOT is None:
        reason = "dovecot not installed: run scripts/install-test-deps.sh (Debian dovecot-imapd)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    is_root = os.getuid() == 0
    # Dovecot refuses uid 0 for mail, and its unprivileged helpers must reach the
    # directory, so as root the mail belongs to `nobody` under a world-traversable dir.
    mail_user = pwd.getpwnam("nobody") if is_root else pwd.getpwuid(os.getuid())
    root = Path(tempfile.mkdtemp(prefix="kefu-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    os.chown(root / "home", mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = port_factory()
    (root / "dovecot.conf").write_text(_config(root, port, mail_user, is_root))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "stderr.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = root / "dovecot.log"
                    detail = (root / "stderr.log").read_text() + (
                        log.read_text() if log.exists() else ""
                    )
                    pytest.fail(f"dovecot did not start: {detail}")
                time.sleep(0.05)
        yield Imap(port, root / "dovecot.log")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap(dovecot: Imap) -> Iterator[Imap]:
    """A clean INBOX (and no Processed folder) per test."""
    yield dovecot
    conn = dovecot.connect()
    try:
        _typ, count = conn.select("INBOX")
        if count[0] != b"0":
            conn.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
            conn.expunge()
        conn.delete("Processed")
    finally:
        conn.logout()


def a_mail(n: int, subject: str = "退款") -> bytes:
    return (
        f"From: buyer{n}@example.com\r\nTo: kefu@shop.example\r\nSubject: {subject} {n}\r\n"
        f"Message-ID: <m{n}@example.com>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=gbk\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"第{n}封：商品破损喆\r\n"
    ).encode("gbk")


def fetch(imap: Imap, handle, **kw: object) -> FetchResult:  # type: ignore[no-untyped-def]
    return fetch_new("127.0.0.1", imap.port, USER, PASSWORD, handle=handle, **kw)  # type: ignore[arg-type]


def test_fetches_each_unseen_message_once_and_marks_seen(imap: Imap) -> None:
    mails = [a_mail(i) for i in range(3)]
    imap.deliver(*mails)
    got: list[bytes] = []
    result = fetch(imap, got.append)
    assert (result.fetched, result.failed) == (3, 0)
    assert got == mails  # exact bytes, in order
    assert [parse_email(r).text for r in got] == [f"第{i}封：商品破损喆" for i in range(3)]
    assert imap.flags() == {f"<m{i}@example.com>".encode(): True for i in range(3)}
    again: list[bytes] = []
    assert fetch(imap, again.append).fetched == 0
    assert again == []


def test_already_seen_mail_is_not_fetched(imap: Imap) -> None:
    imap.deliver(a_mail(1), a_mail(2))
    conn = imap.connect()
    conn.select("INBOX")
    conn.store("1", "+FLAGS", "(\\Seen)")
    conn.logout()
    got: list[bytes] = []
    assert fetch(imap, got.append).fetched == 1
    assert got == [a_mail(2)]


def test_handler_failure_leaves_message_unseen_for_the_next_poll(imap: Imap) -> None:
    imap.deliver(a_mail(1), a_mail(2), a_mail(3))
    stored: list[bytes] = []

    def flaky(raw: bytes) -> None:
        if b"<m2@" in raw:
            raise RuntimeError("database is locked")
        stored.append(raw)

    result = fetch(imap, flaky)
    assert (result.fetched, result.failed) == (2, 1)
    assert "database is locked" in result.errors[0]
    assert stored == [a_mail(1), a_mail(3)]
    assert imap.flags() == {b"<m1@example.com>": True, b"<m2@example.com>": False,
                            b"<m3@example.com>": True}  # fmt: skip
    retry: list[bytes] = []
    assert fetch(imap, retry.append).fetched == 1
    assert retry == [a_mail(2)]
    assert all(imap.flags().values())


def test_crash_mid_fetch_loses_nothing(imap: Imap) -> None:
    imap.deliver(a_mail(1), a_mail(2))
    calls: list[bytes] = []

    def crash(raw: bytes) -> None:  # the process dies while storing the first mail
        calls.append(raw)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fetch(imap, crash)
    assert calls == [a_mail(1)]
    assert imap.flags() == {b"<m1@example.com>": False, b"<m2@example.com>": False}
    got: list[bytes] = []
    assert fetch(imap, got.append).fetched == 2
    assert got == [a_mail(1), a_mail(2)]


def test_limit_and_processed_folder(imap: Imap) -> None:
    imap.deliver(a_mail(1), a_mail(2), a_mail(3))
    conn = imap.connect()
    assert conn.create("Processed")[0] == "OK"
    conn.logout()
    got: list[bytes] = []
    assert fetch(imap, got.append, limit=2, processed_mailbox="Processed").fetched == 2
    assert got == [a_mail(1), a_mail(2)]
    assert imap.flags() == {b"<m3@example.com>": False}
    assert imap.flags("Processed") == {b"<m1@example.com>": True, b"<m2@example.com>": True}


def test_wrong_password_raises(imap: Imap) -> None:
    imap.deliver(a_mail(1))
    with pytest.raises(imaplib.IMAP4.error):
        fetch_new("127.0.0.1", imap.port, USER, "wrong", handle=lambda raw: None)
    assert imap.flags() == {b"<m1@example.com>": False}


def test_missing_mailbox_raises(imap: Imap) -> None:
    with pytest.raises(ImapError):
        fetch(imap, lambda raw: None, mailbox="No Such Box")
