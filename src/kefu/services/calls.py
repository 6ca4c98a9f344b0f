"""Phone intent: an agent logs a call as a case (channel phone) with the call's details kept."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from kefu.domain import rbac
from kefu.domain.case import Case
from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.events import SystemAction
from kefu.domain.rbac import Permission
from kefu.domain.types import (
    Actor,
    CaseKind,
    Category,
    Channel,
    FeedbackType,
    Priority,
    Visibility,
)
from kefu.services.cases import FileCaseInput, file_case
from kefu.services.channel_filing import buyer_for_contact
from kefu.services.policy import CasePolicy
from kefu.services.unit_of_work import UnitOfWork

_NUMBER = re.compile(r"^\+?[0-9][0-9 -]{4,30}$")
MAX_CALL_SECONDS = 24 * 3600
# file_case speaks of case fields; a call form knows them under these names.
_FIELD_NAMES = {"contact_phone": "caller_number", "description": "notes"}


@dataclass(frozen=True)
class CallInput:
    caller_number: str
    started_at: datetime
    duration_s: int
    notes: str
    caller_name: str = ""
    direction: str = "inbound"
    subject: str = ""
    order_no: str | None = None
    kind: CaseKind | None = None
    feedback_type: FeedbackType | None = None
    category: Category | None = None
    priority: Priority | None = None


@dataclass(frozen=True)
class LoggedCall:
    case: Case
    call_id: int
    created: bool


def _check(call: CallInput, now: datetime) -> list[FieldError]:
    errors = []
    if not _NUMBER.match(call.caller_number.strip()):
        errors.append(
            FieldError("caller_number", "invalid", "来电号码格式无效", "not a valid phone number")
        )
    if call.direction not in ("inbound", "outbound"):
        errors.append(
            FieldError(
                "direction", "invalid", "方向须为 inbound 或 outbound", "inbound or outbound"
            )
        )
    if call.started_at.tzinfo is None:
        errors.append(
            FieldError(
                "started_at", "naive", "时间须带时区，例如 +08:00", "needs a UTC offset (+08:00)"
            )
        )
    elif call.started_at > now + timedelta(minutes=5):
        errors.append(
            FieldError("started_at", "future", "通话时间不能在将来", "must not be in the future")
        )
    if not 0 <= call.duration_s <= MAX_CALL_SECONDS:
        errors.append(
            FieldError(
                "duration_s", "out_of_range", "通话时长须在 0 到 86400 秒之间", "0 to 86400 seconds"
            )
        )
    return errors


def _case_input(call: CallInput) -> FileCaseInput:
    kind = call.kind or (CaseKind.COMPLAINT if call.order_no else CaseKind.FEEDBACK)
    notes = call.notes.strip()
    subject = call.subject.strip() or f"电话 · {(notes.splitlines() or [''])[0][:40]}"
    feedback_type = call.feedback_type
    if kind is CaseKind.FEEDBACK and feedback_type is None:
        feedback_type = FeedbackType.REPORT
    return FileCaseInput(
        kind=kind,
        channel=Channel.PHONE,
        subject=subject,
        description=notes,
        order_no=call.order_no or None,
        contact_phone=call.caller_number.replace(" ", "").replace("-", ""),
        category=call.category,
        priority=call.priority,
        feedback_type=feedback_type,
    )


def _renamed(errors: Sequence[FieldError]) -> list[FieldError]:
    return [replace(e, field=_FIELD_NAMES.get(e.field, e.field)) for e in errors]


def log_call(
    uow: UnitOfWork,
    *,
    actor: Actor,
    call: CallInput,
    now: datetime,
    policy: CasePolicy,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> LoggedCall:
    """Staff only. With an order the agent files on the buyer's behalf; without one the caller
    (found or created by number) files feedback. The call row and a staff-only timeline entry
    follow in a second transaction; a retried Idempotency-Key completes a half-done call."""
    rbac.require(actor, Permission.LOG_CALL)
    errors = _check(call, now)
    data = _case_input(call)
    if errors:
        raise InvalidInput(errors)
    filer = actor
    if not data.order_no:
        with uow:
            buyer = buyer_for_contact(
                uow, phone=data.contact_phone, display_name=call.caller_name, now=now
            )
            uow.commit()
        filer = buyer.actor()
    try:
        filed = file_case(
            uow,
            actor=filer,
            data=data,
            now=now,
            policy=policy,
            idempotency_key=f"call:{actor.user_id}:{idempotency_key}" if idempotency_key else None,
            request_hash=request_hash,
        )
    except InvalidInput as exc:
        raise InvalidInput(_renamed(exc.fields)) from None
    with uow:
        case = uow.cases.get(filed.case.id)  # type: ignore[arg-type]
        assert case.id is not None
        earlier = uow.channels.calls.for_case(case.id)
        if earlier and not filed.created:
            return LoggedCall(case, int(earlier[0]["id"]), False)
        call_id = uow.channels.calls.add(
            case_id=case.id,
            logged_by=actor.user_id,
            caller_name=call.caller_name.strip()[:100],
            caller_number=call.caller_number.strip()[:32],
            direction=call.direction,
            started_at=call.started_at,
            duration_s=call.duration_s,
            notes=call.notes.strip(),
            created_at=now,
        )
        minutes, seconds = divmod(call.duration_s, 60)
        way = "来电" if call.direction == "inbound" else "去电"
        case.events.append(
            SystemAction(
                now,
                actor.user_id,
                actor.primary_role.value,
                Visibility.INTERNAL,
                what=f"通话记录 {way} {minutes}分{seconds:02d}秒 / call logged ({call.direction}, "
                f"{call.duration_s} s) · {call.caller_name or call.caller_number}",
                details={
                    "call_id": call_id,
                    "direction": call.direction,
                    "started_at": call.started_at.isoformat(),
                    "duration_s": call.duration_s,
                    "caller_number": call.caller_number,
                },
            )
        )
        uow.touch_case(case)
        uow.commit()
        return LoggedCall(case, call_id, filed.created)
