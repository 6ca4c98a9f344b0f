"""People intents: create users, log in, issue API tokens, resolve a token to an actor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kefu.adapters.passwords import hash_password, new_token, token_hash, verify_password
from kefu.db.people import UserRecord
from kefu.domain import rbac
from kefu.domain.errors import FieldError, InvalidInput, NotFound
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor, Role
from kefu.services.unit_of_work import UnitOfWork

TEAM_NAMES = {
    "cs": "客服组 Customer service",
    "tech": "技术支持 Technical support",
    "compliance": "合规组 Compliance",
}


def create_user(
    uow: UnitOfWork,
    *,
    actor: Actor,
    username: str,
    password: str,
    roles: list[str],
    display_name: str = "",
    shop_code: str | None = None,
    team_codes: list[str] | None = None,
    buyer_ref: str | None = None,
    phone: str = "",
    email: str = "",
    now: datetime,
) -> UserRecord:
    """Create a user with roles, optional shop (sellers), teams (staff) and buyer reference."""
    rbac.require(actor, Permission.MANAGE_USERS)
    errors: list[FieldError] = []
    try:
        parsed = frozenset(Role(r) for r in roles)
    except ValueError:
        allowed = ", ".join(r.value for r in Role if r is not Role.SYSTEM)
        raise InvalidInput(
            [
                FieldError(
                    "roles",
                    "unknown_role",
                    f"未知角色；可用：{allowed}",
                    f"unknown role; allowed: {allowed}",
                )
            ]
        ) from None
    if not parsed or Role.SYSTEM in parsed:
        errors.append(FieldError("roles", "required", "至少需要一个角色", "at least one role"))
    if len(password) < 8:
        errors.append(
            FieldError(
                "password", "too_short", "密码至少 8 位", "password must have at least 8 characters"
            )
        )
    if Role.SELLER in parsed and not shop_code:
        errors.append(
            FieldError("shop", "required", "商家账号必须指定店铺", "a seller needs a shop")
        )
    if Role.BUYER in parsed and not buyer_ref:
        buyer_ref = username
    with uow:
        if uow.people.user_by_username(username) is not None:
            errors.append(FieldError("username", "taken", "用户名已存在", "username is taken"))
        if errors:
            raise InvalidInput(errors)
        shop_id = uow.people.ensure_shop(shop_code, shop_code, now) if shop_code else None
        user_id = uow.people.add_user(
            username=username,
            display_name=display_name or username,
            password_hash=hash_password(password),
            roles=parsed,
            shop_id=shop_id,
            buyer_ref=buyer_ref if Role.BUYER in parsed else None,
            phone=phone,
            email=email,
            now=now,
        )
        for code in team_codes or []:
            team_id = uow.people.ensure_team(code, TEAM_NAMES.get(code, code))
            uow.people.add_to_team(user_id, team_id)
        record = uow.people.user_by_id(user_id)
        uow.commit()
        return record


def authenticate(uow: UnitOfWork, *, username: str, password: str) -> UserRecord | None:
    """The active user with this username and password, or None (same answer for both faults)."""
    with uow:
        user = uow.people.user_by_username(username)
    if user is None or not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user


def issue_token(uow: UnitOfWork, *, username: str, name: str, now: datetime) -> str:
    """Create an API token for a user; the plain token is returned once and never stored."""
    with uow:
        user = uow.people.user_by_username(username)
        if user is None:
            raise InvalidInput([FieldError("username", "unknown", "没有该用户", "no such user")])
        token = new_token()
        uow.people.add_token(user.id, name, token_hash(token), token[:8], now)
        uow.commit()
        return token


def actor_for_token(uow: UnitOfWork, token: str) -> Actor | None:
    with uow:
        user = uow.people.user_by_token_hash(token_hash(token))
    return user.actor() if user and user.is_active else None


def actor_for_user_id(uow: UnitOfWork, user_id: int) -> Actor | None:
    with uow:
        try:
            user = uow.people.user_by_id(user_id)
        except NotFound:  # a deleted user simply has no session
            return None
    return user.actor() if user.is_active else None


def notifications_for(uow: UnitOfWork, *, actor: Actor) -> list[dict[str, Any]]:
    """The actor's latest in-app notices."""
    with uow:
        return uow.notifications.for_user(actor.user_id)


def register_shop(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    legal_name: str,
    address: str,
    phone: str,
    now: datetime,
) -> int:
    """Create a shop with the identity a case must be able to show (rule 22), if missing."""
    with uow:
        shop_id = uow.people.ensure_shop(
            code, name, now, legal_name=legal_name, address=address, phone=phone
        )
        uow.commit()
        return shop_id


def user_exists(uow: UnitOfWork, username: str) -> bool:
    with uow:
        return uow.people.user_by_username(username) is not None
