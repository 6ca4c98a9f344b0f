"""JSON shapes of the API (shape only: business rules live in the domain)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from kefu.domain.screening import FlagStatus, PriorResolution
from kefu.domain.types import (
    INSTANT_RANGE_EN,
    MAX_ROW_ID,
    MAX_VERSION,
    CaseKind,
    Category,
    Channel,
    FeedbackType,
    Priority,
    in_instant_range,
)

# Ids and versions the database can hold (domain.types says why): past them, a 422 naming the
# field, never a 500.
RowId = Annotated[int, Field(ge=-MAX_ROW_ID - 1, le=MAX_ROW_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]


def _in_range(at: datetime) -> datetime:
    if not in_instant_range(at):
        raise PydanticCustomError("instant_out_of_range", INSTANT_RANGE_EN)
    return at


# A time a person gives: deadlines computed from one near year 9999 overflow datetime.
Instant = Annotated[datetime, AfterValidator(_in_range)]


def idempotency_hash(body: BaseModel, key: str | None) -> str:
    """What a retried Idempotency-Key must match: the request body, canonically (none without
    a key, so plain requests skip the work)."""
    if key is None:
        return ""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    return hashlib.sha256(canonical).hexdigest()


class FileCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: CaseKind
    channel: Channel = Channel.API
    subject: str = Field(max_length=200)
    description: str = Field(max_length=5000)
    order_no: str | None = Field(default=None, max_length=64)
    line_nos: list[int] = Field(default_factory=list, max_length=200)
    contact_phone: str = Field(default="", max_length=32)
    contact_email: str = Field(default="", max_length=200)
    category: Category | None = None
    priority: Priority | None = None
    feedback_type: FeedbackType | None = None
    buyer_ref: str | None = Field(default=None, max_length=64)
    prior_resolution: PriorResolution = Field(
        default=PriorResolution.NONE,
        description="is the matter settled or pending elsewhere (litigation, arbitration, an "
        "authority, an offline agreement)? Such matters are not accepted (seeds 001, 003).",
    )


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version = Field(description="the case version you are acting on (409 if stale)")
    reason: str | None = Field(default=None, max_length=2000)
    body: str | None = Field(default=None, max_length=5000)
    decision: str | None = Field(default=None, max_length=5000)
    carrier: str | None = Field(default=None, max_length=40, description="ship_return: 承运商")
    tracking_no: str | None = Field(default=None, max_length=64, description="ship_return: 运单号")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=5000)
    internal: bool = False


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version
    assignee: str | None = None
    team: str | None = None


class OrdersIn(BaseModel):
    orders: list[dict[str, Any]] = Field(min_length=1, max_length=1000)


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str
    password: str
    name: str = "api"


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    roles: list[str] = Field(min_length=1)
    display_name: str = ""
    shop: str | None = None
    teams: list[str] = Field(default_factory=list)
    buyer_ref: str | None = None
    phone: str = ""
    email: str = ""


class CaseOut(BaseModel):
    number: str
    kind: str
    feedback_type: str | None
    channel: str
    category: str
    priority: str
    status: str
    status_zh: str
    version: int
    subject: str
    description: str
    order_no: str | None
    line_nos: list[int]
    shop: str | None = None
    team: str | None = None
    assignee_id: int | None
    contact_phone: str
    contact_email: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    ended_at: datetime | None
    reject_reason: str
    allowed_actions: list[str] = Field(default_factory=list)


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Version
    category: Category


class FlagReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: FlagStatus = Field(description="cleared (the complaints were fair) or confirmed")


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on_duty: bool = True
    shift_start: str = Field(default="09:00", max_length=5)
    shift_end: str = Field(default="21:00", max_length=5)
    working_days_only: bool = True
