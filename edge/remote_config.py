"""Config pushed by central: verified, validated, applied to the running gate, kept on disk.

Central may change a few settings remotely (recognition threshold and margin, debounce,
liveness strictness, the dust limit profile); everything else stays in the gate's file, which
an installer controls.
Each push carries the whole overlay at a version, not a diff, so applying the newest version
is all a gate ever needs to do, and a restart re-applies the last one from ``state.db``.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from edge.debounce import Debouncer
from edge.durable_sqlite import open_durable
from edge.signed_commands import command_for
from firmware_config import GateConfig
from firmware_config.model import RecognitionConfig
from wireproto.commands import ConfigPush, RemoteSettings

log = logging.getLogger(__name__)

Applier = Callable[[RemoteSettings], None]


class ConfigRejected(ValueError):
    """A pushed config that does not validate on this gate."""


def overlay(config: GateConfig, settings: RemoteSettings) -> GateConfig:
    """The file config with central's overlay on top, validated by the file's own rules."""
    updates: dict[str, object] = {}
    try:
        rec = settings.recognition.model_dump(exclude_none=True)
        if rec:
            updates["recognition"] = RecognitionConfig.model_validate(
                {**config.recognition.model_dump(), **rec}
            )
        if settings.debounce_s is not None:
            updates["debounce_s"] = settings.debounce_s
        if settings.liveness is not None:
            liveness = config.liveness.model_dump()
            liveness["enabled"] = settings.liveness != "off"
            if settings.liveness != "off":
                liveness["strictness"] = settings.liveness
            updates["liveness"] = type(config.liveness).model_validate(liveness)
        if settings.dust_profile is not None:
            if config.dust is None:
                raise ConfigRejected("dust_profile: this gate has no dust monitor")
            dust = {**config.dust.model_dump(), "profile": settings.dust_profile}
            updates["dust"] = type(config.dust).model_validate(dust)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigRejected(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    return config.model_copy(update=updates)


class GateLike(Protocol):
    """What :func:`gate_applier` needs of a gate (``edge.gate.Gate`` has it)."""

    config: GateConfig
    debounce: Debouncer


def gate_applier(gate: GateLike, base: GateConfig) -> Applier:
    """Apply an overlay to a running :class:`edge.gate.Gate` (config read per frame)."""

    def apply(settings: RemoteSettings) -> None:
        config = overlay(base, settings)
        gate.config = config
        gate.debounce.window = timedelta(seconds=config.debounce_s)

    return apply


class RemoteConfig:
    """The applied overlay and its version, persisted in a small sqlite-utils database."""

    def __init__(self, path: Path, site: str, device: str, secret: bytes, apply: Applier) -> None:
        self.site, self.device, self._secret, self._apply = site, device, secret, apply
        self.db = open_durable(path)
        self.db["applied_config"].create(
            {"version": int, "settings": str, "applied_at": str},
            pk="version",
            if_not_exists=True,
        )
        self.error: str | None = None
        self.rejected_version: int | None = None

    @property
    def version(self) -> int:
        row = self.db.execute("SELECT max(version) FROM applied_config").fetchone()
        return row[0] or 0

    def current(self) -> RemoteSettings | None:
        row = self.db.execute(
            "SELECT settings FROM applied_config ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return RemoteSettings.model_validate_json(row[0]) if row else None

    def restore(self) -> None:
        """At start: the last applied overlay applies again before the first frame."""
        settings = self.current()
        if settings is None:
            return
        try:
            self._apply(settings)
            log.info("remote config version %d re-applied", self.version)
        except ConfigRejected as exc:
            self.error = f"stored version {self.version}: {exc}"[:200]
            log.error("stored remote config no longer applies: %s", exc)

    def handle(self, payload: bytes) -> bool:
        """Apply one ``cmd/config`` message; True when there is something new to report."""
        push = command_for(payload, ConfigPush, self._secret, self.site, self.device)
        if push is None:
            return False
        if push.version <= self.version or push.version == self.rejected_version:
            return False  # already applied (a redelivery) or already refused
        try:
            self._apply(push.settings)
        except ConfigRejected as exc:
            self.error = f"version {push.version}: {exc}"[:200]
            self.rejected_version = push.version
            log.error("remote config version %d rejected: %s", push.version, exc)
            return True
        self.db["applied_config"].insert(
            {
                "version": push.version,
                "settings": push.settings.model_dump_json(),
                "applied_at": datetime.now().astimezone().isoformat(),
            }
        )
        self.error, self.rejected_version = None, None
        log.info("remote config version %d applied", push.version)
        return True

    def close(self) -> None:
        self.db.conn.close()
