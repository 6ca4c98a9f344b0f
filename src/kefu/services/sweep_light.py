"""The sweep's light path: warnings and breaches that leave the case alone, written in bulk.

Most due clocks only notify someone. Those are handled from their stored columns and a few case
columns (no spec parsing, no Case aggregate) and written set-based: one UPDATE per batch for the
clocks, one executemany each for timeline, outbox and violation rows. A clock whose actions would
change its case (raise priority, reassign, intervention, a default outcome) takes the full path
in deadline_sweep, together with every other clock of that case in the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

from kefu.db.deadline_sweep import CaseFacts, DueClock
from kefu.domain.clock_rules import CLOCK_RULES, outcome_action, raised
from kefu.domain.deadline_events import ClockChanged
from kefu.domain.sla_clock import ClockAction, Party, TimeoutOutcome
from kefu.domain.types import SYSTEM_ACTOR, Priority, Visibility
from kefu.domain.workflow import Status
from kefu.services.unit_of_work import UnitOfWork

SYS = (SYSTEM_ACTOR.user_id, SYSTEM_ACTOR.primary_role.value)
RULE_COLUMN = 200  # case_clocks.rule keeps this many characters of spec.rule
WARNED = ("warned", Visibility.INTERNAL, "即将超时 deadline approaching")
BREACHED = ("breached", Visibility.PUBLIC, "已超时 deadline missed")


class Addressed(Protocol):
    """What a notice needs of a case: CaseFacts and Case both have it."""

    @property
    def id(self) -> int | None: ...
    @property
    def number(self) -> str: ...
    @property
    def buyer_id(self) -> int: ...
    @property
    def shop_id(self) -> int | None: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def team_id(self) -> int | None: ...


@lru_cache(maxsize=256)
def actions(stored: str) -> tuple[ClockAction, ...]:
    """case_clocks.on_warning / on_breach ('notify_assignee,raise_priority') -> actions."""
    return tuple(ClockAction(a) for a in stored.split(",") if a)


def clock_event(
    now: datetime,
    change: tuple[str, Visibility, str],
    *,
    clock: str,
    party: str,
    due_at: datetime,
    rule: str,
    policy_id: str,
) -> ClockChanged:
    """The timeline row of a warning or breach (both paths write the same one)."""
    name, visibility, text = change
    return ClockChanged(
        now,
        *SYS,
        visibility,
        change=name,
        clock=clock,
        party=party,
        due_at=due_at.isoformat(),
        text=text,
        details={"rule": rule, "policy": policy_id},
    )


def clock_row(
    case_id: int,
    now: datetime,
    change: tuple[str, Visibility, str],
    *,
    clock: str,
    party: str,
    due_at: str,
    rule: str,
    policy_id: str,
) -> dict[str, Any]:
    """`timeline_row(case_id, clock_event(..., due_at=D))` built directly, `due_at` being
    D.isoformat(): same keys in the same order (so the same stored JSON text), without the
    event object (the light path's hot loop)."""
    name, visibility, text = change
    return {
        "case_id": case_id,
        "kind": ClockChanged.kind,
        "actor_id": SYS[0],
        "actor_role": SYS[1],
        "visibility": visibility.value,
        "body": text,
        "data": {
            "change": name,
            "clock": clock,
            "party": party,
            "rule": rule,
            "policy": policy_id,
            "due_at": due_at,
        },
        "created_at": now,
    }


def notice(
    now: datetime,
    case: Addressed,
    *,
    topic: str,
    clock: str,
    due_at: datetime,
    rule: str,
    audiences: list[str],
    supervisors: list[int],
    due_iso: str | None = None,
) -> dict[str, Any]:
    """The outbox row of a warning or breach notice; user_ids only matter for "users".
    `due_iso`: due_at.isoformat() when the caller has it already."""
    zh = "即将超时" if topic == "sla_warning" else "已超时"
    en = "deadline approaching" if topic == "sla_warning" else "deadline missed"
    return {
        "topic": topic,
        "case_id": case.id,
        "payload": {
            "event": topic,
            "case_number": case.number,
            "actor_id": 0,
            "audiences": audiences,
            "user_ids": supervisors if "users" in audiences else [],
            "buyer_id": case.buyer_id,
            "shop_id": case.shop_id,
            "assignee_id": case.assignee_id,
            "team_id": case.team_id,
            "title": f"案件 {case.number} {clock} {zh} / case {case.number} {clock}: {en}",
            "body": f"due {due_iso or due_at.isoformat()} ({rule})",
        },
        "created_at": now,
        "available_at": now,
        "attempts": 0,
    }


def answered(d: DueClock, case: CaseFacts) -> bool:
    """A response clock whose case was answered through a message: met, not warned or breached."""
    rule = CLOCK_RULES.get(d.clock)
    return rule is not None and rule.met_by_first_response and case.first_response_at is not None


def changes_case(
    d: DueClock, case: CaseFacts, outcomes: frozenset[TimeoutOutcome], *, breach: bool
) -> bool:
    """Would warning/breaching this clock change its case (or need the whole spec)?"""
    if answered(d, case):
        return False
    if len(d.rule) >= RULE_COLUMN:
        return True  # the column may be cut: texts come from the spec
    # Decided by a handful of stored strings: computed once per combination.
    return _changes_case(
        d.party,
        d.on_breach if breach else d.on_warning,
        d.on_timeout,
        case.status,
        case.priority,
        case.assignee_id is not None,
        outcomes,
        breach,
    )


@lru_cache(maxsize=4096)
def _changes_case(
    party_value: str,
    stored_actions: str,
    on_timeout: str,
    status_value: str,
    priority: str,
    assigned: bool,
    outcomes: frozenset[TimeoutOutcome],
    breach: bool,
) -> bool:
    party, status = Party(party_value), Status(status_value)
    if any(_changes(a, priority, assigned, party, status) for a in actions(stored_actions)):
        return True
    outcome = TimeoutOutcome(on_timeout)
    return breach and outcome in outcomes and outcome_action(party, outcome, status) is not None


def _changes(
    action: ClockAction, priority: str, assigned: bool, party: Party, status: Status
) -> bool:
    if action is ClockAction.RAISE_PRIORITY:
        return raised(Priority(priority)) is not Priority(priority)
    if action is ClockAction.REASSIGN:
        return assigned
    if action is ClockAction.OPEN_INTERVENTION:
        return outcome_action(party, TimeoutOutcome.OPEN_INTERVENTION, status) is not None
    return False


@dataclass
class LightBatch:
    """Rows of one batch's light clocks; flush() writes each table with one statement."""

    now: datetime
    supervisors: Callable[[], list[int]]
    marked: list[int] = field(default_factory=list)
    met: list[tuple[int, datetime]] = field(default_factory=list)
    met_cases: set[int] = field(default_factory=set)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    warned: int = 0
    breached: int = 0

    def handle(self, d: DueClock, case: CaseFacts, *, breach: bool) -> None:
        if answered(d, case):
            assert case.first_response_at is not None
            self.met.append((d.id, max(case.first_response_at, d.started_at)))
            self.met_cases.add(d.case_id)
            return
        self.marked.append(d.id)
        change, topic = (BREACHED, "sla_breached") if breach else (WARNED, "sla_warning")
        if breach:
            self.breached += 1
        else:
            self.warned += 1
        due_iso = d.due_at.isoformat()
        self.timeline.append(
            clock_row(
                d.case_id,
                self.now,
                change,
                clock=d.clock,
                party=d.party,
                due_at=due_iso,
                rule=d.rule,
                policy_id=d.policy_id,
            )
        )
        for action in actions(d.on_breach if breach else d.on_warning):
            if action is ClockAction.NOTIFY_ASSIGNEE:
                audiences = ["assignee"] if case.assignee_id else ["team"]
            elif action is ClockAction.NOTIFY_SUPERVISOR:
                audiences = ["assignee", "users"]
            elif action is ClockAction.RECORD_SELLER_VIOLATION and case.shop_id is not None:
                self.violations.append(
                    {
                        "shop_id": case.shop_id,
                        "case_id": case.id,
                        "clock_id": d.id,
                        "clock": d.clock,
                        "rule": d.rule,
                        "detail": f"due {d.due_at.isoformat()}",
                        "occurred_at": self.now,
                    }
                )
                continue
            else:
                continue  # raise / reassign / intervention that change nothing here
            self.outbox.append(
                notice(
                    self.now,
                    case,
                    topic=topic,
                    clock=d.clock,
                    due_at=d.due_at,
                    rule=d.rule,
                    audiences=audiences,
                    supervisors=self.supervisors() if "users" in audiences else [],
                    due_iso=due_iso,
                )
            )


class SweepConflict(RuntimeError):
    """A claimed clock was not in the state it was claimed in: the batch is rolled back."""

    def __init__(self, *, breach: bool) -> None:
        super().__init__(f"sweep batch changed under us ({'breach' if breach else 'warning'})")


class Supervisors:
    """Active supervisors, read at most once per sweep pass (through the batch's unit of work,
    the first time a notice needs them) and only if a notice needs them."""

    def __init__(self, uow: UnitOfWork | None = None) -> None:
        self._uow = uow
        self._ids: list[int] | None = None

    def using(self, uow: UnitOfWork) -> Supervisors:
        """The unit of work of the batch running now (the next read goes through it)."""
        self._uow = uow
        return self

    def __call__(self) -> list[int]:
        if self._ids is None:
            assert self._uow is not None
            self._ids = self._uow.deadlines.supervisor_ids()
        return self._ids
