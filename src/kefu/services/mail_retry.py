"""Inbound mail whose intake keeps failing: each failure recorded, the mail given up in the end."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from kefu.db.channels import INBOUND
from kefu.services.unit_of_work import UnitOfWork

# When the intake fails, the SMTP receiver answers 451 and the IMAP poller leaves the mail
# unseen, so the mail comes again. A mail that fails every time (a bug, a value some column
# refuses) would come for ever: every IMAP poll fetches it again, every SMTP retry is refused
# until the sending server bounces the complaint back. So a mail that has failed
# MAX_FAILED_ATTEMPTS times and still fails RETRY_WINDOW after its first failure is recorded as
# rejected (reason intake_failed) and accepted. The window is long so that a failure hitting
# every mail (a bad release, a broken database) is noticed (`kefu mail fetch` exits 1, each
# failure is logged) before it turns the whole mailbox into rejections, and short next to the
# days a sending server keeps retrying.
MAX_FAILED_ATTEMPTS = 5
RETRY_WINDOW = timedelta(hours=6)
FAILED = "failed"  # verdict of a failed-attempt row
INTAKE_FAILED = "intake_failed"  # reason of the rejected row of a mail given up
_REJECTED = "rejected"  # mail_intake.REJECTED: a mail given up opened no case
_ERROR_CHARS = 1000


def attempt_key(message_key: str, n: int) -> str:
    """The row key of the n-th failed attempt at a mail: mail_messages keys are unique."""
    digest = hashlib.sha256(message_key.encode("utf-8", "surrogatepass")).hexdigest()
    return f"<failed.{n}.{digest}@kefu.invalid>"


def record_failure(
    uow: UnitOfWork,
    *,
    message_key: str,
    peer: str,
    subject: str,
    raw_sha256: str,
    raw_size: int,
    error: Exception,
    now: datetime,
) -> bool:
    """Record one failed intake of the mail `message_key`; True when it is now given up.

    The first MAX_FAILED_ATTEMPTS failures get a row each (verdict `failed`, the error in
    `detail`), so the count survives restarts and one-shot `kefu mail fetch` runs. Giving up
    writes the mail's own row (verdict `rejected`, reason `intake_failed`); the raw mail was
    stored before the intake began. Raises when the database cannot record it either, so the
    mail is retried like before.
    """
    text = f"{type(error).__name__}: {error}"[:_ERROR_CHARS]
    with uow:
        mail = uow.channels.mail
        if mail.by_message_id(message_key) is not None:
            return False  # finished after all (a racer, a failure after COMMIT): the retry says so
        failures, first = 0, now
        for n in range(1, MAX_FAILED_ATTEMPTS + 1):
            found = mail.by_message_id(attempt_key(message_key, n))
            if found is None:
                break
            failures = n
            if n == 1:
                first = found.created_at
        row: dict[str, Any] = {
            "direction": INBOUND,
            "case_id": None,
            "peer": peer,
            "subject": subject,
            "raw_sha256": raw_sha256,
            "raw_size": raw_size,
            "now": now,
        }
        if failures < MAX_FAILED_ATTEMPTS:
            failures += 1
            # ensure_ascii: the error may quote the very text (NUL, surrogates) that failed
            detail = json.dumps({"message_id": message_key, "attempt": failures, "error": text})
            key = attempt_key(message_key, failures)
            mail.add(message_id=key, verdict=FAILED, reason="intake_error", detail=detail, **row)
        give_up = failures >= MAX_FAILED_ATTEMPTS and now - first >= RETRY_WINDOW
        if give_up:
            detail = json.dumps(
                {"error": text, "failures_recorded": failures, "first_failure": first.isoformat()}
            )
            mail.add(
                message_id=message_key,
                verdict=_REJECTED,
                reason=INTAKE_FAILED,
                detail=detail,
                **row,
            )
        uow.commit()
    return give_up
