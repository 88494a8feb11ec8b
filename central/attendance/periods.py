"""Payroll months and due dates."""

import calendar
import re
from datetime import date, timedelta

from central.errors import InvalidInput

_MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")  # 2000-01 … 2099-12


def month_range(month: str) -> tuple[date, date]:
    """First and last day of ``YYYY-MM``."""
    m = _MONTH.match(month)
    if not m:
        raise InvalidInput(f"month must look like 2025-06 (2000-01 to 2099-12), got {month[:20]!r}")
    year, mon = int(m[1]), int(m[2])
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def due_date(month: str, due_day: int) -> date:
    """``due_day`` of the following month, or its last day when the month is shorter."""
    _first, last = month_range(month)
    nxt = last + timedelta(days=1)
    return date(nxt.year, nxt.month, min(due_day, calendar.monthrange(nxt.year, nxt.month)[1]))
