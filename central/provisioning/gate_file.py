"""New device identities: a random HMAC secret and a starter config file for the gate.

The secret and the broker password go into the config file (central keeps the secret and
only a hash of the password), never to a log.
"""

import os
import secrets
from pathlib import Path

import yaml

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def starter_config(
    site: str,
    device: str,
    secret_hex: str,
    broker_url: str,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
) -> dict[str, object]:
    """A config that validates as is; the installer edits the camera section.

    ``username``/``password`` are the device's own broker account (``devices add``), so the
    broker's ACL can confine it to its own topics; ``ca_file`` verifies a TLS broker.
    """
    broker: dict[str, object] = {"url": broker_url}
    if username is not None:
        broker.update(username=username, password=password)
    if ca_file is not None:
        broker["ca_file"] = ca_file
    return {
        "site": site,
        "device": device,
        "secret": secret_hex,
        "timezone": "Asia/Shanghai",
        "broker": broker,
        "cameras": [{"name": "cam0", "direction": "in", "source": {"type": "usb", "index": 0}}],
        "gallery": "gallery.db",
        "outbox": "outbox.db",
    }


def config_text(config: dict[str, object]) -> str:
    """The config file's text (the CLI writes it, the console hands it over once)."""
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    return "# sitegate gate config: holds this device's secret, keep it 0600\n" + body


def write_config(path: Path, config: dict[str, object]) -> None:
    """Write with mode 0600: the file holds the device's secret."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(config_text(config))
