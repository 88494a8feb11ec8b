"""The gate device as one object: parts started in order, one stop event, stopped in reverse."""

import logging
import threading
import time

import edge
from edge.card_reader import CardRegistry
from edge.gallery_sync import GallerySync
from edge.gate import Gate
from edge.outbox import Outbox
from edge.recognition.gallery import Gallery
from edge.recognition.gallery_key import gallery_key
from edge.remote_config import RemoteConfig, gate_applier
from edge.turnstile import Turnstile, build_turnstile
from edge.uplink import Uplink
from firmware_config import GateConfig
from wireproto.commands import RemoteSettings

log = logging.getLogger(__name__)


class GateDevice:
    def __init__(self, config: GateConfig, turnstile: Turnstile | None = None) -> None:
        self.config = config
        self.started = time.monotonic()
        self.stop_event = threading.Event()
        self.outbox = Outbox.for_gate(config)
        # Templates encrypted at rest under a key derived from the device secret; a gallery
        # enrolled in the lab (plain) is encrypted the first time the gate opens it.
        self.gallery = Gallery(config.gallery, gallery_key(config.secret_bytes))
        # Central's config overlay and gallery deltas (edge/remote_config.py, gallery_sync.py).
        self.remote_config = RemoteConfig(
            config.state, config.site, config.device, config.secret_bytes, self._apply_remote
        )
        # Cards central registered arrive with the gallery deltas (hashed for this gate), so
        # a reader plugged in later already knows every worker's card.
        self.cards = CardRegistry(config.gallery, config.secret_bytes)
        self.gallery_sync = GallerySync(
            self.gallery, config.site, config.device, config.secret_bytes, self.cards
        )
        self.uplink = Uplink(
            config,
            self.outbox,
            self.status,
            remote_config=self.remote_config,
            gallery_sync=self.gallery_sync,
        )
        self.gate = Gate(
            config,
            self.gallery,
            self.outbox,
            turnstile or build_turnstile(config.relay),
            self.uplink.nudge,
        )
        self.remote_config.restore()  # the last applied overlay, before the first frame
        self._camera_threads: list[threading.Thread] = []
        self.dust = None  # the dust monitor (edge/dust/), when the config has a dust section
        if config.dust is not None:
            from edge.dust.monitor import DustMonitor

            self.dust = DustMonitor(
                config.dust,
                self.outbox,
                config.zone,
                on_event=self.uplink.nudge,
                queue_dir=config.outbox.parent,
            )
            restored = self.remote_config.current()  # a pushed profile outlives a restart
            if restored is not None and restored.dust_profile and not self.remote_config.error:
                self.dust.use_profile(restored.dust_profile)

    def _apply_remote(self, settings: RemoteSettings) -> None:
        gate_applier(self.gate, self.config)(settings)
        dust = getattr(self, "dust", None)  # None while the monitor is not built yet
        if dust is not None and settings.dust_profile is not None:
            dust.use_profile(settings.dust_profile)

    def status(self) -> dict[str, object]:
        """The heartbeat's content (see wireproto DeviceStatusBody); the uplink adds the clock."""
        return {
            "software_version": edge.__version__,
            "outbox_depth": self.outbox.depth(),
            "camera_ok": all(self.gate.camera_ok.values()),
            "sensors": {
                **self.gate.camera_states(),  # camera.<name>: ok | reconnecting | failed ...
                **(self.dust.health() if self.dust is not None else {}),
            },
            **self.gate.turned_away.report(),  # today's refusals by kind, counts only
        }

    def start(self) -> None:
        self.uplink.start()
        for camera in self.config.cameras:
            t = threading.Thread(
                target=self.gate.run_camera,
                args=(camera, self.stop_event),
                name=f"camera-{camera.name}",
                daemon=True,
            )
            t.start()
            self._camera_threads.append(t)
        if self.dust is not None:
            self.dust.start()
        self.gate.start()  # the card reader, if any
        log.info(
            "gate %s/%s running: %d camera(s), %d enrolled",
            self.config.site,
            self.config.device,
            len(self.config.cameras),
            self.gallery.count(),
        )

    def wait(self) -> None:
        self.stop_event.wait()

    def stop(self) -> None:
        self.stop_event.set()
        for t in self._camera_threads:
            t.join(timeout=10)
        if self.dust is not None:
            self.dust.stop()  # before the uplink: its last readings are in the outbox
        self.gate.close()
        self.uplink.stop()
        self.outbox.close()
        self.remote_config.close()
        self.cards.close()
        log.info("gate stopped; %s", "outbox closed")
