"""Turnstile / relay outputs. The gate opens only after the event is in the outbox."""

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Turnstile(Protocol):
    def open(self, camera: str, worker_id: str) -> None: ...


class LogTurnstile:
    """For labs and the demo: records what a relay would have done."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, str]] = []

    def open(self, camera: str, worker_id: str) -> None:
        self.opened.append((camera, worker_id))
        log.info("turnstile %s opens for %s", camera, worker_id)
