"""Routing as data: which team handles a category, and which on-duty agent takes the next case."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, time

from kefu.domain.types import Category

# Issue 3: customer service by default (it also coordinates repairs with the seller); the
# platform's own technical matters (virtual goods delivery, feature requests) to tech support;
# counterfeit allegations to compliance.
TEAM_FOR_CATEGORY: Mapping[Category, str] = {
    Category.VIRTUAL_GOODS: "tech",
    Category.SUGGESTION: "tech",
}
DEFAULT_TEAM = "cs"
COMPLIANCE_TEAM = "compliance"


def team_for(category: Category, *, compliance: bool, default: str = DEFAULT_TEAM) -> str:
    if compliance:
        return COMPLIANCE_TEAM
    return TEAM_FOR_CATEGORY.get(category, default)


@dataclass(frozen=True, slots=True)
class StaffSlot:
    """One team member who could take a case: their shift and how many open cases they hold."""

    user_id: int
    on_duty: bool
    shift_start: time
    shift_end: time
    working_days_only: bool
    open_assigned: int

    def working_at(self, local: datetime, *, working_day: bool) -> bool:
        """On duty, inside the shift (which may run past midnight), on a day they work."""
        if not self.on_duty or (self.working_days_only and not working_day):
            return False
        t = local.time()
        if self.shift_start <= self.shift_end:
            return self.shift_start <= t < self.shift_end
        return t >= self.shift_start or t < self.shift_end


def pick_assignee(
    slots: Iterable[StaffSlot], local_now: datetime, *, working_day: bool
) -> int | None:
    """The least-loaded member working now (lowest id on a tie); None leaves it in the queue.

    Never an agent who is off: a case nobody can take waits in the team queue instead."""
    working = [s for s in slots if s.working_at(local_now, working_day=working_day)]
    if not working:
        return None
    return min(working, key=lambda s: (s.open_assigned, s.user_id)).user_id


def parse_shift_time(raw: str) -> time:
    """'09:00' -> time(9, 0); raises ValueError on anything else."""
    hours, minutes = raw.split(":")
    return time(int(hours), int(minutes))
