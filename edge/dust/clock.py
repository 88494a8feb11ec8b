"""The monitor's notion of now: the site's wall clock, or a hand-driven one for replays.

Windows, alarms and minimum run times all read the same clock, so a replay of recorded data
(or a test) can move an hour in a millisecond and still exercise the real code paths.
"""

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def site_clock(zone: ZoneInfo) -> Clock:
    """Local time of the site, with its UTC offset (what evidence must carry)."""
    return lambda: datetime.now(zone)


class ManualClock:
    """A clock that moves only when told to; thread-safe."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a site clock needs a time zone")
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(**delta)
            return self._now
