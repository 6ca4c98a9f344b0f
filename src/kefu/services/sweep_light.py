"""The sweep's light path: warnings and breaches that leave the case alone, written in bulk.

Most due clocks only notify someone. Those are handled from their stored columns and a few case
columns (no spec parsing, no Case aggregate) and written set-based: one UPDATE per batch for the
clocks, one executemany each for timeline, outbox and violation rows. A clock whose actions would
change its case (raise priority, reassign, intervention, a default outcome) takes the full path
(`sweep_full.py`), together with every other clock of that case in the batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from kefu.db.deadline_sweep import CaseFacts, DueClock
from kefu.domain.clock_rules import CLOCK_RULES, outcome_action, raised
from kefu.domain.sla_clock import ClockAction, Party, TimeoutOutcome
from kefu.domain.types import Priority
from kefu.domain.workflow import Status
from kefu.services.sweep_rows import (
    BREACHED,
    SYS,
    WARNED,
    Addressed,
    RowsPlan,
    clock_event,
    clock_row,
    notice,
    outbox_tuple,
    timeline_tuple,
)
from kefu.services.unit_of_work import UnitOfWork

# Re-exported: the full path and the tests build the same rows as dicts.
__all__ = [
    "BREACHED",
    "SYS",
    "WARNED",
    "Addressed",
    "LightBatch",
    "Supervisors",
    "SweepConflict",
    "changes_case",
    "clock_event",
    "clock_row",
    "notice",
]

RULE_COLUMN = 200  # case_clocks.rule keeps this many characters of spec.rule


@lru_cache(maxsize=256)
def actions(stored: str) -> tuple[ClockAction, ...]:
    """case_clocks.on_warning / on_breach ('notify_assignee,raise_priority') -> actions."""
    return tuple(ClockAction(a) for a in stored.split(",") if a)


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


_SUPERVISOR_NOTICE = ClockAction.NOTIFY_SUPERVISOR.value
_ASSIGNEE: tuple[str, ...] = ("assignee",)
_TEAM: tuple[str, ...] = ("team",)
_SUPERVISORS: tuple[str, ...] = ("assignee", "users")


@lru_cache(maxsize=4096)
def rows_plan(
    clock: str,
    party: str,
    rule: str,
    policy_id: str,
    stored: str,
    breach: bool,
    assigned: bool,
    has_shop: bool,
    supervisors: tuple[int, ...],
) -> RowsPlan | None:
    """What a light clock with these stored values writes, as templates (None: no template,
    the rows are built one by one)."""
    notices: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    violation = False
    for action in actions(stored):
        if action is ClockAction.NOTIFY_ASSIGNEE:
            notices.append((_ASSIGNEE if assigned else _TEAM, ()))
        elif action is ClockAction.NOTIFY_SUPERVISOR:
            notices.append((_SUPERVISORS, supervisors))
        elif action is ClockAction.RECORD_SELLER_VIOLATION and has_shop:
            violation = True
    return RowsPlan.of(
        BREACHED if breach else WARNED,
        "sla_breached" if breach else "sla_warning",
        clock=clock,
        party=party,
        rule=rule,
        policy_id=policy_id,
        notices=notices,
        violation=violation,
    )


@dataclass
class LightBatch:
    """Rows of one batch's light clocks; each table is written with one statement. Timeline
    and outbox rows are pre-rendered tuples (sweep_rows.TIMELINE_COLUMNS / OUTBOX_COLUMNS)."""

    now: datetime
    supervisors: Callable[[], list[int]]
    marked: list[int] = field(default_factory=list)
    met: list[tuple[int, datetime]] = field(default_factory=list)
    met_cases: set[int] = field(default_factory=set)
    timeline: list[tuple[Any, ...]] = field(default_factory=list)
    outbox: list[tuple[Any, ...]] = field(default_factory=list)
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
        if breach:
            change, topic, stored = BREACHED, "sla_breached", d.on_breach
            self.breached += 1
        else:
            change, topic, stored = WARNED, "sla_warning", d.on_warning
            self.warned += 1
        now = self.now
        due_iso = d.due_at.isoformat()
        sup = tuple(self.supervisors()) if _SUPERVISOR_NOTICE in stored else ()
        plan = rows_plan(
            d.clock, d.party, d.rule, d.policy_id, stored, breach,
            case.assignee_id is not None, case.shop_id is not None, sup,
        )  # fmt: skip
        if plan is not None:  # the common case: templates, no per-row dicts or json.dumps
            self.timeline.append(plan.timeline(d.case_id, now, due_iso))
            self.outbox += plan.outbox(case, now, due_iso)
            if plan.violation:
                self.violations.append(self._violation(d, case, due_iso))
            return
        self.timeline.append(
            timeline_tuple(
                d.case_id,
                now,
                change,
                clock=d.clock,
                party=d.party,
                due_at=due_iso,
                rule=d.rule,
                policy_id=d.policy_id,
            )
        )
        for action in actions(stored):
            supervisors: tuple[int, ...] = ()
            if action is ClockAction.NOTIFY_ASSIGNEE:
                audiences = _ASSIGNEE if case.assignee_id else _TEAM
            elif action is ClockAction.NOTIFY_SUPERVISOR:
                audiences, supervisors = _SUPERVISORS, tuple(self.supervisors())
            elif action is ClockAction.RECORD_SELLER_VIOLATION and case.shop_id is not None:
                self.violations.append(self._violation(d, case, due_iso))
                continue
            else:
                continue  # raise / reassign / intervention that change nothing here
            self.outbox.append(
                outbox_tuple(
                    now,
                    case,
                    topic=topic,
                    clock=d.clock,
                    due_iso=due_iso,
                    rule=d.rule,
                    audiences=audiences,
                    supervisors=supervisors,
                )
            )

    def _violation(self, d: DueClock, case: CaseFacts, due_iso: str) -> dict[str, Any]:
        return {
            "shop_id": case.shop_id,
            "case_id": case.id,
            "clock_id": d.id,
            "clock": d.clock,
            "rule": d.rule,
            "detail": f"due {due_iso}",
            "occurred_at": self.now,
        }


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
