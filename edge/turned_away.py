"""How many people the gate turned away today, by kind: counts for the status heartbeat.

The enterprise console's "Today at the site" shows, per gate, faces that matched nobody
(``face_unknown``), faces recognised but failing liveness (``face_refused``), refused QR
codes and unknown cards. The gate counts each verdict once (the face pipeline gives a track
its verdict once; later frames of the same face are ``tracking``), restarts the counts at
its local midnight, and reports them with the day in every heartbeat
(wireproto ``DeviceStatusBody.turned_away``). Counts only: no image, no card number.
Counts live in memory: a restart loses the day's counts so far, which the day's date makes
visible (central shows what the gate reports, not a total).
"""

import threading
from datetime import datetime, tzinfo

#: A gate verdict (method, action) → the kind it is counted as.
KINDS: dict[tuple[str, str], str] = {
    ("face", "unknown"): "face_unknown",
    ("face", "refused"): "face_refused",
    ("qr", "refused"): "qr_refused",
    ("card", "refused"): "card_refused",
}


class TurnedAway:
    """Per-kind counts of the gate's local day; thread-safe (cameras and the card reader)."""

    def __init__(self, zone: tzinfo) -> None:
        self._zone = zone
        self._lock = threading.Lock()
        self._day = datetime.now(zone).date()
        self._counts: dict[str, int] = {}

    def _roll(self) -> None:
        today = datetime.now(self._zone).date()
        if today != self._day:
            self._day, self._counts = today, {}

    def note(self, method: str, action: str) -> None:
        """Count one verdict if it turned someone away (anything else is ignored)."""
        kind = KINDS.get((method, action))
        if kind is None:
            return
        with self._lock:
            self._roll()
            self._counts[kind] = self._counts.get(kind, 0) + 1

    def report(self) -> dict[str, object]:
        """The heartbeat's ``turned_away`` and ``turned_away_day``."""
        with self._lock:
            self._roll()
            return {"turned_away": dict(self._counts), "turned_away_day": self._day.isoformat()}
