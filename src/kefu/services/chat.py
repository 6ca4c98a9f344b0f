"""Chat intents: a buyer opens a live chat, staff join, lines are stored before they are
acknowledged, and an agent can turn the conversation into a case with its transcript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kefu.adapters.storage import BlobStorage
from kefu.db.chat import ChatMessage, ChatSession
from kefu.domain import rbac
from kefu.domain.case import MAX_DESCRIPTION, Case
from kefu.domain.errors import FieldError, InvalidInput, NotFound
from kefu.domain.events import SystemAction
from kefu.domain.orders import SHANGHAI
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor, CaseKind, Category, Channel, FeedbackType, Priority, Role
from kefu.services.cases import FileCaseInput, file_case, order_not_found_or_not_yours
from kefu.services.channel_filing import StoredFile, attach_stored
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

WAITING, ACTIVE, CLOSED = "waiting", "active", "closed"
MAX_LINE = 2000
_ROLE_ZH = {"buyer": "买家", "agent": "客服", "tech_support": "技术支持", "supervisor": "主管"}


def _visible(actor: Actor, session: ChatSession) -> bool:
    return rbac.can(actor, Permission.HANDLE_CHAT) or (
        actor.has(Role.BUYER) and actor.user_id == session.buyer_id
    )


def _load(uow: UnitOfWork, actor: Actor, session_id: int) -> ChatSession:
    """A chat the actor may see; another buyer's chat looks exactly like a missing one."""
    session = uow.channels.chat.session(session_id)
    if not _visible(actor, session):
        raise NotFound("会话 chat session", session_id)
    return session


def _closed() -> InvalidInput:
    return InvalidInput(
        [FieldError("session", "closed", "会话已结束", "the chat session is closed")]
    )


def _buyers_order(uow: UnitOfWork, actor: Actor, order_no: str) -> bool:
    try:
        stored = uow.orders.get_by_no(order_no)
    except NotFound:
        return False
    return stored.order.buyer_ref == actor.buyer_ref


def open_chat(
    uow: UnitOfWork,
    *,
    actor: Actor,
    topic: str,
    order_no: str | None,
    now: datetime,
    first_line: str | None = None,
) -> ChatSession:
    """A buyer starts a chat (with its first line, in the same transaction: a chat is never
    queued without the question that opened it); it waits until an agent joins."""
    rbac.require(actor, Permission.START_CHAT)
    if first_line is not None:
        _check_line(first_line)
    with uow:
        if order_no and not _buyers_order(uow, actor, order_no):
            # Staff reading the chat trust the order it names: it must be this buyer's.
            raise InvalidInput([order_not_found_or_not_yours()])
        session = uow.channels.chat.add_session(
            buyer_id=actor.user_id, topic=topic.strip()[:200], order_no=order_no or None, now=now
        )
        if first_line is not None:
            _add_line(uow, actor, session.id, first_line, None, now)
        uow.commit()
        return session


def list_chats(uow: UnitOfWork, *, actor: Actor) -> list[ChatSession]:
    """Staff: every waiting or active chat (oldest first). Buyers: their own chats."""
    with uow:
        if rbac.can(actor, Permission.HANDLE_CHAT):
            return uow.channels.chat.sessions(statuses=(WAITING, ACTIVE))
        rbac.require(actor, Permission.START_CHAT)
        return uow.channels.chat.sessions(
            statuses=(WAITING, ACTIVE, CLOSED), buyer_id=actor.user_id
        )


def read_chat(
    uow: UnitOfWork, *, actor: Actor, session_id: int, after_id: int = 0
) -> tuple[ChatSession, list[ChatMessage]]:
    with uow:
        session = _load(uow, actor, session_id)
        return session, uow.channels.chat.messages(session_id, after_id=after_id)


def join_chat(uow: UnitOfWork, *, actor: Actor, session_id: int, now: datetime) -> ChatSession:
    """An agent takes a waiting chat; a supervisor or admin may also take over an active one."""
    rbac.require(actor, Permission.HANDLE_CHAT)
    with uow:
        session = _load(uow, actor, session_id)
        if session.status == CLOSED:
            raise _closed()
        taken = session.status == ACTIVE and session.agent_id not in (None, actor.user_id)
        if taken and not actor.has(Role.SUPERVISOR, Role.ADMIN):
            raise InvalidInput(
                [FieldError("session", "taken", "已有客服接待", "another agent has joined")]
            )
        uow.channels.chat.update_session(session_id, now, status=ACTIVE, agent_id=actor.user_id)
        uow.commit()
        return uow.channels.chat.session(session_id)


def post_line(
    uow: UnitOfWork,
    *,
    actor: Actor,
    session_id: int,
    body: str,
    client_msg_id: str | None,
    now: datetime,
) -> tuple[ChatMessage, bool]:
    """Store one line and commit before returning: only then may the sender be told "received".

    A repeated client_msg_id (a resend after a lost ack) returns the stored line and False.
    Staff writing into a waiting chat join it.
    """
    _check_line(body)
    with uow:
        session = _load(uow, actor, session_id)
        if session.status == CLOSED:
            raise _closed()
        staff = rbac.can(actor, Permission.HANDLE_CHAT)
        if staff and session.status == WAITING:
            uow.channels.chat.update_session(session_id, now, status=ACTIVE, agent_id=actor.user_id)
        line, created = _add_line(uow, actor, session_id, body, client_msg_id, now)
        uow.commit()
        return line, created


