"""A calendar's memo (zone, derived calendars, each date's open intervals) changes no result."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.adapters.holidays import load_chinese_holidays
from kefu.domain.calendar import BusinessCalendar, Window
from kefu.domain.sla_clock import start_clock
from kefu.domain.sla_defaults import DEFAULT_POLICIES

SH = ZoneInfo("Asia/Shanghai")
BASE = BusinessCalendar().with_holidays(load_chinese_holidays())
# Overrides too: a rest day, an extra working Sunday with short hours (date_windows).
WARM = replace(
    BASE,
    override_rest=frozenset({date(2026, 12, 2)}),
    override_work=frozenset({date(2026, 12, 6)}),
    date_windows={date(2026, 12, 6): (Window.of("09:00", "12:00"),)},
)
SPECS = sorted({c for p in DEFAULT_POLICIES for c in p.clocks}, key=repr)

_starts = st.datetimes(
    min_value=datetime(2025, 9, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2027, 1, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, SH]),
    allow_imaginary=False,
)


def fresh() -> BusinessCalendar:
    """The same calendar with an empty memo."""
    return replace(WARM)


@settings(max_examples=200, deadline=None)
@given(start=_starts, spec=st.sampled_from(SPECS), minutes=st.integers(0, 60 * 24 * 20))
def test_a_warm_calendar_answers_like_a_fresh_one(
    start: datetime, spec: object, minutes: int
) -> None:
    assert fresh()._days == {}
    warm_state, cold_state = start_clock(spec, start, WARM), start_clock(spec, start, fresh())  # type: ignore[arg-type]
    assert warm_state == cold_state
    later = start + timedelta(minutes=minutes)
    for cal in (
        WARM,
        WARM.working_day_clock(),
        WARM.with_daily_window(Window.of("09:00", "18:00")),
    ):
        cold = replace(cal)
        assert cal.business_time_between(start, later) == cold.business_time_between(start, later)
        assert cal.add_business_time(start, timedelta(minutes=minutes)) == cold.add_business_time(
            start, timedelta(minutes=minutes)
        )
        assert cal.day_info(later.date()) == cold.day_info(later.date())


def test_derived_calendars_are_made_once_and_equal_to_new_ones() -> None:
    assert WARM.working_day_clock() is WARM.working_day_clock()
    jd = Window.of("09:00", "18:00")
    assert WARM.with_daily_window(jd) is WARM.with_daily_window(jd)
    assert WARM.with_daily_window(jd) == replace(
        WARM, working_windows=((jd,),) * 7, rest_day_windows=(jd,), date_windows={}
    )
    assert replace(WARM) == WARM  # the memo takes no part in equality
