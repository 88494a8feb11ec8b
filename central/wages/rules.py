"""What worked minutes are worth, in integer fen, under a worker's pay terms (Labour Law).

Definitions (docs/wages.md has worked examples; tests/central/test_wage_law.py the sums):

* Pay follows the exact worked minutes: nothing is rounded to half hours, no day pays zero
  for being short, there are no half days. An hourly rate is paid per minute (rate / 60); a
  daily rate per minute of the standard 8-hour day (rate / 480), so 3 h 50 min is 230/480 of
  the daily rate and 7 h 59 min is 479/480 of it.
* Each minute is one of four kinds: *plain*; *extended* time on a workday beyond the standard
  day (≥ 150 %, art. 44(1)); worked on a *rest day* (≥ 200 %, art. 44(2), unless compensatory
  rest is given, then plain); worked on a statutory *holiday* (≥ 300 %, art. 44(3)). Which
  minute is which is decided by :mod:`central.wages.timeline`.
* Money is kept exact (:class:`fractions.Fraction`) while parts are added up and rounded once
  per line to the fen, half up (:func:`round_fen`): never below the nearest fen, and no
  float ever touches money. Shown parts are shared out of that one rounded total by the
  largest remainder (:func:`allocate`), so the parts on a sheet add up to its total.
"""

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from central.wages.holidays import DayKind

STANDARD_DAY_MINUTES = 480  # art. 36: no more than 8 hours a day
# Keys that terms stored before pay by the minute carry; they no longer change any amount.
_IGNORED_KEYS = ("full_day_minutes", "half_day_minutes", "rounding_minutes")


class PayKind(StrEnum):
    DAILY = "daily"
    HOURLY = "hourly"


class PayTerms(BaseModel):
    """The pay part of an employment record (stored as JSON beside it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pay_kind: PayKind
    rate_fen: Annotated[int, Field(gt=0, le=10_000_000, description="per day or per hour")]
    standard_day_minutes: Annotated[
        int, Field(ge=60, le=STANDARD_DAY_MINUTES, description="the day a daily rate pays")
    ] = STANDARD_DAY_MINUTES
    ot_workday_pct: Annotated[int, Field(ge=150, le=1000)] = 150
    ot_restday_pct: Annotated[int, Field(ge=200, le=1000)] = 200
    ot_holiday_pct: Annotated[int, Field(ge=300, le=1000)] = 300

    @model_validator(mode="before")
    @classmethod
    def _drop_ignored(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k not in _IGNORED_KEYS}
        return data

    @property
    def minute_rate(self) -> Fraction:
        """Fen per plain minute: rate / 60 for hourly pay, rate / 480 for daily pay."""
        unit = 60 if self.pay_kind is PayKind.HOURLY else self.standard_day_minutes
        return Fraction(self.rate_fen, unit)


@dataclass(slots=True)
class MinuteSplit:
    """Minutes by kind; ``compensated`` counts rest-day minutes inside ``plain``/``extended``
    that are paid as workday minutes because compensatory rest was given for them."""

    plain: int = 0
    extended: int = 0
    restday: int = 0
    holiday: int = 0
    compensated: int = 0

    @property
    def total(self) -> int:
        return self.plain + self.extended + self.restday + self.holiday

    def add(self, other: "MinuteSplit") -> None:
        self.plain += other.plain
        self.extended += other.extended
        self.restday += other.restday
        self.holiday += other.holiday
        self.compensated += other.compensated


@dataclass(frozen=True, slots=True)
class PartMoney:
    """Exact money of each kind of minute (fractions of a fen)."""

    plain: Fraction
    extended: Fraction
    restday: Fraction
    holiday: Fraction

    @property
    def total(self) -> Fraction:
        return self.plain + self.extended + self.restday + self.holiday

    def __add__(self, other: "PartMoney") -> "PartMoney":
        return PartMoney(
            self.plain + other.plain,
            self.extended + other.extended,
            self.restday + other.restday,
            self.holiday + other.holiday,
        )


ZERO = PartMoney(Fraction(0), Fraction(0), Fraction(0), Fraction(0))


def money(split: MinuteSplit, terms: PayTerms) -> PartMoney:
    """The exact worth of ``split`` under ``terms`` (nothing rounded yet)."""
    r = terms.minute_rate
    return PartMoney(
        r * split.plain,
        r * split.extended * terms.ot_workday_pct / 100,
        r * split.restday * terms.ot_restday_pct / 100,
        r * split.holiday * terms.ot_holiday_pct / 100,
    )


def money_numerators(split: MinuteSplit, terms: PayTerms) -> tuple[tuple[int, int, int, int], int]:
    """:func:`money` as integers over one denominator: ((plain, extended, rest day, holiday)
    numerators, denominator). The same exact amounts, cheap to add up by the thousand."""
    unit = 60 if terms.pay_kind is PayKind.HOURLY else terms.standard_day_minutes
    r = terms.rate_fen
    return (
        r * split.plain * 100,
        r * split.extended * terms.ot_workday_pct,
        r * split.restday * terms.ot_restday_pct,
        r * split.holiday * terms.ot_holiday_pct,
    ), unit * 100


def round_fen(amount: Fraction) -> int:
    """To the nearest fen, halves up: 0.5 fen is 1 fen, 0.49 is 0 (amounts are ≥ 0)."""
    if amount < 0:
        raise ValueError("money to round cannot be negative")
    return int(amount + Fraction(1, 2))  # int() truncates, which is floor for ≥ 0


def allocate(total: int, parts: list[Fraction]) -> list[int]:
    """Share ``total`` fen among ``parts`` (whose exact sum rounds to it) by largest remainder.

    Each share is its part rounded down or up by less than a fen, and the shares add up to
    ``total`` exactly, so a clerk adding a sheet's parts gets its total.
    """
    floors = [int(p) for p in parts]
    short = total - sum(floors)
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in by_remainder[: max(short, 0)]:
        floors[i] += 1
    return floors


@dataclass(frozen=True, slots=True)
class DayPay:
    """One day on one project, worked on one calendar date, for one employer."""

    minutes: MinuteSplit
    pay_fen: int


def day_pay(
    worked_minutes: int, kind: DayKind, terms: PayTerms, *, compensated: bool = False
) -> DayPay:
    """Pay for ``worked_minutes`` on one date of ``kind``: the one-day case, rounded once.

    A month's line adds days up exactly and rounds once (central/payroll/compute.py); this
    is the same arithmetic for a single day, the unit of the worked examples.
    """
    if worked_minutes < 0:
        raise ValueError("worked minutes cannot be negative")
    split = MinuteSplit()
    if kind is DayKind.HOLIDAY:
        split.holiday = worked_minutes
    elif kind is DayKind.RESTDAY and not compensated:
        split.restday = worked_minutes
    else:
        split.plain = min(worked_minutes, terms.standard_day_minutes)
        split.extended = worked_minutes - split.plain
        split.compensated = worked_minutes if kind is DayKind.RESTDAY else 0
    return DayPay(split, round_fen(money(split, terms).total))


@dataclass(slots=True)
class Adjustments:
    """A worker-month's piece-rate additions and deductions (advances), in fen."""

    additions_fen: int = 0
    deductions_fen: int = 0

    def net(self, attendance_fen: int) -> tuple[int, int, int]:
        """(gross, applied deductions, net): a deduction is applied only up to the gross."""
        gross = attendance_fen + self.additions_fen
        applied = min(self.deductions_fen, gross)
        return gross, applied, gross - applied
