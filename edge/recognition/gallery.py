"""The gate's local face gallery: enrolled workers and their face templates in one sqlite file.

The gate must keep recognising workers when the site's uplink is down, so the gallery lives on
the gate itself. WAL mode lets the recognition loop read while enrollment or a sync from central
writes. Every change bumps ``meta.version`` in the same transaction, so central can later sync
the gallery by version, and so a process can tell cheaply whether its in-memory matcher is stale
(another process may have written the file).

Encodings are stored as float32 (512 bytes each): float64 precision is far below the noise of
the encoder (distances change by ~1e-7).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path

import numpy as np
import sqlite_utils

from edge.recognition.matcher import ENCODING_SIZE, Matcher

_VERSION_KEY = "version"


class GalleryError(ValueError):
    """A gallery operation was given invalid input."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _to_blob(encoding: np.ndarray) -> bytes:
    vector = np.asarray(encoding, dtype=np.float64).reshape(-1)
    if vector.shape != (ENCODING_SIZE,) or not np.all(np.isfinite(vector)):
        raise GalleryError(f"an encoding must be {ENCODING_SIZE} finite numbers")
    return vector.astype("<f4").tobytes()


class Gallery:
    """Enrolled workers and their templates, with a cached matcher over all of them.

    One connection guarded by a lock, so a camera thread and a sync thread can share an
    instance; other processes see changes through the version number.
    """

    def __init__(self, path: str | PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._snapshot: Matcher | None = None
        self._snapshot_version = -1
        conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10)
        try:
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.enable_wal()
            self._create_schema()
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
                    {"worker_id": worker_id, "encoding": blob, "source": src, "created_at": now}
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
        catches changes made by another process, such as the sync service.
        """
        with self._lock, self.db.atomic():
            # One read transaction: the version and the rows it describes stay consistent
            # even while another process writes.
            version = self.version
            if self._snapshot is None or version != self._snapshot_version:
                rows = self.db.execute(
                    "SELECT worker_id, encoding FROM templates ORDER BY worker_id, id"
                ).fetchall()
                labels = [row[0] for row in rows]
                matrix = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4")
                self._snapshot = Matcher(labels, matrix.reshape(len(rows), ENCODING_SIZE))
                self._snapshot_version = version
            return self._snapshot
