"""Case persistence: rows <-> Case aggregates, version-checked saves, keyset queue pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping

from kefu.db.schema import case_counters, cases
from kefu.db.types import NO_DEADLINE
from kefu.domain.case import Case
from kefu.domain.errors import NotFound, VersionConflict
from kefu.domain.types import CaseKind, Category, Channel, FeedbackType, Priority
from kefu.domain.workflow import Status


def _to_row(case: Case) -> dict[str, Any]:
    return {
        "number": case.number,
        "kind": case.kind.value,
        "feedback_type": case.feedback_type.value if case.feedback_type else None,
        "channel": case.channel.value,
        "category": case.category.value,
        "priority": case.priority.value,
        "status": case.status.value,
        "is_open": case.is_open,
        "suspended_from": case.suspended_from.value if case.suspended_from else None,
        "buyer_id": case.buyer_id,
        "order_id": case.order_id,
        "order_no": case.order_no,
        "line_nos": ",".join(str(n) for n in case.line_nos),
        "shop_id": case.shop_id,
        "assignee_id": case.assignee_id,
        "team_id": case.team_id,
        "subject": case.subject,
        "description": case.description,
        "contact_phone": case.contact_phone,
        "contact_email": case.contact_email,
        "version": case.version,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "due_at": case.due_at or NO_DEADLINE,
        "first_response_at": case.first_response_at,
        "ended_at": case.ended_at,
        "reject_reason": case.reject_reason,
    }


def row_to_case(row: RowMapping) -> Case:
    due = row["due_at"]
    return Case(
        id=row["id"],
        number=row["number"],
        kind=CaseKind(row["kind"]),
        channel=Channel(row["channel"]),
        category=Category(row["category"]),
        priority=Priority(row["priority"]),
        status=Status(row["status"]),
        buyer_id=row["buyer_id"],
        subject=row["subject"],
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        feedback_type=FeedbackType(row["feedback_type"]) if row["feedback_type"] else None,
        order_id=row["order_id"],
        order_no=row["order_no"],
        line_nos=tuple(int(n) for n in row["line_nos"].split(",") if n),
        shop_id=row["shop_id"],
        assignee_id=row["assignee_id"],
        team_id=row["team_id"],
        contact_phone=row["contact_phone"],
        contact_email=row["contact_email"],
        version=row["version"],
        due_at=None if due == NO_DEADLINE else due,
        first_response_at=row["first_response_at"],
        ended_at=row["ended_at"],
        suspended_from=Status(row["suspended_from"]) if row["suspended_from"] else None,
        reject_reason=row["reject_reason"],
    )


@dataclass(frozen=True)
class CaseFilter:
    """Queue filters; None means "any". Scope limits what the caller may see at all."""

    status: str | None = None
    kind: str | None = None
    category: str | None = None
    priority: str | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    shop_id: int | None = None
    open_only: bool | None = None
    overdue_at: datetime | None = None
    scope_buyer_id: int | None = None
    scope_shop_id: int | None = None
    scope_team_ids: tuple[int, ...] | None = None
    scope_user_id: int | None = None


class CaseRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def next_number_seq(self, day: str) -> int:
        """Reserve the next daily sequence number (one row per day, upserted atomically)."""
        dialect = self.conn.dialect.name
        ins = (
            postgresql.insert(case_counters)
            if dialect == "postgresql"
            else sqlite.insert(case_counters)
        )
        stmt = (
            ins.values(day=day, last=1)
            .on_conflict_do_update(
                index_elements=["day"], set_={"last": case_counters.c["last"] + 1}
            )
            .returning(case_counters.c["last"])
        )
        return int(self.conn.execute(stmt).scalar_one())

    def add(self, case: Case) -> int:
        result = self.conn.execute(insert(cases).values(**_to_row(case)).returning(cases.c.id))
        case.id = int(result.scalar_one())
        return case.id

    def get(self, case_id: int) -> Case:
        row = self.conn.execute(select(cases).where(cases.c.id == case_id)).mappings().first()
        if row is None:
            raise NotFound("案件 case", case_id)
        return row_to_case(row)

    def get_by_number(self, number: str) -> Case:
        row = self.conn.execute(select(cases).where(cases.c.number == number)).mappings().first()
        if row is None:
            raise NotFound("案件 case", number)
        return row_to_case(row)

    def save(self, case: Case, expected_version: int) -> None:
        """Write the case if nobody changed it since `expected_version`; bump the version."""
        assert case.id is not None
        values = _to_row(case)
        values["version"] = expected_version + 1
        result = self.conn.execute(
            update(cases)
            .where(cases.c.id == case.id, cases.c.version == expected_version)
            .values(**values)
        )
        if result.rowcount != 1:
            actual = self.conn.execute(
                select(cases.c.version).where(cases.c.id == case.id)
            ).scalar_one()
            raise VersionConflict(expected_version, int(actual))
        case.version = expected_version + 1

    def touch(self, case: Case) -> None:
        """Update activity times only; appends (messages, evidence) never conflict."""
        assert case.id is not None
        self.conn.execute(
            update(cases)
            .where(cases.c.id == case.id)
            .values(updated_at=case.updated_at, first_response_at=case.first_response_at)
        )

    def open_for_order(self, order_id: int, buyer_id: int) -> list[Case]:
        rows = (
            self.conn.execute(
                select(cases).where(
                    cases.c.order_id == order_id,
                    cases.c.buyer_id == buyer_id,
                    cases.c.is_open.is_(True),
                )
            )
            .mappings()
            .all()
        )
        return [row_to_case(r) for r in rows]

    def page(self, f: CaseFilter, *, after: tuple[datetime, int] | None, limit: int) -> list[Case]:
        """One page sorted by (due_at, id), starting after the keyset cursor."""
        stmt = select(cases).where(*self._conditions(f))
        if after is not None:
            due, last_id = after
            stmt = stmt.where(
                or_(cases.c.due_at > due, and_(cases.c.due_at == due, cases.c.id > last_id))
            )
        stmt = stmt.order_by(cases.c.due_at, cases.c.id).limit(limit)
        return [row_to_case(r) for r in self.conn.execute(stmt).mappings()]

    def count_capped(self, f: CaseFilter, cap: int) -> int:
        """Exact count up to `cap`; an exact COUNT(*) over a million rows is the slow part."""
        inner = select(cases.c.id).where(*self._conditions(f)).limit(cap).subquery()
        return int(self.conn.execute(select(func.count()).select_from(inner)).scalar_one())

    @staticmethod
    def _conditions(f: CaseFilter) -> Sequence[Any]:
        c = cases.c
        conds: list[Any] = []
        for column, value in (
            (c.status, f.status),
            (c.kind, f.kind),
            (c.category, f.category),
            (c.priority, f.priority),
            (c.team_id, f.team_id),
            (c.assignee_id, f.assignee_id),
            (c.shop_id, f.shop_id),
        ):
            if value is not None:
                conds.append(column == value)
        if f.open_only is not None:
            conds.append(c.is_open.is_(f.open_only))
        if f.overdue_at is not None:
            conds.extend([c.is_open.is_(True), c.due_at < f.overdue_at])
        if f.scope_buyer_id is not None:
            conds.append(c.buyer_id == f.scope_buyer_id)
        if f.scope_shop_id is not None:
            conds.append(c.shop_id == f.scope_shop_id)
        if f.scope_team_ids is not None:
            conds.append(
                or_(
                    c.team_id.in_(f.scope_team_ids) if f.scope_team_ids else False,
                    c.assignee_id == f.scope_user_id,
                )
            )
        return conds
