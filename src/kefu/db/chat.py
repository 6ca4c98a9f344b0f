"""Chat persistence: sessions between a buyer and an agent and their messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from kefu.db.schema import cases
from kefu.db.schema_channels import chat_messages, chat_sessions
from kefu.domain.errors import NotFound


@dataclass(frozen=True)
class ChatSession:
    id: int
    buyer_id: int
    agent_id: int | None
    status: str
    topic: str
    order_no: str | None
    case_id: int | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    case_number: str | None = None  # the case the chat was turned into


@dataclass(frozen=True)
class ChatMessage:
    id: int
    session_id: int
    sender_id: int
    sender_role: str
    body: str
    client_msg_id: str | None
    created_at: datetime


def _session(r: RowMapping) -> ChatSession:
    return ChatSession(
        int(r["id"]),
        int(r["buyer_id"]),
        r["agent_id"],
        r["status"],
        r["topic"],
        r["order_no"],
        r["case_id"],
        r["created_at"],
        r["updated_at"],
        r["closed_at"],
        r.get("case_number"),
    )


# A session with the number of the case it became (staff and buyer both follow that link).
_SESSIONS = select(chat_sessions, cases.c.number.label("case_number")).outerjoin(
    cases, cases.c.id == chat_sessions.c.case_id
)


def _message(r: RowMapping) -> ChatMessage:
    return ChatMessage(
        int(r["id"]),
        int(r["session_id"]),
        int(r["sender_id"]),
        r["sender_role"],
        r["body"],
        r["client_msg_id"],
        r["created_at"],
    )


class ChatRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_session(
        self, *, buyer_id: int, topic: str, order_no: str | None, now: datetime
    ) -> ChatSession:
        row = (
            self.conn.execute(
                insert(chat_sessions)
                .values(
                    buyer_id=buyer_id,
                    status="waiting",
                    topic=topic,
                    order_no=order_no,
                    created_at=now,
                    updated_at=now,
                )
                .returning(*chat_sessions.c)
            )
            .mappings()
            .one()
        )
        return _session(row)

    def session(self, session_id: int) -> ChatSession:
        row = (
            self.conn.execute(_SESSIONS.where(chat_sessions.c.id == session_id)).mappings().first()
        )
        if row is None:
            raise NotFound("会话 chat session", session_id)
        return _session(row)

    def sessions(
        self, *, statuses: tuple[str, ...], buyer_id: int | None = None, limit: int = 100
    ) -> list[ChatSession]:
        stmt = _SESSIONS.where(chat_sessions.c.status.in_(statuses))
        if buyer_id is not None:
            stmt = stmt.where(chat_sessions.c.buyer_id == buyer_id)
        rows = self.conn.execute(stmt.order_by(chat_sessions.c.id).limit(limit)).mappings()
        return [_session(r) for r in rows]

    def update_session(self, session_id: int, now: datetime, **values: object) -> None:
        self.conn.execute(
            update(chat_sessions)
            .where(chat_sessions.c.id == session_id)
            .values(updated_at=now, **values)
        )

    def add_message(
        self,
        *,
        session_id: int,
        sender_id: int,
        sender_role: str,
        body: str,
        client_msg_id: str | None,
        now: datetime,
    ) -> tuple[ChatMessage, bool]:
        """Insert a line; a repeated client_msg_id returns the stored line and False."""
        savepoint = self.conn.begin_nested()
        try:
            row = (
                self.conn.execute(
                    insert(chat_messages)
                    .values(
                        session_id=session_id,
                        sender_id=sender_id,
                        sender_role=sender_role,
                        body=body,
                        client_msg_id=client_msg_id,
                        created_at=now,
                    )
                    .returning(*chat_messages.c)
                )
                .mappings()
                .one()
            )
        except IntegrityError:
            savepoint.rollback()
            if client_msg_id is None:
                raise
            earlier = (
                self.conn.execute(
                    select(chat_messages).where(
                        chat_messages.c.session_id == session_id,
                        chat_messages.c.client_msg_id == client_msg_id,
                    )
                )
                .mappings()
                .one()
            )
            return _message(earlier), False
        savepoint.commit()
        return _message(row), True

    def messages(
        self, session_id: int, *, after_id: int = 0, limit: int = 1000
    ) -> list[ChatMessage]:
        rows = self.conn.execute(
            select(chat_messages)
            .where(chat_messages.c.session_id == session_id, chat_messages.c.id > after_id)
            .order_by(chat_messages.c.id)
            .limit(limit)
        ).mappings()
        return [_message(r) for r in rows]
