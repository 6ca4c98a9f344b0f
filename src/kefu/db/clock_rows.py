"""Case clock rows: a ClockSpec to and from its stored JSON, and rows to ClockRow."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.engine import RowMapping

from kefu.domain.calendar import DayEnd, Window
from kefu.domain.sla_clock import (
    ClockAction,
    ClockSpec,
    ClockState,
    ClockStatus,
    Measure,
    Party,
    PauseReason,
    Span,
    TimeoutOutcome,
)

# The columns mutable_values writes; a clock's identity and spec never change after insert.
MUTABLE_COLUMNS = (
    "state",
    "due_at",
    "warn_at",
    "paused_at",
    "pause_reason",
    "paused_total_s",
    "warned_at",
    "breached_at",
    "met_at",
    "stopped_at",
    "provisional",
)
CLOCK_COLUMNS = (
    "case_id",
    "party",
    "clock",
    "policy_id",
    "policy_version",
    "rule",
    "spec",
    "budget_amount",
    "budget_measure",
    "warn_share",
    "started_at",
    "facts",
    "on_warning",
    "on_breach",
    "on_timeout",
    *MUTABLE_COLUMNS,
)


def spec_to_json(spec: ClockSpec) -> dict[str, Any]:
    return dict(_spec_json(spec))


# A handful of specs exist per process (policies are data): build each one's JSON once.
# Callers get a copy; clock_to_row hands the cached dict to the driver, which only reads it.
@lru_cache(maxsize=512)
def _spec_json(spec: ClockSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "party": spec.party.value,
        "measure": spec.measure.value,
        "amount": spec.amount,
        "rule": spec.rule,
        "warn_share": spec.warn_share,
        "on_warning": [a.value for a in spec.on_warning],
        "on_breach": [a.value for a in spec.on_breach],
        "on_timeout": spec.on_timeout.value,
        "window": [spec.window.start_minute, spec.window.end_minute],
        "day_end": spec.day_end.value,
        "roll_to_working_day": spec.roll_to_working_day,
        "caps": [[c.measure.value, c.amount, c.rule] for c in spec.caps],
    }


def spec_from_json(d: dict[str, Any]) -> ClockSpec:
    return ClockSpec(
        name=d["name"],
        party=Party(d["party"]),
        measure=Measure(d["measure"]),
        amount=int(d["amount"]),
        rule=d.get("rule", ""),
        warn_share=float(d.get("warn_share", 0.8)),
        on_warning=tuple(ClockAction(a) for a in d.get("on_warning", ())),
        on_breach=tuple(ClockAction(a) for a in d.get("on_breach", ())),
        on_timeout=TimeoutOutcome(d.get("on_timeout", "none")),
        window=Window(*d["window"]),
        day_end=DayEnd(d.get("day_end", DayEnd.END_OF_DAY.value)),
        roll_to_working_day=bool(d.get("roll_to_working_day", False)),
        caps=tuple(Span(Measure(m), int(a), r) for m, a, r in d.get("caps", ())),
    )


@dataclass
class ClockRow:
    """A stored clock: its domain state plus what the table keeps around it."""

    id: int | None
    case_id: int
    policy_id: str
    policy_version: int
    state: ClockState
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    met_at: datetime | None = None

    @property
    def name(self) -> str:
        return self.state.spec.name

    @property
    def live(self) -> bool:
        # A breached clock stays live until met or cancelled: the obligation is still open.
        return self.state.status in (ClockStatus.RUNNING, ClockStatus.PAUSED, ClockStatus.BREACHED)


def mutable_values(c: ClockRow) -> dict[str, Any]:
    s = c.state
    return {
        "state": s.status.value,
        "due_at": s.due_at,
        "warn_at": s.warn_at,
        "paused_at": s.paused_at,
        "pause_reason": s.pause_reason.value if s.pause_reason else None,
        "paused_total_s": int(s.paused_total.total_seconds()),
        "warned_at": c.warned_at,
        "breached_at": c.breached_at,
        "met_at": c.met_at,
        "stopped_at": s.stopped_at,
        "provisional": s.provisional,
    }


_SPEC_TEXT: dict[int, tuple[ClockSpec, str]] = {}


def _spec_text(spec: ClockSpec) -> str:
    """The spec column as the JSON type stores it (json.dumps of spec_to_json), made once per
    spec object: keyed by identity (hashing a spec costs more than the lookup saves)."""
    found = _SPEC_TEXT.get(id(spec))
    if found is not None and found[0] is spec:
        return found[1]
    text = json.dumps(_spec_json(spec))
    if len(_SPEC_TEXT) < 512:
        _SPEC_TEXT[id(spec)] = (spec, text)  # holds the spec: its id stays its own
    return text


def clock_values(c: ClockRow) -> tuple[Any, ...]:
    """clock_to_row(c) as a CLOCK_COLUMNS tuple, the JSON columns rendered (same stored text)."""
    spec = c.state.spec
    row = clock_to_row(c)
    row["spec"] = _spec_text(spec)
    row["facts"] = json.dumps(row["facts"])
    return tuple(row[k] for k in CLOCK_COLUMNS)


def clock_to_row(c: ClockRow) -> dict[str, Any]:
    s = c.state
    return {
        "case_id": c.case_id,
        "party": s.spec.party.value,
        "clock": s.spec.name,
        "policy_id": c.policy_id,
        "policy_version": c.policy_version,
        "rule": s.spec.rule[:200],
        "spec": _spec_json(s.spec),
        "budget_amount": s.spec.amount,
        "budget_measure": s.spec.measure.value,
        "warn_share": s.spec.warn_share,
        "started_at": s.started_at,
        "facts": list(s.facts),
        # Stored beside the spec so the sweep decides warnings and breaches without parsing it.
        "on_warning": ",".join(s.spec.on_warning),
        "on_breach": ",".join(s.spec.on_breach),
        "on_timeout": s.spec.on_timeout.value,
        **mutable_values(c),
    }


def row_to_clock(r: RowMapping) -> ClockRow:
    state = ClockState(
        spec=spec_from_json(r["spec"]),
        started_at=r["started_at"],
        due_at=r["due_at"],
        warn_at=r["warn_at"],
        status=ClockStatus(r["state"]),
        paused_at=r["paused_at"],
        pause_reason=PauseReason(r["pause_reason"]) if r["pause_reason"] else None,
        paused_total=timedelta(seconds=r["paused_total_s"]),
        stopped_at=r["stopped_at"],
        met_late=r["met_at"] is not None and r["breached_at"] is not None,
        provisional=bool(r["provisional"]),
        facts=tuple(r["facts"] or ()),
    )
    return ClockRow(
        r["id"],
        r["case_id"],
        r["policy_id"],
        r["policy_version"],
        state,
        r["warned_at"],
        r["breached_at"],
        r["met_at"],
    )