def _check_line(body: str) -> None:
    text = body.strip()
    if not text or len(text) > MAX_LINE:
        raise InvalidInput(
            [
                FieldError(
                    "body",
                    "length",
                    f"消息须为 1 到 {MAX_LINE} 个字符",
                    f"a message has 1 to {MAX_LINE} characters",
                )
            ]
        )


def _add_line(
    uow: UnitOfWork,
    actor: Actor,
    session_id: int,
    body: str,
    client_msg_id: str | None,
    now: datetime,
) -> tuple[ChatMessage, bool]:
    line, created = uow.channels.chat.add_message(
        session_id=session_id,
        sender_id=actor.user_id,
        sender_role=actor.primary_role.value,
        body=body.strip(),
        client_msg_id=(client_msg_id or None) and client_msg_id[:64],
        now=now,
    )
    if created:
        uow.channels.chat.update_session(session_id, now)
    return line, created


def close_chat(uow: UnitOfWork, *, actor: Actor, session_id: int, now: datetime) -> ChatSession:
    with uow:
        _load(uow, actor, session_id)
        uow.channels.chat.update_session(session_id, now, status=CLOSED, closed_at=now)
        uow.commit()
        return uow.channels.chat.session(session_id)


def transcript(session: ChatSession, lines: list[ChatMessage]) -> str:
    """Plain text, one line per message, Shanghai local times: what an agent reads later."""
    head = [
        f"kefu 在线会话记录 / chat transcript #{session.id}",
        f"主题 topic: {session.topic or '-'}",
        f"订单 order: {session.order_no or '-'}",
        "",
    ]
    body = [
        f"[{m.created_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}] "
        f"{_ROLE_ZH.get(m.sender_role, m.sender_role)} #{m.sender_id}: {m.body}"
        for m in lines
    ]
    return "\n".join(head + body) + "\n"


@dataclass(frozen=True)
class ChatCaseInput:
    kind: CaseKind | None = None
    subject: str = ""
    order_no: str | None = None
    feedback_type: FeedbackType | None = None
    category: Category | None = None
    priority: Priority | None = None
    contact_phone: str = ""  # default: the buyer's profile
    contact_email: str = ""


def _order_phone(uow: UnitOfWork, order_no: str | None, buyer_ref: str | None) -> str:
    """The phone on the buyer's own order: the contact a chat buyer already gave the shop."""
    if not order_no or not buyer_ref:
        return ""
    try:
        stored = uow.orders.get_by_no(order_no)
    except NotFound:
        return ""
    return stored.order.buyer_phone if stored.order.buyer_ref == buyer_ref else ""


def chat_to_case(
    uow: UnitOfWork,
    storage: BlobStorage,
    *,
    actor: Actor,
    session_id: int,
    data: ChatCaseInput,
    now: datetime,
    policy: CasePolicy,
) -> tuple[Case, bool]:
    """Staff turn a chat into a case filed for its buyer; the transcript becomes evidence and a
    timeline entry, and the chat closes. Converting again returns the same case."""
    rbac.require(actor, Permission.HANDLE_CHAT)
    with uow:
        session = _load(uow, actor, session_id)
        if session.case_id is not None:
            return uow.cases.get(session.case_id), False
        lines = uow.channels.chat.messages(session_id)
        buyer = uow.people.user_by_id(session.buyer_id)
        order_no = data.order_no or session.order_no
        phone = data.contact_phone or buyer.phone or _order_phone(uow, order_no, buyer.buyer_ref)
    kind = data.kind or (CaseKind.COMPLAINT if order_no else CaseKind.FEEDBACK)
    said = "\n".join(m.body for m in lines if m.sender_id == session.buyer_id)[:MAX_DESCRIPTION]
    subject = data.subject.strip() or session.topic or f"在线咨询 #{session_id}"
    filed = file_case(
        uow,
        actor=buyer.actor(),
        data=FileCaseInput(
            kind=kind,
            channel=Channel.CHAT,
            subject=subject[:200],
            description=said,
            order_no=order_no,
            contact_phone=phone,
            contact_email=data.contact_email or buyer.email,
            feedback_type=data.feedback_type
            or (FeedbackType.REPORT if kind is CaseKind.FEEDBACK else None),
            category=data.category,
            priority=data.priority,
        ),
        now=now,
        policy=policy,
        idempotency_key=f"chat:{session_id}",
        request_hash="chat",
    )
    text = transcript(session, lines)
    raw = text.encode("utf-8")
    blob = storage.put(raw)  # fsynced before the row that points at it commits
    with uow:
        case = uow.cases.get(filed.case.id)  # type: ignore[arg-type]
        assert case.id is not None
        if uow.channels.chat.session(session_id).case_id is None:
            stored = StoredFile(f"chat-{session_id}.txt", "text/plain", blob.sha256, blob.size)
            (record,) = attach_stored(uow, case, actor, [stored], now)
            case.events.append(
                SystemAction(
                    now,
                    actor.user_id,
                    actor.primary_role.value,
                    what=text,
                    details={
                        "source": "chat",
                        "session_id": session_id,
                        "attachment_id": record.id,
                    },
                )
            )
            uow.touch_case(case)
            uow.channels.chat.update_session(
                session_id, now, case_id=case.id, status=CLOSED, closed_at=now
            )
        uow.commit()
        return case, True
