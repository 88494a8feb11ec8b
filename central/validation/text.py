"""Names, codes and free text: no control characters, not blank, not absurdly long.

A NUL cannot be stored by PostgreSQL (a 500), a lone surrogate cannot be encoded as UTF-8
by either database (a 500), and other control or bidirectional-override characters make a
name display as something it is not. Length limits come first, so a 10 MB value is refused
before it is scanned, and an error never repeats the value (central/api/errors.py).
"""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

from central.errors import N_, InvalidValue
from wireproto.topics import ID_PATTERN

# Right-to-left/left-to-right overrides and isolates: they reorder how a name is shown.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MULTILINE_OK = frozenset("\n\t")


def _refuse_controls(value: str, allowed: frozenset[str]) -> None:
    for ch in value:
        if ch in allowed:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            raise InvalidValue(
                N_("control character %(char)s is not allowed"), char=f"U+{ord(ch):04X}"
            )


def clean_line(value: str) -> str:
    """One line of text: trimmed, not blank, no control characters at all."""
    _refuse_controls(value, frozenset())
    value = value.strip()
    if not value:
        raise InvalidValue(N_("must not be blank"))
    return value


def clean_text(value: str) -> str:
    """Free text: trimmed, not blank; newlines and tabs allowed, other controls not."""
    value = value.replace("\r\n", "\n")
    _refuse_controls(value, _MULTILINE_OK)
    value = value.strip()
    if not value:
        raise InvalidValue(N_("must not be blank"))
    return value


#: A person's or an organisation's name (up to 100 characters).
Name = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(clean_line)]
#: A short label: team, trade, bank, method of consent (up to 100 characters).
ShortText = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(clean_line)]
#: A reason or note a person writes (up to 500 characters, several lines allowed).
FreeText = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(clean_text)]
#: A machine code or filter value (kind, reason code): printable ASCII, up to 64.
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$")]
#: A project (= the gates' site) id, as wireproto defines site ids.
ProjectId = Annotated[str, Field(pattern=rf"^{ID_PATTERN}$", max_length=64)]
#: A worker id, as wireproto defines it.
WorkerIdText = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
