"""JSON shapes of the API's answers (cases, orders, people, chat, calls, screening), documented
in /openapi.json. The handlers build these answers by hand; tests check them against these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from kefu.web.schemas import CaseOut, OrderImportItem

# --- cases -----------------------------------------------------------------------------------


class CasePage(BaseModel):
    """A page of the queue (`GET /cases`)."""

    items: list[CaseOut] = Field(
        description="cases by due time; a list leaves shop and team null and allowed_actions "
        "empty (read the case for them)"
    )
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")
    count: int = Field(description="how many cases match, counted up to 1000")
    count_is_capped: bool = Field(description="true: there are more than `count` (1000+)")


class SearchPage(BaseModel):
    """A page of search results (`GET /search`), newest first."""

    items: list[CaseOut] = Field(description="as in the queue")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    title: str
    quantity: int
    unit_price_fen: int = Field(description="money is integer fen (1/100 yuan) everywhere")
    paid_fen: int
    paid_cash_fen: int
    paid_points_fen: int
    paid_coupon_fen: int
    flags: list[str] = Field(description="`custom_made`, `perishable`, `digital`, `durable` …")


class OrderOut(BaseModel):
    """An order as the shop exported it; the buyer's name, phone and address are masked for
    those who may not see them."""

    order_no: str
    buyer_ref: str
    buyer_name: str
    buyer_phone: str
    buyer_address: str
    paid_at: datetime
    shipped_at: datetime | None
    signed_at: datetime | None
    carrier: str
    tracking_no: str
    paid_total_fen: int
    lines: list[OrderLineOut]


class ShopOut(BaseModel):
    """The seller's identity a case shows."""

    code: str
    name: str
    legal_name: str
    address: str
    phone: str


class AttachmentOut(BaseModel):
    """One evidence file; `url` downloads its bytes."""

    id: int
    filename: str
    content_type: str = Field(description="sniffed from the bytes, never taken from the name")
    size: int = Field(description="bytes")
    sha256: str
    uploaded_by: int = Field(description="user id")
    created_at: datetime
    url: str


class TimelineEntryOut(BaseModel):
    id: int
    kind: str = Field(description="`filed`, `status_changed`, `message`, `note`, `assigned` …")
    actor_id: int
    actor_role: str
    visibility: str = Field(description="`public` or `internal` (staff only)")
    body: str
    data: dict[str, Any] = Field(description="what the kind records, e.g. `from` and `to`")
    created_at: datetime


class TimelinePage(BaseModel):
    """Timeline entries after the id given as `after`, oldest first."""

    items: list[TimelineEntryOut]


class CaseDetail(CaseOut):
    """One case with its order, seller, evidence and timeline (`GET /cases/{number}`)."""

    order: OrderOut | None = Field(description="null: filed without an order")
    seller: ShopOut | None
    masked: bool = Field(description="true: the buyer's personal data are masked for you")
    attachments: list[AttachmentOut]
    timeline: list[TimelineEntryOut] = Field(description="internal entries for staff only")


class MessageReceipt(BaseModel):
    """A message or note stored; it does not change the case version."""

    number: str
    status: str
    version: int


class CategoryReceipt(BaseModel):
    number: str
    category: str
    version: int = Field(description="the case version after the correction")


# --- screening -------------------------------------------------------------------------------


class ScreeningStep(BaseModel):
    rule: str
    passed: bool
    detail: str


class PriorityReason(BaseModel):
    code: str
    zh: str
    en: str


class ScreeningOut(BaseModel):
    """Why the case was accepted, rejected or sent on: reason code and the rules it passed."""

    number: str
    outcome: str
    code: str
    reason: str
    trail: list[ScreeningStep]
    category_source: str = Field(description="`rules`, `model`, `buyer` …: who chose it")
    model_category: str = Field(description="what the classifier chose")
    category_confidence: float
    classification_trail: list[str]
    priority_reasons: list[PriorityReason]
    duplicate_of: str | None = Field(description="the case number this one repeats")
    abusive: bool
    original_subject: str | None = Field(
        None, description="supervisors and admins only: the words as written (abusive cases)"
    )
    original_description: str | None = Field(None, description="supervisors and admins only")
    created_at: datetime


class CategoryOverrideOut(BaseModel):
    """A category correction, as a training line: `text` labelled `label`."""

    id: int
    text: str
    label: str
    was: str
    model: str
    at: datetime


class OverridePage(BaseModel):
    items: list[CategoryOverrideOut]
    next_after: int = Field(description="pass as `after` for the next page")


class BuyerFlagOut(BaseModel):
    id: int
    buyer_id: int
    reason: str
    detail: str
    status: str = Field(description="`open`, `cleared` or `confirmed`")
    created_at: datetime
    reviewed_by: int | None
    reviewed_at: datetime | None


class BuyerFlagList(BaseModel):
    items: list[BuyerFlagOut]


class FlagReviewed(BaseModel):
    id: int
    status: str


class AvailabilityOut(BaseModel):
    """Who takes new cases and when (Asia/Shanghai shift times)."""

    user_id: int
    username: str
    on_duty: bool
    shift_start: str = Field(description="HH:MM")
    shift_end: str = Field(description="HH:MM")
    working_days_only: bool
    open_assigned: int = Field(description="open cases assigned to them now")


# --- orders and people -----------------------------------------------------------------------


class ImportReport(BaseModel):
    """What an order import did (at least one order written; else a 422 with these keys)."""

    created: int
    updated: int
    failed: int
    items: list[OrderImportItem]


class TokenOut(BaseModel):
    token: str = Field(description="shown once: send as `Authorization: Bearer <token>`")
    token_type: str = Field(description="`bearer`")


class UserCreated(BaseModel):
    id: int
    username: str
    roles: list[str]


class MeOut(BaseModel):
    user_id: int
    username: str
    roles: list[str]
    shop_id: int | None
    team_ids: list[int]


class NotificationOut(BaseModel):
    id: int
    user_id: int
    case_id: int | None
    outbox_id: int
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    items: list[NotificationOut] = Field(description="the latest 50, newest first")


# --- chat and calls --------------------------------------------------------------------------


class ChatOut(BaseModel):
    id: int
    status: str = Field(description="`waiting`, `active` or `closed`")
    topic: str
    order_no: str | None
    buyer_id: int
    agent_id: int | None
    case_id: int | None
    case_number: str | None = Field(description="the case the chat became, if any")
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class ChatList(BaseModel):
    items: list[ChatOut]


class ChatLineOut(BaseModel):
    id: int
    session_id: int
    sender_id: int
    sender_role: str
    body: str
    client_msg_id: str | None
    created_at: datetime


class ChatTranscript(BaseModel):
    """A chat and its lines after the id given as `after`."""

    session: ChatOut
    messages: list[ChatLineOut]


class CallOut(BaseModel):
    """The call as logged (the request's fields and its id)."""

    id: int
    caller_name: str
    caller_number: str
    direction: str
    started_at: datetime
    duration_s: int
    notes: str
    subject: str
    order_no: str | None
    kind: str | None
    feedback_type: str | None
    category: str | None
    priority: str | None


class CallCaseOut(CaseOut):
    """The case a call became, with the call."""

    call: CallOut
