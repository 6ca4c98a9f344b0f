"""People persistence: users, roles, teams, shops and API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.pool import Pool

from kefu.db.schema import api_tokens, shops, team_members, teams, users
from kefu.domain.errors import NotFound
from kefu.domain.types import Actor, Role


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    password_hash: str
    roles: frozenset[Role]
    shop_id: int | None
    buyer_ref: str | None
    phone: str
    email: str
    is_active: bool
    team_ids: frozenset[int]

    def actor(self) -> Actor:
        return Actor(
            self.id, self.roles, self.username, self.shop_id, self.team_ids, self.buyer_ref
        )


@dataclass(frozen=True)
class ShopRecord:
    id: int
    code: str
    name: str
    legal_name: str
    address: str
    phone: str


_TEAMS_OF = select(team_members.c.team_id).where(team_members.c.user_id == bindparam("b_user"))
_USER_BY_ID = select(users).where(users.c.id == bindparam("b_id"))
_USER_BY_NAME = select(users).where(users.c.username == bindparam("b_name"))
_USER_BY_BUYER = select(users).where(users.c.buyer_ref == bindparam("b_ref"))
_USER_BY_TOKEN = (
    select(users)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token_hash == bindparam("b_hash"), api_tokens.c.revoked_at.is_(None))
)
_TEAM_BY_CODE = select(teams.c.id).where(teams.c.code == bindparam("b_code"))
# Team code -> id per database (keyed by its connection pool). Teams are never deleted or
# renamed, so a committed id stays right; a transaction that creates a team caches nothing, so
# an id its rollback undoes is never remembered.
_TEAM_IDS: WeakKeyDictionary[Pool, dict[str, int]] = WeakKeyDictionary()


class PeopleRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._created_team = False

    def _user(self, row: RowMapping) -> UserRecord:
        team_ids = frozenset(
            int(t) for t in self.conn.execute(_TEAMS_OF, {"b_user": row["id"]}).scalars()
        )
        return self._record(row, team_ids)

    @staticmethod
    def _record(row: RowMapping, team_ids: frozenset[int]) -> UserRecord:
        return UserRecord(
            int(row["id"]),
            row["username"],
            row["display_name"],
            row["password_hash"],
            frozenset(Role(r) for r in row["roles"].split(",") if r),
            row["shop_id"],
            row["buyer_ref"],
            row["phone"],
            row["email"],
            bool(row["is_active"]),
            team_ids,
        )

    def user_by_id(self, user_id: int) -> UserRecord:
        row = self.conn.execute(_USER_BY_ID, {"b_id": user_id}).mappings().first()
        if row is None:
            raise NotFound("用户 user", user_id)
        return self._user(row)

    def user_by_username(self, username: str) -> UserRecord | None:
        row = self.conn.execute(_USER_BY_NAME, {"b_name": username}).mappings().first()
        return self._user(row) if row else None

    def user_by_buyer_ref(self, buyer_ref: str) -> UserRecord | None:
        row = self.conn.execute(_USER_BY_BUYER, {"b_ref": buyer_ref}).mappings().first()
        return self._user(row) if row else None

    def user_by_token_hash(self, token_hash: str) -> UserRecord | None:
        row = self.conn.execute(_USER_BY_TOKEN, {"b_hash": token_hash}).mappings().first()
        return self._user(row) if row else None

    def add_user(
        self,
        *,
        username: str,
        display_name: str,
        password_hash: str,
        roles: frozenset[Role],
        shop_id: int | None,
        buyer_ref: str | None,
        phone: str,
        email: str,
        now: datetime,
    ) -> int:
        return int(
            self.conn.execute(
                insert(users)
                .values(
                    username=username,
                    display_name=display_name,
                    password_hash=password_hash,
                    roles=",".join(sorted(r.value for r in roles)),
                    shop_id=shop_id,
                    buyer_ref=buyer_ref,
                    phone=phone,
                    email=email,
                    is_active=True,
                    created_at=now,
                )
                .returning(users.c.id)
            ).scalar_one()
        )

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.conn.execute(
            update(users).where(users.c.id == user_id).values(password_hash=password_hash)
        )

    def add_to_team(self, user_id: int, team_id: int) -> None:
        exists = self.conn.execute(
            select(team_members).where(
                team_members.c.user_id == user_id, team_members.c.team_id == team_id
            )
        ).first()
        if not exists:
            self.conn.execute(insert(team_members).values(user_id=user_id, team_id=team_id))

    def team_by_code(self, code: str) -> int | None:
        known = _TEAM_IDS.get(self.conn.engine.pool)
        if known is not None and code in known:
            return known[code]
        found = self.conn.execute(_TEAM_BY_CODE, {"b_code": code}).scalar()
        if found is None:
            return None
        if not self._created_team:
            _TEAM_IDS.setdefault(self.conn.engine.pool, {})[code] = int(found)
        return int(found)

    def team_code(self, team_id: int) -> str | None:
        found = self.conn.execute(select(teams.c.code).where(teams.c.id == team_id)).scalar()
        return str(found) if found is not None else None

    def team_codes(self) -> dict[int, str]:
        return {int(r.id): r.code for r in self.conn.execute(select(teams.c.id, teams.c.code))}

    def ensure_team(self, code: str, name: str) -> int:
        existing = self.team_by_code(code)
        if existing is not None:
            return existing
        self._created_team = True
        return int(
            self.conn.execute(
                insert(teams).values(code=code, name=name).returning(teams.c.id)
            ).scalar_one()
        )

    @staticmethod
    def _shop(row: RowMapping) -> ShopRecord:
        return ShopRecord(
            row["id"], row["code"], row["name"], row["legal_name"], row["address"], row["phone"]
        )

    def shop_by_code(self, code: str) -> ShopRecord | None:
        row = self.conn.execute(select(shops).where(shops.c.code == code)).mappings().first()
        return self._shop(row) if row else None

    def shop_by_id(self, shop_id: int) -> ShopRecord:
        row = self.conn.execute(select(shops).where(shops.c.id == shop_id)).mappings().first()
        if row is None:
            raise NotFound("店铺 shop", shop_id)
        return self._shop(row)

    def ensure_shop(
        self,
        code: str,
        name: str,
        now: datetime,
        *,
        legal_name: str = "",
        address: str = "",
        phone: str = "",
    ) -> int:
        existing = self.shop_by_code(code)
        if existing is not None:
            return existing.id
        return int(
            self.conn.execute(
                insert(shops)
                .values(
                    code=code,
                    name=name,
                    legal_name=legal_name,
                    address=address,
                    phone=phone,
                    created_at=now,
                )
                .returning(shops.c.id)
            ).scalar_one()
        )

    def user_ids_for_shop(self, shop_id: int) -> set[int]:
        return {
            int(u)
            for u in self.conn.execute(
                select(users.c.id).where(users.c.shop_id == shop_id)
            ).scalars()
        }

    def user_ids_with_role(self, role: str) -> set[int]:
        """Active users holding a role (roles are stored comma-separated; rare, admin-side)."""
        rows = self.conn.execute(
            select(users.c.id, users.c.roles).where(
                users.c.roles.contains(role), users.c.is_active.is_(True)
            )
        )
        return {int(r.id) for r in rows if role in r.roles.split(",")}

    def staff_directory(self, roles: frozenset[Role]) -> list[UserRecord]:
        """Active users holding any of the roles, with their teams, in two queries (the console
        lists them on every staff case page), ordered by username."""
        rows = self.conn.execute(
            select(users)
            .where(or_(*(users.c.roles.contains(r.value) for r in roles)), users.c.is_active)
            .order_by(users.c.username)
        ).mappings()
        wanted = {r.value for r in roles}
        return self._with_teams([r for r in rows if wanted & set(r["roles"].split(","))])

    def users_by_ids(self, user_ids: Iterable[int]) -> dict[int, UserRecord]:
        """Many users by id, with their teams, in two queries (lists that name people)."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        rows = self.conn.execute(select(users).where(users.c.id.in_(ids))).mappings()
        return {u.id: u for u in self._with_teams(list(rows))}

    def _with_teams(self, rows: list[RowMapping]) -> list[UserRecord]:
        teams: dict[int, set[int]] = {int(r["id"]): set() for r in rows}
        if teams:
            membership = select(team_members.c.user_id, team_members.c.team_id).where(
                team_members.c.user_id.in_(list(teams))
            )
            for user_id, team_id in self.conn.execute(membership):
                teams[int(user_id)].add(int(team_id))
        return [self._record(r, frozenset(teams[int(r["id"])])) for r in rows]

    def user_ids_for_team(self, team_id: int) -> set[int]:
        return {
            int(u)
            for u in self.conn.execute(
                select(team_members.c.user_id).where(team_members.c.team_id == team_id)
            ).scalars()
        }

    def add_token(
        self, user_id: int, name: str, token_hash: str, prefix: str, now: datetime
    ) -> int:
        return int(
            self.conn.execute(
                insert(api_tokens)
                .values(
                    user_id=user_id,
                    name=name,
                    token_hash=token_hash,
                    prefix=prefix,
                    created_at=now,
                )
                .returning(api_tokens.c.id)
            ).scalar_one()
        )
