"""Built-in SMTP receiver (aiosmtpd): answers 250 only after on_message has stored the raw mail."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

__all__ = ["DEFAULT_SIZE_LIMIT", "KefuSmtpHandler", "OnMessage", "start_smtp_receiver"]

log = logging.getLogger(__name__)

DEFAULT_SIZE_LIMIT = 25 * 1024 * 1024  # bytes; larger mail is refused with 552
LINE_LENGTH_LIMIT = 256 * 1024  # RFC 5321 says 1000, but real mailers send longer HTML lines
OnMessage = Callable[[bytes, str, list[str]], None]  # (raw, MAIL FROM, RCPT TOs)


class KefuSmtpHandler:
    """aiosmtpd handler: hands every accepted mail to on_message, in a worker thread.

    The SMTP reply reflects what on_message did: 250 once it returned, 451 (temporary
    failure, the sending server retries later) when it raised. So nothing that got a 250
    can be lost, and nothing that failed is silently dropped.
    """

    def __init__(self, on_message: OnMessage) -> None:
        self.on_message = on_message

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):  # only when decode_data=True, which we never set
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from or ""
        rcpt_tos = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            # Storage is blocking I/O (DB, files): keep it off the event loop.
            await loop.run_in_executor(None, self.on_message, bytes(raw), mail_from, rcpt_tos)
        except Exception:
            log.exception("storing inbound mail failed; answering 451 so the sender retries")
            return "451 4.3.0 Temporary failure storing message, please retry"
        return "250 2.0.0 Message accepted"


class _LenientSMTP(SMTP):
    line_length_limit = LINE_LENGTH_LIMIT  # aiosmtpd would answer a permanent 500 otherwise


class _Controller(Controller):
    def factory(self) -> SMTP:
        return _LenientSMTP(self.handler, **self.SMTP_kwargs)


def start_smtp_receiver(
    host: str,
    port: int,
    on_message: OnMessage,
    *,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    server_hostname: str | None = None,
    ready_timeout: float = 5.0,
) -> Controller:
    """Start listening on host:port in a background thread; call .stop() on the result.

    Mail over size_limit is refused with 552 (at MAIL FROM when the client announces
    SIZE, else after DATA). The receiver never relays: it only hands mail to on_message.
    """
    controller = _Controller(
        KefuSmtpHandler(on_message),
        hostname=host,
        port=port,
        ready_timeout=ready_timeout,
        server_hostname=server_hostname,
        data_size_limit=size_limit,
        enable_SMTPUTF8=True,
        decode_data=False,
    )
    controller.start()
    return controller
