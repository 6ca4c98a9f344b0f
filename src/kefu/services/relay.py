"""Outbox relay: claim pending rows, deliver in-app notices to their audiences, mark them sent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import structlog

from kefu.db.outbox import OutboxRow
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.relay")
LEASE = timedelta(seconds=60)


def _recipients(uow: UnitOfWork, row: OutboxRow) -> set[int]:
    p = row.payload
    found: set[int] = set()
    for audience in p.get("audiences", []):
        if audience == "buyer" and p.get("buyer_id"):
            found.add(int(p["buyer_id"]))
        elif audience == "assignee" and p.get("assignee_id"):
            found.add(int(p["assignee_id"]))
        elif audience == "seller" and p.get("shop_id"):
            found.update(uow.people.user_ids_for_shop(int(p["shop_id"])))
        elif audience == "team" and p.get("team_id"):
            found.update(uow.people.user_ids_for_team(int(p["team_id"])))
        elif audience == "users":  # named people, e.g. supervisors on an SLA breach
            found.update(int(u) for u in p.get("user_ids", []))
    found.discard(int(p.get("actor_id") or 0))  # nobody is told about their own action
    return found


OutboxHandler = Callable[[OutboxRow, datetime], None]


class GaveUp(Exception):
    """Raised by a handler that recorded why its row can never be delivered (a mail refused
    for good, or failing too long): the row is done with, its error kept, and not retried."""


def relay_outbox(
    uow_factory: Callable[[], UnitOfWork],
    *,
    worker_id: str,
    now: datetime,
    batch: int = 100,
    handlers: Mapping[str, OutboxHandler] | None = None,
) -> int:
    """Deliver one batch; a failing row is retried later with backoff. Returns rows sent.

    Rows whose topic has a handler (e.g. `mail_out`) go to it; the others become in-app notices.
    A handler that raises GaveUp ends its row without it counting as sent.
    """
    with uow_factory() as uow:
        rows = uow.outbox.claim(batch=batch, worker_id=worker_id, now=now, lease=LEASE)
        uow.commit()
    sent = 0
    for row in rows:
        handler = (handlers or {}).get(row.topic)
        try:
            if handler is not None:
                # Outside our transaction: it does network I/O and commits its own records.
                handler(row, now)
            with uow_factory() as uow:
                if handler is None:
                    for user_id in _recipients(uow, row):
                        uow.notifications.deliver(
                            outbox_id=row.id,
                            user_id=user_id,
                            case_id=row.case_id,
                            title=str(row.payload.get("title", row.topic)),
                            body=str(row.payload.get("body", "")),
                            now=now,
                        )
                uow.outbox.mark_sent(row.id, now)
                uow.commit()
            sent += 1
        except GaveUp as exc:
            log.warning("outbox_given_up", outbox_id=row.id, topic=row.topic, error=str(exc))
            with uow_factory() as done:
                # The failure is counted and kept as the row's last error; sent_at is what takes
                # a row out of the queue, so the row is finished, not delivered.
                done.outbox.mark_failed(row.id, str(exc), now)
                done.outbox.mark_sent(row.id, now)
                done.commit()
        except Exception as exc:
            log.warning("outbox_delivery_failed", outbox_id=row.id, error=str(exc))
            with uow_factory() as retry:
                backoff = timedelta(seconds=min(3600, 2 ** min(row.attempts + 1, 12)))
                retry.outbox.mark_failed(row.id, str(exc), now + backoff)
                retry.commit()
    if sent:
        log.info("outbox_relayed", count=sent, worker=worker_id)
    return sent
