"""The Case aggregate: filing, transitions, messages, notes, assignment and evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from kefu.domain import workflow
from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.events import (
    CaseAssigned,
    CaseEvent,
    CaseFiled,
    CategoryChanged,
    EvidenceAdded,
    MessagePosted,
    NoteAdded,
    StatusChanged,
)
from kefu.domain.types import (
    Actor,
    CaseKind,
    Category,
    Channel,
    FeedbackType,
    Priority,
    Role,
    Visibility,
)
from kefu.domain.workflow import Action, GuardInput, Status

MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_DESCRIPTION = 5000
MAX_MESSAGE = 5000
# Evidence size limits by content type, or by its major type ("image", "video").
DEFAULT_UPLOAD_LIMITS: dict[str, int] = {
    "image": 10 * 1024 * 1024,
    "application/pdf": 20 * 1024 * 1024,
    "video": 100 * 1024 * 1024,
}


def case_number(local_day: str, seq: int) -> str:
    """Readable case number: KF + yyyymmdd (Asia/Shanghai) + 6-digit daily sequence."""
    return f"KF{local_day}{seq:06d}"


def validate_contact(phone: str, email: str) -> list[FieldError]:
    """At least one valid contact: a Chinese mobile number or an email address."""
    errors: list[FieldError] = []
    phone = phone.replace(" ", "").replace("-", "")
    if phone and not MOBILE.match(phone):
        errors.append(
            FieldError(
                "contact_phone",
                "invalid_mobile",
                "手机号格式无效，应为 11 位中国大陆手机号",
                "not a valid mainland China mobile number (11 digits)",
            )
        )
    if email and not EMAIL.match(email):
        errors.append(
            FieldError(
                "contact_email", "invalid_email", "邮箱格式无效", "not a valid email address"
            )
        )
    if not phone and not email:
        errors.append(
            FieldError(
                "contact_phone",
                "contact_required",
                "请至少提供手机号或邮箱之一",
                "give a mobile number or an email",
            )
        )
    return errors


@dataclass
class Case:
    """A buyer's feedback, complaint, dispute or after-sales request and everything done with it."""

    id: int | None
    number: str
    kind: CaseKind
    channel: Channel
    category: Category
    priority: Priority
    status: Status
    buyer_id: int
    subject: str
    description: str
    created_at: datetime
    updated_at: datetime
    feedback_type: FeedbackType | None = None
    order_id: int | None = None
    order_no: str | None = None
    line_nos: tuple[int, ...] = ()
    shop_id: int | None = None
    assignee_id: int | None = None
    team_id: int | None = None
    contact_phone: str = ""
    contact_email: str = ""
    version: int = 1
    due_at: datetime | None = None
    first_response_at: datetime | None = None
    ended_at: datetime | None = None
    suspended_from: Status | None = None
    reject_reason: str = ""
    events: list[CaseEvent] = field(default_factory=list, repr=False)
    # (assignee, open) as last stored: saving compares it to keep each agent's open load exact.
    stored_load: tuple[int | None, bool] | None = field(default=None, compare=False, repr=False)

    @property
    def load_key(self) -> tuple[int | None, bool]:
        return (self.assignee_id, self.is_open)

    @property
    def is_open(self) -> bool:
        return self.status not in workflow.CLOSED_STATUSES

    def roles_of(self, actor: Actor) -> frozenset[Role]:
        """The actor's roles on this case (buyer/seller only if they are that party)."""
        return workflow.party_roles(
            actor,
            is_buyer=actor.user_id == self.buyer_id,
            is_seller=self.shop_id is not None and actor.shop_id == self.shop_id,
        )

    def allowed_actions(self, actor: Actor) -> list[Action]:
        return workflow.allowed_actions(self.kind, self.status, self.roles_of(actor))

    def record_filed(self, actor: Actor) -> None:
        self.events.append(
            CaseFiled(
                self.created_at,
                actor.user_id,
                actor.primary_role.value,
                number=self.number,
                case_kind=self.kind.value,
                channel=self.channel.value,
                description=self.description,
            )
        )

    def apply(
        self,
        actor: Actor,
        action: Action,
        params: dict[str, str],
        now: datetime,
        reopen_window: timedelta,
    ) -> workflow.Transition:
        """Fire an action: check the table and guard, move the status, record the change."""
        guard_input = GuardInput(self.status, params, now, self.ended_at, reopen_window)
        transition = workflow.resolve_transition(
            self.kind, self.status, action, self.roles_of(actor), guard_input
        )
        source = self.status
        if action is Action.SUSPEND:
            self.suspended_from = source
        if transition.target is None:
            target = self.suspended_from or workflow.LIFECYCLES[self.kind].initial
            self.suspended_from = None
        else:
            target = transition.target
        self.status = target
        if transition.ends_case:
            self.ended_at = now
        elif action is Action.REOPEN:
            self.ended_at = None
        if action is Action.REJECT:
            self.reject_reason = params.get("reason", "")
        self.updated_at = now
        clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
        self.events.append(
            StatusChanged(
                now,
                actor.user_id,
                actor.primary_role.value,
                action=action.value,
                from_status=source.value,
                to_status=target.value,
                params=clean,
            )
        )
        if actor.has(Role.SELLER, *workflow.HANDLERS) and self.first_response_at is None:
            self.first_response_at = now
        return transition

    def post(self, actor: Actor, text: str, visibility: Visibility, now: datetime) -> None:
        """Add a public message or (staff only, checked by the caller) an internal note."""
        text = text.strip()
        if not text:
            raise InvalidInput(
                [FieldError("body", "required", "内容不能为空", "must not be empty")]
            )
        if len(text) > MAX_MESSAGE:
            raise InvalidInput(
                [
                    FieldError(
                        "body",
                        "too_long",
                        f"不能超过 {MAX_MESSAGE} 个字符",
                        f"must be at most {MAX_MESSAGE} characters",
                    )
                ]
            )
        role = actor.primary_role.value
        if visibility is Visibility.INTERNAL:
            self.events.append(NoteAdded(now, actor.user_id, role, Visibility.INTERNAL, text=text))
        else:
            self.events.append(MessagePosted(now, actor.user_id, role, text=text))
            if actor.user_id != self.buyer_id and self.first_response_at is None:
                self.first_response_at = now
        self.updated_at = now

    def recategorize(self, actor: Actor, category: Category, now: datetime) -> None:
        """Correct the category; recorded for the timeline and as retraining data."""
        before, self.category, self.updated_at = self.category, category, now
        self.events.append(
            CategoryChanged(
                now,
                actor.user_id,
                actor.primary_role.value,
                from_category=before.value,
                to_category=category.value,
            )
        )

    def assign(
        self, actor: Actor, assignee_id: int | None, team_id: int | None, now: datetime
    ) -> None:
        self.assignee_id = assignee_id
        self.team_id = team_id
        self.updated_at = now
        self.events.append(
            CaseAssigned(
                now,
                actor.user_id,
                actor.primary_role.value,
                Visibility.INTERNAL,
                assignee_id=assignee_id,
                team_id=team_id,
            )
        )

    def record_evidence(
        self,
        actor: Actor,
        attachment_id: int,
        filename: str,
        content_type: str,
        sha256: str,
        size: int,
        now: datetime,
    ) -> None:
        self.updated_at = now
        self.events.append(
            EvidenceAdded(
                now,
                actor.user_id,
                actor.primary_role.value,
                attachment_id=attachment_id,
                filename=filename,
                content_type=content_type,
                sha256=sha256,
                size=size,
            )
        )
