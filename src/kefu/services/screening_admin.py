"""Intents around screening: read a verdict, correct a category, export corrections, review
flagged buyers, and say who is on duty for auto-assignment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.domain import rbac
from kefu.domain.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    VersionConflict,
)
from kefu.domain.rbac import Permission
from kefu.domain.routing import parse_shift_time
from kefu.domain.screening import FlagStatus
from kefu.domain.types import Actor, Category, Role
from kefu.services.cases import load_visible
from kefu.services.unit_of_work import UnitOfWork


def screening_of(uow: UnitOfWork, *, actor: Actor, number: str) -> dict[str, Any]:
    """The verdict with its rule trail; the words as written only for supervisors and admins."""
    rbac.require(actor, Permission.VIEW_SCREENING)
    with uow:
        case = load_visible(uow, actor, number)
        assert case.id is not None
        found = uow.intake.screening(case.id)
        if found is None:
            raise NotFound("审核记录 screening", number)
        duplicate_of = found.pop("duplicate_of")
        found["duplicate_of"] = uow.cases.get(duplicate_of).number if duplicate_of else None
        if not actor.has(Role.SUPERVISOR, Role.ADMIN):
            found.pop("original_subject")
            found.pop("original_description")
        found.pop("case_id")
        found["number"] = number
        return found


def recategorize(
    uow: UnitOfWork,
    *,
    actor: Actor,
    number: str,
    category: Category,
    expected_version: int,
    now: datetime,
) -> int:
    """Correct the category (version-checked); the correction is kept for retraining."""
    rbac.require(actor, Permission.RECATEGORIZE)
    with uow:
        case = load_visible(uow, actor, number)
        assert case.id is not None
        if case.version != expected_version:
            raise VersionConflict(expected_version, case.version)
        screened = uow.intake.screening(case.id)
        model_category = (screened or {}).get("model_category") or case.category.value
        before = case.category
        case.recategorize(actor, category, now)
        uow.save_case(case, expected_version)
        uow.intake.add_override(
            {
                "case_id": case.id,
                "from_category": before.value,
                "to_category": category.value,
                "model_category": model_category,
                "text": f"{case.subject}\n{case.description}",
                "actor_id": actor.user_id,
                "at": now,
            }
        )
        uow.commit()
        return case.version


def export_overrides(
    uow: UnitOfWork, *, actor: Actor, after_id: int = 0, limit: int = 1000
) -> list[dict[str, Any]]:
    """Corrections in id order as {id, text, label, was, model, at}: training lines as-is."""
    rbac.require(actor, Permission.EXPORT_OVERRIDES)
    with uow:
        return [
            {
                "id": r["id"],
                "text": r["text"],
                "label": r["to_category"],
                "was": r["from_category"],
                "model": r["model_category"],
                "at": r["at"].isoformat(),
            }
            for r in uow.intake.overrides(after_id=after_id, limit=limit)
        ]


def buyer_flags(
    uow: UnitOfWork, *, actor: Actor, status: FlagStatus | None
) -> list[dict[str, Any]]:
    rbac.require(actor, Permission.REVIEW_BUYER_FLAGS)
    with uow:
        return uow.intake.flags(status=status)


def review_buyer_flag(
    uow: UnitOfWork, *, actor: Actor, flag_id: int, decision: FlagStatus, now: datetime
) -> None:
    """Close a flag as cleared (the complaints were fair) or confirmed (malicious)."""
    rbac.require(actor, Permission.REVIEW_BUYER_FLAGS)
    if decision is FlagStatus.OPEN:
        raise InvalidInput(
            [
                FieldError(
                    "decision",
                    "invalid",
                    "复核结论只能是 cleared（无恶意）或 confirmed（确认恶意）",
                    "decision must be cleared or confirmed",
                )
            ]
        )
    with uow:
        if not uow.intake.review_flag(flag_id, reviewer_id=actor.user_id, status=decision, now=now):
            raise NotFound("待复核标记 open flag", flag_id)
        uow.commit()


def flags_for_review(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Open flags, newest first, each with the buyer's username and display name (console)."""
    rbac.require(actor, Permission.REVIEW_BUYER_FLAGS)
    with uow:
        found = uow.intake.flags(status=FlagStatus.OPEN)
        buyers = uow.people.users_by_ids(f["buyer_id"] for f in found)
        for flag in found:
            buyer = buyers[flag["buyer_id"]]
            flag["buyer_username"], flag["buyer_name"] = buyer.username, buyer.display_name
        return found


def set_availability(
    uow: UnitOfWork,
    *,
    actor: Actor,
    username: str,
    on_duty: bool,
    shift_start: str,
    shift_end: str,
    working_days_only: bool,
) -> dict[str, Any]:
    """Record who takes new cases and when: supervisors and admins for anyone, staff who keep
    shifts for themselves (`rbac.can_set_duty`)."""
    if not rbac.can_set_duty(actor, username):
        raise PermissionDenied(
            "只能设置自己的值班状态（主管和管理员可设置所有人）",
            "you may set only your own duty status (supervisors and admins set anyone's)",
        )
    return _store_availability(
        uow,
        username=username,
        on_duty=on_duty,
        shift_start=shift_start,
        shift_end=shift_end,
        working_days_only=working_days_only,
    )


def duty_roster(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """Who is on duty and when: everyone who keeps shifts for supervisors and admins, else the
    actor alone; someone never set up is shown off duty."""
    manages = rbac.can(actor, Permission.MANAGE_AVAILABILITY)
    if not manages and not actor.roles & rbac.ON_DUTY_ROLES:
        raise PermissionDenied("只有客服人员有值班状态", "only staff keep duty status")
    with uow:
        if manages:
            people = uow.people.staff_directory(rbac.ON_DUTY_ROLES)
        else:
            people = [uow.people.user_by_id(actor.user_id)]
        codes = uow.people.team_codes()
        duty = uow.intake.availabilities(u.id for u in people)
        roster = []
        for user in people:
            found = duty.get(user.id, {})
            roster.append(
                {
                    "username": user.username,
                    "display_name": user.display_name,
                    "teams": sorted(codes[t] for t in user.team_ids if t in codes),
                    "set_up": bool(found),
                    "on_duty": bool(found.get("on_duty", False)),
                    "shift_start": found.get("shift_start", "09:00"),
                    "shift_end": found.get("shift_end", "18:00"),
                    "working_days_only": bool(found.get("working_days_only", True)),
                    "open_assigned": int(found.get("open_assigned", 0)),
                }
            )
        return sorted(roster, key=lambda r: r["username"])


def _store_availability(
    uow: UnitOfWork,
    *,
    username: str,
    on_duty: bool,
    shift_start: str,
    shift_end: str,
    working_days_only: bool,
) -> dict[str, Any]:
    errors = []
    for name, raw in (("shift_start", shift_start), ("shift_end", shift_end)):
        try:
            parse_shift_time(raw)
        except ValueError:
            errors.append(
                FieldError(name, "invalid_time", "时间格式应为 HH:MM", "time must be HH:MM")
            )
    with uow:
        user = uow.people.user_by_username(username)
        if user is None or not user.roles & rbac.ON_DUTY_ROLES:
            errors.append(
                FieldError("username", "unknown", f"没有客服 {username}", f"no staff {username}")
            )
        if errors:
            raise InvalidInput(errors)
        assert user is not None
        uow.intake.set_availability(
            user.id,
            on_duty=on_duty,
            shift_start=shift_start,
            shift_end=shift_end,
            working_days_only=working_days_only,
        )
        found = uow.intake.availability(user.id)
        uow.commit()
        assert found is not None
        return {**found, "username": username}
