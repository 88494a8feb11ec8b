"""ID and NFC card numbers as gates match them: normalised, keyed-hashed per device, masked.

A card number is personal data (an ID card's number is the holder's resident ID), so no gate
stores one: a gate keeps ``card_hash(secret, number)``, an HMAC-SHA256 under a key derived
from its own device secret, and the last four characters for the site office. Central
registers cards against workers and, knowing each device's secret, sends every gate the
hashes under that gate's key inside the sealed gallery sync; a stolen gallery file or a
captured sync message therefore reveals no card number, and a hash lifted from one gate is
useless at another. Both sides import these functions, so the gate's own ``add-card`` and
central's registrations always agree.
"""

import hashlib
import hmac

_KEY_LABEL = b"sitegate card registry v1"
HASH_PATTERN = r"^[0-9a-f]{64}$"
HINT_PATTERN = r"^\**[0-9A-Z]{0,4}$"


class CardError(ValueError):
    """A card number that cannot be registered."""


def normalise(card: str) -> str:
    """Upper-case, no spaces or separators: readers differ in how they print the same card."""
    cleaned = "".join(ch for ch in card.strip().upper() if ch.isalnum())
    if not 4 <= len(cleaned) <= 64:
        raise CardError("a card number has 4 to 64 letters or digits")
    return cleaned


def mask(card: str) -> str:
    """The form logs and the site office see: all but the last four characters hidden."""
    return "*" * max(len(card) - 4, 0) + card[-4:]


def card_key(device_secret: bytes) -> bytes:
    """The per-device HMAC key: the device secret itself never hashes card numbers."""
    return hmac.new(device_secret, _KEY_LABEL, hashlib.sha256).digest()


def card_hash(key: bytes, card: str) -> str:
    """The hex digest a gate stores and looks up; ``key`` comes from :func:`card_key`."""
    return hmac.new(key, normalise(card).encode(), hashlib.sha256).hexdigest()
