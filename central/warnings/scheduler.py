"""Run the arrears indicators inside ``serve`` on a timer.

Supervisors must hear of a wage going unpaid before the worker complains, so the indicators
cannot wait for someone to ask for them. Every instance may scan: each warning is stored once
per fact (``raise_warning`` keys), so a second instance's scan only finds nothing new.
"""

import logging
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from central.storage import Database
from central.warnings.devices import watch
from central.warnings.indicators import scan

log = logging.getLogger(__name__)


class WarningScanner(threading.Thread):
    """Scans at start, then every ``interval_s`` seconds, until ``stop()``."""

    def __init__(self, db: Database, interval_s: float, zone: ZoneInfo) -> None:
        super().__init__(name="warning-scanner", daemon=True)
        self.db = db
        self.interval_s = interval_s
        self.zone = zone
        self.stopping = threading.Event()
        self.scans = 0

    def run(self) -> None:
        while not self.stopping.is_set():
            today = datetime.now(self.zone).date()
            try:
                opened = scan(self.db, today)
                if opened:
                    log.warning("arrears indicators opened %d new warning(s)", opened)
            except Exception:  # a failed scan must not end the timer; the next one retries
                log.exception("arrears indicator scan failed")
            self.scans += 1
            self.stopping.wait(self.interval_s)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


class GateWatch(threading.Thread):
    """Every ``interval_s`` seconds: silent gates and dust alarms into the warnings queue
    (central/warnings/devices.py). Cheap (one row per gate), so it runs far more often than
    the arrears indicators: a gate down at 8 o'clock is news at 8:30, not at noon."""

    def __init__(self, db: Database, interval_s: float, silent_after_s: float) -> None:
        super().__init__(name="gate-watch", daemon=True)
        self.db = db
        self.interval_s = interval_s
        self.silent_after = timedelta(seconds=silent_after_s)
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                done = watch(self.db, datetime.now(UTC), self.silent_after)
                if done.opened:
                    log.warning("gate watch opened %d new warning(s)", done.opened)
            except Exception:  # a failed pass must not end the timer; the next one retries
                log.exception("gate watch failed")
            self.stopping.wait(self.interval_s)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
