"""Check digits and masks for the numbers that identify people and pay them.

python-stdnum does the checking (GB 11643 resident ID, GB 32100 credit code, Luhn), so a
typo is refused at the counter rather than discovered when the bank returns the money.
"""

from stdnum import luhn
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from central.errors import InvalidInput


def resident_id(value: str) -> str:
    """The 18-character resident ID, upper-case X, or InvalidInput naming what is wrong."""
    try:
        return ric.validate(value)
    except ValidationError as exc:
        raise InvalidInput(f"resident ID number: {exc}") from None


def credit_code(value: str) -> str:
    """The 18-character unified social credit code of an enterprise."""
    try:
        return uscc.validate(value)
    except ValidationError as exc:
        raise InvalidInput(f"unified social credit code: {exc}") from None


def card_number(value: str) -> str:
    """A payroll bank card: 12–19 digits with a valid Luhn check digit."""
    digits = "".join(value.split())
    if not digits.isdigit() or not 12 <= len(digits) <= 19:
        raise InvalidInput("payroll card number: 12 to 19 digits expected")
    try:
        return luhn.validate(digits)
    except ValidationError:
        raise InvalidInput("payroll card number: the check digit does not match") from None


def division_code(value: str) -> str:
    """A GB/T 2260 administrative division: six digits naming a province, city or county.

    Checked against the division table python-stdnum ships for resident ID birth places
    (present and former codes), so a typo cannot hide a project from its supervisors.
    """
    from stdnum import numdb

    if len(value) != 6 or not value.isdigit():
        raise InvalidInput("division code: six digits expected (GB/T 2260, e.g. 450102)")
    found = numdb.get("cn/loc").info(value)
    if len(found) != 2 or "province" not in found[0][1] or "county" not in found[1][1]:
        raise InvalidInput(f"division code: {value} is not a GB/T 2260 division")
    return value


def mask(value: str, head: int = 3, tail: int = 4) -> str:
    """``450***********1234``: enough to recognise a number, not enough to use it."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]
