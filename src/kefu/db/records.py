"""Append-only records: timeline, attachments, idempotency keys and the personal-data access log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection, RowMapping

from kefu.db.driver import RowInsert
from kefu.db.schema import attachments, idempotency_keys, pii_access_log, timeline
from kefu.domain.errors import NotFound
from kefu.domain.events import CaseEvent


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    case_id: int
    kind: str
    actor_id: int
    actor_role: str
    visibility: str
    body: str
    data: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    case_id: int
    sha256: str
    size: int
    content_type: str
    filename: str
    uploaded_by: int
    created_at: datetime


def _attachment(r: RowMapping) -> AttachmentRecord:
    return AttachmentRecord(
        r["id"],
        r["case_id"],
        r["sha256"],
        r["size"],
        r["content_type"],
        r["filename"],
        r["uploaded_by"],
        r["created_at"],
    )


_APPEND_EVENTS = RowInsert(
    timeline,
    ("case_id", "kind", "actor_id", "actor_role", "visibility", "body", "data", "created_at"),
)
_IDEMPOTENT_CASE = select(idempotency_keys.c.case_id, idempotency_keys.c.request_hash).where(
    idempotency_keys.c.user_id == bindparam("b_user"), idempotency_keys.c.key == bindparam("b_key")
)
_REMEMBER_KEY = RowInsert(
    idempotency_keys, ("user_id", "key", "request_hash", "case_id", "created_at")
)
_LOG_PII = insert(pii_access_log)


def timeline_row(case_id: int, e: CaseEvent) -> dict[str, Any]:
    """One event as its timeline row (the sweep writes many of these in one executemany)."""
    return {
        "case_id": case_id,
        "kind": e.kind,
        "actor_id": e.actor_id,
        "actor_role": e.actor_role,
        "visibility": e.visibility.value,
        "body": e.body,
        "data": e.data,
        "created_at": e.at,
    }


class RecordsRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append_events(self, case_id: int, events: Iterable[CaseEvent]) -> None:
        rows = [timeline_row(case_id, e) for e in events]
        if len(rows) == 1:
            _APPEND_EVENTS(self.conn, rows[0])
        else:
            _APPEND_EVENTS.many(self.conn, rows)

    def timeline(
        self, case_id: int, *, include_internal: bool, after_id: int = 0, limit: int = 500
    ) -> list[TimelineEntry]:
        stmt = select(timeline).where(timeline.c.case_id == case_id, timeline.c.id > after_id)
        if not include_internal:
            stmt = stmt.where(timeline.c.visibility == "public")
        rows = self.conn.execute(stmt.order_by(timeline.c.id).limit(limit)).mappings()
        return [
            TimelineEntry(
                r["id"],
                r["case_id"],
                r["kind"],
                r["actor_id"],
                r["actor_role"],
                r["visibility"],
                r["body"],
                dict(r["data"] or {}),
                r["created_at"],
            )
            for r in rows
        ]

    def add_attachment(
        self,
        *,
        case_id: int,
        sha256: str,
        size: int,
        content_type: str,
        filename: str,
        uploaded_by: int,
        now: datetime,
    ) -> AttachmentRecord:
        row = (
            self.conn.execute(
                insert(attachments)
                .values(
                    case_id=case_id,
                    sha256=sha256,
                    size=size,
                    content_type=content_type,
                    filename=filename,
                    uploaded_by=uploaded_by,
                    created_at=now,
                )
                .returning(*attachments.c)
            )
            .mappings()
            .one()
        )
        return _attachment(row)

    def attachment(self, attachment_id: int) -> AttachmentRecord:
        r = (
            self.conn.execute(select(attachments).where(attachments.c.id == attachment_id))
            .mappings()
            .first()
        )
        if r is None:
            raise NotFound("附件 attachment", attachment_id)
        return _attachment(r)

    def attachments_for(self, case_id: int) -> list[AttachmentRecord]:
        rows = self.conn.execute(
            select(attachments).where(attachments.c.case_id == case_id).order_by(attachments.c.id)
        ).mappings()
        return [_attachment(r) for r in rows]

    def idempotent_case(self, user_id: int, key: str) -> tuple[int, str] | None:
        row = self.conn.execute(_IDEMPOTENT_CASE, {"b_user": user_id, "b_key": key}).first()
        return (int(row.case_id), row.request_hash) if row else None

    def remember_idempotency(
        self, user_id: int, key: str, request_hash: str, case_id: int, now: datetime
    ) -> None:
        _REMEMBER_KEY(
            self.conn,
            {
                "user_id": user_id,
                "key": key,
                "request_hash": request_hash,
                "case_id": case_id,
                "created_at": now,
            },
        )

    def log_pii_access(
        self,
        *,
        actor_id: int,
        case_id: int | None,
        order_id: int | None,
        fields: str,
        purpose: str,
        now: datetime,
    ) -> None:
        self.conn.execute(
            _LOG_PII,
            {
                "actor_id": actor_id,
                "case_id": case_id,
                "order_id": order_id,
                "fields": fields,
                "purpose": purpose,
                "at": now,
            },
        )

    def pii_accesses(self, case_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(pii_access_log)
            .where(pii_access_log.c.case_id == case_id)
            .order_by(pii_access_log.c.id)
        ).mappings()
        return [dict(r) for r in rows]
