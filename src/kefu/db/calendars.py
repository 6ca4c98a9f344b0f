"""Calendar overrides, seller agreements, seller violations and the code lookups they need."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from kefu.db.schema import shops, teams, users
from kefu.db.schema_deadlines import calendar_overrides, seller_agreements, seller_violations
from kefu.domain.seller_agreement import SellerAgreement

AGREEMENT_TERMS = tuple(f.name for f in fields(SellerAgreement) if f.name != "seller_id")
_ADD_VIOLATIONS = insert(seller_violations)  # built once: the sweep writes one per breach


@dataclass(frozen=True)
class Override:
    id: int
    calendar: str
    day: date
    working: bool
    hours: str
    note: str
    created_by: int
    created_at: datetime


class CalendarRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- calendar overrides -----------------------------------------------------------------

    def overrides(self, calendars: Sequence[str] | None = None) -> list[Override]:
        stmt = select(calendar_overrides).order_by(
            calendar_overrides.c.calendar, calendar_overrides.c.day
        )
        if calendars is not None:
            stmt = stmt.where(calendar_overrides.c.calendar.in_(calendars))
        rows = self.conn.execute(stmt).mappings()
        return [Override(**{k: r[k] for k in Override.__dataclass_fields__}) for r in rows]

    def upsert_override(
        self, calendar: str, day: date, working: bool, hours: str, note: str, by: int, now: datetime
    ) -> int:
        existing = self.conn.execute(
            select(calendar_overrides.c.id).where(
                calendar_overrides.c.calendar == calendar, calendar_overrides.c.day == day
            )
        ).scalar()
        values = {
            "working": working,
            "hours": hours,
            "note": note,
            "created_by": by,
            "created_at": now,
        }
        if existing is not None:
            self.conn.execute(
                update(calendar_overrides)
                .where(calendar_overrides.c.id == existing)
                .values(**values)
            )
            return int(existing)
        result = self.conn.execute(
            insert(calendar_overrides)
            .values(calendar=calendar, day=day, **values)
            .returning(calendar_overrides.c.id)
        )
        return int(result.scalar_one())

    def delete_override(self, override_id: int) -> Override | None:
        row = (
            self.conn.execute(
                select(calendar_overrides).where(calendar_overrides.c.id == override_id)
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        self.conn.execute(delete(calendar_overrides).where(calendar_overrides.c.id == override_id))
        return Override(**{k: row[k] for k in Override.__dataclass_fields__})

    # --- seller agreements ------------------------------------------------------------------

    def agreements(self, shop_id: int) -> list[tuple[SellerAgreement, int, datetime]]:
        """Every version of the shop's agreement, oldest first, with when it was recorded."""
        rows = self.conn.execute(
            select(seller_agreements)
            .where(seller_agreements.c.shop_id == shop_id)
            .order_by(seller_agreements.c.version)
        ).mappings()
        return [
            (
                SellerAgreement(seller_id=shop_id, **{k: r[k] for k in AGREEMENT_TERMS}),
                int(r["version"]),
                r["created_at"],
            )
            for r in rows
        ]

    def add_agreement(self, agreement: SellerAgreement, by: int, now: datetime) -> int:
        last = self.conn.execute(
            select(func.max(seller_agreements.c.version)).where(
                seller_agreements.c.shop_id == agreement.seller_id
            )
        ).scalar()
        version = int(last or 0) + 1
        self.conn.execute(
            insert(seller_agreements).values(
                shop_id=agreement.seller_id,
                version=version,
                created_by=by,
                created_at=now,
                **{k: getattr(agreement, k) for k in AGREEMENT_TERMS},
            )
        )
        return version

    # --- violations and people --------------------------------------------------------------

    def add_violations(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(_ADD_VIOLATIONS, list(rows))

    def violations_for_shop(self, shop_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(seller_violations)
            .where(seller_violations.c.shop_id == shop_id)
            .order_by(seller_violations.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def supervisor_ids(self) -> list[int]:
        rows = self.conn.execute(
            select(users.c.id).where(
                users.c.roles.like("%supervisor%"), users.c.is_active.is_(True)
            )
        ).scalars()
        return [int(i) for i in rows]

    def shop_id(self, code: str) -> int | None:
        found = self.conn.execute(select(shops.c.id).where(shops.c.code == code)).scalar()
        return int(found) if found is not None else None

    def team_id(self, code: str) -> int | None:
        found = self.conn.execute(select(teams.c.id).where(teams.c.code == code)).scalar()
        return int(found) if found is not None else None

    def shop_codes(self) -> dict[int, str]:
        return {int(i): c for i, c in self.conn.execute(select(shops.c.id, shops.c.code))}

    def team_codes(self) -> dict[int, str]:
        return {int(i): c for i, c in self.conn.execute(select(teams.c.id, teams.c.code))}
