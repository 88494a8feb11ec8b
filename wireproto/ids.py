"""Event ids: UUIDv7, so ids sort by creation time and central can index them cheaply.

Time-ordered ids keep the B-tree on ``events.event_id`` append-mostly (fast inserts at
regional scale) and let an operator read the age of an event off its id.
"""

import uuid6


def new_event_id() -> str:
    """A fresh UUIDv7 in its canonical 36-character text form."""
    return str(uuid6.uuid7())
