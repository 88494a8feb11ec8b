"""Check digits and masks for the numbers that identify people and pay them.

python-stdnum does the checking (GB 11643 resident ID, GB 32100 credit code, Luhn), so a
typo is refused at the counter rather than discovered when the bank returns the money.
"""

from datetime import date

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from central.errors import N_, InvalidInput

#: What can be wrong with a resident ID number, as :func:`resident_id_problem` names it.
ID_PROBLEMS = ("length", "format", "checksum", "birth_date", "future_birth", "place")


def resident_id_problem(value: str, today: date | None = None) -> str | None:
    """Which check a resident ID number fails (one of ``ID_PROBLEMS``), or None if it passes.

    A form names the one thing to fix: the length, the characters, the check digit (a typo),
    the birth date written inside the number (digits 7–14: a real date, not in the future),
    or the place code. The console's forms and the roster import answer per field with it.
    """
    try:
        number = ric.validate(value)
    except InvalidLength:
        return "length"
    except InvalidFormat:
        return "format"
    except InvalidChecksum:
        return "checksum"
    except InvalidComponent:
        # the birth date is read before the place: a valid date here means the place failed
        try:
            ric.get_birth_date(ric.compact(value))
        except InvalidComponent:
            return "birth_date"
        return "place"
    except ValidationError:
        return "format"
    if ric.get_birth_date(number) > (today or date.today()):
        return "future_birth"
    return None


def resident_id(value: str) -> str:
    """The 18-character resident ID, upper-case X, or InvalidInput naming what is wrong."""
    try:
        number = ric.validate(value)
    except ValidationError as exc:
        raise InvalidInput.of(N_("resident ID number: %(problem)s"), problem=str(exc)) from None
    if ric.get_birth_date(number) > date.today():
        raise InvalidInput.of(N_("resident ID number: the birth date inside it is in the future"))
    return number


def card_problem(value: str) -> str | None:
    """``digits`` (not 12–19 digits), ``checksum`` (Luhn) or None: the payroll card's check."""
    digits = "".join(value.split())
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        return "digits"
    return None if luhn.is_valid(digits) else "checksum"


def credit_code(value: str) -> str:
    """The 18-character unified social credit code of an enterprise."""
    try:
        return uscc.validate(value)
    except ValidationError as exc:
        raise InvalidInput.of(
            N_("unified social credit code: %(problem)s"), problem=str(exc)
        ) from None


def card_number(value: str) -> str:
    """A payroll bank card: 12–19 digits with a valid Luhn check digit."""
    digits = "".join(value.split())
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise InvalidInput.of(N_("payroll card number: 12 to 19 digits expected"))
    try:
        return luhn.validate(digits)
    except ValidationError:
        raise InvalidInput.of(N_("payroll card number: the check digit does not match")) from None


def division_code(value: str) -> str:
    """A GB/T 2260 administrative division: six digits naming a province, city or county.

    Checked against the division table python-stdnum ships for resident ID birth places
    (present and former codes), so a typo cannot hide a project from its supervisors.
    """
    from stdnum import numdb

    if len(value) != 6 or not value.isdigit():
        raise InvalidInput.of(N_("division code: six digits expected (GB/T 2260, e.g. 450102)"))
    found = numdb.get("cn/loc").info(value)
    if len(found) != 2 or "province" not in found[0][1] or "county" not in found[1][1]:
        raise InvalidInput.of(N_("division code: %(code)s is not a GB/T 2260 division"), code=value)
    return value


def mask(value: str, head: int = 3, tail: int = 4) -> str:
    """``450***********1234``: enough to recognise a number, not enough to use it."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]
