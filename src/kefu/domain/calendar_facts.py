"""Day classes and the facts that explain a computed deadline (holidays, 调休, overrides)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # the calendar imports this module; the trace only needs its type
    from kefu.domain.calendar import BusinessCalendar

_ONE_DAY = timedelta(days=1)


class FactKind(StrEnum):
    HOLIDAY = "holiday"
    ADJUSTED_WORKDAY = "adjusted_workday"
    OVERRIDE_REST = "override_rest"
    OVERRIDE_WORK = "override_work"
    PROVISIONAL = "provisional"


FACT_TEXT: dict[FactKind, str] = {
    FactKind.HOLIDAY: "法定节假日 holiday",
    FactKind.ADJUSTED_WORKDAY: "调休上班 adjusted working day",
    FactKind.OVERRIDE_REST: "自定义休息日 override: rest day",
    FactKind.OVERRIDE_WORK: "自定义工作日 override: working day",
    FactKind.PROVISIONAL: "暂无官方放假安排，按周一至周五推算（暂定） "
    "no official schedule, Mon–Fri assumed (provisional)",
}


@dataclass(frozen=True)
class Deadline:
    """A computed instant (UTC) plus whether it rests on guessed days and which days shaped it."""

    at: datetime
    provisional: bool = False
    facts: tuple[str, ...] = ()


class DayInfo(NamedTuple):
    working: bool
    provisional: bool
    kind: FactKind | None


def dates_between(first: date, last: date) -> Iterator[date]:
    """Every date in [first, last], inclusive."""
    day = first
    while day <= last:
        yield day
        day += _ONE_DAY


class DeadlineTrace:
    """Collects the days a computation looked at, to explain and flag its result."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.days: dict[date, DayInfo] = {}

    def note(self, day: date, info: DayInfo | None = None) -> DayInfo:
        info = info if info is not None else self.calendar.day_info(day)
        self.days[day] = info
        return info

    def deadline(self, at: datetime) -> Deadline:
        provisional = any(i.provisional for i in self.days.values())
        return Deadline(at.astimezone(UTC), provisional, self._facts())

    def _facts(self) -> tuple[str, ...]:
        runs: list[tuple[FactKind, date, date]] = []
        for day in sorted(self.days):
            kind = self.days[day].kind
            if kind is None:
                continue
            if runs and runs[-1][0] is kind and runs[-1][2] + _ONE_DAY == day:
                runs[-1] = (kind, runs[-1][1], day)
            else:
                runs.append((kind, day, day))
        return tuple(self._describe(kind, first, last) for kind, first, last in runs)

    def _describe(self, kind: FactKind, first: date, last: date) -> str:
        names: list[str] = []
        for day in dates_between(first, last):
            name = self.calendar.names.get(day)
            if name and name not in names:
                names.append(name)
        text = f"{format_span(first, last)} {FACT_TEXT[kind]}"
        return f"{text}: {', '.join(names)}" if names else text


def format_span(first: date, last: date) -> str:
    """2025-10-01..10-08 style; a single date prints once."""
    if first == last:
        return first.isoformat()
    tail = last.strftime("%m-%d") if first.year == last.year else last.isoformat()
    return f"{first.isoformat()}..{tail}"
