"""BusinessCalendar: working days, business hours, day deadlines, provisional years and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.adapters.holidays import load_chinese_holidays
from kefu.domain.calendar import FULL_DAY, BusinessCalendar, DayEnd, Window

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CAL = BusinessCalendar().with_holidays(load_chinese_holidays())
JD = CAL.with_daily_window(Window.of("09:00", "18:00"))
EOD = (23, 59, 59, 999999)


def sh(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def local(at: datetime, zone: ZoneInfo = SH) -> tuple[int, ...]:
    t = at.astimezone(zone)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second, t.microsecond)


@pytest.mark.parametrize(
    ("day", "working", "provisional"),
    [
        (date(2025, 1, 26), True, False),  # Sunday, 调休 for Spring Festival
        (date(2025, 1, 27), True, False),
        (date(2025, 1, 28), False, False),
        (date(2025, 2, 4), False, False),
        (date(2025, 2, 5), True, False),
        (date(2025, 2, 8), True, False),  # Saturday, 调休
        (date(2025, 9, 28), True, False),  # Sunday, 调休 for National Day
        (date(2025, 10, 1), False, False),
        (date(2025, 10, 8), False, False),
        (date(2025, 10, 11), True, False),  # Saturday, 调休
        (date(2025, 10, 12), False, False),
        (date(2026, 2, 14), True, False),
        (date(2026, 2, 15), False, False),
        (date(2026, 2, 23), False, False),
        (date(2026, 2, 24), True, False),
        (date(2026, 2, 28), True, False),
        (date(2027, 1, 1), True, True),  # beyond the data: Mon–Fri guess
        (date(2027, 1, 2), False, True),
        (date(2027, 2, 8), True, True),
    ],
)
def test_is_working_day(day: date, working: bool, provisional: bool) -> None:
    assert CAL.is_working_day(day) == (working, provisional)


def test_overrides_beat_package_data_and_make_a_year_definite() -> None:
    cal = BusinessCalendar(
        override_rest=frozenset({date(2025, 10, 9), date(2027, 1, 4)}),
        override_work=frozenset({date(2025, 10, 8), date(2027, 1, 2)}),
    ).with_holidays(load_chinese_holidays())
    assert cal.is_working_day(date(2025, 10, 9)) == (False, False)
    assert cal.is_working_day(date(2025, 10, 8)) == (True, False)
    assert cal.is_working_day(date(2027, 1, 4)) == (False, False)
    assert cal.is_working_day(date(2027, 1, 2)) == (True, False)
    result = cal.add_working_days(sh(2025, 9, 30, 10), 1)
    assert local(result.at)[:3] == (2025, 10, 8)
    assert "2025-10-08 自定义工作日 override: working day: 国庆节 National Day" in result.facts


def test_a_date_cannot_be_both_override_kinds() -> None:
    with pytest.raises(ValueError, match="both"):
        BusinessCalendar(
            override_rest=frozenset({date(2025, 1, 1)}), override_work=frozenset({date(2025, 1, 1)})
        )


def test_rule_25_workdays_around_national_day() -> None:
    days, provisional = CAL.working_days_between(date(2025, 9, 27), date(2025, 10, 12))
    assert days == (
        date(2025, 9, 28),
        date(2025, 9, 29),
        date(2025, 9, 30),
        date(2025, 10, 9),
        date(2025, 10, 10),
        date(2025, 10, 11),
    )
    assert not provisional


@pytest.mark.parametrize(
    ("start", "n", "expected", "provisional"),
    [
        (sh(2025, 9, 30, 10), 1, date(2025, 10, 9), False),
        (sh(2025, 9, 30, 10), 3, date(2025, 10, 11), False),  # 调休 Saturday counts
        (sh(2025, 9, 26, 23, 59), 1, date(2025, 9, 28), False),
        (sh(2025, 1, 24, 9), 1, date(2025, 1, 26), False),
        (sh(2025, 1, 27, 9), 1, date(2025, 2, 5), False),
        (sh(2026, 2, 13, 9), 1, date(2026, 2, 14), False),
        (sh(2026, 2, 14, 9), 1, date(2026, 2, 24), False),
        (sh(2025, 10, 1, 12), 7, date(2025, 10, 16), False),  # find_workday would say 10-17
        (sh(2026, 12, 30, 9), 3, date(2027, 1, 4), True),
        (sh(2025, 10, 13, 9), 0, date(2025, 10, 13), False),
    ],
)
def test_add_working_days_counts_from_the_next_day(
    start: datetime, n: int, expected: date, provisional: bool
) -> None:
    result = CAL.add_working_days(start, n)
    assert local(result.at) == (expected.year, expected.month, expected.day, *EOD)
    assert result.provisional is provisional
    assert result.at.tzinfo is UTC


def test_working_days_facts_name_the_holiday_and_the_adjusted_day() -> None:
    result = CAL.add_working_days(sh(2025, 9, 30, 10), 3)
    assert result.facts == (
        "2025-10-01..10-08 法定节假日 holiday: 国庆节 National Day, 中秋 Mid-autumn Festival",
        "2025-10-11 调休上班 adjusted working day: 国庆节 National Day",
    )


def test_provisional_fact_is_reported() -> None:
    result = CAL.add_working_days(sh(2026, 12, 31, 9), 1)
    assert result.provisional
    assert result.facts[0].startswith("2027-01-01 暂无官方放假安排")


def test_working_days_can_end_at_close_of_business() -> None:
    result = CAL.add_working_days(sh(2025, 9, 30, 10), 1, day_end=DayEnd.CLOSE_OF_BUSINESS)
    assert local(result.at)[:5] == (2025, 10, 9, 21, 0)


@pytest.mark.parametrize(
    ("calendar", "start", "hours", "expected"),
    [
        (CAL, sh(2025, 10, 13, 10), 2, (2025, 10, 13, 12, 0)),
        (CAL, sh(2025, 10, 13, 19), 2, (2025, 10, 13, 21, 0)),  # a window's end is on time
        (CAL, sh(2025, 10, 13, 20), 2, (2025, 10, 14, 10, 0)),  # carried over night
        (CAL, sh(2025, 10, 13, 6), 1, (2025, 10, 13, 10, 0)),  # starts before opening
        (CAL, sh(2025, 9, 30, 20), 3, (2025, 10, 9, 11, 0)),  # carried over National Day
        (CAL, sh(2025, 9, 27, 10), 1, (2025, 9, 28, 10, 0)),  # Saturday off, 调休 Sunday on
        (CAL, sh(2025, 1, 27, 20, 30), 1, (2025, 2, 5, 9, 30)),  # over Spring Festival
        (JD, sh(2025, 10, 13, 14, 1), 4, (2025, 10, 14, 9, 1)),  # rule 17's example
        (JD, sh(2025, 10, 1, 14, 1), 4, (2025, 10, 2, 9, 1)),  # JD clocks run on holidays too
        (JD, sh(2025, 10, 4, 20), 4, (2025, 10, 5, 13, 0)),
    ],
)
def test_add_business_hours(
    calendar: BusinessCalendar, start: datetime, hours: float, expected: tuple[int, ...]
) -> None:
    assert local(calendar.add_business_hours(start, hours).at)[:5] == expected


def test_business_hours_facts_list_the_skipped_holiday() -> None:
    result = CAL.add_business_hours(sh(2025, 9, 30, 20), 3)
    assert result.facts == (
        "2025-10-01..10-08 法定节假日 holiday: 国庆节 National Day, 中秋 Mid-autumn Festival",
    )


def test_every_day_clock_is_not_provisional_beyond_the_data() -> None:
    result = JD.add_business_hours(datetime(2027, 1, 2, 17, tzinfo=SH), 2)
    assert local(result.at)[:5] == (2027, 1, 3, 10, 0)
    assert (result.provisional, result.facts) == (False, ())
    assert CAL.add_business_hours(datetime(2027, 1, 2, 17, tzinfo=SH), 2).provisional


def test_lunch_break_windows() -> None:
    cal = BusinessCalendar(
        working_windows=((Window.of("09:00", "12:00"), Window.of("13:00", "18:00")),) * 7
    ).with_holidays(load_chinese_holidays())
    assert local(cal.add_business_hours(sh(2025, 10, 13, 11), 2).at)[:5] == (2025, 10, 13, 14, 0)
    assert cal.business_time_between(sh(2025, 10, 13, 11), sh(2025, 10, 13, 14)) == timedelta(
        hours=2
    )


@pytest.mark.parametrize(
    ("a", "b", "hours"),
    [
        (sh(2025, 10, 10, 20), sh(2025, 10, 13, 10), 14),  # Fri 1 h, 调休 Sat 12 h, Mon 1 h
        (sh(2025, 10, 17, 20), sh(2025, 10, 20, 10), 2),  # ordinary weekend
        (sh(2025, 9, 30, 20), sh(2025, 10, 9, 11), 3),
        (sh(2025, 10, 13, 10), sh(2025, 10, 13, 10), 0),
        (sh(2025, 10, 13, 22), sh(2025, 10, 14, 8), 0),
        (sh(2025, 10, 13, 12), sh(2025, 10, 13, 10), -2),
    ],
)
def test_business_time_between(a: datetime, b: datetime, hours: int) -> None:
    assert CAL.business_time_between(a, b) == timedelta(hours=hours)


_starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2027, 6, 30),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, SH, BERLIN]),
    allow_imaginary=False,
)


@settings(max_examples=150, deadline=None)
@given(
    start=_starts,
    minutes=st.integers(min_value=0, max_value=60 * 12 * 25),
    calendar=st.sampled_from([CAL, JD, BusinessCalendar(tz="Europe/Berlin")]),
)
def test_business_time_between_inverts_add(
    start: datetime, minutes: int, calendar: BusinessCalendar
) -> None:
    amount = timedelta(minutes=minutes)
    end = calendar.add_business_time(start, amount).at
    assert end >= start
    assert calendar.business_time_between(start, end) == amount


@pytest.mark.parametrize(
    ("signed", "roll", "expected"),
    [
        (sh(2025, 9, 20, 15), True, date(2025, 9, 28)),  # D+7 Saturday → 调休 Sunday
        (sh(2025, 9, 24, 15), True, date(2025, 10, 9)),  # D+7 in National Day
        (sh(2025, 9, 24, 7), True, date(2025, 10, 9)),  # local date counts, not the UTC date
        (sh(2025, 9, 24, 15), False, date(2025, 10, 1)),
        (sh(2025, 10, 6, 15), True, date(2025, 10, 13)),  # D+7 is a Monday: no extension
        (sh(2026, 2, 10, 15), True, date(2026, 2, 24)),  # D+7 in Spring Festival 2026
        (sh(2026, 12, 27, 15), True, date(2027, 1, 4)),  # D+7 a 2027 Sunday, guessed
    ],
)
def test_rule_1_no_reason_return_window(signed: datetime, roll: bool, expected: date) -> None:
    result = CAL.add_calendar_days(signed, 7, roll_to_working_day=roll)
    assert local(result.at) == (expected.year, expected.month, expected.day, *EOD)
    assert result.provisional is (expected.year == 2027)


def test_rule_6_refund_by_r_plus_7() -> None:
    result = CAL.add_calendar_days(sh(2025, 9, 30, 16), 7)
    assert local(result.at) == (2025, 10, 7, *EOD)
    assert (result.provisional, result.facts) == (False, ())


@pytest.mark.parametrize(
    ("hours", "roll", "expected"),
    [
        (24, False, (2025, 10, 1, 12, 0, 0, 0)),
        (24, True, (2025, 10, 9, *EOD)),
        (4, True, (2025, 9, 30, 16, 0, 0, 0)),
    ],
)
def test_calendar_hours_optionally_leave_rest_days(
    hours: int, roll: bool, expected: tuple[int, ...]
) -> None:
    result = CAL.add_calendar_time(
        sh(2025, 9, 30, 12), timedelta(hours=hours), roll_to_working_day=roll
    )
    assert local(result.at) == expected


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (sh(2025, 8, 31, 9), 6, date(2026, 2, 28)),
        (sh(2025, 3, 15, 9), 12, date(2026, 3, 15)),
        (sh(2025, 11, 30, 9), 3, date(2026, 2, 28)),
    ],
)
def test_calendar_months_clamp_to_month_end(start: datetime, months: int, expected: date) -> None:
    assert local(CAL.add_calendar_months(start, months).at)[:3] == (
        expected.year,
        expected.month,
        expected.day,
    )


# --- a zone with daylight saving time (no holiday data: Mon–Fri, provisional) ----------------

BERLIN_EVERY_DAY = BusinessCalendar(tz="Europe/Berlin").with_daily_window(
    Window.of("09:00", "18:00")
)


def be(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BERLIN)


def test_dst_spring_forward_business_hours_keep_wall_clock_windows() -> None:
    result = BERLIN_EVERY_DAY.add_business_hours(be(2025, 3, 29, 17), 2)
    assert local(result.at, BERLIN)[:5] == (2025, 3, 30, 10, 0)
    assert result.at == datetime(2025, 3, 30, 8, tzinfo=UTC)  # CEST = UTC+2


def test_dst_days_are_23_and_25_hours_long() -> None:
    whole_days = BusinessCalendar(tz="Europe/Berlin").with_daily_window(FULL_DAY)
    assert whole_days.business_time_between(be(2025, 3, 30), be(2025, 3, 31)) == timedelta(hours=23)
    assert whole_days.business_time_between(be(2025, 10, 26), be(2025, 10, 27)) == timedelta(
        hours=25
    )


def test_dst_calendar_hours_are_elapsed_hours() -> None:
    result = BusinessCalendar(tz="Europe/Berlin").add_calendar_time(
        be(2025, 3, 29, 12), timedelta(hours=24)
    )
    assert local(result.at, BERLIN)[:5] == (2025, 3, 30, 13, 0)


def test_dst_end_of_day_uses_the_offset_of_that_day() -> None:
    cal = BusinessCalendar(tz="Europe/Berlin")
    assert cal.add_calendar_days(be(2025, 10, 25, 9), 1).at == datetime(
        2025, 10, 26, 22, 59, 59, 999999, tzinfo=UTC
    )
    assert cal.add_calendar_days(be(2025, 10, 24, 9), 1).at == datetime(
        2025, 10, 25, 21, 59, 59, 999999, tzinfo=UTC
    )


def test_dst_working_days_fall_back_to_weekdays_provisionally() -> None:
    result = BusinessCalendar(tz="Europe/Berlin").add_working_days(be(2025, 3, 28, 12), 1)
    assert local(result.at, BERLIN)[:3] == (2025, 3, 31)
    assert result.provisional


# --- bad input ---------------------------------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_business_hours(datetime(2025, 10, 13, 10), 1)  # noqa: DTZ001


@pytest.mark.parametrize(
    "build",
    [
        lambda: Window.of("18:00", "09:00"),
        lambda: BusinessCalendar(working_windows=((),) * 7),
        lambda: BusinessCalendar(
            working_windows=((Window.of("09:00", "12:00"), Window.of("11:00", "13:00")),) * 7
        ),
        lambda: BusinessCalendar(working_windows=((Window.of("09:00", "12:00"),),) * 6),
        lambda: BusinessCalendar(tz="Mars/Olympus"),
    ],
)
def test_bad_configuration_is_refused(build: object) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - ValueError or ZoneInfoNotFoundError
        build()  # type: ignore[operator]


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_business_time(sh(2025, 10, 13, 10), timedelta(hours=-1))
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_days(sh(2025, 10, 13, 10), -1)
