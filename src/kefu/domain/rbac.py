"""Who may do what: role permissions, object-level ownership and personal-data masking."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from kefu.domain.errors import PermissionDenied
from kefu.domain.types import Actor, Role
from kefu.domain.workflow import AD, STAFF, SV, SYS, A, B, S, T

# Who may be the assignee of a case, and who keeps duty shifts that auto-assignment reads.
ASSIGNABLE_ROLES = frozenset({A, T, SV, AD})
ON_DUTY_ROLES = frozenset({A, T, SV})


class Permission(StrEnum):
    IMPORT_ORDERS = "import_orders"
    VIEW_ORDER = "view_order"
    FILE_CASE = "file_case"
    FILE_ON_BEHALF = "file_on_behalf"  # phone/email intake by an agent
    LIST_CASES = "list_cases"
    VIEW_CASE = "view_case"
    POST_MESSAGE = "post_message"
    POST_NOTE = "post_note"
    ADD_EVIDENCE = "add_evidence"
    ACT_ON_CASE = "act_on_case"
    ASSIGN_CASE = "assign_case"
    SEE_ALL_CASES = "see_all_cases"
    SEE_FULL_PII = "see_full_pii"
    MANAGE_USERS = "manage_users"
    LOG_CALL = "log_call"  # phone channel: an agent records a call as a case
    START_CHAT = "start_chat"  # chat channel: a buyer opens a live conversation
    HANDLE_CHAT = "handle_chat"  # chat channel: staff see waiting chats, join, turn them into cases
    PREVIEW_SLA = "preview_sla"  # deadlines a case filed now would get
    VIEW_CALENDARS = "view_calendars"
    MANAGE_CALENDARS = "manage_calendars"  # calendar overrides (extra holidays, working days)
    MANAGE_AGREEMENTS = "manage_agreements"  # record a seller's service agreement (seed 002)
    MANAGE_SLA_POLICIES = "manage_sla_policies"  # draft and publish SLA policy versions
    PAUSE_CLOCKS = "pause_clocks"  # waiting on the buyer, lab testing …
    REQUEST_REVIEW = "request_review"  # human review of an automatic decision (PIPL 24)
    VIEW_SCREENING = "view_screening"  # the verdict, rule trail and classifier evidence
    RECATEGORIZE = "recategorize"  # correct the category screening chose
    EXPORT_OVERRIDES = "export_overrides"  # category corrections as retraining data
    REVIEW_BUYER_FLAGS = "review_buyer_flags"  # buyers with repeated rejected cases
    MANAGE_AVAILABILITY = "manage_availability"  # who is on duty, shifts (auto-assignment)
    MANAGE_MAIL = "manage_mail"  # see failing mail; take it in again, send a reply again


_EVERYONE = {B, S, A, T, SV, AD, SYS}

ROLE_PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.IMPORT_ORDERS: frozenset({S, AD, SYS}),
    Permission.VIEW_ORDER: frozenset(_EVERYONE),
    Permission.FILE_CASE: frozenset({B}),
    Permission.FILE_ON_BEHALF: frozenset({A, T, SV, AD}),
    Permission.LIST_CASES: frozenset(_EVERYONE),
    Permission.VIEW_CASE: frozenset(_EVERYONE),
    Permission.POST_MESSAGE: frozenset(_EVERYONE),
    Permission.POST_NOTE: STAFF,
    Permission.ADD_EVIDENCE: frozenset(_EVERYONE),
    Permission.ACT_ON_CASE: frozenset(_EVERYONE),
    Permission.ASSIGN_CASE: frozenset({A, T, SV, AD, SYS}),
    Permission.SEE_ALL_CASES: frozenset({SV, AD, SYS}),
    Permission.SEE_FULL_PII: STAFF,
    Permission.MANAGE_USERS: frozenset({AD, SYS}),
    Permission.LOG_CALL: frozenset({A, T, SV, AD}),
    Permission.START_CHAT: frozenset({B}),
    Permission.HANDLE_CHAT: frozenset({A, T, SV, AD}),
    Permission.PREVIEW_SLA: frozenset({A, T, SV, AD, SYS}),
    Permission.VIEW_CALENDARS: frozenset({A, T, SV, AD, SYS}),
    Permission.MANAGE_CALENDARS: frozenset({AD, SYS}),
    Permission.MANAGE_AGREEMENTS: frozenset({AD, SYS}),
    Permission.MANAGE_SLA_POLICIES: frozenset({AD, SYS}),
    Permission.PAUSE_CLOCKS: frozenset({A, T, SV, AD, SYS}),
    Permission.REQUEST_REVIEW: frozenset({B}),
    Permission.VIEW_SCREENING: frozenset({A, T, SV, AD, SYS}),
    Permission.RECATEGORIZE: frozenset({A, T, SV, AD}),
    Permission.EXPORT_OVERRIDES: frozenset({SV, AD}),
    Permission.REVIEW_BUYER_FLAGS: frozenset({SV, AD}),
    Permission.MANAGE_AVAILABILITY: frozenset({SV, AD}),
    Permission.MANAGE_MAIL: frozenset({SV, AD, SYS}),
}


def can(actor: Actor, permission: Permission) -> bool:
    return bool(actor.roles & ROLE_PERMISSIONS[permission])


def require(actor: Actor, permission: Permission) -> None:
    """Raise PermissionDenied unless one of the actor's roles grants the permission."""
    if not can(actor, permission):
        raise PermissionDenied(
            f"当前角色无权限：{permission.value}",
            f"your role lacks the permission {permission.value}",
        )


