"""The official Chinese holiday schedule (package chinesecalendar) as plain dates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib.metadata import version

from chinese_calendar import constants


@dataclass(frozen=True)
class HolidayData:
    """Days off and 调休 working weekends for the years the source covers."""

    holidays: frozenset[date]
    workdays: frozenset[date]  # 调休上班: weekends that are working days
    first_year: int
    last_year: int
    names: Mapping[date, str] = field(default_factory=dict, hash=False)  # "国庆节 National Day"
    source: str = ""


@cache
def load_chinese_holidays() -> HolidayData:
    """Read the schedule shipped with chinesecalendar; the only place that imports it."""
    zh_by_en = {h.value: h.chinese for h in constants.Holiday}
    holidays: dict[date, str] = dict(constants.holidays)
    workdays: dict[date, str] = dict(constants.workdays)
    names = {d: f"{zh_by_en.get(en, en)} {en}" for d, en in (holidays | workdays).items()}
    return HolidayData(
        holidays=frozenset(holidays),
        workdays=frozenset(workdays),
        first_year=min(holidays).year,
        last_year=max(holidays).year,
        names=names,
        source=f"chinesecalendar {version('chinesecalendar')}",
    )
