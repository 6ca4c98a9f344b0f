"""Inbound mail whose intake keeps failing: each failure recorded, the mail given up in the end."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from kefu.db.channels import GIVEN_UP_REASON, INBOUND, REJECTED, RETAKING
from kefu.domain.text_faults import showable
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
INTAKE_FAILED = GIVEN_UP_REASON  # reason of the rejected row of a mail given up
_ERROR_CHARS = 1000


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
    """Count one failed intake of the mail `message_key`; True when it is now given up.

    Failures are counted in `mail_intake_failures`, so the count survives restarts and
    one-shot `kefu mail fetch` runs. Giving up writes the mail's own row (verdict `rejected`,
    reason `intake_failed`); the raw mail was stored before the intake began. Raises when the
    database cannot record it either, so the mail is retried like before.

    A mail being retaken by hand (`mail_retake`) that fails is given up again at once: the
    admin who asked is there to read the error, and nothing would bring the mail back anyway.
    """
    # The error may quote the very text that failed (NUL, lone surrogates): stored escaped.
    text = showable(f"{type(error).__name__}: {error}"[:_ERROR_CHARS])
    with uow:
        mail = uow.channels.mail
        known = mail.by_message_id(message_key)
        if known is not None and known.verdict != RETAKING:
            return False  # finished after all (a racer, a failure after COMMIT): the retry says so
        failure = mail.note_failure(message_key, text, now, peer=peer, subject=subject)
        first = failure.first_failed_at
        retake = known is not None
        give_up = retake or (
            failure.attempts >= MAX_FAILED_ATTEMPTS and now - first >= RETRY_WINDOW
        )
        if give_up:
            detail = {
                "error": text,
                "failures_recorded": failure.attempts,
                "first_failure": first.isoformat(),
            }
            # Replaces the `retaking` row of a retake (MailRepo.add), keeping its id.
            mail.add(
                message_id=message_key,
                direction=INBOUND,
                case_id=None,
                peer=peer,
                subject=subject,
                raw_sha256=raw_sha256,
                raw_size=raw_size,
                verdict=REJECTED,
                reason=INTAKE_FAILED,
                detail=json.dumps(detail),
                now=now,
            )
        uow.commit()
    return give_up
