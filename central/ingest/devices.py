"""Which devices exist and their HMAC secrets, cached so verification never waits on the DB."""

import threading
import time

from central.storage import Database


class DeviceDirectory:
    """Secret lookup for :func:`wireproto.decode_event`, reloaded (rate-limited) on a miss.

    A device provisioned while central runs is found on its first message; an unknown device
    flooding central costs at most one query per ``reload_interval``.
    """

    def __init__(self, db: Database, reload_interval: float = 1.0) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._secrets: dict[tuple[str, str], bytes] = {}
        self._loaded_at = float("-inf")
        self._reload_interval = reload_interval

    def reload(self) -> None:
        secrets = self._db.device_secrets()
        with self._lock:
            self._secrets = secrets
            self._loaded_at = time.monotonic()

    def __call__(self, site: str, device: str) -> bytes | None:
        secret = self._secrets.get((site, device))
        if secret is None and time.monotonic() - self._loaded_at >= self._reload_interval:
            self.reload()
            secret = self._secrets.get((site, device))
        return secret
