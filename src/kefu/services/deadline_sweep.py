"""The deadline sweep: warnings, breaches, their actions, default outcomes and suspension limits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from kefu.domain.deadline_events import AutoDecision
from kefu.domain.sla_clock import ClockStatus, TimeoutOutcome, recomputed, suspension_limit
from kefu.domain.workflow import Action, Status
from kefu.services.calendars import calendar_for, calendar_keys
from kefu.services.sweep_full import fire, run_full_path
from kefu.services.sweep_light import SYS, LightBatch, Supervisors, SweepConflict, changes_case
from kefu.services.unit_of_work import UnitOfWork

log = structlog.get_logger("kefu.sweep")


@dataclass(frozen=True)
class SweepConfig:
    batch: int = 500  # clocks per transaction
    max_batches: int = 20  # per pass and kind; a later pass takes the rest
    outcomes: frozenset[TimeoutOutcome] = frozenset(TimeoutOutcome)  # default outcomes enabled
    reopen_window: timedelta = timedelta(days=15)


@dataclass
class SweepReport:
    warned: int = 0
    breached: int = 0
    met: int = 0
    decisions: int = 0
    resumed: int = 0


def sweep_due_clocks(
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    config: SweepConfig | None = None,
    *,
    reader: Callable[[], UnitOfWork] | None = None,
) -> SweepReport:
    """One pass: lift suspensions past their limit, then warn, then breach (indexed lookups).

    With `reader` (a read-only unit of work: the worker passes `app.reader`), SQLite's WAL is
    checkpointed once after the pass instead of inside the batches' commits; without it every
    commit checkpoints as usual. Each batch commits on its own either way.
    """
    config = config or SweepConfig()
    report = SweepReport()
    _resume_suspensions(uow_factory, now, config, report)
    defer = reader is not None
    wrote = False
    people = Supervisors()  # one read per pass, not one per batch
    try:
        for breach in (False, True):
            for _ in range(config.max_batches):
                try:
                    claimed = _batch(
                        uow_factory, now, config, report, people, breach=breach, defer=defer
                    )
                except SweepConflict:
                    # Rolled back whole; the next pass claims again from what is committed then.
                    log.warning("deadline_sweep_conflict", breach=breach)
                    break
                wrote = wrote or claimed > 0
                if claimed < config.batch:
                    break
    finally:
        if reader is not None and wrote:
            with reader() as uow:  # also after an error: committed batches are in the WAL
                uow.deadlines.checkpoint()
    if report.warned or report.breached or report.decisions or report.resumed:
        log.info("deadline_sweep", **report.__dict__)
    return report


def _batch(
    uow_factory: Callable[[], UnitOfWork],
    now: datetime,
    config: SweepConfig,
    report: SweepReport,
    people: Supervisors,
    *,
    breach: bool,
    defer: bool = False,
) -> int:
    """Claim one batch and write everything it causes in one transaction; returns clocks claimed.

    SQLite: the unit of work holds the write lock from BEGIN IMMEDIATE, so a second worker
    claims only after this commit and sees the clocks marked. PostgreSQL: clocks are claimed
    FOR UPDATE SKIP LOCKED and their cases locked in id order. Either way a clock is warned or
    breached once; the marking UPDATEs check the state again and a mismatch undoes the batch.
    """
    with uow_factory() as uow, uow.deadlines.sweep_connection(defer_checkpoint=defer):
        repo = uow.deadlines
        due = repo.claim_due(now, config.batch, breach=breach)
        if not due:
            return 0
        facts = repo.case_facts(sorted({d.case_id for d in due}))
        heavy_cases = {
            d.case_id
            for d in due
            if d.case_id in facts
            and changes_case(d, facts[d.case_id], config.outcomes, breach=breach)
        }
        people.using(uow)
        light = LightBatch(now, people)
        heavy: list[int] = []
        for d in due:
            if d.case_id in heavy_cases:
                heavy.append(d.id)
            elif d.case_id in facts:
                light.handle(d, facts[d.case_id], breach=breach)
        mark = repo.mark_breached if breach else repo.mark_warned
        if mark(light.marked, now) != len(light.marked) or repo.mark_met(light.met, now) != len(
            light.met
        ):
            raise SweepConflict(breach=breach)
        repo.add_violations(light.violations)
        repo.append_rendered_timeline(light.timeline)
        repo.add_rendered_outbox(light.outbox)
        repo.refresh_case_due(sorted(light.met_cases))
        report.warned += light.warned
        report.breached += light.breached
        report.met += len(light.met)
        if heavy:
            run_full_path(uow, now, config, report, heavy, people, breach=breach)
        uow.commit()
        return len(due)


def _resume_suspensions(
    uow_factory: Callable[[], UnitOfWork], now: datetime, config: SweepConfig, report: SweepReport
) -> None:
    """Rule 18: a suspension past its limit resumes the case (an automatic decision)."""
    with uow_factory() as uow:
        due = uow.deadlines.due_suspensions(now, config.batch)
        for s in due:
            case = uow.deadlines.cases_by_ids([s.case_id]).get(s.case_id)
            if case is None or case.status is not Status.SUSPENDED:
                uow.deadlines.end_suspension(s.id, now, "system")
                continue
            limit = suspension_limit(s.limit_key)
            version = case.version
            fire(uow, case, Action.RESUME, f"{limit.zh} / {limit.en}", now, config, {})
            case.events.append(
                AutoDecision(
                    now,
                    *SYS,
                    outcome="resume_after_suspension",
                    clock="suspension",
                    rule=limit.span.rule,
                    policy=limit.key,
                    action=Action.RESUME.value,
                    text=f"{limit.zh}。如有异议可申请人工复核。 / {limit.en}. "
                    "You may ask for a human review.",
                )
            )
            uow.save_case(case, version)
            report.resumed += 1
        uow.commit()


def refresh_provisional_clocks(
    uow_factory: Callable[[], UnitOfWork], now: datetime, limit: int = 5000
) -> int:
    """Recompute provisional deadlines whose days the calendar now covers (new data, overrides)."""
    changed = 0
    with uow_factory() as uow:
        clocks = uow.deadlines.provisional_clocks(limit)
        cases = uow.deadlines.cases_by_ids(sorted({c.case_id for c in clocks})) if clocks else {}
        fixed = []
        for c in clocks:
            case = cases.get(c.case_id)
            if case is None:
                continue
            cal = calendar_for(uow, calendar_keys(c.state.spec.party, case.shop_id, case.team_id))
            fresh = recomputed(c.state, cal)
            if fresh.provisional:
                continue
            c.state = fresh
            fixed.append(c)
        uow.deadlines.save_clocks(fixed)
        uow.deadlines.refresh_case_due(sorted({c.case_id for c in fixed}))
        uow.commit()
        changed = len(fixed)
    if changed:
        log.info("provisional_deadlines_recomputed", count=changed, at=now.isoformat())
    return changed


__all__ = [
    "ClockStatus",
    "SweepConfig",
    "SweepReport",
    "refresh_provisional_clocks",
    "sweep_due_clocks",
]
