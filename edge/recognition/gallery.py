"""The gate's local face gallery: enrolled workers and their face templates in one sqlite file.

The gate must keep recognising workers when the site's uplink is down, so the gallery lives on
the gate itself. WAL mode lets the recognition loop read while enrollment or a sync from central
writes. Every change bumps ``meta.version`` in the same transaction, so central can later sync
the gallery by version, and so a process can tell cheaply whether its in-memory matcher is stale
(another process may have written the file).

Encodings are stored as float32 (512 bytes each): float64 precision is far below the noise of
the encoder (distances change by ~1e-7).

Templates at rest: face templates are sensitive personal information, so a gallery opened with
a key (the gate's, :func:`edge.recognition.gallery_key.gallery_key`) seals every template with
AES-256-GCM: a random 12-byte nonce per row, and the worker id as associated data, so a blob
moved to another worker's row fails to open instead of matching as that worker. ``meta`` records
that the gallery is encrypted and a key check value, so a missing or wrong key is a clear error
(:class:`GalleryKeyMissing`, :class:`GalleryKeyWrong`), never garbage matches. A plain gallery
(enrolled in the lab) opened with a key is encrypted in place, in one transaction, then vacuumed
so no page of the file keeps the plaintext. Without a key a plain gallery works as before.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import numpy as np
import sqlite_utils
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from edge.recognition.matcher import ENCODING_SIZE, Matcher

log = logging.getLogger(__name__)

_VERSION_KEY = "version"
_ENCRYPTION_KEY = "encryption"  # meta: the scheme of an encrypted gallery (absent: plain)
_KEY_CHECK_KEY = "key_check"  # meta: HMAC-SHA256(key, _KEY_CHECK_LABEL), a blob
_SCRUB_KEY = "scrub_pending"  # meta: plaintext may linger in free space until a VACUUM succeeds
_SCHEME = "aes-256-gcm-v1"
_KEY_CHECK_LABEL = b"sitegate gallery key check v1"
_AAD_LABEL = b"sitegate gallery template v1\x00"
_NONCE_BYTES = 12
_PLAIN_BYTES = ENCODING_SIZE * 4
_KEY_BYTES = 32
_BUSY_TIMEOUT_S = 10
_SCRUB_WAIT_MS = 2000  # how long the final checkpoint waits for other readers to move on


class GalleryError(ValueError):
    """A gallery operation was given invalid input."""


class GalleryKeyError(GalleryError):
    """An encrypted gallery cannot be opened with the key given (or without one)."""


class GalleryKeyMissing(GalleryKeyError):
    """The gallery's templates are encrypted and no key was given."""


class GalleryKeyWrong(GalleryKeyError):
    """The key given is not the one the gallery was encrypted with."""


