"""Role x permission matrix, object-level ownership and masking."""

from __future__ import annotations

import pytest

from kefu.domain import rbac
from kefu.domain.errors import PermissionDenied
from kefu.domain.rbac import Permission
from kefu.domain.types import Actor, Role

B, S, A, T, SV, AD = (
    Role.BUYER,
    Role.SELLER,
    Role.AGENT,
    Role.TECH_SUPPORT,
    Role.SUPERVISOR,
    Role.ADMIN,
)

MATRIX = {
    Permission.IMPORT_ORDERS: {S, AD},
    Permission.FILE_CASE: {B},
    Permission.FILE_ON_BEHALF: {A, T, SV, AD},
    Permission.POST_NOTE: {A, T, SV, AD},
    Permission.ASSIGN_CASE: {A, T, SV, AD},
    Permission.SEE_ALL_CASES: {SV, AD},
    Permission.SEE_FULL_PII: {A, T, SV, AD},
    Permission.MANAGE_USERS: {AD},
    Permission.VIEW_CASE: {B, S, A, T, SV, AD},
    Permission.MANAGE_MAIL: {SV, AD},
}


@pytest.mark.parametrize("permission", list(MATRIX))
@pytest.mark.parametrize("role", [B, S, A, T, SV, AD])
def test_role_permission_matrix(permission: Permission, role: Role) -> None:
    actor = Actor(1, frozenset({role}))
    expected = role in MATRIX[permission]
    assert rbac.can(actor, permission) is expected
    if not expected:
        with pytest.raises(PermissionDenied):
            rbac.require(actor, permission)


CASE = {"buyer_id": 10, "shop_id": 5, "team_id": 7, "assignee_id": 20}


@pytest.mark.parametrize(
    ("actor", "visible"),
    [
        (Actor(10, frozenset({B})), True),
        (Actor(11, frozenset({B})), False),
        (Actor(30, frozenset({S}), shop_id=5), True),
        (Actor(31, frozenset({S}), shop_id=6), False),
        (Actor(31, frozenset({S})), False),
        (Actor(20, frozenset({A})), True),  # assignee, whatever the team
        (Actor(21, frozenset({A}), team_ids=frozenset({7})), True),
        (Actor(22, frozenset({A}), team_ids=frozenset({8})), False),
        (Actor(23, frozenset({T}), team_ids=frozenset({7})), True),
        (Actor(40, frozenset({SV})), True),
        (Actor(41, frozenset({AD})), True),
    ],
)
def test_object_level_case_visibility(actor: Actor, visible: bool) -> None:
    assert rbac.can_view_case(actor, **CASE) is visible


@pytest.mark.parametrize(
    ("fn", "raw", "masked"),
    [
        (rbac.mask_phone, "13812345678", "138****5678"),
        (rbac.mask_phone, "+8613812345678", "+86****5678"),
        (rbac.mask_phone, "12345", "*****"),
        (rbac.mask_name, "刘洋", "刘*"),
        (rbac.mask_name, "欧阳娜娜", "欧***"),
        (rbac.mask_address, "北京市朝阳区建国路 88 号", "北京市朝阳区****"),
        (rbac.mask_email, "liuyang@example.com", "l***@example.com"),
    ],
)
def test_masking(fn, raw: str, masked: str) -> None:  # type: ignore[no-untyped-def]
    assert fn(raw) == masked


def test_full_pii_only_for_the_buyer_and_staff() -> None:
    assert rbac.sees_full_pii(Actor(10, frozenset({B})), buyer_id=10)
    assert not rbac.sees_full_pii(Actor(11, frozenset({B})), buyer_id=10)
    assert not rbac.sees_full_pii(Actor(30, frozenset({S}), shop_id=5), buyer_id=10)
    assert rbac.sees_full_pii(Actor(20, frozenset({A})), buyer_id=10)


@pytest.mark.parametrize(
    ("actor", "username", "allowed"),
    [
        (Actor(1, frozenset({A}), "agent1"), "agent1", True),  # clocks in and out
        (Actor(1, frozenset({A}), "agent1"), "agent2", False),
        (Actor(2, frozenset({T}), "tech1"), "tech1", True),
        (Actor(3, frozenset({SV}), "sup"), "agent2", True),
        (Actor(4, frozenset({AD}), "admin"), "agent2", True),
        (Actor(5, frozenset({B}), "buyer1"), "buyer1", False),  # buyers keep no shifts
        (Actor(6, frozenset({S}), "seller1"), "seller1", False),
        (Actor(7, frozenset({A}), ""), "", False),  # no name, no self
    ],
)
def test_who_may_set_whose_duty(actor: Actor, username: str, allowed: bool) -> None:
    assert rbac.can_set_duty(actor, username) is allowed
