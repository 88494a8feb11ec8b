"""Check-in by personal QR code, read by the gate's own cameras: the way in without a face.

China's rules on face recognition (in force since 2025-06-01) require an alternative where one
exists and separate consent for face data, so a worker may always show the QR code from their
worker account instead. The token format and its Ed25519 signature are in ``wireproto.qr``;
this module finds codes in camera frames (OpenCV's QR detector, 3-7 ms on 640x480) and makes
each token single-use: its id is remembered in a small sqlite file until the token expires, so
a replay fails even across a gate restart.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from wireproto.qr import QrTokenError, load_public_key, verify_token

log = logging.getLogger(__name__)

QUIET_S = 10.0
"""A code held in front of the camera is seen in every frame: judge the same text once per
this many seconds, so one replayed photo is one log line, not thirty."""


class QrReplayed(QrTokenError):
    """The token was already used at this gate."""

    reason = "replayed"


class QrNotConfigured(QrTokenError):
    """The gate has no QR public key, so it cannot trust any code."""

    reason = "not_configured"


def new_detector() -> Any:
    """OpenCV's ArUco-based QR detector: on 20 noisy 640x480 frames of our ~240-character
    tokens it decoded 20, the classic ``QRCodeDetector`` 16, at the same ~3-7 ms a frame."""
    import cv2

    return cv2.QRCodeDetectorAruco()


def scan_codes(frame_bgr: np.ndarray, detector: Any | None = None) -> list[str]:
    """Return the text of every QR code OpenCV can decode in a frame (empty when none)."""
    import cv2

    detector = detector or new_detector()
    gray = frame_bgr if frame_bgr.ndim == 2 else cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2GRAY)
    ok, texts, _points, _straight = detector.detectAndDecodeMulti(gray)
    return [t for t in texts if t] if ok else []


class UsedTokens:
    """Token ids already admitted, each kept until its token expires (sqlite, survives restart)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.Lock()
        self.db["used"].create(
            {"jti": str, "worker_id": str, "exp": int, "used_at": int},
            pk="jti",
            if_not_exists=True,
        )
        self.db["used"].create_index(["exp"], if_not_exists=True)

    def claim(self, jti: str, worker_id: str, exp: int, now: int) -> bool:
        """Record ``jti`` as used; False if it already was (atomic: one winner per token)."""
        with self._lock:
            self.db.execute("DELETE FROM used WHERE exp < ?", [now - 3600])
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO used (jti, worker_id, exp, used_at) VALUES (?, ?, ?, ?)",
                [jti, worker_id, exp, now],
            )
            return cursor.rowcount == 1

    def close(self) -> None:
        """Close the database."""
        self.db.close()


@dataclass(frozen=True)
class QrVerdict:
    """The gate's answer to one code: a worker to admit, or the reason it was refused."""

    text_hint: str
    worker_id: str | None
    reason: str | None


class QrGate:
    """Verifies codes for one site and admits each token once."""

    def __init__(self, public_key: str | None, site: str, used: UsedTokens) -> None:
        self.key = load_public_key(public_key) if public_key else None
        self.site = site
        self.used = used
        self._seen: dict[str, float] = {}

    def judge(self, text: str, now: float | None = None) -> QrVerdict | None:
        """Verdict on one decoded text; None if the same text was judged moments ago."""
        mono = time.monotonic() if now is None else now
        self._seen = {t: at for t, at in self._seen.items() if mono - at < QUIET_S}
        if text in self._seen:
            return None
        self._seen[text] = mono
        hint = text[:12] + "..."  # a token is a bearer pass: never log it whole
        try:
            if self.key is None:
                raise QrNotConfigured("no QR public key in the gate config")
            claims = verify_token(text, self.key, self.site)
            if not self.used.claim(claims.jti, claims.worker_id, claims.exp, int(time.time())):
                raise QrReplayed(f"token {claims.jti[:6]}... already used")
        except QrTokenError as exc:
            log.info("QR code %s refused: %s (%s)", hint, exc.reason, exc)
            return QrVerdict(hint, None, exc.reason)
        return QrVerdict(hint, claims.worker_id, None)
