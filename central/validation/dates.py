"""Months and dates in the years a payroll can concern, and "today" that is not in the future.

Wage records start in 2000 and end in 2099: ``0000-01`` or ``9999-12-31`` is a typo or an
attack, and the date arithmetic around them (a month's last day, the next month's due date)
overflows Python's calendar. A scan "as of" a future date would raise warnings about wages
not yet due, so "today" parameters may not lie after today anywhere on Earth.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field

from central.errors import N_, InvalidValue

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

#: ``YYYY-MM`` from 2000-01 to 2099-12 (the pattern is the whole check, so it is in the schema).
Month = Annotated[
    str,
    Field(
        pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$",
        max_length=7,
        description="YYYY-MM, 2000-01 to 2099-12",
        examples=["2025-06"],
    ),
]


def _in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidValue(
            N_("dates run from %(first)s to %(last)s"), first=str(FIRST_DAY), last=str(LAST_DAY)
        )
    return day


#: A calendar date from 2000-01-01 to 2099-12-31.
LocalDate = Annotated[date, AfterValidator(_in_range)]


def not_future(day: date) -> date:
    """``day`` unless it is after today in the zone furthest ahead (UTC+14)."""
    latest = (datetime.now(UTC) + timedelta(hours=14)).date()
    if day > latest:
        raise InvalidValue(N_("must not be in the future"))
    return _in_range(day)


#: A date that has already begun somewhere: "as of" parameters (a warnings scan's today).
NotFutureDate = Annotated[date, AfterValidator(not_future)]
