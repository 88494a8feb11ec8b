"""The mist cannon (or sprinklers) behind a relay, switched by dust alarms.

On as soon as any alarm is raised; off only when no alarm is active *and* it has run for at
least ``min_run_s``: pumps and cannons must not short-cycle, and a mist that stops the moment
the level dips just lets the dust rise again.
"""

import logging
from datetime import datetime
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Relay(Protocol):
    def set(self, on: bool) -> None: ...


class LogRelay:
    """For labs and the demo: records what the relay would have done."""

    def __init__(self) -> None:
        self.changes: list[bool] = []

    def set(self, on: bool) -> None:
        self.changes.append(on)
        log.info("mist cannon relay %s", "ON" if on else "OFF")


class FileRelay:
    """Writes ``1``/``0`` to a file: a sysfs GPIO ``value`` file drives a relay board."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def set(self, on: bool) -> None:
        self.path.write_text("1\n" if on else "0\n")
        log.info("mist cannon relay %s (%s)", "ON" if on else "OFF", self.path)


class MistCannon:
    def __init__(self, relay: Relay, min_run_s: float) -> None:
        self.relay = relay
        self.min_run_s = min_run_s
        self.on = False
        self.on_since: datetime | None = None

    def update(self, wanted: bool, now: datetime) -> None:
        """Called after every alarm evaluation and on every monitor tick."""
        if wanted and not self.on:
            self.relay.set(True)
            self.on, self.on_since = True, now
        elif (
            not wanted
            and self.on_since is not None
            and (now - self.on_since).total_seconds() >= self.min_run_s
        ):
            self.relay.set(False)
            self.on, self.on_since = False, None
