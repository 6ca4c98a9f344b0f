"""The chinesecalendar adapter: real 2025–2026 schedule, coverage and parity with the package."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from kefu.adapters.holidays import load_chinese_holidays
from kefu.domain.calendar import BusinessCalendar

DATA = load_chinese_holidays()


def test_coverage_matches_the_pinned_package() -> None:
    assert (DATA.first_year, DATA.last_year) == (2004, 2026)
    assert DATA.source == "chinesecalendar 1.11.0"


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2025, 1, 28), date(2025, 2, 4)),  # Spring Festival 2025
        (date(2025, 10, 1), date(2025, 10, 8)),  # National Day + Mid-autumn 2025
        (date(2026, 2, 15), date(2026, 2, 23)),  # Spring Festival 2026
    ],
)
def test_holiday_periods_are_days_off(first: date, last: date) -> None:
    days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
    assert days <= DATA.holidays
    assert first - timedelta(days=1) not in DATA.holidays
    assert last + timedelta(days=1) not in DATA.holidays


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 26),
        date(2025, 2, 8),
        date(2025, 9, 28),
        date(2025, 10, 11),
        date(2026, 2, 14),
        date(2026, 2, 28),
    ],
)
def test_adjusted_weekends_are_workdays(day: date) -> None:
    assert day in DATA.workdays
    assert day.weekday() >= 5
    assert day not in DATA.holidays


def test_adjusted_workdays_are_all_weekends_and_disjoint_from_holidays() -> None:
    assert all(d.weekday() >= 5 for d in DATA.workdays)
    assert not DATA.workdays & DATA.holidays


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 10, 6), "中秋 Mid-autumn Festival"),
        (date(2025, 10, 1), "国庆节 National Day"),
        (date(2025, 9, 28), "国庆节 National Day"),
        (date(2026, 2, 15), "春节 Spring Festival"),
    ],
)
def test_names_are_chinese_then_english(day: date, expected: str) -> None:
    assert DATA.names[day] == expected


def test_business_calendar_agrees_with_the_package_on_every_covered_day() -> None:
    calendar = BusinessCalendar().with_holidays(DATA)
    day = date(2024, 1, 1)
    while day <= date(2026, 12, 31):
        working, provisional = calendar.is_working_day(day)
        assert working == chinese_calendar.is_workday(day), day
        assert not provisional
        day += timedelta(days=1)


@pytest.mark.parametrize(("year", "workdays"), [(2025, 248), (2026, 248)])
def test_working_day_counts_per_year(year: int, workdays: int) -> None:
    calendar = BusinessCalendar().with_holidays(DATA)
    days, provisional = calendar.working_days_between(date(year, 1, 1), date(year, 12, 31))
    assert (len(days), provisional) == (workdays, False)
