"""Check-in by ID or NFC card on a serial reader: the other way in, beside face and QR code.

Most gate card readers (USB or RS-232, ID-card "身份证" modules and 13.56 MHz NFC readers alike)
print one card number per line on a serial port. The gate never stores those numbers: an ID
card number is sensitive personal information, so the registry keeps only a keyed hash
(HMAC-SHA256 under a key derived from the device secret) and the last four characters for
the site office. A stolen gallery file therefore reveals no ID numbers without the gate's
config, and logs only ever show the masked form.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

log = logging.getLogger(__name__)

_KEY_LABEL = b"sitegate card registry v1"
MAX_BACKOFF_S = 30.0


class CardError(ValueError):
    """A card number that cannot be registered."""


def normalise(card: str) -> str:
    """Upper-case, no spaces or separators: readers differ in how they print the same card."""
    cleaned = "".join(ch for ch in card.strip().upper() if ch.isalnum())
    if not 4 <= len(cleaned) <= 64:
        raise CardError("a card number has 4 to 64 letters or digits")
    return cleaned


def mask(card: str) -> str:
    """The form logs and the site office see: all but the last four characters hidden."""
    return "*" * max(len(card) - 4, 0) + card[-4:]


class CardRegistry:
    """Card -> worker, stored as keyed hashes in the gate's gallery file."""

    def __init__(self, path: Path, device_secret: bytes) -> None:
        self._key = hmac.new(device_secret, _KEY_LABEL, hashlib.sha256).digest()
        conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.Lock()
        with self._lock, self.db.atomic():
            self.db["cards"].create(
                {"card_hash": str, "worker_id": str, "hint": str, "added_at": str},
                pk="card_hash",
                not_null={"worker_id"},
                if_not_exists=True,
            )

    def _hash(self, card: str) -> str:
        return hmac.new(self._key, normalise(card).encode(), hashlib.sha256).hexdigest()

    def add(self, card: str, worker_id: str) -> str:
        """Register (or move) a card to a worker; return the masked card for the receipt."""
        if not worker_id.strip():
            raise CardError("worker id must not be empty")
        number = normalise(card)
        with self._lock, self.db.atomic():
            self.db["cards"].upsert(
                {
                    "card_hash": self._hash(number),
                    "worker_id": worker_id,
                    "hint": mask(number),
                    "added_at": datetime.now(UTC).isoformat(timespec="seconds"),
                },
                pk="card_hash",
            )
        return mask(number)

    def worker_for(self, card: str) -> str | None:
        """The worker a card belongs to, or None for an unknown (or malformed) card."""
        try:
            digest = self._hash(card)
        except CardError:
            return None
        with self._lock:
            row = self.db.execute(
                "SELECT worker_id FROM cards WHERE card_hash = ?", [digest]
            ).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        """Close the database."""
        self.db.close()


class CardReader:
    """Reads card numbers from a serial port in a thread and hands each to ``on_card``.

    A reader unplugged and plugged back is reopened with backoff; the gate keeps running.
    """

    def __init__(
        self,
        port: str,
        on_card: Callable[[str], None],
        baudrate: int = 9600,
        stop: threading.Event | None = None,
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.on_card = on_card
        self.stop_event = stop or threading.Event()
        self.connected = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the reading thread."""
        self._thread = threading.Thread(target=self.run, name="card-reader", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and wait for the thread."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def run(self) -> None:
        """Read lines until stopped, reopening the port with backoff when it fails."""
        import serial

        backoff = 0.5
        while not self.stop_event.is_set():
            try:
                with serial.Serial(self.port, self.baudrate, timeout=0.2) as port:
                    self.connected, backoff = True, 0.5
                    log.info("card reader on %s", self.port)
                    self._read(port)
            except (serial.SerialException, OSError) as exc:
                if self.connected or backoff == 0.5:
                    log.warning("card reader %s unavailable: %s", self.port, exc)
                self.connected = False
            if self.stop_event.wait(backoff):
                break
            backoff = min(backoff * 2, MAX_BACKOFF_S)
        self.connected = False

    def _read(self, port: object) -> None:
        buffer = b""
        while not self.stop_event.is_set():
            chunk = port.read(64)  # type: ignore[attr-defined]
            if not chunk:
                continue
            buffer += chunk
            *lines, buffer = buffer.replace(b"\r", b"\n").split(b"\n")
            for raw in lines:
                text = raw.decode("ascii", errors="replace").strip()
                if text:
                    self.on_card(text)
