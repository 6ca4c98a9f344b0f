"""Timeline events of SLA clocks: paused, resumed, warned, breached; automatic decisions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from kefu.domain.events import CaseEvent
from kefu.domain.types import Visibility


@dataclass(frozen=True)
class ClockChanged(CaseEvent):
    """A clock moved (started, paused, resumed, warned, breached, met, cancelled)."""

    kind: ClassVar[str] = "clock"
    change: str = ""
    clock: str = ""
    party: str = ""
    reason: str = ""
    due_at: str = ""
    text: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def body(self) -> str:
        return self.text

    @property
    def data(self) -> dict[str, Any]:
        out = {"change": self.change, "clock": self.clock, "party": self.party, **self.details}
        if self.reason:
            out["reason"] = self.reason
        if self.due_at:
            out["due_at"] = self.due_at
        return out


@dataclass(frozen=True)
class AutoDecision(CaseEvent):
    """A decision made by a rule, not a person; PIPL 24: the buyer may ask a human to review it."""

    kind: ClassVar[str] = "auto_decision"
    visibility: Visibility = Visibility.PUBLIC
    outcome: str = ""
    clock: str = ""
    rule: str = ""
    policy: str = ""
    action: str = ""
    text: str = ""

    @property
    def body(self) -> str:
        return self.text

    @property
    def data(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "clock": self.clock,
            "rule": self.rule,
            "policy": self.policy,
            "action": self.action,
            "automated": True,
            "human_review": "available",
        }


@dataclass(frozen=True)
class ReviewRequested(CaseEvent):
    """The buyer asked for a person to review an automatic decision (PIPL 24)."""

    kind: ClassVar[str] = "review_requested"
    decision_id: int = 0
    text: str = ""

    @property
    def body(self) -> str:
        return self.text

    @property
    def data(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id}
