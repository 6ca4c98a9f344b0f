"""Business calendars: working days, working windows and deadline arithmetic in local time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Protocol
from zoneinfo import ZoneInfo

from kefu.domain.calendar_facts import (
    DayInfo,
    Deadline,
    DeadlineTrace,
    FactKind,
    dates_between,
)

_DAY_MINUTES = 24 * 60
_ONE_DAY = timedelta(days=1)
# Longer than any real run of rest days; hitting it means the calendar has no working time.
_MAX_SCAN_DAYS = 3 * 366
_MEMO_DAYS = 4096  # dates whose open intervals one calendar remembers


@dataclass(frozen=True, order=True)
class Window:
    """A daily window [start, end) in local wall-clock minutes; end 1440 means midnight."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= _DAY_MINUTES:
            raise ValueError(f"bad window {self.start_minute}..{self.end_minute}")

    @classmethod
    def of(cls, start: str, end: str) -> Window:
        """Build from "HH:MM" strings; "24:00" is allowed as an end."""
        return cls(_minutes(start), _minutes(end))

    def __str__(self) -> str:
        return f"{_hhmm(self.start_minute)}–{_hhmm(self.end_minute)}"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


DEFAULT_WINDOW = Window.of("09:00", "21:00")  # seed 004: 工作日 9:00–21:00
FULL_DAY = Window(0, _DAY_MINUTES)


class DayEnd(StrEnum):
    """Where a day-based deadline lands on its date."""

    END_OF_DAY = "end_of_day"  # 23:59:59.999999 local (民法典 203)
    CLOSE_OF_BUSINESS = "close_of_business"  # end of that day's last window


class HolidaySource(Protocol):
    """What an adapter hands over: plain dates, no library types."""

    @property
    def holidays(self) -> frozenset[date]: ...
    @property
    def workdays(self) -> frozenset[date]: ...
    @property
    def first_year(self) -> int: ...
    @property
    def last_year(self) -> int: ...
    @property
    def names(self) -> Mapping[date, str]: ...


