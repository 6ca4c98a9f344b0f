"""Transactional outbox and in-app notifications: rows written with the change, relayed later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kefu.db.driver import RowInsert
from kefu.db.schema import notifications, outbox


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    case_id: int | None
    payload: dict[str, Any]
    attempts: int


_COLUMNS = ("topic", "case_id", "payload", "created_at", "available_at", "attempts")
_ADD = RowInsert(outbox, _COLUMNS)
_ADD_ID = RowInsert(outbox, _COLUMNS, returning_id=True)


def _row(r: Any) -> OutboxRow:
    return OutboxRow(r["id"], r["topic"], r["case_id"], dict(r["payload"]), r["attempts"])


def _new(topic: str, case_id: int | None, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "topic": topic,
        "case_id": case_id,
        "payload": payload,
        "created_at": now,
        "available_at": now,
        "attempts": 0,
    }


class OutboxRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, topic: str, case_id: int | None, payload: dict[str, Any], now: datetime) -> None:
        _ADD(self.conn, _new(topic, case_id, payload, now))

    def add_one(
        self, topic: str, case_id: int | None, payload: dict[str, Any], now: datetime
    ) -> int:
        """Add a row and hand back its id (a mail sent again names the row that sends it)."""
        new_id = _ADD_ID(self.conn, _new(topic, case_id, payload, now))
        assert new_id is not None
        return new_id

    def get(self, row_id: int) -> OutboxRow | None:
        found = self.conn.execute(select(outbox).where(outbox.c.id == row_id)).mappings().first()
        return _row(found) if found is not None else None

    def claim(
        self, *, batch: int, worker_id: str, now: datetime, lease: timedelta
    ) -> list[OutboxRow]:
        """Lease up to `batch` due rows to this worker; other workers skip locked rows."""
        due = and_(
            outbox.c.sent_at.is_(None),
            outbox.c.available_at <= now,
            or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until < now),
        )
        stmt = select(outbox.c.id).where(due).order_by(outbox.c.id).limit(batch)
        if self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids = [int(i) for i in self.conn.execute(stmt).scalars()]
        if not ids:
            return []
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids))
            .values(claimed_by=worker_id, claimed_until=now + lease)
        )
        rows = self.conn.execute(
            select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id)
        ).mappings()
        return [_row(r) for r in rows]

    def mark_sent(self, row_id: int, now: datetime) -> None:
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(sent_at=now, claimed_by=None, claimed_until=None)
        )

    def mark_failed(self, row_id: int, error: str, next_try_at: datetime) -> None:
        self.conn.execute(
            update(outbox)
            .where(outbox.c.id == row_id)
            .values(
                attempts=outbox.c.attempts + 1,
                last_error=error[:2000],
                available_at=next_try_at,
                claimed_by=None,
                claimed_until=None,
            )
        )

    def pending_count(self) -> int:
        return int(
            self.conn.execute(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            ).scalar_one()
        )

    def for_case(self, case_id: int) -> list[OutboxRow]:
        rows = self.conn.execute(
            select(outbox).where(outbox.c.case_id == case_id).order_by(outbox.c.id)
        ).mappings()
        return [_row(r) for r in rows]


class NotificationRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def deliver(
        self,
        *,
        outbox_id: int,
        user_id: int,
        case_id: int | None,
        title: str,
        body: str,
        now: datetime,
    ) -> None:
        """Insert once per (outbox row, user): relaying a row twice adds no second notice."""
        dialect = self.conn.dialect.name
        ins = (
            postgresql.insert(notifications)
            if dialect == "postgresql"
            else sqlite.insert(notifications)
        )
        self.conn.execute(
            ins.values(
                outbox_id=outbox_id,
                user_id=user_id,
                case_id=case_id,
                title=title,
                body=body,
                created_at=now,
            ).on_conflict_do_nothing(index_elements=["outbox_id", "user_id"])
        )

    def for_user(self, user_id: int, limit: int = 50) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(notifications)
            .where(notifications.c.user_id == user_id)
            .order_by(notifications.c.id.desc())
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]