def can_set_duty(actor: Actor, username: str) -> bool:
    """Supervisors and admins set anyone's duty and shift; staff who keep shifts clock
    themselves in and out (auto-assignment must never wait for a supervisor to notice)."""
    if can(actor, Permission.MANAGE_AVAILABILITY):
        return True
    return bool(username) and username == actor.username and bool(actor.roles & ON_DUTY_ROLES)


def can_view_case(
    actor: Actor,
    *,
    buyer_id: int,
    shop_id: int | None,
    team_id: int | None,
    assignee_id: int | None,
) -> bool:
    """Object-level access: own cases for buyers, own shop for sellers, own team for agents."""
    if can(actor, Permission.SEE_ALL_CASES):
        return True
    if Role.BUYER in actor.roles and actor.user_id == buyer_id:
        return True
    if Role.SELLER in actor.roles and shop_id is not None and actor.shop_id == shop_id:
        return True
    if actor.has(Role.AGENT, Role.TECH_SUPPORT):
        return assignee_id == actor.user_id or (team_id is not None and team_id in actor.team_ids)
    return False


def can_view_order(actor: Actor, *, buyer_ref: str, shop_id: int | None) -> bool:
    if actor.is_staff:
        return True
    if Role.BUYER in actor.roles and actor.buyer_ref and actor.buyer_ref == buyer_ref:
        return True
    return Role.SELLER in actor.roles and shop_id is not None and actor.shop_id == shop_id


def sees_full_pii(actor: Actor, *, buyer_id: int) -> bool:
    """Buyers see their own data; staff see it in full (and the access is logged)."""
    return actor.user_id == buyer_id or can(actor, Permission.SEE_FULL_PII)


def mask_phone(phone: str) -> str:
    """138****5678: keep the first three and last four digits."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def mask_name(name: str) -> str:
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_address(address: str) -> str:
    """Keep the region (first six characters), hide the street and number."""
    address = address.strip()
    return address[:6] + "****" if len(address) > 6 else "****" if address else ""


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return (local[:1] or "*") + "***@" + domain


@dataclass(frozen=True)
class CaseScope:
    """Which cases a list (queue, search) may show at all; every field None means all."""

    buyer_id: int | None = None
    shop_id: int | None = None
    team_ids: tuple[int, ...] | None = None
    user_id: int | None = None  # with team_ids: also the cases assigned to this person


def case_scope(actor: Actor) -> CaseScope:
    """Buyers their own cases, sellers their shop's, agents and tech support their teams' and
    their own assignments, supervisors and admins all."""
    if can(actor, Permission.SEE_ALL_CASES):
        return CaseScope()
    if actor.has(Role.AGENT, Role.TECH_SUPPORT):
        return CaseScope(team_ids=tuple(sorted(actor.team_ids)), user_id=actor.user_id)
    if Role.SELLER in actor.roles and actor.shop_id is not None:
        return CaseScope(shop_id=actor.shop_id)
    return CaseScope(buyer_id=actor.user_id)
