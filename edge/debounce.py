"""One event per worker per gate direction per window: a worker lingering at the gate is one
check-in, not fifty."""

from datetime import datetime, timedelta


class Debouncer:
    def __init__(self, window_s: float) -> None:
        self.window = timedelta(seconds=window_s)
        self._last: dict[tuple[str, str], datetime] = {}

    def allow(self, worker_id: str, direction: str, at: datetime) -> bool:
        key = (worker_id, direction)
        last = self._last.get(key)
        if last is not None and at - last < self.window:
            return False
        self._last[key] = at
        if len(self._last) > 10_000:  # forget long-gone workers; bounded memory
            cutoff = at - self.window
            self._last = {k: t for k, t in self._last.items() if t >= cutoff}
        return True
