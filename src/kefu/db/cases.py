"""Case persistence: rows <-> Case aggregates, version-checked saves, keyset queue pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql import Executable

from kefu.db.driver import Prepared, RowInsert
from kefu.db.intake import move_load
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
        stored_load=(row["assignee_id"], bool(row["is_open"])),
    )


# Statements built once: building one per call (`.values(**row)`) cost ~5x the execution itself
# on the intake path, because SQLAlchemy derives a cache key from every bound value's clause.
_CASE_COLUMNS = (
    "number", "kind", "feedback_type", "channel", "category", "priority", "status", "is_open",
    "suspended_from", "buyer_id", "order_id", "order_no", "line_nos", "shop_id", "assignee_id",
    "team_id", "subject", "description", "contact_phone", "contact_email", "version",
    "created_at", "updated_at", "due_at", "first_response_at", "ended_at", "reject_reason",
)  # fmt: skip
_INSERT = RowInsert(cases, _CASE_COLUMNS, returning_id=True)
# UPDATEs take their SET columns from the parameter keys; "b_"-names are the WHERE clause.
_SAVE = update(cases).where(
    cases.c.id == bindparam("b_id"), cases.c.version == bindparam("b_expected")
)
_TOUCH = update(cases).where(cases.c.id == bindparam("b_id"))
_BY_ID = select(cases).where(cases.c.id == bindparam("b_id"))
_BY_NUMBER = select(cases).where(cases.c.number == bindparam("b_number"))
_VERSION = select(cases.c.version).where(cases.c.id == bindparam("b_id"))


def _counter_upsert(dialect: str) -> Executable:
    ins = (
        postgresql.insert(case_counters)
        if dialect == "postgresql"
        else sqlite.insert(case_counters)
    )
    return (
        ins.values(day=bindparam("b_day"), last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": case_counters.c["last"] + 1})
        .returning(case_counters.c["last"])
    )


_COUNTER_UPSERT = {name: Prepared(_counter_upsert(name)) for name in ("sqlite", "postgresql")}


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
        stmt = _COUNTER_UPSERT[self.conn.dialect.name]
        return int(stmt.scalar(self.conn, {"b_day": day}))

    def add(self, case: Case) -> int:
        new_id = _INSERT(self.conn, _to_row(case))
        assert new_id is not None
        case.id = new_id
        self._track_load(case)
        return case.id

    def get(self, case_id: int) -> Case:
        row = self.conn.execute(_BY_ID, {"b_id": case_id}).mappings().first()
        if row is None:
            raise NotFound("案件 case", case_id)
        return row_to_case(row)

    def get_by_number(self, number: str) -> Case:
        row = self.conn.execute(_BY_NUMBER, {"b_number": number}).mappings().first()
        if row is None:
            raise NotFound("案件 case", number)
        return row_to_case(row)

    def save(self, case: Case, expected_version: int) -> None:
        """Write the case if nobody changed it since `expected_version`; bump the version."""
        assert case.id is not None
        values = _to_row(case)
        values.update(version=expected_version + 1, b_id=case.id, b_expected=expected_version)
        result = self.conn.execute(_SAVE, values)
        if result.rowcount != 1:
            actual = self.conn.execute(_VERSION, {"b_id": case.id}).scalar_one()
            raise VersionConflict(expected_version, int(actual))
        case.version = expected_version + 1
        self._track_load(case)

    def _track_load(self, case: Case) -> None:
        """Move the case between agents' open loads when its assignee or openness changed."""
        before, after = case.stored_load or (None, False), case.load_key
        if before != after:
            if before[0] is not None and before[1]:
                move_load(self.conn, before[0], -1)
            if after[0] is not None and after[1]:
                move_load(self.conn, after[0], +1)
        case.stored_load = after

    def touch(self, case: Case) -> None:
        """Update activity times only; appends (messages, evidence) never conflict."""
        assert case.id is not None
        self.conn.execute(
            _TOUCH,
            {
                "b_id": case.id,
                "updated_at": case.updated_at,
                "first_response_at": case.first_response_at,
            },
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

    def page(
        self, f: CaseFilter, *, after: tuple[datetime, int] | None, limit: int
    ) -> list[RowMapping]:
        """One page of raw rows sorted by (due_at, id), starting after the keyset cursor.

        Rows, not Case aggregates: a queue page only displays, and building 50 aggregates cost
        several times the query itself."""
        shape = _shape(f, after is not None)
        stmt = _PAGES.get(shape)
        if stmt is None:
            stmt = _PAGES[shape] = _page_statement(f, after is not None)
        params = _params(f)
        if after is not None:
            params["f_after_due"], params["f_after_id"] = after
        params["f_limit"] = limit
        return list(self.conn.execute(stmt, params).mappings().all())

    def count_capped(self, f: CaseFilter, cap: int) -> int:
        """Exact count up to `cap`; an exact COUNT(*) over a million rows is the slow part."""
        shape = _shape(f, False)
        stmt = _COUNTS.get(shape)
        if stmt is None:
            inner = select(cases.c.id).where(*_conditions(f)).limit(bindparam("f_cap")).subquery()
            stmt = _COUNTS[shape] = select(func.count()).select_from(inner)
        return int(self.conn.execute(stmt, {**_params(f), "f_cap": cap}).scalar_one())


# Queue statements are built once per filter *shape* (which filters are set) with bound values,
# then reused: building and cache-keying a fresh statement per page cost more than running it.
_EQUALS = ("status", "kind", "category", "priority", "team_id", "assignee_id", "shop_id")
_PAGES: dict[tuple[object, ...], Select[Any]] = {}
_COUNTS: dict[tuple[object, ...], Select[Any]] = {}


def _shape(f: CaseFilter, keyset: bool) -> tuple[object, ...]:
    return (
        tuple(name for name in _EQUALS if getattr(f, name) is not None),
        f.open_only,
        f.overdue_at is not None,
        f.scope_buyer_id is not None,
        f.scope_shop_id is not None,
        None if f.scope_team_ids is None else bool(f.scope_team_ids),
        keyset,
    )


def _params(f: CaseFilter) -> dict[str, Any]:
    params: dict[str, Any] = {f"f_{name}": getattr(f, name) for name in _EQUALS}
    params.update(
        f_overdue=f.overdue_at,
        f_buyer=f.scope_buyer_id,
        f_shop=f.scope_shop_id,
        f_teams=list(f.scope_team_ids or ()),
        f_user=f.scope_user_id,
    )
    return params


def _conditions(f: CaseFilter) -> list[Any]:
    c = cases.c
    conds: list[Any] = [
        c[name] == bindparam(f"f_{name}") for name in _EQUALS if getattr(f, name) is not None
    ]
    if f.open_only is not None:
        conds.append(c.is_open.is_(f.open_only))
    if f.overdue_at is not None:
        conds.extend([c.is_open.is_(True), c.due_at < bindparam("f_overdue")])
    if f.scope_buyer_id is not None:
        conds.append(c.buyer_id == bindparam("f_buyer"))
    if f.scope_shop_id is not None:
        conds.append(c.shop_id == bindparam("f_shop"))
    if f.scope_team_ids is not None:
        in_team = (
            c.team_id.in_(bindparam("f_teams", expanding=True)) if f.scope_team_ids else false()
        )
        conds.append(or_(in_team, c.assignee_id == bindparam("f_user")))
    return conds


def _page_statement(f: CaseFilter, keyset: bool) -> Select[Any]:
    c = cases.c
    stmt = select(cases).where(*_conditions(f))
    if keyset:
        due = bindparam("f_after_due", type_=c.due_at.type)
        stmt = stmt.where(
            or_(c.due_at > due, and_(c.due_at == due, c.id > bindparam("f_after_id")))
        )
    return stmt.order_by(c.due_at, c.id).limit(bindparam("f_limit"))
