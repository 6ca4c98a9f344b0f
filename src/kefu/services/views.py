"""Read side for screens and the API: case detail with masking, queue pages, timelines."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kefu.db.cases import CaseFilter
from kefu.db.records import AttachmentRecord, TimelineEntry
from kefu.db.types import NO_DEADLINE
from kefu.domain import rbac
from kefu.domain.case import Case
from kefu.domain.errors import FieldError, InvalidInput
from kefu.domain.rbac import Permission
from kefu.domain.types import MAX_ROW_ID, Actor, Role
from kefu.domain.workflow import Action
from kefu.services.cases import load_visible
from kefu.services.unit_of_work import UnitOfWork

COUNT_CAP = 1000


@dataclass(frozen=True)
class CaseView:
    case: Case
    allowed_actions: list[Action]
    contact_phone: str
    contact_email: str
    order: dict[str, Any] | None
    shop: dict[str, str] | None
    team: str | None
    attachments: list[AttachmentRecord]
    timeline: list[TimelineEntry]
    masked: bool


def get_case_view(uow: UnitOfWork, *, actor: Actor, number: str, now: datetime) -> CaseView:
    """Everything one screen shows about a case, masked for the viewer; staff access is logged."""
    rbac.require(actor, Permission.VIEW_CASE)
    with uow:
        case = load_visible(uow, actor, number)
        assert case.id is not None
        full = rbac.sees_full_pii(actor, buyer_id=case.buyer_id)
        order_view = None
        if case.order_id is not None:
            stored = uow.orders.get(case.order_id)
            o = stored.order
            order_view = (o if full else o.masked()).as_dict()
        shop_view = None
        if case.shop_id is not None:
            shop = uow.people.shop_by_id(case.shop_id)
            shop_view = {
                "code": shop.code,
                "name": shop.name,
                "legal_name": shop.legal_name,
                "address": shop.address,
                "phone": shop.phone,
            }
        entries = uow.records.timeline(case.id, include_internal=actor.is_staff)
        attachments = uow.records.attachments_for(case.id)
        view = CaseView(
            case=case,
            allowed_actions=case.allowed_actions(actor),
            contact_phone=case.contact_phone if full else rbac.mask_phone(case.contact_phone),
            contact_email=case.contact_email
            if full or not case.contact_email
            else rbac.mask_email(case.contact_email),
            order=order_view,
            shop=shop_view,
            team=uow.people.team_code(case.team_id) if case.team_id is not None else None,
            attachments=attachments,
            timeline=entries,
            masked=not full,
        )
        if full and actor.user_id != case.buyer_id:
            # PIPL: record who saw a buyer's personal data, when, and for which case.
            uow.records.log_pii_access(
                actor_id=actor.user_id,
                case_id=case.id,
                order_id=case.order_id,
                fields="contact_phone,contact_email,buyer_name,buyer_phone,buyer_address",
                purpose="case_view",
                now=now,
            )
            uow.commit()
        return view


def case_labels(uow: UnitOfWork, case: Case) -> tuple[str | None, str | None]:
    """The codes of the case's shop and team, which replies to a write name beside the case."""
    with uow:
        shop = uow.people.shop_by_id(case.shop_id).code if case.shop_id is not None else None
        team = uow.people.team_code(case.team_id) if case.team_id is not None else None
    return shop, team


def reply_contact(actor: Actor, case: Case) -> tuple[str, str]:
    """Contact details as a reply to a write shows them: in full to the buyer only. Staff open
    the case to see them in full, which records the access (PIPL); sellers never do."""
    if actor.user_id == case.buyer_id:
        return case.contact_phone, case.contact_email
    email = rbac.mask_email(case.contact_email) if case.contact_email else ""
    return rbac.mask_phone(case.contact_phone), email


