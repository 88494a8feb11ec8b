"""Check-in by ID or NFC card on a serial reader: the other way in, beside face and QR code.

Most gate card readers (USB or RS-232, ID-card "身份证" modules and 13.56 MHz NFC readers alike)
print one card number per line on a serial port. The gate never stores those numbers: an ID
card number is sensitive personal information, so the registry keeps only a keyed hash
(HMAC-SHA256 under a key derived from the device secret) and the last four characters for
the site office. A stolen gallery file therefore reveals no ID numbers without the gate's
config, and logs only ever show the masked form.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from wireproto.cards import CardError, card_hash, card_key, mask, normalise

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
__all__ = ["CardError", "CardReader", "CardRegistry", "mask", "normalise"]


class CardRegistry:
    """Card -> worker, stored as keyed hashes in the gate's gallery file.

    Cards come from two places: ``sitegate-edge add-card`` at the gate (``source`` local) and
    central's gallery sync (``source`` central). A sync replaces only the central cards of the
    workers it names, so a card registered at the gate by hand survives a sync, and a card
    central moved to another worker moves here too (the hash is the key).
    """

    def __init__(self, path: Path, device_secret: bytes) -> None:
        self._key = card_key(device_secret)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=10)
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.Lock()
        with self._lock, self.db.atomic():
            table = self.db["cards"]
            table.create(
                {"card_hash": str, "worker_id": str, "hint": str, "added_at": str},
                pk="card_hash",
                not_null={"worker_id"},
                if_not_exists=True,
            )
            if "source" not in table.columns_dict:  # a gallery file from before central cards
                table.add_column("source", str, not_null_default="local")

    def _hash(self, card: str) -> str:
        return card_hash(self._key, card)

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
                    "added_at": _now(),
                    "source": "local",
                },
                pk="card_hash",
            )
        return mask(number)

    def apply_central(self, cards: Mapping[str, Sequence[tuple[str, str]]]) -> None:
        """Make each named worker's central cards exactly ``(hash, hint)``; one transaction.

        Applying the same sets twice changes nothing, so a redelivered sync is harmless.
        """
        now = _now()
        with self._lock, self.db.atomic():
            for worker_id, entries in cards.items():
                keep = [h for h, _ in entries]
                marks = ",".join("?" * len(keep))
                self.db.execute(
                    "DELETE FROM cards WHERE worker_id = ? AND source = 'central'"
                    + (f" AND card_hash NOT IN ({marks})" if keep else ""),
                    [worker_id, *keep],
                )
                self.db.conn.executemany(
                    "INSERT INTO cards (card_hash, worker_id, hint, added_at, source)"
                    " VALUES (?, ?, ?, ?, 'central') ON CONFLICT(card_hash) DO UPDATE SET"
                    " worker_id = excluded.worker_id, hint = excluded.hint, source = 'central'",
                    [(h, worker_id, hint, now) for h, hint in entries],
                )

    def hints(self, worker_id: str) -> list[str]:
        """The masked cards a worker holds at this gate, for the site office."""
        with self._lock:
            rows = self.db.execute(
                "SELECT hint FROM cards WHERE worker_id = ? ORDER BY hint", [worker_id]
            ).fetchall()
        return [r[0] for r in rows]

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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
