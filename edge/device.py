"""The gate device as one object: parts started in order, one stop event, stopped in reverse."""

import logging
import threading
import time

import edge
from edge.gate import Gate
from edge.outbox import Outbox
from edge.recognition.gallery import Gallery
from edge.turnstile import LogTurnstile, Turnstile
from edge.uplink import Uplink
from firmware_config import GateConfig

log = logging.getLogger(__name__)


class GateDevice:
    def __init__(self, config: GateConfig, turnstile: Turnstile | None = None) -> None:
        self.config = config
        self.started = time.monotonic()
        self.stop_event = threading.Event()
        self.outbox = Outbox(
            config.outbox, config.site, config.device, config.secret_bytes, config.zone
        )
        self.gallery = Gallery(config.gallery)
        self.uplink = Uplink(config, self.outbox, self.status)
        self.gate = Gate(
            config, self.gallery, self.outbox, turnstile or LogTurnstile(), self.uplink.nudge
        )
        self._camera_threads: list[threading.Thread] = []

    def status(self) -> dict[str, object]:
        """The heartbeat's content (see wireproto DeviceStatusBody)."""
        return {
            "software_version": edge.__version__,
            "outbox_depth": self.outbox.depth(),
            "camera_ok": all(self.gate.camera_ok.values()),
            "clock_synced": None,  # NTP state is reported once clock checks land (issue 5)
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
        self.uplink.stop()
        self.outbox.close()
        log.info("gate stopped; %s", "outbox closed")
