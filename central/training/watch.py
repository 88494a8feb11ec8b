"""The periodic pass over training rules: expiries reach the gates without anyone acting."""

import logging
import threading

from central.storage import Database
from central.training.entry import Galleries, SiteChanged, reconcile_all

log = logging.getLogger(__name__)


class TrainingGateWatch(threading.Thread):
    """Reconciles every site's entry bars at start, then every ``interval_s`` seconds."""

    def __init__(
        self, db: Database, galleries: Galleries, notify: SiteChanged, interval_s: float
    ) -> None:
        super().__init__(name="training-gate-watch", daemon=True)
        self.db = db
        self.galleries = galleries
        self.notify = notify
        self.interval_s = interval_s
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                changed = reconcile_all(self.db, self.galleries, self.notify)
                if changed:
                    log.info("training rules: %d workers' gate entry changed", changed)
            except Exception:  # a failed pass must not end the timer; the next one retries
                log.exception("training gate pass failed")
            self.stopping.wait(self.interval_s)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)
