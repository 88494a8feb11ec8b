"""Workers' 6-digit PINs: which ones are refused, and why.

A worker signs in on a cheap phone with a 6-digit PIN (or a password, which keeps the
10-character rule of central/auth/passwords.py). A PIN has only a million values, so it is
safe only with the login throttle (central/auth/throttle.py) in front of it and only if it is
not one of the few PINs a guesser tries first. Refused:

- the shape: not exactly six ASCII digits;
- one digit repeated, a run up or down (``123456``, ``654321``), or at most two different
  digits (``121212``, ``110110``);
- a pair or a triple repeated (``123123``, ``112233`` is a pair run), keypad lines
  (``147258``, ``258369``, ``159357``) and the numbers most used in Chinese PINs
  (``520520``, ``131452``, ``168168`` …);
- anything the person's own papers give away: the birth date inside their resident ID
  number (YYMMDD, MMDDYY, DDMMYY, YYYYMM, MMYYYY), the ID number's first or last six
  characters, and the first or last six digits of their phone number.

Every refusal is a :class:`WeakPin` with a ``reason`` code (the web pages show it in the
reader's language) and a message that never repeats the PIN.
"""

import itertools
import re
from typing import Literal

from central.auth.passwords import WeakPassword

PIN_LENGTH = 6
_PIN = re.compile(r"^[0-9]{6}$")

PinReason = Literal["shape", "trivial", "common", "birth_date", "id_number", "phone"]

#: The messages of each reason (English, as the API answers them).
REASONS: dict[str, str] = {
    "shape": "the PIN must be exactly 6 digits",
    "trivial": "the PIN is too simple (one digit repeated, a run, or only two different digits)",
    "common": "the PIN is one of the first ones a guesser tries",
    "birth_date": "the PIN must not be your birth date",
    "id_number": "the PIN must not be part of your ID number",
    "phone": "the PIN must not be part of your phone number",
}

# Keypad lines (a phone's 3x3 grid) and the numbers that lead Chinese PIN lists (Wang et al.,
# "Understanding Human-chosen PINs", and the 2011 CSDN/Tianya leaks): love numbers, lucky
# numbers, emergency numbers.
COMMON_PINS = frozenset(
    {
        "147258", "258369", "369258", "852741", "963852", "159357", "357159", "159753",
        "753951", "147369", "789456", "456123", "321654", "654987", "741852", "852963",
        "123654", "123321", "321123", "456654", "147852", "258147", "142536", "135790",
        "246810", "112358", "520520", "521521", "520521", "521520", "131452", "131420",
        "201314", "520131", "521314", "520999", "168168", "168888", "518518", "516516",
        "668899", "778899", "998877", "110119", "110120", "119120", "120110", "100200",
        "102030", "123789", "147147", "258258", "369369", "159159", "741741", "963963",
        "198964",
    }
)  # fmt: skip


class WeakPin(WeakPassword):
    """The new PIN is one a guesser would try early: see the module docstring."""

    code = "weak_pin"

    def __init__(self, reason: PinReason) -> None:
        super().__init__(REASONS[reason])
        self.reason: PinReason = reason


def is_pin(secret: str) -> bool:
    """Whether ``secret`` is a PIN (six digits) rather than a password."""
    return bool(_PIN.match(secret))


def _trivial(pin: str) -> bool:
    if len(set(pin)) <= 2:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):  # 123456, 654321, 890123 (wrapping round)
        return True
    if pin[:3] == pin[3:]:  # 123123
        return True
    pairs = [pin[i : i + 2] for i in range(0, PIN_LENGTH, 2)]
    # 112233, 332211, 778899: doubled digits in a run
    if all(p[0] == p[1] for p in pairs):
        firsts = [int(p[0]) for p in pairs]
        if len({b - a for a, b in itertools.pairwise(firsts)}) == 1:
            return True
    return False


def check_pin_shape(pin: str) -> None:
    """The rules that need no personal data: shape, trivial patterns, common PINs."""
    if not is_pin(pin):
        raise WeakPin("shape")
    if _trivial(pin):
        raise WeakPin("trivial")
    if pin in COMMON_PINS:
        raise WeakPin("common")


def _birth_forms(id_number: str) -> set[str]:
    """The 6-digit ways people write the birth date inside a resident ID number (digits 7–14)."""
    birth = id_number[6:14]
    if len(birth) != 8 or not birth.isdigit():
        return set()
    yyyy, mm, dd = birth[:4], birth[4:6], birth[6:]
    yy = yyyy[2:]
    return {yy + mm + dd, mm + dd + yy, dd + mm + yy, yyyy + mm, mm + yyyy}


def check_pin_for(pin: str, id_number: str | None, phone: str | None) -> None:
    """Every rule, including the person's own ID number and phone number."""
    check_pin_shape(pin)
    if id_number:
        number = id_number.upper()
        if pin in _birth_forms(number):
            raise WeakPin("birth_date")
        if pin in (number[:6], number[-6:], number[-7:-1]):
            raise WeakPin("id_number")
    if phone:
        digits = re.sub(r"\D", "", phone)
        if len(digits) >= PIN_LENGTH and pin in (digits[:6], digits[-6:]):
            raise WeakPin("phone")
