"""/api/v1/chats: live buyer ↔ agent chat over WebSocket (plus plain HTTP for the same intents).

WebSocket `/api/v1/chats/{id}/ws?token=<API token>` (browsers cannot set an Authorization
header on a WebSocket; a same-origin page may rely on its session cookie instead). Frames are
JSON: the client sends {"type": "message", "body", "client_msg_id"}; the server answers
{"type": "ack", ...} only after the line is committed, and pushes every line of the chat as
{"type": "message", ...} to everyone connected. Delivery: in-process subscribers are woken at
once; other processes pick lines up from the database within a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Annotated, Any, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from kefu.bootstrap import App
from kefu.db.chat import ChatMessage, ChatSession
from kefu.domain.errors import (
    DomainError,
    FieldError,
    InvalidInput,
    NotAuthenticated,
    invalid,
)
from kefu.domain.text_faults import text_error, text_fault
from kefu.domain.types import MAX_ROW_ID, Actor, CaseKind, Category, FeedbackType, Priority
from kefu.services import chat as chat_svc
from kefu.services.users import actor_for_token, actor_for_user_id
from kefu.web.api_cases import case_reply
from kefu.web.auth import current_actor, session_user_id
from kefu.web.errors import DocumentedRoute
from kefu.web.responses import replayed
from kefu.web.schemas import CaseOut, RowId
from kefu.web.schemas_out import ChatLineOut, ChatList, ChatOut, ChatTranscript

router = APIRouter(prefix="/api/v1", tags=["channels"], route_class=DocumentedRoute)
ActorDep = Annotated[Actor, Depends(current_actor)]
POLL_S = 0.05  # how often a connection looks at the in-process wake-up counter
DB_POLL_S = 1.0  # how often it reads the database anyway (lines written by other processes)


class ChatHub:
    """Per-process wake-up counters: a stored line bumps its chat's counter."""

    def __init__(self) -> None:
        self._versions: dict[int, int] = {}

    def bump(self, session_id: int) -> None:
        self._versions[session_id] = self._versions.get(session_id, 0) + 1

    def version(self, session_id: int) -> int:
        return self._versions.get(session_id, 0)


HUB = ChatHub()


class ChatIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    topic: str = Field(default="", max_length=200)
    order_no: str | None = Field(default=None, max_length=64)


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=chat_svc.MAX_LINE)
    client_msg_id: str | None = Field(default=None, max_length=64)


class ChatCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: CaseKind | None = None
    subject: str = Field(default="", max_length=200)
    order_no: str | None = Field(default=None, max_length=64)
    feedback_type: FeedbackType | None = None
    category: Category | None = None
    priority: Priority | None = None
    contact_phone: str = Field(default="", max_length=32)
    contact_email: str = Field(default="", max_length=200)


def session_out(s: ChatSession) -> dict[str, Any]:
    return {
        "id": s.id,
        "status": s.status,
        "topic": s.topic,
        "order_no": s.order_no,
        "buyer_id": s.buyer_id,
        "agent_id": s.agent_id,
        "case_id": s.case_id,
        "case_number": s.case_number,
        "created_at": s.created_at.isoformat(),
        "updated_at": s.updated_at.isoformat(),
        "closed_at": s.closed_at.isoformat() if s.closed_at else None,
    }


def line_out(m: ChatMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "session_id": m.session_id,
        "sender_id": m.sender_id,
        "sender_role": m.sender_role,
        "body": m.body,
        "client_msg_id": m.client_msg_id,
        "created_at": m.created_at.isoformat(),
    }


def _app(request: Request | WebSocket) -> App:
    app: App = request.app.state.kefu
    return app


@router.post("/chats", status_code=201, response_model=ChatOut)
def open_chat(body: ChatIn, request: Request, actor: ActorDep) -> JSONResponse:
    """A buyer starts a chat; it waits for an agent."""
    app = _app(request)
    session = chat_svc.open_chat(
        app.uow(), actor=actor, topic=body.topic, order_no=body.order_no, now=app.clock.now()
    )
    return JSONResponse(
        session_out(session),
        status_code=201,
        headers={"Location": f"/api/v1/chats/{session.id}"},
    )


@router.get("/chats", response_model=ChatList)
def list_chats(request: Request, actor: ActorDep) -> dict[str, Any]:
    """Staff: chats waiting or in progress. Buyers: their own chats."""
    sessions = chat_svc.list_chats(_app(request).reader(), actor=actor)
    return {"items": [session_out(s) for s in sessions]}


