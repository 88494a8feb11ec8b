"""One event per worker per gate direction per window: a worker lingering at the gate is one
check-in, not fifty.

Keyed by worker and direction, not by camera or method: the same worker seen by the face
camera and then showing a QR code at the same gate is still one passage. Times are monotonic
seconds (the frame's own time), so a wall-clock jump from an NTP correction cannot let a
second event through or hold a genuine one back.
"""

from datetime import timedelta


class Debouncer:
    """Remembers when each worker last produced an event, per direction."""

    def __init__(self, window_s: float) -> None:
        self.window = timedelta(seconds=window_s)
        """Changed at run time by a remote config push (edge/remote_config.py)."""
        self._last: dict[tuple[str, str], float] = {}

    def allow(self, worker_id: str, direction: str, at: float) -> bool:
        """True (and remembered) if this worker has had no event this way within the window."""
        key = (worker_id, direction)
        window = self.window.total_seconds()
        last = self._last.get(key)
        if last is not None and at - last < window:
            return False
        self._last[key] = at
        if len(self._last) > 10_000:  # forget long-gone workers; bounded memory
            self._last = {k: t for k, t in self._last.items() if at - t < window}
        return True

    def forget(self, worker_id: str, direction: str) -> None:
        """Undo ``allow`` when the event could not be recorded, so the next try counts."""
        self._last.pop((worker_id, direction), None)
