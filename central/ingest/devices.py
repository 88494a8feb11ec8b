"""Which devices exist and their HMAC secrets, cached so verification never waits on the DB."""

import logging
import threading
import time

from cryptography.exceptions import InvalidTag

from central.storage import Database
from central.storage.database import device_secret_context

log = logging.getLogger(__name__)


class DeviceDirectory:
    """Secret lookup for :func:`wireproto.decode_event`, reloaded (rate-limited) on a miss.

    A device provisioned while central runs is found on its first message; an unknown device
    flooding central costs at most one query per ``reload_interval``. The database holds the
    secrets sealed with the data key; they are opened here, once per reload, and live in
    clear only in this process's memory.
    """

    def __init__(self, db: Database, reload_interval: float = 1.0) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._secrets: dict[tuple[str, str], bytes] = {}
        self._loaded_at = float("-inf")
        self._reload_interval = reload_interval

    def reload(self) -> None:
        sealed = self._db.sealed_device_secrets()
        secrets: dict[tuple[str, str], bytes] = {}
        sealer = self._db.sealer if sealed else None  # no key file is needed for no devices
        for key, value in sealed.items():
            assert sealer is not None
            try:
                secrets[key] = sealer.open(value, device_secret_context(*key))
            except InvalidTag:
                # Another data key, or a row copied from another device: that device is
                # treated as unknown (its events dead-letter as unknown_device), not trusted.
                log.error("the secret of device %s/%s does not open with this data key", *key)
        with self._lock:
            self._secrets = secrets
            self._loaded_at = time.monotonic()

    def __call__(self, site: str, device: str) -> bytes | None:
        secret = self._secrets.get((site, device))
        if secret is None and time.monotonic() - self._loaded_at >= self._reload_interval:
            self.reload()
            secret = self._secrets.get((site, device))
        return secret

    def known(self, site: str, device: str) -> bool:
        """Whether the device is provisioned, without reloading (for grouping dead letters)."""
        return (site, device) in self._secrets
