"""JSON shapes of the API (shape only: business rules live in the domain)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic.json_schema import SkipJsonSchema
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


def _json_number(value: Any) -> Any:
    # In a JSON body a number is a JSON number. Pydantic's lax mode reads true as 1 and "7" as
    # 7, so `{"version": true}` acted on version 1. Only bools and text are refused here: a
    # float goes on to the int check, which takes 2.0 and names NaN and 1.5 with their own
    # codes (finite_number, int_from_float), as a strict int (int_type for all) would not.
    if isinstance(value, bool | str):
        raise PydanticCustomError("int_type", "must be an integer")
    return value


def _json_bool(value: Any) -> Any:
    # Lax mode reads 1, "yes", "on" and "1" as true: an integration sending {"internal": "no"}
    # would post a note it meant to keep to staff... or the other way round. Only true/false.
    if not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "must be true or false")
    return value


def _is_number(value: Any) -> bool:
    """A number, or text that reads as one."""
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return isinstance(value, int | float)


def _text_time(value: Any) -> Any:
    # A time is ISO 8601 text. Lax mode reads a number, or text that is one ("2026"), as
    # seconds since 1970: 1970-01-01T00:33:46Z where a person meant a year.
    if _is_number(value):
        raise PydanticCustomError("datetime_type", "must be ISO 8601 text")
    return value


def _text_date(value: Any) -> Any:
    # As for times: lax mode reads 0 (or "0") as 1970-01-01.
    if _is_number(value):
        raise PydanticCustomError("date_type", "must be a YYYY-MM-DD date")
    return value


# An integer in a JSON body (ids, versions, counts, line numbers, hours …). Path and query
# parameters arrive as text and must be parsed: they use the plain types below. Bodies are
# checked field by field rather than with a model-wide strict mode for the same reason.
JsonInt = Annotated[int, BeforeValidator(_json_number)]
# A true/false in a JSON body: a JSON bool, nothing that merely reads as one.
JsonBool = Annotated[bool, BeforeValidator(_json_bool)]
# Ids and versions the database can hold (domain.types says why): past them, a 422 naming the
# field, never a 500. RowId and Version are for path and query parameters, the Json ones for
# bodies.
RowId = Annotated[int, Field(ge=-MAX_ROW_ID - 1, le=MAX_ROW_ID)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
JsonRowId = Annotated[JsonInt, Field(ge=-MAX_ROW_ID - 1, le=MAX_ROW_ID)]
JsonVersion = Annotated[JsonInt, Field(ge=1, le=MAX_VERSION)]


def _in_range(at: datetime) -> datetime:
    if not in_instant_range(at):
        raise PydanticCustomError("instant_out_of_range", INSTANT_RANGE_EN)
    return at


# A time a person gives: deadlines computed from one near year 9999 overflow datetime.
Instant = Annotated[datetime, BeforeValidator(_text_time), AfterValidator(_in_range)]
# A calendar date a person gives.
Day = Annotated[date, BeforeValidator(_text_date)]


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
    line_nos: list[JsonInt] = Field(default_factory=list, max_length=200)
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
    version: JsonVersion = Field(description="the case version you are acting on (409 if stale)")
    reason: str | None = Field(default=None, max_length=2000)
    body: str | None = Field(default=None, max_length=5000)
    decision: str | None = Field(default=None, max_length=5000)
    carrier: str | None = Field(default=None, max_length=40, description="ship_return: 承运商")
    tracking_no: str | None = Field(default=None, max_length=64, description="ship_return: 运单号")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=5000)
    internal: JsonBool = False


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: JsonVersion
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
    # Always sent (null when the case has none): required, so a client's generated model
    # does not make them optional.
    shop: str | None
    team: str | None
    assignee_id: int | None
    contact_phone: str
    contact_email: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    ended_at: datetime | None
    reject_reason: str
    allowed_actions: list[str] = Field(description="the lifecycle actions you may fire now")


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: JsonVersion
    category: Category


class FlagReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: FlagStatus = Field(description="cleared (the complaints were fair) or confirmed")


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on_duty: JsonBool = True
    shift_start: str = Field(default="09:00", max_length=5)
    shift_end: str = Field(default="21:00", max_length=5)
    working_days_only: JsonBool = True


class ProblemField(BaseModel):
    """One field at fault: an item of a problem document's `fields`."""

    field: str = Field(
        description="the field at fault: a body key, dotted for nested ones "
        "(`line_nos.0`, `orders[1].lines[0].paid_fen`), a query, path or header parameter, "
        "`file` for an upload, or `body` for the body as a whole"
    )
    code: str = Field(description="stable machine code of the fault (`missing`, `too_long` …)")
    message_zh: str = Field(description="why, in Chinese")
    message_en: str = Field(description="why, in English")


