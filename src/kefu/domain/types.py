"""Shared small value types: roles, channels, case kinds, priorities and the Actor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

# The instants kefu takes from people and files. Far outside them the calendar arithmetic
# overflows Python's datetime (a deadline after year 9999, 0001-01-01T00:00+08:00 in UTC), and
# no after-sales matter is dated there.
EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)
INSTANT_RANGE_ZH = "时间须在 2000 年至 2099 年之间"
INSTANT_RANGE_EN = "must be between the years 2000 and 2099"


# The widest integers the database holds: row ids are 64-bit, versions 32-bit. A number past
# them names nothing that exists, and the drivers refuse to bind it (SQLite raises
# OverflowError, PostgreSQL "out of range"), so every way in refuses it first.
MAX_ROW_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1


def in_instant_range(at: datetime) -> bool:
    """Whether `at` lies in [2000, 2100) (a naive time read as UTC: hours do not matter here).
    Comparing never converts, so it cannot overflow however far out `at` is."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return EARLIEST_INSTANT <= aware < LATEST_INSTANT


class Role(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    AGENT = "agent"
    TECH_SUPPORT = "tech_support"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.AGENT, Role.TECH_SUPPORT, Role.SUPERVISOR, Role.ADMIN, Role.SYSTEM})


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    API = "api"
    EMAIL = "email"
    PHONE = "phone"
    CHAT = "chat"


class CaseKind(StrEnum):
    FEEDBACK = "feedback"
    COMPLAINT = "complaint"
    DISPUTE = "dispute"
    AFTERSALES = "aftersales"


class FeedbackType(StrEnum):
    SUGGESTION = "suggestion"
    REPORT = "report"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Visibility(StrEnum):
    PUBLIC = "public"  # buyer, seller and staff see it
    INTERNAL = "internal"  # staff only


class Category(StrEnum):
    QUALITY = "商品质量"
    NOT_AS_DESCRIBED = "描述不符/虚假宣传"
    LOGISTICS = "物流/发货延迟"
    WRONG_OR_DAMAGED = "错发漏发/破损丢件"
    SERVICE_ATTITUDE = "服务态度"
    REFUND_RETURN = "退款退货"
    INVOICE = "发票"
    REPAIR = "售后维修"
    VIRTUAL_GOODS = "虚拟商品"
    SUGGESTION = "功能建议"
    OTHER = "其他"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user with roles, the shop they staff and the teams they belong to."""

    user_id: int
    roles: frozenset[Role]
    username: str = ""
    shop_id: int | None = None
    team_ids: frozenset[int] = field(default_factory=frozenset)
    buyer_ref: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    @property
    def primary_role(self) -> Role:
        order = [
            Role.SYSTEM,
            Role.ADMIN,
            Role.SUPERVISOR,
            Role.AGENT,
            Role.TECH_SUPPORT,
            Role.SELLER,
            Role.BUYER,
        ]
        for role in order:
            if role in self.roles:
                return role
        return Role.BUYER


SYSTEM_ACTOR = Actor(user_id=0, roles=frozenset({Role.SYSTEM}), username="system")
