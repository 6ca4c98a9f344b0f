"""Screening persistence: verdicts, fingerprints, buyer flags, category overrides, staff load."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from kefu.db.driver import Prepared, RowInsert
from kefu.db.schema import cases, team_members
from kefu.db.schema_intake import (
    buyer_flags,
    case_fingerprints,
    category_overrides,
    screenings,
    staff_availability,
)
from kefu.domain.routing import StaffSlot, parse_shift_time
from kefu.domain.screening import FlagStatus

# Prebuilt: these run on every intake (see db/cases.py for why statements are built once).
_ADD_SCREENING = RowInsert(
    screenings,
    (
        "case_id", "outcome", "code", "reason", "trail", "category_source", "model_category",
        "category_confidence", "classification_trail", "priority_reasons", "duplicate_of",
        "abusive", "original_subject", "original_description", "created_at",
    ),
)  # fmt: skip
_ADD_FINGERPRINT = RowInsert(
    case_fingerprints,
    ("case_id", "buyer_id", "order_key", "category", "fingerprint", "created_at"),
)
_SCOPE_FINGERPRINTS = (
    select(case_fingerprints.c.case_id, case_fingerprints.c.fingerprint)
    .where(
        case_fingerprints.c.buyer_id == bindparam("b_buyer"),
        case_fingerprints.c.order_key == bindparam("b_order"),
        case_fingerprints.c.created_at
        >= bindparam("b_since", type_=case_fingerprints.c.created_at.type),
    )
    .order_by(case_fingerprints.c.created_at)
)
_SCOPE_FINGERPRINTS_FAST = Prepared(_SCOPE_FINGERPRINTS)  # plain integers back: no processing
_STAFF_SLOTS = (
    select(staff_availability)
    .join(team_members, team_members.c.user_id == staff_availability.c.user_id)
    .where(team_members.c.team_id == bindparam("b_team"), staff_availability.c.on_duty.is_(True))
)
_MOVE_LOAD = (
    update(staff_availability)
    .where(staff_availability.c.user_id == bindparam("b_user"))
    .values(open_assigned=staff_availability.c.open_assigned + bindparam("b_delta"))
)
# Both run for every routed filing: straight to the driver on SQLite (db/driver.py).
_STAFF_SLOTS_FAST = Prepared(_STAFF_SLOTS)
_MOVE_LOAD_FAST = Prepared(_MOVE_LOAD)
_REJECTED_SINCE = select(func.count()).where(
    cases.c.buyer_id == bindparam("b_buyer"),
    cases.c.created_at >= bindparam("b_since", type_=cases.c.created_at.type),
    cases.c.status == "rejected",
)


class IntakeRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # --- screening verdicts -------------------------------------------------------------
    def add_screening(self, row: dict[str, Any]) -> None:
        _ADD_SCREENING(self.conn, row)

    def screening(self, case_id: int) -> dict[str, Any] | None:
        found = (
            self.conn.execute(select(screenings).where(screenings.c.case_id == case_id))
            .mappings()
            .first()
        )
        return dict(found) if found else None

    # --- near duplicates --------------------------------------------------------------------
    def fingerprints_in_scope(
        self, buyer_id: int, order_key: int, since: datetime
    ) -> list[tuple[int, int]]:
        rows = _SCOPE_FINGERPRINTS_FAST.run(
            self.conn, {"b_buyer": buyer_id, "b_order": order_key, "b_since": since}
        )
        return [(int(case_id), int(fp)) for case_id, fp in rows]

    def forget_fingerprint(self, case_id: int) -> None:
        """Take a case out of the duplicate index: a repeat of it is no longer a duplicate."""
        self.conn.execute(delete(case_fingerprints).where(case_fingerprints.c.case_id == case_id))

    def add_fingerprint(
        self,
        *,
        case_id: int,
        buyer_id: int,
        order_key: int,
        category: str,
        fingerprint: int,
        now: datetime,
    ) -> None:
        _ADD_FINGERPRINT(
            self.conn,
            {
                "case_id": case_id,
                "buyer_id": buyer_id,
                "order_key": order_key,
                "category": category,
                "fingerprint": fingerprint,
                "created_at": now,
            },
        )

    # --- buyers flagged for review ----------------------------------------------------------
    def rejected_since(self, buyer_id: int, since: datetime) -> int:
        return int(
            self.conn.execute(_REJECTED_SINCE, {"b_buyer": buyer_id, "b_since": since}).scalar_one()
        )

    def open_flag(self, buyer_id: int, reason: str) -> int | None:
        found = self.conn.execute(
            select(buyer_flags.c.id).where(
                buyer_flags.c.buyer_id == buyer_id,
                buyer_flags.c.reason == reason,
                buyer_flags.c.status == FlagStatus.OPEN.value,
            )
        ).scalar()
        return int(found) if found is not None else None

    def add_flag(self, *, buyer_id: int, reason: str, detail: str, now: datetime) -> int:
        return int(
            self.conn.execute(
                insert(buyer_flags)
                .values(
                    buyer_id=buyer_id,
                    reason=reason,
                    detail=detail,
                    status=FlagStatus.OPEN.value,
                    created_at=now,
                )
                .returning(buyer_flags.c.id)
            ).scalar_one()
        )

    def flags(self, *, status: FlagStatus | None, limit: int = 200) -> list[dict[str, Any]]:
        stmt = select(buyer_flags).order_by(buyer_flags.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(buyer_flags.c.status == status)
        return [dict(r) for r in self.conn.execute(stmt).mappings()]

    def review_flag(
        self, flag_id: int, *, reviewer_id: int, status: FlagStatus, now: datetime
    ) -> bool:
        result = self.conn.execute(
            update(buyer_flags)
            .where(and_(buyer_flags.c.id == flag_id, buyer_flags.c.status == FlagStatus.OPEN.value))
            .values(status=status, reviewed_by=reviewer_id, reviewed_at=now)
        )
        return result.rowcount == 1

    # --- category overrides (retraining data) -----------------------------------------------
    def add_override(self, row: dict[str, Any]) -> None:
        self.conn.execute(insert(category_overrides), row)

    def overrides(self, *, after_id: int, limit: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            select(category_overrides)
            .where(category_overrides.c.id > after_id)
            .order_by(category_overrides.c.id)
            .limit(limit)
        ).mappings()
        return [dict(r) for r in rows]

    # --- who takes the next case -------------------------------------------------------------
    def staff_slots(self, team_id: int) -> list[StaffSlot]:
        return [
            StaffSlot(
                int(r["user_id"]),
                bool(r["on_duty"]),
                parse_shift_time(r["shift_start"]),
                parse_shift_time(r["shift_end"]),
                bool(r["working_days_only"]),
                int(r["open_assigned"]),
            )
            for r in _STAFF_SLOTS_FAST.mappings(self.conn, {"b_team": team_id})
        ]

    def set_availability(
        self,
        user_id: int,
        *,
        on_duty: bool,
        shift_start: str,
        shift_end: str,
        working_days_only: bool,
    ) -> None:
        values = {
            "on_duty": on_duty,
            "shift_start": shift_start,
            "shift_end": shift_end,
            "working_days_only": working_days_only,
        }
        updated = self.conn.execute(
            update(staff_availability)
            .where(staff_availability.c.user_id == user_id)
            .values(**values)
        )
        if updated.rowcount == 0:
            # The load starts from what the person already holds, so balancing is fair at once.
            held = self.conn.execute(
                select(func.count()).where(
                    cases.c.assignee_id == user_id, cases.c.is_open.is_(True)
                )
            ).scalar_one()
            self.conn.execute(
                insert(staff_availability).values(user_id=user_id, open_assigned=held, **values)
            )

    def availabilities(self, user_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Duty rows of many people at once (the roster page), keyed by user id."""
        ids = sorted(set(user_ids))
        if not ids:
            return {}
        rows = self.conn.execute(
            select(staff_availability).where(staff_availability.c.user_id.in_(ids))
        ).mappings()
        return {int(r["user_id"]): dict(r) for r in rows}

    def availability(self, user_id: int) -> dict[str, Any] | None:
        found = (
            self.conn.execute(
                select(staff_availability).where(staff_availability.c.user_id == user_id)
            )
            .mappings()
            .first()
        )
        return dict(found) if found else None


def move_load(conn: Connection, user_id: int, delta: int) -> None:
    """Count a case onto (+1) or off (-1) someone's open load; no row means not balanced."""
    _MOVE_LOAD_FAST.run(conn, {"b_user": user_id, "b_delta": delta})