def _absent_not_null(schema: JsonDict) -> None:
    # These keys are left out of a problem that has nothing to say in them, never sent as null.
    schema.pop("default", None)


def optional_key(description: str) -> Any:
    """A key left out of an answer that has nothing to say in it, never sent as null."""
    return Field(None, description=description, json_schema_extra=_absent_not_null)


class OrderImportItem(BaseModel):
    """One order's result in an order import (`POST /api/v1/orders`)."""

    order_no: str = Field(description="the order number sent, or `#<index>` when none was")
    status: str = Field(description="`created`, `updated` or `error` (every one, in a 422)")
    errors: list[ProblemField]


class Problem(BaseModel):
    """Every API error (RFC 9457 problem details, `application/problem+json`): a stable `code`,
    the `fields` at fault and the message in Chinese and English. Some codes add keys of their
    own (below, each marked with the codes that send it); clients should ignore keys they do
    not know."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="`/problems/<code>`")
    title: str = Field(description="the English message")
    status: int = Field(description="the HTTP status, repeated")
    code: str = Field(
        description="stable machine code: `invalid_input`, `not_found`, `not_authenticated`, "
        "`permission_denied`, `version_conflict`, `invalid_transition`, `guard_failed` …"
    )
    detail: str = Field(description="the English message")
    message_zh: str = Field(description="what went wrong, in Chinese, naming the fields")
    message_en: str = Field(description="what went wrong, in English, naming the fields")
    fields: list[ProblemField] = Field(description="each field at fault; empty when none is")
    what: str | SkipJsonSchema[None] = optional_key(
        "`not_found`: the kind of record, in Chinese and English (`案件 case`)"
    )
    key: str | SkipJsonSchema[None] = optional_key("`not_found`: the number or id looked for")
    current_status: str | SkipJsonSchema[None] = optional_key(
        "`invalid_transition`: the case's status; `policy_not_draft`: the policy version's"
    )
    action: str | SkipJsonSchema[None] = optional_key("`invalid_transition`: the action refused")
    allowed_actions: list[str] | SkipJsonSchema[None] = optional_key(
        "`invalid_transition`: the actions you may take in the current status"
    )
    expected_version: int | SkipJsonSchema[None] = optional_key(
        "`version_conflict`: the version you sent"
    )
    current_version: int | SkipJsonSchema[None] = optional_key(
        "`version_conflict`: the version stored now; reload and retry with it"
    )
    policy_id: str | SkipJsonSchema[None] = optional_key("`policy_not_draft`: the policy")
    version: int | SkipJsonSchema[None] = optional_key("`policy_not_draft`: the policy version")
    created: int | SkipJsonSchema[None] = optional_key("`orders_rejected`: orders created (0)")
    updated: int | SkipJsonSchema[None] = optional_key("`orders_rejected`: orders updated (0)")
    failed: int | SkipJsonSchema[None] = optional_key("`orders_rejected`: orders refused")
    items: list[OrderImportItem] | SkipJsonSchema[None] = optional_key(
        "`orders_rejected`: each order's result and errors"
    )
