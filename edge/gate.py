"""The gate: frames in, decisions out. Outbox first, turnstile second, always."""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from edge.camera import frames
from edge.debounce import Debouncer
from edge.outbox import Outbox
from edge.recognition.gallery import Gallery
from edge.turnstile import Turnstile
from firmware_config import GateConfig
from firmware_config.model import CameraConfig
from wireproto.messages import AttendanceBody

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    camera: str
    worker_id: str | None
    distance: float
    box: tuple[int, int, int, int]
    event_id: str | None  # set when a check-in event was written


class Gate:
    """Recognition and check-in for every camera of one device."""

    def __init__(
        self,
        config: GateConfig,
        gallery: Gallery,
        outbox: Outbox,
        turnstile: Turnstile,
        on_event: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.gallery = gallery
        self.outbox = outbox
        self.turnstile = turnstile
        self.on_event = on_event
        self.debounce = Debouncer(config.debounce_s)
        self._lock = threading.Lock()  # one decision at a time: debounce state is shared
        self.camera_ok: dict[str, bool] = {c.name: False for c in config.cameras}

    def process(self, camera: CameraConfig, frame_bgr: np.ndarray) -> list[Decision]:
        import cv2

        from edge.recognition.faces import analyse

        rgb = np.ascontiguousarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
        rec = self.config.recognition
        observations = analyse(rgb, upsample=rec.upsample)
        matcher = self.gallery.snapshot()
        decisions = []
        for face in observations:
            match = matcher.match(face.encoding, rec.threshold, rec.margin)
            event_id = None
            if match.worker_id is not None:
                event_id = self._check_in(camera, match.worker_id, match.distance)
            else:
                log.debug("unknown face on %s (nearest %.3f)", camera.name, match.distance)
            decisions.append(
                Decision(camera.name, match.worker_id, match.distance, face.box, event_id)
            )
        return decisions

    def _check_in(self, camera: CameraConfig, worker_id: str, distance: float) -> str | None:
        now = datetime.now(self.config.zone)
        with self._lock:
            if not self.debounce.allow(worker_id, camera.direction, now):
                return None
            envelope = self.outbox.append(
                AttendanceBody(
                    worker_id=worker_id,
                    direction=camera.direction,
                    method="face",
                    distance=round(distance, 4),
                    liveness="not_checked",
                    captured_at=now,
                    camera=camera.name,
                )
            )
        # The event is committed: only now may the worker pass.
        self.turnstile.open(camera.name, worker_id)
        if self.on_event is not None:
            self.on_event()
        log.info("%s checked %s at %s (%.3f)", worker_id, camera.direction, camera.name, distance)
        return envelope.id

    def run_camera(self, camera: CameraConfig, stop: threading.Event) -> None:
        """Process one camera until it ends (a finite folder/file) or ``stop`` is set."""
        try:
            for name, frame in frames(camera.source, stop):
                self.camera_ok[camera.name] = True
                for d in self.process(camera, frame):
                    log.debug("%s %s: %s %.3f", camera.name, name, d.worker_id, d.distance)
        except Exception:
            self.camera_ok[camera.name] = False
            log.exception("camera %s failed", camera.name)