@router.get("/chats/{session_id}", response_model=ChatTranscript)
def read_chat(
    session_id: RowId, request: Request, actor: ActorDep, after: RowId = 0
) -> dict[str, Any]:
    session, lines = chat_svc.read_chat(
        _app(request).reader(), actor=actor, session_id=session_id, after_id=after
    )
    return {"session": session_out(session), "messages": [line_out(m) for m in lines]}


@router.post("/chats/{session_id}/join", response_model=ChatOut)
def join_chat(session_id: RowId, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    session = chat_svc.join_chat(app.uow(), actor=actor, session_id=session_id, now=app.clock.now())
    HUB.bump(session_id)
    return session_out(session)


@router.post(
    "/chats/{session_id}/messages",
    status_code=201,
    response_model=ChatLineOut,
    responses=replayed(ChatLineOut, "the line sent before with this client_msg_id"),
)
def post_line(session_id: RowId, body: LineIn, request: Request, actor: ActorDep) -> JSONResponse:
    """The same as a WebSocket message: stored (and committed) before the 201."""
    app = _app(request)
    line, created = chat_svc.post_line(
        app.uow(),
        actor=actor,
        session_id=session_id,
        body=body.body,
        client_msg_id=body.client_msg_id,
        now=app.clock.now(),
    )
    HUB.bump(session_id)
    return JSONResponse(line_out(line), status_code=201 if created else 200)


@router.post("/chats/{session_id}/close", response_model=ChatOut)
def close_chat(session_id: RowId, request: Request, actor: ActorDep) -> dict[str, Any]:
    app = _app(request)
    session = chat_svc.close_chat(
        app.uow(), actor=actor, session_id=session_id, now=app.clock.now()
    )
    HUB.bump(session_id)
    return session_out(session)


@router.post(
    "/chats/{session_id}/case",
    status_code=201,
    response_model=CaseOut,
    responses=replayed(CaseOut, "the case this chat already became"),
)
def chat_to_case(
    session_id: RowId, body: ChatCaseIn, request: Request, actor: ActorDep
) -> JSONResponse:
    """Staff: file a case (channel chat) for the chat's buyer with the transcript as evidence."""
    app = _app(request)
    case, created = chat_svc.chat_to_case(
        app.uow(),
        app.storage,
        actor=actor,
        session_id=session_id,
        data=chat_svc.ChatCaseInput(**body.model_dump()),
        now=app.clock.now(),
        policy=app.policy,
    )
    HUB.bump(session_id)
    return JSONResponse(
        case_reply(app, actor, case),
        status_code=201 if created else 200,
        headers={"Location": f"/api/v1/cases/{case.number}"},
    )


def _same_origin(websocket: WebSocket) -> bool:
    """The opening page's origin is this server's (browsers always send Origin on a
    WebSocket; a client without one is not a browser and cannot be lured into using a cookie)."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True
    parsed = urlsplit(origin)
    return parsed.scheme in {"http", "https"} and parsed.netloc == websocket.headers.get("host")


def _ws_actor(app: App, websocket: WebSocket) -> Actor | None:
    token = websocket.query_params.get("token") or ""
    header = websocket.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:].strip()
    if token:
        return actor_for_token(app.reader(), token)
    if not _same_origin(websocket):
        # A browser sends the session cookie with a WebSocket opened by any page of the same
        # site (another port or subdomain too), and WebSockets are not bound by CORS: only a
        # page of this origin may speak with the user's session.
        return None
    # Cookies are all the session check reads, and a WebSocket carries them like a request.
    user_id = session_user_id(app, cast(Request, websocket))
    return actor_for_user_id(app.reader(), user_id) if user_id is not None else None


def _error_frame(exc: DomainError) -> dict[str, Any]:
    return {
        "type": "error",
        "code": exc.code,
        "message_zh": exc.zh,
        "message_en": exc.en,
        "fields": [f.as_dict() for f in exc.fields],
    }


@router.websocket("/chats/{session_id}/ws")
async def chat_socket(websocket: WebSocket, session_id: RowId) -> None:
    app = _app(websocket)
    await websocket.accept()
    actor = await run_in_threadpool(_ws_actor, app, websocket)
    try:
        if actor is None:
            raise NotAuthenticated()
        after = int(websocket.query_params.get("after") or 0)
        if not -MAX_ROW_ID - 1 <= after <= MAX_ROW_ID:
            raise invalid("after", "out_of_range", "数值超出范围", "is out of range")
        session, history = await run_in_threadpool(
            chat_svc.read_chat, app.reader(), actor=actor, session_id=session_id, after_id=after
        )
    except (DomainError, ValueError) as exc:
        problem = exc if isinstance(exc, DomainError) else NotAuthenticated()
        await websocket.send_json(_error_frame(problem))
        await websocket.close(code=4000 + problem.status)
        return
    sending = asyncio.Lock()

    async def send(frame: dict[str, Any]) -> None:
        async with sending:
            await websocket.send_json(frame)

    await send(
        {
            "type": "hello",
            "session": session_out(session),
            "messages": [line_out(m) for m in history],
        }
    )
    last_id = history[-1].id if history else after
    tasks = [
        asyncio.create_task(_receive(app, websocket, actor, session_id, send)),
        asyncio.create_task(_push(app, actor, session_id, last_id, session.status, send)),
    ]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    for task in done:
        error = task.exception()
        if error is not None and not isinstance(error, WebSocketDisconnect):
            raise error


def _not_text(name: str, value: Any) -> FieldError | None:
    """The error naming a frame field that is neither text nor absent (null)."""
    if value is None or isinstance(value, str):
        return None
    return FieldError(name, "string_type", "必须是文本", "must be text")


async def _receive(
    app: App, websocket: WebSocket, actor: Actor, session_id: int, send: Any
) -> None:
    """Client frames: each message is committed, then acknowledged, then pushed to everyone."""
    while True:
        raw = await websocket.receive_text()
        try:
            frame = json.loads(raw)
            if not isinstance(frame, dict):
                raise ValueError("not an object")
        except ValueError:
            await send(
                {
                    "type": "error",
                    "code": "bad_frame",
                    "message_zh": "消息须为 JSON 对象",
                    "message_en": "a frame must be a JSON object",
                    "fields": [],
                }
            )
            continue
        if frame.get("type") == "ping":
            await send({"type": "pong"})
            continue
        raw_body, raw_id = frame.get("body"), frame.get("client_msg_id")
        # Both are text; str() once stored a null body as the line "None" and 5 as "5".
        body = raw_body if isinstance(raw_body, str) else ""
        msg_id = raw_id if isinstance(raw_id, str) and raw_id else None
        try:
            # Frames bypass the route's checks: the same rules, before anything is stored.
            faults = [
                _not_text("body", raw_body),
                _not_text("client_msg_id", raw_id),
                text_error("body", body),
                text_error("client_msg_id", msg_id or ""),
            ]
            if any(faults):
                raise InvalidInput([f for f in faults if f is not None])
            line, _created = await run_in_threadpool(
                chat_svc.post_line,
                app.uow(),
                actor=actor,
                session_id=session_id,
                body=body,
                client_msg_id=msg_id,
                now=app.clock.now(),
            )
        except DomainError as exc:
            # An id no column can hold cannot be sent back either (no UTF-8 for a surrogate).
            echo = frame.get("client_msg_id") if text_fault(msg_id or "") is None else None
            await send({**_error_frame(exc), "client_msg_id": echo})
            continue
        await send({"type": "ack", "client_msg_id": line.client_msg_id, "message": line_out(line)})
        HUB.bump(session_id)


async def _push(
    app: App, actor: Actor, session_id: int, last_id: int, status: str, send: Any
) -> None:
    """New lines (and status changes) of the chat, in order, as they are stored."""
    seen = HUB.version(session_id)
    last_read = time.monotonic()
    while True:
        await asyncio.sleep(POLL_S)
        version = HUB.version(session_id)
        if version == seen and time.monotonic() - last_read < DB_POLL_S:
            continue
        seen, last_read = version, time.monotonic()
        session, lines = await run_in_threadpool(
            chat_svc.read_chat, app.reader(), actor=actor, session_id=session_id, after_id=last_id
        )
        if session.status != status:  # first, so "agent joined" precedes the agent's line
            status = session.status
            await send({"type": "session", "session": session_out(session)})
        for line in lines:
            await send({"type": "message", "message": line_out(line)})
            last_id = line.id
