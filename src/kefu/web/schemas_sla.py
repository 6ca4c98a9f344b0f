"""JSON shapes of the SLA API's answers (/api/v1/sla), documented in /openapi.json; the
handlers and services build them by hand, tests check them against these."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from kefu.web.schemas import optional_key

# --- preview ---------------------------------------------------------------------------------


class PreviewPolicy(BaseModel):
    id: str
    version: int
    applied: str = Field(
        description="the policy and what adjusted it, e.g. `complaint+agreement.v1`"
    )
    effective_from: datetime


class PreviewClock(BaseModel):
    clock: str
    party: str = Field(description="who the clock runs against: `platform`, `seller`, `buyer`")
    measure: str = Field(description="`calendar_hours`, `working_hours`, `working_days` …")
    amount: int
    rule: str = Field(description="the rule or law the deadline comes from")
    starts_on: str = Field(description="`filed`, or the case statuses that start it")
    due_at: datetime
    warn_at: datetime
    provisional: bool = Field(description="true: a calendar it needs is not published yet")
    calendar_facts: list[str]
    on_warning: list[str]
    on_breach: list[str]
    on_timeout: str


class PreviewDraft(BaseModel):
    id: str
    version: int
    published: bool
    selected: bool = Field(
        description="false: a more specific policy wins for these case facts, or it does not match"
    )


class PreviewOut(BaseModel):
    """Every due time a case filed at `at` would get, and the policy that sets them."""

    policy: PreviewPolicy
    at: datetime
    provisional: bool
    clocks: list[PreviewClock]
    draft: PreviewDraft | SkipJsonSchema[None] = optional_key(
        "only when previewing a stored version (`policy_id` and `version`)"
    )


# --- policies --------------------------------------------------------------------------------


class PolicyMatchOut(BaseModel):
    """Which cases the policy is for; null matches any."""

    kind: str | None
    category: str | None
    priority: str | None
    channel: str | None
    seller: str | None = Field(description="shop code")


class ClockSpecOut(BaseModel):
    """One clock of a policy, every key as stored (a draft may leave the optional ones out)."""

    name: str
    party: str
    measure: str
    amount: int
    rule: str
    warn_share: float = Field(description="share of the span at which the warning falls")
    on_warning: list[str]
    on_breach: list[str]
    on_timeout: str
    window: tuple[int, int] = Field(description="working window, minutes after midnight")
    day_end: str
    roll_to_working_day: bool
    caps: list[tuple[str, int, str]] = Field(description="[measure, amount, rule] limits")


class PolicyVersionOut(BaseModel):
    """One version of a policy: a code default, a draft or a published one."""

    policy_id: str
    version: int
    source: str = Field(description="`code` (sla_defaults.py) or `table` (drafted here)")
    status: str = Field(description="`draft` or `published`")
    match: PolicyMatchOut
    clocks: list[ClockSpecOut]
    effective_from: datetime
    published_at: datetime | None
    published_by: int | None
    created_by: int | None
    created_at: datetime | None
    note: str
    in_force: bool | SkipJsonSchema[None] = optional_key(
        "in the list only: the version in force now"
    )
    scheduled: bool | SkipJsonSchema[None] = optional_key(
        "in the list only: published, in force from a later effective_from"
    )


class PolicyVersions(BaseModel):
    policy_id: str
    versions: list[PolicyVersionOut] = Field(description="oldest first")


class PolicyList(BaseModel):
    items: list[PolicyVersions]


# --- calendars and agreements ----------------------------------------------------------------


class CalendarOverrideOut(BaseModel):
    id: int
    calendar: str = Field(description="`platform`, `shop:<code>` or `team:<code>`")
    date: date
    working: bool
    hours: str
    note: str
    created_by: int
    created_at: datetime


class CalendarOverrideList(BaseModel):
    items: list[CalendarOverrideOut]


class CalendarOverrideAdded(BaseModel):
    """The override as sent, and its id."""

    id: int
    calendar: str
    date: date
    working: bool
    hours: str
    note: str


class AgreementOut(BaseModel):
    """A seller's agreement: terms better for the buyer than the platform's (null: none)."""

    shop: str
    version: int = Field(description="0: the shop has none")
    recorded_at: datetime | SkipJsonSchema[None] = optional_key(
        "when this version was recorded (not sent when there is none, nor by PUT)"
    )
    reply_within_hours: int | None
    warranty_months: int | None
    return_window_days: int | None
    complaint_acceptance_hours: int | None
    solution_working_days: int | None


# --- case clocks -----------------------------------------------------------------------------


class ClockPolicyRef(BaseModel):
    id: str
    version: int


class ClockBudget(BaseModel):
    amount: int
    measure: str


class CaseClockOut(BaseModel):
    """A deadline clock of a case, as it stands."""

    id: int
    clock: str
    party: str
    state: str = Field(description="`running`, `paused`, `met`, `breached` …")
    policy: ClockPolicyRef
    rule: str
    budget: ClockBudget
    started_at: datetime
    due_at: datetime
    warn_at: datetime
    paused_at: datetime | None
    pause_reason: str | None
    paused_total_s: int
    warned_at: datetime | None
    breached_at: datetime | None
    met_at: datetime | None
    provisional: bool
    calendar_facts: list[str]
    on_timeout: str


class CaseClocks(BaseModel):
    number: str
    due_at: datetime | None
    items: list[CaseClockOut]


class ClockList(BaseModel):
    """The clocks the request changed."""

    items: list[CaseClockOut]


class SuspensionEnds(BaseModel):
    resume_at: datetime = Field(description="the suspension may last until then (6 months)")


class ReviewRequested(BaseModel):
    status: str = Field(description="`requested`")
