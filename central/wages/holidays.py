"""Which kind of day a date is: workday, rest day, or statutory holiday (PRC Labour Law art. 44).

Two sources, because neither alone is enough:

* ``chinese_calendar`` has the State Council's yearly arrangement: which days are off and
  which weekends are adjusted working days (调休上班). It marks every day of a holiday period
  as "holiday", but only the statutory days (法定节假日) earn 300 %; the other days of the
  period are rest days moved around (200 %).
* The statutory days themselves follow from the 全国年节及纪念日放假办法: fixed dates, lunar
  festivals (``lunardate``) and the Qingming solar term (``chinese_calendar``). The 2025
  revision added New Year's Eve of the lunar year and 2 May; 2014–2024 the Spring Festival
  days were the 1st–3rd of the first lunar month.

A site can override any date (a local holiday, a shutdown, a different rest day): the site's
word wins, because it is what the workers were told.
"""

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache

import chinese_calendar
from lunardate import LunarDate


class DayKind(StrEnum):
    WORKDAY = "workday"
    RESTDAY = "restday"
    HOLIDAY = "holiday"  # statutory holiday


class CalendarUnsupported(ValueError):
    """A year before the current holiday rules (2008) cannot be classified."""


_REGULAR_FESTIVALS = {h.value for h in chinese_calendar.Holiday} - {
    chinese_calendar.Holiday.anti_fascist_70th_day.value
}


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> dict[dt.date, str]:
    """The statutory holiday dates of ``year`` (the days that earn 300 %)."""
    if year < 2008:
        raise CalendarUnsupported(f"holiday rules before 2008 are not supported ({year})")
    days: dict[dt.date, str] = {dt.date(year, 1, 1): "New Year's Day"}
    new_year = _lunar(year, 1, 1)
    if year >= 2025:
        spring = [
            new_year - dt.timedelta(days=1),
            *(new_year + dt.timedelta(days=i) for i in range(3)),
        ]
    elif year >= 2014:
        spring = [new_year + dt.timedelta(days=i) for i in range(3)]
    else:
        spring = [
            new_year - dt.timedelta(days=1),
            *(new_year + dt.timedelta(days=i) for i in range(2)),
        ]
    days.update(dict.fromkeys(spring, "Spring Festival"))
    start, end = dt.date(year, 4, 1), dt.date(year, 4, 30)
    for day, term in chinese_calendar.get_solar_terms(start, end):
        if term == "清明":
            days[day] = "Tomb-sweeping Day"
    days[dt.date(year, 5, 1)] = "Labour Day"
    if year >= 2025:
        days[dt.date(year, 5, 2)] = "Labour Day"
    days[_lunar(year, 5, 5)] = "Dragon Boat Festival"
    days[_lunar(year, 8, 15)] = "Mid-autumn Festival"
    for d in (1, 2, 3):
        days[dt.date(year, 10, d)] = "National Day"
    # One-off statutory days decreed by the State Council (2015-09-03 so far).
    for day, name in chinese_calendar.holidays.items():
        if day.year == year and name not in _REGULAR_FESTIVALS:
            days[day] = name
    return days


def official_kind(day: dt.date) -> DayKind:
    """The national arrangement; years not yet published fall back to Monday–Friday."""
    if day in statutory_holidays(day.year):
        return DayKind.HOLIDAY
    try:
        working = chinese_calendar.is_workday(day)
    except NotImplementedError:  # the State Council publishes each year in November
        working = day.weekday() < 5
    return DayKind.WORKDAY if working else DayKind.RESTDAY


class WorkCalendar:
    """The national calendar with one site's overrides on top."""

    def __init__(self, overrides: Mapping[dt.date, DayKind] | None = None) -> None:
        self.overrides = dict(overrides or {})
        self._cache: dict[dt.date, DayKind] = {}

    def kind(self, day: dt.date) -> DayKind:
        found = self._cache.get(day)
        if found is None:
            found = self.overrides.get(day) or official_kind(day)
            self._cache[day] = found
        return found
