"""SLA policy versions: drafts, the one-way publish, the published set and its freshness stamp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection, RowMapping

from kefu.db.clock_rows import spec_from_json, spec_to_json
from kefu.db.schema_deadlines import sla_policy_versions as spv
from kefu.db.types import UTCDateTime
from kefu.domain.sla import PolicyMatch, SlaPolicy
from kefu.domain.sla_policy_input import PolicyStatus
from kefu.domain.types import CaseKind, Category, Channel, Priority

_PUBLISHED = PolicyStatus.PUBLISHED.value
_DRAFT = PolicyStatus.DRAFT.value
# Built once: the policy cache runs it every few seconds per process (index status, published_at).
_STAMP = select(func.count(), func.max(spv.c.published_at, type_=UTCDateTime())).where(
    spv.c.status == _PUBLISHED
)
_PUBLISH = (
    update(spv)
    .where(
        and_(
            spv.c.policy_id == bindparam("b_policy"),
            spv.c.version == bindparam("b_version"),
            spv.c.status == _DRAFT,  # a published row is never written again
        )
    )
    .values(status=_PUBLISHED, published_at=bindparam("b_at"), published_by=bindparam("b_by"))
)


@dataclass(frozen=True)
class PolicyVersion:
    """One stored version and what the table keeps around it (who, when, status)."""

    row_id: int
    policy: SlaPolicy  # published_at set once published
    status: PolicyStatus
    note: str
    published_by: int | None
    created_by: int
    created_at: datetime


def _version(r: RowMapping) -> PolicyVersion:
    def opt(kind: Any, value: str | None) -> Any:
        return kind(value) if value is not None else None

    match = PolicyMatch(
        kind=opt(CaseKind, r["kind"]),
        category=opt(Category, r["category"]),
        priority=opt(Priority, r["priority"]),
        channel=opt(Channel, r["channel"]),
        seller_id=int(r["seller_id"]) if r["seller_id"] is not None else None,
    )
    policy = SlaPolicy(
        r["policy_id"],
        int(r["version"]),
        r["effective_from"],
        match,
        tuple(spec_from_json(d) for d in r["clocks"]),
        r["published_at"],
    )
    return PolicyVersion(
        int(r["id"]),
        policy,
        PolicyStatus(r["status"]),
        r["note"],
        r["published_by"],
        int(r["created_by"]),
        r["created_at"],
    )


class PolicyRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def stamp(self) -> tuple[int, datetime | None]:
        """(count, latest published_at) of published versions: changes with every publish."""
        count, latest = self.conn.execute(_STAMP).one()
        return int(count), latest

    def published(self) -> list[PolicyVersion]:
        stmt = select(spv).where(spv.c.status == _PUBLISHED).order_by(spv.c.id)
        return [_version(r) for r in self.conn.execute(stmt).mappings()]

    def versions(self, policy_id: str | None = None) -> list[PolicyVersion]:
        stmt = select(spv).order_by(spv.c.policy_id, spv.c.version)
        if policy_id is not None:
            stmt = stmt.where(spv.c.policy_id == policy_id)
        return [_version(r) for r in self.conn.execute(stmt).mappings()]

    def get(self, policy_id: str, version: int) -> PolicyVersion | None:
        stmt = select(spv).where(spv.c.policy_id == policy_id, spv.c.version == version)
        row = self.conn.execute(stmt).mappings().first()
        return _version(row) if row is not None else None

    def last_version(self, policy_id: str) -> int:
        found = self.conn.execute(
            select(func.max(spv.c.version)).where(spv.c.policy_id == policy_id)
        ).scalar()
        return int(found or 0)

    def add_draft(self, policy: SlaPolicy, note: str, by: int, now: datetime) -> int:
        m = policy.match
        result = self.conn.execute(
            insert(spv)
            .values(
                policy_id=policy.id,
                version=policy.version,
                kind=m.kind,
                category=m.category,
                priority=m.priority,
                channel=m.channel,
                seller_id=m.seller_id,
                clocks=[spec_to_json(c) for c in policy.clocks],
                effective_from=policy.effective_from,
                status=_DRAFT,
                note=note,
                created_by=by,
                created_at=now,
            )
            .returning(spv.c.id)
        )
        return int(result.scalar_one())

    def lock_policy(self, policy_id: str) -> None:
        """Serialise publications of one policy until the transaction ends. PostgreSQL: an
        advisory lock on the id (two admins publishing at once would both pass the "after the
        last published version" check); SQLite's write transaction already excludes them."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"sla_policy:{policy_id}"},
            )

    def publish(self, policy_id: str, version: int, by: int, now: datetime) -> bool:
        """Draft -> published, once; False if it was not a draft (any more)."""
        result = self.conn.execute(
            _PUBLISH, {"b_policy": policy_id, "b_version": version, "b_at": now, "b_by": by}
        )
        return result.rowcount == 1
