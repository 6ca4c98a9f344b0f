"""The sweep's full path: clocks whose actions change their case, on whole Case aggregates.

A clock that would raise priority, reassign, open an intervention or fire a default outcome is
handled here, together with every other clock of its case in the batch: whole stored clocks and
Case aggregates, one executemany per table, cases saved version-checked. Everything else takes
the set-based light path in sweep_light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kefu.db.clock_rows import ClockRow
from kefu.db.records import timeline_row
from kefu.domain.case import Case
from kefu.domain.clock_rules import CLOCK_RULES, OUTCOMES, outcome_action, raised
from kefu.domain.deadline_events import AutoDecision
from kefu.domain.events import StatusChanged, SystemAction
from kefu.domain.sla_clock import ClockAction, TimeoutOutcome, mark_breached, meet
from kefu.domain.types import SYSTEM_ACTOR, Visibility
from kefu.domain.workflow import UNDECIDED_ENDINGS, Action
from kefu.services.cases import forget_request
from kefu.services.deadlines import apply_transition_clocks
from kefu.services.sweep_light import (
    BREACHED,
    RULE_COLUMN,
    SYS,
    WARNED,
    Supervisors,
    clock_event,
    notice,
)
from kefu.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:  # deadline_sweep imports this module; only its types are needed here
    from kefu.services.deadline_sweep import SweepConfig, SweepReport


def run_full_path(
    uow: UnitOfWork,
    now: datetime,
    config: SweepConfig,
    report: SweepReport,
    clock_ids: list[int],
    people: Supervisors,
    *,
    breach: bool,
) -> None:
    """Clocks whose actions change their case: whole clocks and Case aggregates, saved checked."""
    repo = uow.deadlines
    clocks = repo.clocks_by_ids(clock_ids)
    cases = repo.cases_by_ids(sorted({c.case_id for c in clocks.values()}))
    work = FullPathBatch(uow, now, config, report, people)
    for clock_id in clock_ids:  # claim order, as before
        clock = clocks.get(clock_id)
        case = cases.get(clock.case_id) if clock is not None else None
        if clock is not None and case is not None:
            work.handle(case, clock, breach=breach)
    work.flush(cases)


@dataclass
class FullPathBatch:
    """The full path's writes, gathered so each table gets one executemany."""

    uow: UnitOfWork
    now: datetime
    config: SweepConfig
    report: SweepReport
    supervisors: Callable[[], list[int]]
    clocks: dict[int, ClockRow] = field(default_factory=dict)
    dirty: dict[int, int] = field(default_factory=dict)  # case id -> version as loaded
    refresh_due: set[int] = field(default_factory=set)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, case: Case, clock: ClockRow, *, breach: bool) -> None:
        assert clock.id is not None
        self.clocks[clock.id] = clock
        rule = CLOCK_RULES.get(clock.name)
        if rule is not None and rule.met_by_first_response and case.first_response_at is not None:
            # Answered through a message (no lifecycle hook there): met when it happened.
            clock.state = meet(clock.state, max(case.first_response_at, clock.state.started_at))
            clock.met_at = self.now
            self.refresh_due.add(clock.case_id)
            self.report.met += 1
            return
        spec = clock.state.spec
        if not breach:
            clock.warned_at = self.now
            self._event(case, clock, WARNED)
            self.report.warned += 1
            for action in spec.on_warning:
                self._act(case, clock, action, "sla_warning")
            return
        clock.state = mark_breached(clock.state, self.now)
        clock.breached_at = self.now
        self._event(case, clock, BREACHED)
        self.report.breached += 1
        for action in spec.on_breach:
            self._act(case, clock, action, "sla_breached")
        if spec.on_timeout in self.config.outcomes:
            self._decide(case, clock, spec.on_timeout)

    def _event(self, case: Case, clock: ClockRow, change: tuple[str, Visibility, str]) -> None:
        s = clock.state
        case.events.append(
            clock_event(
                self.now,
                change,
                clock=clock.name,
                party=s.spec.party.value,
                due_at=s.due_at,
                rule=s.spec.rule,
                policy_id=clock.policy_id,
            )
        )

    def _act(self, case: Case, clock: ClockRow, action: ClockAction, topic: str) -> None:
        assert case.id is not None
        if action is ClockAction.NOTIFY_ASSIGNEE:
            self._notify(case, clock, topic, ["assignee"] if case.assignee_id else ["team"])
        elif action is ClockAction.NOTIFY_SUPERVISOR:
            self._notify(case, clock, topic, ["assignee", "users"])
        elif action is ClockAction.RAISE_PRIORITY:
            higher = raised(case.priority)
            if higher is not case.priority:
                before, case.priority = case.priority, higher
                case.events.append(
                    SystemAction(
                        self.now,
                        *SYS,
                        Visibility.INTERNAL,
                        what="超时升级优先级 priority raised on breach",
                        details={"from": before.value, "to": higher.value, "clock": clock.name},
                    )
                )
                self._touch(case)
        elif action is ClockAction.REASSIGN:
            if case.assignee_id is not None:
                case.assign(SYSTEM_ACTOR, None, case.team_id, self.now)  # back to the team queue
                self._touch(case)
        elif action is ClockAction.OPEN_INTERVENTION:
            self._decide(case, clock, TimeoutOutcome.OPEN_INTERVENTION)
        elif action is ClockAction.RECORD_SELLER_VIOLATION and case.shop_id is not None:
            self.violations.append(
                {
                    "shop_id": case.shop_id,
                    "case_id": case.id,
                    "clock_id": clock.id,
                    "clock": clock.name,
                    "rule": clock.state.spec.rule[:RULE_COLUMN],
                    "detail": f"due {clock.state.due_at.isoformat()}",
                    "occurred_at": self.now,
                }
            )

    def _notify(self, case: Case, clock: ClockRow, topic: str, audiences: list[str]) -> None:
        self.outbox.append(
            notice(
                self.now,
                case,
                topic=topic,
                clock=clock.name,
                due_at=clock.state.due_at,
                rule=clock.state.spec.rule,
                audiences=audiences,
                supervisors=self.supervisors() if "users" in audiences else [],
            )
        )

    def _touch(self, case: Case) -> None:
        assert case.id is not None
        self.dirty.setdefault(case.id, case.version)

    def _decide(self, case: Case, clock: ClockRow, outcome: TimeoutOutcome) -> None:
        """Fire the outcome's SYSTEM action where the case's status can express it."""
        action = outcome_action(clock.state.spec.party, outcome, case.status)
        if action is None:
            return
        rule = OUTCOMES[outcome]
        self._touch(case)
        fire(self.uow, case, action, f"{rule.zh} / {rule.en}", self.now, self.config, self.clocks)
        if action in UNDECIDED_ENDINGS:
            # Rule 30: a request closed because the goods were not sent back was never decided;
            # the same request filed again is a new one, not a duplicate of this.
            forget_request(self.uow, case)
        case.events.append(
            AutoDecision(
                self.now,
                *SYS,
                outcome=outcome.value,
                clock=clock.name,
                rule=clock.state.spec.rule,
                policy=f"{clock.policy_id} v{clock.policy_version}",
                action=action.value,
                text=f"{rule.zh}。如有异议可申请人工复核。 / {rule.en}. "
                "You may ask for a human review.",
            )
        )
        self.report.decisions += 1

    def flush(self, cases: dict[int, Case]) -> None:
        repo = self.uow.deadlines
        repo.save_clocks(self.clocks.values())
        repo.add_violations(self.violations)
        timeline_rows: list[dict[str, Any]] = []
        for case_id, case in cases.items():
            if case_id in self.dirty:
                self.uow.save_case(case, self.dirty[case_id])
            else:
                timeline_rows += [timeline_row(case_id, e) for e in case.events]
                case.events = []
        repo.append_timeline(timeline_rows)
        repo.add_outbox(self.outbox)
        repo.refresh_case_due(sorted(self.refresh_due - set(self.dirty)))


def fire(
    uow: UnitOfWork,
    case: Case,
    action: Action,
    reason: str,
    now: datetime,
    config: SweepConfig,
    in_memory: dict[int, ClockRow],
) -> None:
    """Apply a SYSTEM action and move the case's clocks with it (clocks of this batch win)."""
    assert case.id is not None
    case.apply(SYSTEM_ACTOR, action, {"reason": reason}, now, config.reopen_window)
    change = next(e for e in reversed(case.events) if isinstance(e, StatusChanged))
    stored = uow.deadlines.clocks_for_case(case.id, live_only=True)
    live = [in_memory.get(c.id, c) for c in stored if c.id is not None]
    apply_transition_clocks(uow, case, change, [c for c in live if c.live], now)