def to_utc(at: datetime) -> datetime:
    """Refuse naive datetimes; UTC because same-zone aware arithmetic is wall-clock arithmetic."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class BusinessCalendar:
    """Working days (official schedule + overrides) and daily working windows of one time zone.

    ``working_windows[weekday]`` applies when that date is a working day (调休 weekends use their
    own weekday's entry); ``rest_day_windows`` applies on rest days (empty by default; JD-style
    clocks open 09:00–18:00 on every calendar day).
    """

    tz: str = "Asia/Shanghai"
    working_windows: tuple[tuple[Window, ...], ...] = ((DEFAULT_WINDOW,),) * 7
    rest_day_windows: tuple[Window, ...] = ()
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    override_rest: frozenset[date] = frozenset()
    override_work: frozenset[date] = frozenset()
    covered_years: tuple[int, int] | None = None
    names: Mapping[date, str] = field(default_factory=dict, hash=False)
    # Overrides that change one working date's hours (e.g. an emergency short day).
    date_windows: Mapping[date, tuple[Window, ...]] = field(default_factory=dict, hash=False)
    # Results that depend only on this (immutable) calendar: its zone, derived calendars and
    # each date's class and open intervals. Exact; bounded; a replace() starts a fresh one.
    _memo: dict[object, object] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    _days: dict[date, tuple[DayInfo, tuple[tuple[datetime, datetime], ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # fail at construction, not in the middle of a sweep
        if len(self.working_windows) != 7:
            raise ValueError("working_windows needs one entry per weekday (Monday first)")
        for windows in (*self.working_windows, self.rest_day_windows):
            for a, b in pairwise(windows):
                if b.start_minute < a.end_minute:
                    raise ValueError("windows of a day must be sorted and must not overlap")
        if self.override_rest & self.override_work:
            raise ValueError("a date cannot be overridden as both rest and working day")
        # Mon–Fri is the fallback beyond the data, so some time must be open there or every day.
        if not (any(self.working_windows[:5]) or self.rest_day_windows):
            raise ValueError("calendar has no working time")

    def with_holidays(self, source: HolidaySource) -> BusinessCalendar:
        """Same settings, days from adapter data (official holidays and 调休 working weekends)."""
        return replace(
            self,
            holidays=source.holidays,
            extra_workdays=source.workdays,
            covered_years=(source.first_year, source.last_year),
            names=source.names,
        )

    def with_daily_window(self, window: Window) -> BusinessCalendar:
        """Same days, one window open on every calendar day (JD business clock, rule 17)."""
        found = self._memo.get(("daily", window))
        if found is None:
            found = self._memo[("daily", window)] = replace(
                self, working_windows=((window,),) * 7, rest_day_windows=(window,), date_windows={}
            )
        assert isinstance(found, BusinessCalendar)
        return found

    def working_day_clock(self) -> BusinessCalendar:
        """Same days, whole working days open: measures time in working days."""
        found = self._memo.get("working_day_clock")
        if found is None:
            found = self._memo["working_day_clock"] = replace(
                self, working_windows=((FULL_DAY,),) * 7, rest_day_windows=(), date_windows={}
            )
        assert isinstance(found, BusinessCalendar)
        return found

    @property
    def zone(self) -> ZoneInfo:
        found = self._memo.get("zone")
        if found is None:
            found = self._memo["zone"] = ZoneInfo(self.tz)
        assert isinstance(found, ZoneInfo)
        return found

    def local_date(self, at: datetime) -> date:
        return to_utc(at).astimezone(self.zone).date()

    def day_info(self, d: date) -> DayInfo:
        """Classify a date; overrides beat the official schedule, which beats the weekday."""
        known = self._days.get(d)
        if known is not None:
            return known[0]
        if d in self.override_rest:
            return DayInfo(False, False, FactKind.OVERRIDE_REST)
        if d in self.override_work:
            return DayInfo(True, False, FactKind.OVERRIDE_WORK)
        covered = self.covered_years
        if covered is None or not covered[0] <= d.year <= covered[1]:
            return DayInfo(d.weekday() < 5, True, FactKind.PROVISIONAL)
        if d in self.extra_workdays:
            return DayInfo(True, False, FactKind.ADJUSTED_WORKDAY)
        if d in self.holidays:
            return DayInfo(False, False, FactKind.HOLIDAY)
        return DayInfo(d.weekday() < 5, False, None)

    def is_working_day(self, d: date) -> tuple[bool, bool]:
        """Return (is working day, provisional)."""
        info = self.day_info(d)
        return info.working, info.provisional

    def working_days_between(self, first: date, last: date) -> tuple[tuple[date, ...], bool]:
        """Working dates in [first, last] inclusive and whether any is provisional."""
        infos = [(d, self.day_info(d)) for d in dates_between(first, last)]
        return tuple(d for d, i in infos if i.working), any(i.provisional for _, i in infos)

    # --- business time -------------------------------------------------------------------

    def add_business_hours(self, start: datetime, hours: float) -> Deadline:
        """Shorthand for add_business_time with hours."""
        return self.add_business_time(start, timedelta(hours=hours))

    def add_business_time(self, start: datetime, amount: timedelta) -> Deadline:
        """Count ``amount`` of open time from ``start``; a window's end is still on time."""
        if amount < timedelta(0):
            raise ValueError("amount must not be negative")
        trace = DeadlineTrace(self)
        remaining, cursor, day = amount, to_utc(start), self.local_date(start)
        for _ in range(_MAX_SCAN_DAYS):
            for opens, closes in self._open_intervals(day, trace):
                if closes <= cursor:
                    continue
                begin = max(cursor, opens)
                if remaining <= closes - begin:
                    return trace.deadline(begin + remaining)
                remaining -= closes - begin
                cursor = closes
            day += _ONE_DAY
        raise ValueError("calendar has no working time in the scanned range")

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Open time between two instants (negative if b is before a)."""
        a, b = to_utc(a), to_utc(b)
        if b < a:
            return -self.business_time_between(b, a)
        total = timedelta(0)
        for day in dates_between(self.local_date(a), self.local_date(b)):
            for opens, closes in self._open_intervals(day, None):
                overlap = min(closes, b) - max(opens, a)
                if overlap > timedelta(0):
                    total += overlap
        return total

    def _open_intervals(
        self, day: date, trace: DeadlineTrace | None
    ) -> tuple[tuple[datetime, datetime], ...]:
        found = self._days.get(day)
        if found is None:
            info = self.day_info(day)
            intervals = tuple(
                (self._instant(day, w.start_minute), self._instant(day, w.end_minute))
                for w in self._windows(day, info)
            )
            found = (info, intervals)
            if len(self._days) < _MEMO_DAYS:
                self._days[day] = found
        info, intervals = found
        # When both kinds of day share their windows the day's status cannot change the result.
        if trace is not None and self.working_windows[day.weekday()] != self.rest_day_windows:
            trace.note(day, info)
        return intervals

    def _windows(self, day: date, info: DayInfo) -> tuple[Window, ...]:
        if not info.working:
            return self.rest_day_windows
        return self.date_windows.get(day) or self.working_windows[day.weekday()]

    def _instant(self, day: date, minute: int) -> datetime:
        local_day = day + timedelta(days=minute // _DAY_MINUTES)
        wall = time((minute % _DAY_MINUTES) // 60, minute % 60)
        # Gap/fold wall times resolve with fold=0 (the offset before the change).
        return datetime.combine(local_day, wall, tzinfo=self.zone).astimezone(UTC)

    # --- day-based deadlines -------------------------------------------------------------

    def add_working_days(
        self, start: datetime, n: int, *, day_end: DayEnd = DayEnd.END_OF_DAY
    ) -> Deadline:
        """Deadline on the n-th working date after start's local date (民法典 201, rule 25)."""
        if n < 0:
            raise ValueError("n must not be negative")
        trace = DeadlineTrace(self)
        day, counted = self.local_date(start), 0
        for _ in range(_MAX_SCAN_DAYS + n * 7):
            if counted == n:
                return trace.deadline(self.day_end(day, day_end))
            day += _ONE_DAY
            counted += trace.note(day).working
        raise ValueError("calendar has no working days in the scanned range")

    def add_calendar_days(
        self,
        start: datetime,
        n: int,
        *,
        roll_to_working_day: bool = False,
        day_end: DayEnd = DayEnd.END_OF_DAY,
    ) -> Deadline:
        """Deadline at the end of local date start+n, optionally moved off a rest day."""
        return self._end_on(
            self.local_date(start) + timedelta(days=n), roll_to_working_day, day_end
        )

    def add_calendar_months(
        self, start: datetime, n: int, *, day_end: DayEnd = DayEnd.END_OF_DAY
    ) -> Deadline:
        """Deadline at the end of the same day n months later (clamped to the month's end)."""
        d = self.local_date(start)
        month_index = d.year * 12 + d.month - 1 + n
        year, month = divmod(month_index, 12)
        first_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
        last_day = (first_next - _ONE_DAY).day
        return self._end_on(date(year, month + 1, min(d.day, last_day)), False, day_end)

    def add_calendar_time(
        self,
        start: datetime,
        amount: timedelta,
        *,
        roll_to_working_day: bool = False,
        day_end: DayEnd = DayEnd.END_OF_DAY,
    ) -> Deadline:
        """Elapsed-time deadline; if rolling and it lands on a rest day, end of next working day."""
        at = to_utc(start) + amount  # elapsed time: across a DST change 24 h stays 24 h
        if not roll_to_working_day:
            return Deadline(at)
        trace = DeadlineTrace(self)
        day = self.local_date(at)
        if trace.note(day).working:
            return trace.deadline(at)
        return self._next_working_end(day, trace, day_end)

    def _end_on(self, day: date, roll: bool, day_end: DayEnd) -> Deadline:
        trace = DeadlineTrace(self)
        if not roll or trace.note(day).working:
            return trace.deadline(self.day_end(day, day_end))
        return self._next_working_end(day, trace, day_end)

    def _next_working_end(self, day: date, trace: DeadlineTrace, day_end: DayEnd) -> Deadline:
        for _ in range(_MAX_SCAN_DAYS):
            day += _ONE_DAY
            if trace.note(day).working:
                return trace.deadline(self.day_end(day, day_end))
        raise ValueError("calendar has no working days in the scanned range")

    def day_end(self, day: date, day_end: DayEnd = DayEnd.END_OF_DAY) -> datetime:
        """The UTC instant a day-based deadline on ``day`` falls on."""
        if day_end is DayEnd.CLOSE_OF_BUSINESS:
            windows = self._windows(day, self.day_info(day))
            if windows:
                return self._instant(day, windows[-1].end_minute)
        return datetime.combine(day, time.max, tzinfo=self.zone).astimezone(UTC)
