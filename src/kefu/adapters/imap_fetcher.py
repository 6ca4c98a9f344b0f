"""IMAP poller: fetch UNSEEN mail, hand each over, flag \\Seen only after it is stored."""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["FetchResult", "ImapError", "fetch_new"]

log = logging.getLogger(__name__)


class ImapError(Exception):
    """The server refused a command (login, select, search); nothing was marked seen."""


@dataclass(frozen=True)
class FetchResult:
    fetched: int  # handled and marked \Seen
    failed: int  # handle() raised (or the fetch failed): left unseen, retried next poll
    errors: list[str] = field(default_factory=list)


def _check(typ: str, data: object, what: str) -> None:
    if typ != "OK":
        raise ImapError(f"IMAP {what} failed: {typ} {data!r}")


def _raw_message(data: list[object]) -> bytes | None:
    # imaplib returns [(b'1 (UID 7 BODY[] {123}', b'<raw>'), b')']
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fetch_new(
    host: str,
    port: int,
    user: str,
    password: str,
    *,
    mailbox: str = "INBOX",
    use_ssl: bool = False,
    handle: Callable[[bytes], None],
    processed_mailbox: str | None = None,
    limit: int | None = None,
    timeout: float = 30.0,
    ssl_context: ssl.SSLContext | None = None,
) -> FetchResult:
    """Fetch UNSEEN messages from mailbox with BODY.PEEK[] (which leaves them unseen).

    For each message: handle(raw); only when it returns is the message flagged \\Seen
    (and, with processed_mailbox, moved there). A crash or exception before that leaves
    the message unseen, so the next poll fetches it again: mail may be handed over twice
    (the caller dedups by Message-ID / content hash) but is never lost.
    Connection and login errors raise; per-message handler errors are counted in failed.
    """
    conn: imaplib.IMAP4
    if use_ssl:
        ctx = ssl_context or ssl.create_default_context()
        conn = imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=timeout)
    else:
        conn = imaplib.IMAP4(host, port, timeout=timeout)
    fetched = failed = 0
    errors: list[str] = []
    try:
        _check(*conn.login(user, password), "LOGIN")
        _check(*conn.select(_quote(mailbox)), f"SELECT {mailbox}")
        typ, data = conn.uid("SEARCH", "UNSEEN")
        _check(typ, data, "SEARCH UNSEEN")
        uids = [u.decode() for u in (data[0] or b"").split()] if data else []
        if limit is not None:
            uids = uids[:limit]
        typ, caps = conn.capability()  # capabilities can grow after login
        can_move = typ == "OK" and b"MOVE" in b" ".join(c for c in caps if c).upper().split()
        for uid in uids:
            typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = _raw_message(data) if typ == "OK" and data else None
            if raw is None:
                failed += 1
                errors.append(f"uid {uid}: fetch returned {typ} {data!r:.100}")
                continue
            try:
                handle(raw)
            except Exception as exc:
                failed += 1
                errors.append(f"uid {uid}: handler failed: {exc!r}")
                log.exception("handling IMAP message uid %s failed; left unseen", uid)
                continue
            _check(*conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)"), f"STORE {uid}")
            fetched += 1
            if processed_mailbox:
                _move(conn, uid, processed_mailbox, can_move)
        if processed_mailbox and not can_move and fetched:
            conn.expunge()
    finally:
        try:
            conn.logout()
        except Exception:  # the connection may already be gone; nothing left to save
            log.debug("IMAP logout failed", exc_info=True)
    return FetchResult(fetched=fetched, failed=failed, errors=errors)


def _move(conn: imaplib.IMAP4, uid: str, target: str, can_move: bool) -> None:
    if can_move:
        _check(*conn.uid("MOVE", uid, _quote(target)), f"MOVE {uid}")
        return
    _check(*conn.uid("COPY", uid, _quote(target)), f"COPY {uid}")
    _check(*conn.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)"), f"STORE {uid} deleted")