@dataclass(frozen=True)
class ListQuery:
    status: str | None = None
    kind: str | None = None
    category: str | None = None
    priority: str | None = None
    team: str | None = None
    assignee: str | None = None
    seller: str | None = None
    open_only: bool | None = None
    overdue: bool = False
    cursor: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One queue row as displayed: enum values as their strings, contact details as seen."""

    id: int
    number: str
    kind: str
    feedback_type: str | None
    channel: str
    category: str
    priority: str
    status: str
    version: int
    subject: str
    description: str
    order_no: str | None
    line_nos: tuple[int, ...]
    assignee_id: int | None
    contact_phone: str
    contact_email: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    ended_at: datetime | None
    reject_reason: str


def _queue_item(r: Mapping[Any, Any], *, masked: bool) -> QueueItem:
    phone, email, due = r["contact_phone"], r["contact_email"], r["due_at"]
    return QueueItem(
        r["id"],
        r["number"],
        r["kind"],
        r["feedback_type"],
        r["channel"],
        r["category"],
        r["priority"],
        r["status"],
        r["version"],
        r["subject"],
        r["description"],
        r["order_no"],
        tuple(int(n) for n in r["line_nos"].split(",") if n),
        r["assignee_id"],
        rbac.mask_phone(phone) if masked else phone,
        rbac.mask_email(email) if masked and email else email,
        r["created_at"],
        r["updated_at"],
        None if due == NO_DEADLINE else due,
        r["first_response_at"],
        r["ended_at"],
        r["reject_reason"],
    )


def case_item(case: Case) -> QueueItem:
    """A loaded case as a queue row, contact details as stored."""
    assert case.id is not None
    return QueueItem(
        case.id,
        case.number,
        case.kind.value,
        case.feedback_type.value if case.feedback_type else None,
        case.channel.value,
        case.category.value,
        case.priority.value,
        case.status.value,
        case.version,
        case.subject,
        case.description,
        case.order_no,
        case.line_nos,
        case.assignee_id,
        case.contact_phone,
        case.contact_email,
        case.created_at,
        case.updated_at,
        case.due_at,
        case.first_response_at,
        case.ended_at,
        case.reject_reason,
    )


@dataclass(frozen=True)
class CasePage:
    items: list[QueueItem]
    next_cursor: str | None
    count: int
    count_capped: bool = field(default=False)


def encode_cursor(due: datetime, case_id: int) -> str:
    return base64.urlsafe_b64encode(f"{due.isoformat()}|{case_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        due_s, id_s = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        due = datetime.fromisoformat(due_s)
        if due.tzinfo is None:
            raise ValueError("naive")
        case_id = int(id_s)
        # A forged cursor reaches the database: its time must have a UTC value (the no-deadline
        # sentinel in year 9999 does) and its id must fit the id column.
        if not 0 <= case_id <= MAX_ROW_ID:
            raise ValueError("id out of range")
        return due.astimezone(UTC), case_id
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise InvalidInput(
            [FieldError("cursor", "invalid", "分页游标无效", "invalid cursor")]
        ) from exc


def list_cases(uow: UnitOfWork, *, actor: Actor, query: ListQuery, now: datetime) -> CasePage:
    """One queue page sorted by due time, limited to what the actor may see."""
    rbac.require(actor, Permission.LIST_CASES)
    with uow:
        scope = rbac.case_scope(actor)
        team_id = assignee_id = shop_id = None
        if query.team:
            team_id = uow.people.team_by_code(query.team) or -1
        if query.assignee:
            user = uow.people.user_by_username(query.assignee)
            assignee_id = user.id if user else -1
        if query.seller:
            shop = uow.people.shop_by_code(query.seller)
            shop_id = shop.id if shop else -1
        f = CaseFilter(
            status=query.status,
            kind=query.kind,
            category=query.category,
            priority=query.priority,
            team_id=team_id,
            assignee_id=assignee_id,
            shop_id=shop_id,
            open_only=query.open_only,
            overdue_at=now if query.overdue else None,
            scope_buyer_id=scope.buyer_id,
            scope_shop_id=scope.shop_id,
            scope_team_ids=scope.team_ids,
            scope_user_id=scope.user_id,
        )
        after = decode_cursor(query.cursor) if query.cursor else None
        rows = uow.cases.page(f, after=after, limit=query.limit + 1)
        next_cursor = None
        if len(rows) > query.limit:
            rows = rows[: query.limit]
            next_cursor = encode_cursor(rows[-1]["due_at"], rows[-1]["id"])
        count = uow.cases.count_capped(f, COUNT_CAP + 1)
        # Queues never need a buyer's contact details: everyone but the buyer sees them masked
        # here, and staff reveal them by opening the case, which records the access (PIPL).
        items = [_queue_item(r, masked=r["buyer_id"] != actor.user_id) for r in rows]
        return CasePage(items, next_cursor, min(count, COUNT_CAP), count > COUNT_CAP)


def case_timeline(
    uow: UnitOfWork, *, actor: Actor, number: str, after_id: int = 0
) -> list[TimelineEntry]:
    """The case's timeline as the actor may see it (no internal notes for buyers and sellers)."""
    rbac.require(actor, Permission.VIEW_CASE)
    with uow:
        case = load_visible(uow, actor, number)
        assert case.id is not None
        return uow.records.timeline(case.id, include_internal=actor.is_staff, after_id=after_id)


@dataclass(frozen=True)
class AssignOptions:
    """What the case page's assign form offers: team codes and assignable staff."""

    teams: list[str]
    staff: list[dict[str, Any]]  # {username, display_name, teams}
    current_team: str | None
    current_assignee: str | None


def assign_options(
    uow: UnitOfWork, *, actor: Actor, team_id: int | None, assignee_id: int | None
) -> AssignOptions:
    """Teams and people the actor may assign a case to (agents: their own teams, their team
    mates, supervisors and admins); the service still decides on submit."""
    rbac.require(actor, Permission.ASSIGN_CASE)
    with uow:
        codes = uow.people.team_codes()
        everywhere = rbac.can(actor, Permission.SEE_ALL_CASES)
        team_ids = set(codes) if everywhere else set(actor.team_ids) & set(codes)
        staff = []
        for user in uow.people.staff_directory(rbac.ASSIGNABLE_ROLES):
            if everywhere or user.team_ids & team_ids or not user.roles.isdisjoint(_LEADS):
                teams = sorted(codes[t] for t in user.team_ids if t in codes)
                staff.append(
                    {"username": user.username, "display_name": user.display_name, "teams": teams}
                )
        current = uow.people.user_by_id(assignee_id).username if assignee_id else None
        return AssignOptions(
            teams=sorted(codes[t] for t in team_ids),
            staff=staff,
            current_team=codes.get(team_id) if team_id is not None else None,
            current_assignee=current,
        )


_LEADS = frozenset({Role.SUPERVISOR, Role.ADMIN})  # assignable in any team (cases.assign_case)
