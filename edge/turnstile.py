"""Turnstile / relay outputs. The gate opens only after the event is in the outbox.

A turnstile controller takes a dry contact: close the relay for a pulse and the arm unlocks for
one passage. Two drivers cover the gates seen on sites: a USB/serial relay board (a few bytes
per command) and a GPIO line on the gate's own board (its sysfs ``value`` file). Both close
the relay again after ``pulse_ms`` on a timer, so a crash between open and close leaves at
most one pulse too long, never a gate held open; ``close()`` at shutdown releases it at once.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol

from firmware_config.model import GpioRelay, LogRelay, SerialRelay

log = logging.getLogger(__name__)


class Turnstile(Protocol):
    """Anything that can let one person through."""

    def open(self, camera: str, worker_id: str) -> None: ...


class RelayError(RuntimeError):
    """The relay could not be driven (port gone, GPIO not exported)."""


class LogTurnstile:
    """For labs and the demo: records what a relay would have done."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, str]] = []

    def open(self, camera: str, worker_id: str) -> None:
        self.opened.append((camera, worker_id))
        log.info("turnstile %s opens for %s", camera, worker_id)

    def close(self) -> None:
        """Nothing to release."""


class _PulsedRelay:
    """Energise, then de-energise after the pulse; a new open during a pulse extends it."""

    def __init__(self, pulse_ms: int) -> None:
        self.pulse_s = pulse_ms / 1000
        self.opened: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def _set(self, energised: bool) -> None:
        raise NotImplementedError

    def open(self, camera: str, worker_id: str) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self._set(True)
            self.opened.append((camera, worker_id))
            self._timer = threading.Timer(self.pulse_s, self._release)
            self._timer.daemon = True
            self._timer.start()
        log.info("turnstile %s opens for %s", camera, worker_id)

    def _release(self) -> None:
        with self._lock:
            self._timer = None
            try:
                self._set(False)
            except RelayError:
                log.exception("turnstile relay did not release")

    def close(self) -> None:
        """Release the relay now (shutdown)."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._set(False)


class SerialRelayTurnstile(_PulsedRelay):
    """A relay board on a serial port that takes fixed byte strings for on and off."""

    def __init__(self, config: SerialRelay) -> None:
        import serial

        super().__init__(config.pulse_ms)
        self._on = bytes.fromhex(config.open_hex)
        self._off = bytes.fromhex(config.close_hex)
        try:
            self._port = serial.Serial(config.port, config.baudrate, timeout=1, write_timeout=1)
        except (serial.SerialException, OSError) as exc:
            raise RelayError(f"relay port {config.port}: {exc}") from exc

    def _set(self, energised: bool) -> None:
        import serial

        try:
            self._port.write(self._on if energised else self._off)
            self._port.flush()
        except (serial.SerialException, OSError) as exc:
            raise RelayError(f"relay port {self._port.port}: {exc}") from exc

    def close(self) -> None:
        super().close()
        self._port.close()


class GpioTurnstile(_PulsedRelay):
    """A relay on a GPIO line, through its sysfs ``value`` file (exported as an output)."""

    def __init__(self, config: GpioRelay) -> None:
        super().__init__(config.pulse_ms)
        self.path = Path(config.value_path)
        self.active_low = config.active_low
        self._set(False)  # a known state at start: closed

    def _set(self, energised: bool) -> None:
        level = energised != self.active_low
        try:
            self.path.write_text("1" if level else "0")
        except OSError as exc:
            raise RelayError(f"GPIO {self.path}: {exc}") from exc


def build_turnstile(config: LogRelay | SerialRelay | GpioRelay) -> LogTurnstile | _PulsedRelay:
    """The turnstile driver a gate config asks for."""
    if isinstance(config, SerialRelay):
        return SerialRelayTurnstile(config)
    if isinstance(config, GpioRelay):
        return GpioTurnstile(config)
    return LogTurnstile()
