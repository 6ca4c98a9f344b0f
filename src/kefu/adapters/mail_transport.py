"""Mail transports for outgoing case mail: real SMTP, or a log line when no server is set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage

from kefu.adapters.email_out import send_via_smtp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 30.0
    delivers: bool = True

    def send(self, msg: EmailMessage) -> None:
        """Send or raise: Undeliverable when sending again cannot help (the mail is given up),
        anything else when it may (the outbox retries). Recipients refused are logged."""
        refused = send_via_smtp(
            msg,
            self.host,
            self.port,
            timeout=self.timeout,
            username=self.username,
            password=self.password,
            starttls=self.starttls,
        )
        if refused:
            log.warning("SMTP refused some recipients of %s: %s", msg["Message-ID"], refused)


class LogTransport:
    """No SMTP server configured: the mail is recorded and logged, like a console notifier."""

    delivers = False

    def send(self, msg: EmailMessage) -> None:
        log.info("mail not sent (no KEFU_SMTP_HOST): to=%s subject=%s", msg["To"], msg["Subject"])
