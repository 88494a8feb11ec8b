"""What one day of work is worth, in integer fen, under a worker's pay terms.

Definitions (docs/wages.md has worked examples):

* Worked minutes are rounded *down* to ``rounding_minutes`` (default 30) before any pay.
* The standard day is ``standard_day_minutes`` (default 8 h). On a workday, minutes beyond
  it are overtime at ``ot_workday_pct`` (≥ 150 %). Every minute worked on a rest day is
  overtime at ``ot_restday_pct`` (≥ 200 %), on a statutory holiday at ``ot_holiday_pct``
  (≥ 300 %): Labour Law art. 44 sets these as minimums, so terms below them are refused.
* Hourly pay: rate × minutes / 60 × the day's percentage.
* Daily pay: a full day at ≥ ``full_day_minutes``, half a day at ≥ ``half_day_minutes``,
  nothing below; minutes beyond the standard day are paid at the daily rate's hourly
  equivalent (rate / standard hours); the whole day is multiplied on rest days and holidays.
* Each day's pay is one integer division, rounded down to the fen, so at most one fen per
  day is lost to rounding and no float ever touches money.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from central.wages.holidays import DayKind


class PayKind(StrEnum):
    DAILY = "daily"
    HOURLY = "hourly"


Minutes = Annotated[int, Field(ge=1, le=24 * 60)]


class PayTerms(BaseModel):
    """The pay part of an employment record (stored as JSON beside it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pay_kind: PayKind
    rate_fen: Annotated[int, Field(gt=0, le=10_000_000, description="per day or per hour")]
    full_day_minutes: Minutes = 480
    half_day_minutes: Minutes = 240
    standard_day_minutes: Minutes = 480
    rounding_minutes: Annotated[int, Field(ge=1, le=240)] = 30
    ot_workday_pct: Annotated[int, Field(ge=150, le=1000)] = 150
    ot_restday_pct: Annotated[int, Field(ge=200, le=1000)] = 200
    ot_holiday_pct: Annotated[int, Field(ge=300, le=1000)] = 300

    @model_validator(mode="after")
    def _half_below_full(self) -> "PayTerms":
        if self.half_day_minutes > self.full_day_minutes:
            raise ValueError("half_day_minutes must not exceed full_day_minutes")
        return self


@dataclass(frozen=True, slots=True)
class DayPay:
    """One day's result; minutes are after rounding."""

    half_days: int  # 2 = a full day, 1 = a half day
    paid_minutes: int
    ot_workday_minutes: int
    ot_restday_minutes: int
    ot_holiday_minutes: int
    pay_fen: int


def _half_days(worked: int, terms: PayTerms) -> int:
    if worked >= terms.full_day_minutes:
        return 2
    return 1 if worked >= terms.half_day_minutes else 0


def day_pay(worked_minutes: int, kind: DayKind, terms: PayTerms) -> DayPay:
    """Pay for one attendance day of ``worked_minutes`` on a day of ``kind``."""
    if worked_minutes < 0:
        raise ValueError("worked minutes cannot be negative")
    unit = terms.rounding_minutes
    paid = worked_minutes // unit * unit
    std = terms.standard_day_minutes
    excess = max(0, paid - std)
    halves = _half_days(worked_minutes, terms)
    rate = terms.rate_fen
    pct = {
        DayKind.WORKDAY: terms.ot_workday_pct,
        DayKind.RESTDAY: terms.ot_restday_pct,
        DayKind.HOLIDAY: terms.ot_holiday_pct,
    }[kind]
    if terms.pay_kind is PayKind.HOURLY:
        if kind is DayKind.WORKDAY:
            pay = (rate * (paid - excess) * 100 + rate * excess * pct) // 6000
        else:
            pay = rate * paid * pct // 6000
    else:
        # base = rate × halves / 2; excess = rate × excess / std; one division at the end.
        if kind is DayKind.WORKDAY:
            pay = (rate * halves * std * 100 + rate * excess * 2 * pct) // (2 * std * 100)
        else:
            pay = (rate * halves * std + rate * excess * 2) * pct // (2 * std * 100)
    ot_minutes = excess if kind is DayKind.WORKDAY else paid
    return DayPay(
        half_days=halves,
        paid_minutes=paid,
        ot_workday_minutes=ot_minutes if kind is DayKind.WORKDAY else 0,
        ot_restday_minutes=ot_minutes if kind is DayKind.RESTDAY else 0,
        ot_holiday_minutes=ot_minutes if kind is DayKind.HOLIDAY else 0,
        pay_fen=pay,
    )


@dataclass(slots=True)
class MonthTotals:
    """A worker's month on one project: the numbers on the payroll line."""

    half_days: int = 0
    worked_minutes: int = 0
    ot_workday_minutes: int = 0
    ot_restday_minutes: int = 0
    ot_holiday_minutes: int = 0
    attendance_fen: int = 0
    piece_rate_fen: int = 0
    deductions_fen: int = 0

    def add_day(self, worked_minutes: int, pay: DayPay) -> None:
        self.half_days += pay.half_days
        self.worked_minutes += worked_minutes
        self.ot_workday_minutes += pay.ot_workday_minutes
        self.ot_restday_minutes += pay.ot_restday_minutes
        self.ot_holiday_minutes += pay.ot_holiday_minutes
        self.attendance_fen += pay.pay_fen

    @property
    def gross_fen(self) -> int:
        return self.attendance_fen + self.piece_rate_fen

    @property
    def applied_deductions_fen(self) -> int:
        """An advance larger than the month is applied up to the gross, never below zero."""
        return min(self.deductions_fen, self.gross_fen)

    @property
    def net_fen(self) -> int:
        return self.gross_fen - self.applied_deductions_fen
