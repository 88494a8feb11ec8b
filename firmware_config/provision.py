"""New device identities: a random HMAC secret and a starter config file for the gate.

The secret goes into central's device table and into the config file, never to a log.
"""

import os
import secrets
from pathlib import Path

import yaml

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def starter_config(site: str, device: str, secret_hex: str, broker_url: str) -> dict[str, object]:
    """A config that validates as is; the installer edits the camera section."""
    return {
        "site": site,
        "device": device,
        "secret": secret_hex,
        "timezone": "Asia/Shanghai",
        "broker": {"url": broker_url},
        "cameras": [{"name": "cam0", "direction": "in", "source": {"type": "usb", "index": 0}}],
        "gallery": "gallery.db",
        "outbox": "outbox.db",
    }


def write_config(path: Path, config: dict[str, object]) -> None:
    """Write with mode 0600: the file holds the device's secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# sitegate gate config: holds this device's secret, keep it 0600\n")
        yaml.safe_dump(config, fh, sort_keys=False, allow_unicode=True)