class GalleryTampered(GalleryError):
    """A stored template fails authentication: altered, or moved from another worker's row."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_blob(encoding: np.ndarray) -> bytes:
    vector = np.asarray(encoding, dtype=np.float64).reshape(-1)
    if vector.shape != (ENCODING_SIZE,) or not np.all(np.isfinite(vector)):
        raise GalleryError(f"an encoding must be {ENCODING_SIZE} finite numbers")
    return vector.astype("<f4").tobytes()


def _aad(worker_id: str) -> bytes:
    return _AAD_LABEL + worker_id.encode("utf-8")


def _key_check(key: bytes) -> bytes:
    return hmac.new(key, _KEY_CHECK_LABEL, hashlib.sha256).digest()


class Gallery:
    """Enrolled workers and their templates, with a cached matcher over all of them.

    One connection guarded by a lock, so a camera thread and a sync thread can share an
    instance; other processes see changes through the version number.

    With ``key`` (32 bytes, see :mod:`edge.recognition.gallery_key`) templates are encrypted
    at rest, and a plain gallery is encrypted in place on open. Opening an encrypted gallery
    without its key raises :class:`GalleryKeyMissing`, with another key :class:`GalleryKeyWrong`.
    """

    def __init__(self, path: str | PathLike[str], key: bytes | None = None) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._snapshot: Matcher | None = None
        self._snapshot_version = -1
        self._aead: AESGCM | None = None
        self._key_check = b""
        if key is not None:
            if not isinstance(key, bytes) or len(key) != _KEY_BYTES:
                raise GalleryError(f"a gallery key is {_KEY_BYTES} bytes")
            self._aead = AESGCM(key)
            self._key_check = _key_check(key)
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=_BUSY_TIMEOUT_S)
        try:
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.enable_wal()
            self._create_schema()
            self._open_encryption()
        except BaseException:
            conn.close()
            raise

    def _create_schema(self) -> None:
        with self._lock, self.db.atomic():
            self.db["workers"].create(
                {"worker_id": str, "name": str, "enrolled_at": str},
                pk="worker_id",
                not_null={"enrolled_at"},
                if_not_exists=True,
            )
            self.db["templates"].create(
                {
                    "id": int,
                    "worker_id": str,
                    "encoding": bytes,
                    "source": str,
                    "created_at": str,
                },
                pk="id",
                not_null={"worker_id", "encoding", "created_at"},
                foreign_keys=[("worker_id", "workers", "worker_id")],
                if_not_exists=True,
            )
            self.db["templates"].create_index(["worker_id"], if_not_exists=True)
            self.db["meta"].create({"key": str, "value": int}, pk="key", if_not_exists=True)
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, 0)", [_VERSION_KEY])

    # -- templates at rest ---------------------------------------------------------------------

    @property
    def encrypted(self) -> bool:
        """Whether this gallery's templates are encrypted at rest (it was opened with a key)."""
        return self._aead is not None

    def _meta(self, key: str) -> object:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else row[0]

    def _check_mode(self) -> None:
        """Refuse to read or write templates in a form other than the file holds.

        Checked inside each transaction that touches templates: another process may have
        encrypted the file since we opened it, and its ciphertext must never be read as floats
        nor plaintext written beside it.
        """
        scheme = self._meta(_ENCRYPTION_KEY)
        if scheme is None and self._aead is not None:
            raise GalleryTampered(f"gallery {self.path} lost its encryption record")
        if scheme is not None and self._aead is None:
            raise GalleryKeyMissing(f"gallery {self.path} is encrypted: it opens only with its key")

    def _open_encryption(self) -> None:
        """Check the key against an encrypted gallery, or encrypt a plain one given a key."""
        scheme = self._meta(_ENCRYPTION_KEY)
        if scheme is None:
            if self._aead is not None:
                self._encrypt_in_place()
            return
        if self._aead is None:
            raise GalleryKeyMissing(f"gallery {self.path} is encrypted: it opens only with its key")
        if scheme != _SCHEME:
            raise GalleryKeyError(f"gallery {self.path}: unknown encryption {scheme!r}")
        check = self._meta(_KEY_CHECK_KEY)
        if not isinstance(check, bytes) or not hmac.compare_digest(check, self._key_check):
            raise GalleryKeyWrong(
                f"gallery {self.path}: wrong key (encrypted under another device secret)"
            )
        if self._meta(_SCRUB_KEY) is not None:  # the VACUUM after the migration did not finish
            self._scrub()

    def _seal(self, worker_id: str, blob: bytes) -> bytes:
        if self._aead is None:
            return blob
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, blob, _aad(worker_id))

    def _unseal(self, template_id: int, worker_id: str, stored: bytes) -> bytes:
        if self._aead is None:
            return stored
        try:
            if not isinstance(stored, bytes) or len(stored) <= _NONCE_BYTES:
                raise InvalidTag
            nonce, sealed = stored[:_NONCE_BYTES], stored[_NONCE_BYTES:]
            blob = self._aead.decrypt(nonce, sealed, _aad(worker_id))
        except InvalidTag:
            blob = b""
        if len(blob) != _PLAIN_BYTES:
            raise GalleryTampered(
                f"gallery {self.path}: template {template_id} of worker {worker_id} fails "
                "authentication (altered, or moved from another worker)"
            )
        return blob

    def _encrypt_in_place(self) -> None:
        """Seal every plaintext template, in one transaction, then vacuum the old pages away."""
        assert self._aead is not None
        with self._lock:
            conn = self.db.conn
            conn.execute("BEGIN IMMEDIATE")  # a writer from the start: no upgrade deadlock
            try:
                if self._meta(_ENCRYPTION_KEY) is not None:  # another process was first
                    conn.execute("ROLLBACK")
                    self._open_encryption()
                    return
                rows = conn.execute("SELECT id, worker_id, encoding FROM templates").fetchall()
                sealed = []
                for template_id, worker_id, blob in rows:
                    if not isinstance(blob, bytes) or len(blob) != _PLAIN_BYTES:
                        raise GalleryTampered(
                            f"gallery {self.path}: template {template_id} is not a plain "
                            "template; not encrypting"
                        )
                    sealed.append((self._seal(worker_id, blob), template_id))
                conn.executemany("UPDATE templates SET encoding = ? WHERE id = ?", sealed)
                conn.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [(_ENCRYPTION_KEY, _SCHEME), (_KEY_CHECK_KEY, self._key_check)],
                )
                # A gallery ever written to (version > 0) may keep plaintext in freed cells,
                # free pages or the WAL even with no template left: that one is scrubbed.
                used = self.version > 0
                if used:
                    conn.execute("INSERT INTO meta (key, value) VALUES (?, 1)", [_SCRUB_KEY])
                if rows:
                    self._bump()  # other processes' matchers are stale (plain readers refuse)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            if used:
                self._scrub()
            log.info("gallery %s: %d template(s) encrypted at rest", self.path, len(rows))

    def _scrub(self) -> None:
        """Rewrite the file so no page keeps a plaintext template (freed cells, old pages).

        Checkpoint first so the WAL's frames reach the file, then VACUUM (its new pages go
        through the WAL), then checkpoint again to write them back and truncate both files. If
        another connection gets in the way (a reader holding old pages), the next open with the
        key tries again (``meta.scrub_pending``) rather than hold up the gate's start.
        """
        self.db.execute(f"PRAGMA busy_timeout = {int(_SCRUB_WAIT_MS)}")
        try:
            self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            self.db.execute("VACUUM")
            self.db.execute("DELETE FROM meta WHERE key = ?", [_SCRUB_KEY])
            self.db.conn.commit()
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError as exc:  # e.g. locked by another process for too long
            busy, reason = 1, str(exc)
        else:
            reason = "another connection was reading"
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_S * 1000}")
        if busy:
            self.db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, 1)", [_SCRUB_KEY])
            self.db.conn.commit()
            log.warning(
                "gallery %s: old plaintext pages not yet scrubbed (%s); retried at next open",
                self.path,
                reason,
            )

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self.db.close()

    def __enter__(self) -> Gallery:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def version(self) -> int:
        """Bumped by every change; the unit of sync with central."""
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", [_VERSION_KEY]).fetchone()
            return int(row[0])

    def _bump(self) -> None:
        self.db.execute("UPDATE meta SET value = value + 1 WHERE key = ?", [_VERSION_KEY])

    def add(
        self,
        worker_id: str,
        encodings: Iterable[np.ndarray],
        source: str | Sequence[str] | None = None,
        name: str | None = None,
    ) -> list[int]:
        """Add templates for a worker (creating the worker if new); return the template ids.

        ``source`` (where a template came from, e.g. the photo path) is either one value for all
        encodings or one per encoding. All-or-nothing: every encoding is stored or none is.
        """
        if not worker_id or not worker_id.strip():
            raise GalleryError("worker_id must not be empty")
        blobs = [_to_blob(e) for e in encodings]
        if not blobs:
            raise GalleryError("no encodings to add")
        if source is None or isinstance(source, str):
            sources = [source] * len(blobs)
        else:
            sources = list(source)
            if len(sources) != len(blobs):
                raise GalleryError(f"{len(sources)} sources for {len(blobs)} encodings")
        now = _now()
        with self._lock, self.db.atomic():
            self._check_mode()
            self.db.execute(
                "INSERT OR IGNORE INTO workers (worker_id, name, enrolled_at) VALUES (?, ?, ?)",
                [worker_id, name, now],
            )
            if name is not None:
                self.db["workers"].update(worker_id, {"name": name})
            templates = self.db["templates"]
            ids = []
            for blob, src in zip(blobs, sources, strict=True):
                templates.insert(
                    {
                        "worker_id": worker_id,
                        "encoding": self._seal(worker_id, blob),
                        "source": src,
                        "created_at": now,
                    }
                )
                ids.append(int(templates.last_pk))
            self._bump()
        return ids

    def remove_worker(self, worker_id: str) -> bool:
        """Forget a worker and all their templates; return False if they were not enrolled."""
        with self._lock, self.db.atomic():
            self.db.execute("DELETE FROM templates WHERE worker_id = ?", [worker_id])
            removed = self.db.execute(
                "DELETE FROM workers WHERE worker_id = ?", [worker_id]
            ).rowcount
            if removed:
                self._bump()
        return bool(removed)

    def worker_ids(self) -> list[str]:
        """All enrolled workers, sorted."""
        with self._lock:
            rows = self.db.execute("SELECT worker_id FROM workers ORDER BY worker_id")
            return [row[0] for row in rows.fetchall()]

    def count(self) -> int:
        """Number of enrolled workers (not templates: see ``template_count``)."""
        with self._lock:
            return int(self.db.execute("SELECT count(*) FROM workers").fetchone()[0])

    def template_count(self, worker_id: str | None = None) -> int:
        """Number of templates, overall or for one worker."""
        with self._lock:
            if worker_id is None:
                row = self.db.execute("SELECT count(*) FROM templates").fetchone()
            else:
                row = self.db.execute(
                    "SELECT count(*) FROM templates WHERE worker_id = ?", [worker_id]
                ).fetchone()
            return int(row[0])

    def snapshot(self) -> Matcher:
        """A matcher over every template, rebuilt only when the gallery version has changed.

        Checking the version (one indexed read) instead of trusting our own writes also
        catches changes made by another process, such as the sync service. An encrypted
        gallery's templates are decrypted here, once per version, never per match.
        """
        with self._lock, self.db.atomic():
            # One read transaction: the version and the rows it describes stay consistent
            # even while another process writes.
            version = self.version
            if self._snapshot is None or version != self._snapshot_version:
                self._check_mode()
                rows = self.db.execute(
                    "SELECT id, worker_id, encoding FROM templates ORDER BY worker_id, id"
                ).fetchall()
                labels = [row[1] for row in rows]
                blobs = (self._unseal(*row) for row in rows) if self._aead else (r[2] for r in rows)
                matrix = np.frombuffer(b"".join(blobs), dtype="<f4")
                self._snapshot = Matcher(labels, matrix.reshape(len(rows), ENCODING_SIZE))
                self._snapshot_version = version
            return self._snapshot

    # -- sync from central (edge/gallery_sync.py) ------------------------------------------

    @property
    def synced_version(self) -> int:
        """The site gallery version from central that this file reflects (0: never synced)."""
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = 'synced_version'").fetchone()
            return int(row[0]) if row else 0

    def apply_sync(
        self,
        upserts: Iterable[tuple[str, str | None, Sequence[np.ndarray]]],
        removals: Iterable[str],
        synced_version: int,
    ) -> None:
        """Apply one delta from central in one transaction, with the version it brings us to.

        Each upserted worker's templates replace the ones held, so applying a delta twice (a
        crash before the version was known to be stored, a redelivered command) is harmless.
        """
        now = _now()
        staged = [(w, n, [_to_blob(e) for e in encs]) for w, n, encs in upserts]
        with self._lock, self.db.atomic():
            self._check_mode()
            for worker_id, name, blobs in staged:
                self.db.execute("DELETE FROM templates WHERE worker_id = ?", [worker_id])
                self.db.execute(
                    "INSERT INTO workers (worker_id, name, enrolled_at) VALUES (?, ?, ?)"
                    # Central sends no names (least data); keep one enrolled locally.
                    " ON CONFLICT(worker_id) DO UPDATE SET"
                    " name = coalesce(excluded.name, workers.name)",
                    [worker_id, name, now],
                )
                self.db.conn.executemany(
                    "INSERT INTO templates (worker_id, encoding, source, created_at)"
                    " VALUES (?, ?, 'central', ?)",
                    [(worker_id, self._seal(worker_id, blob), now) for blob in blobs],
                )
            for worker_id in removals:
                self.db.execute("DELETE FROM templates WHERE worker_id = ?", [worker_id])
                self.db.execute("DELETE FROM workers WHERE worker_id = ?", [worker_id])
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('synced_version', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [synced_version],
            )
            self._bump()
