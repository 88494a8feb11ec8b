"""The gate: frames and cards in, decisions out. Outbox first, turnstile second, always.

Three ways through, one rule: a worker is admitted by face (recognised, and live when liveness
is on), by a personal QR code shown to the same camera, or by an ID/NFC card on the reader.
Every admission goes through :meth:`Gate.check_in`: debounce decides whether it is a new event,
the event is committed to the outbox, and only then does the turnstile open. An unknown face, a
failed liveness check, a forged or replayed code and an unknown card open nothing.

A worker debounced (seen again within the window) is let through without a second event:
debounce is about counting attendance once, not about locking out someone already checked in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from edge.camera import CameraError, CameraHealth, frames
from edge.card_reader import CardReader, CardRegistry, mask
from edge.debounce import Debouncer
from edge.outbox import Outbox, OutboxFull
from edge.qr import QrGate, UsedTokens, new_detector, scan_codes
from edge.recognition.gallery import Gallery
from edge.recognition.pipeline import FacePipeline
from edge.turned_away import TurnedAway
from edge.turnstile import Turnstile
from firmware_config import GateConfig
from firmware_config.model import CameraConfig
from wireproto.messages import AttendanceBody

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    """One verdict of the gate, for logs and tests."""

    camera: str
    worker_id: str | None
    distance: float | None
    box: tuple[int, int, int, int] | None
    event_id: str | None
    """Set when a check-in event was written (not when debounced)."""
    method: str = "face"
    action: str = "admit"
    """admit | unknown | rejected | pending | refused | tracking (see FaceDecision)."""
    liveness: str = "not_checked"
    reason: str | None = None
    track: int | None = None
    """The face track (per camera) the decision is about."""
    encoded: bool = False
    """This frame ran the encoder for this face (once per track, normally)."""


class Gate:
    """Recognition and check-in for every camera and the card reader of one device."""

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
        self.turned_away = TurnedAway(config.zone)  # today's refusals, for the heartbeat
        self._lock = threading.Lock()  # one check-in at a time: debounce state is shared
        self.health = {c.name: CameraHealth() for c in config.cameras}
        self.pipelines = {
            c.name: FacePipeline(config.recognition, config.liveness, gallery, c.name)
            for c in config.cameras
        }
        self._frame_counts = dict.fromkeys(self.pipelines, 0)
        self._qr_detectors: dict[str, Any] = {}
        self.qr: QrGate | None = None
        if config.qr.enabled:
            used = UsedTokens(config.qr.used_tokens)
            self.qr = QrGate(config.qr.public_key, config.site, used)
        self.cards: CardRegistry | None = None
        self.card_reader: CardReader | None = None
        if config.card_reader is not None:
            self.cards = CardRegistry(config.gallery, config.secret_bytes)
            self.card_reader = CardReader(
                config.card_reader.port, self.card_presented, config.card_reader.baudrate
            )

    @property
    def camera_ok(self) -> dict[str, bool]:
        """Per camera: are frames arriving?"""
        return {name: h.ok for name, h in self.health.items()}

    def camera_states(self) -> dict[str, str]:
        """``camera.<name>`` -> state, for the status heartbeat's ``sensors``."""
        return {f"camera.{name}"[:64]: h.state for name, h in self.health.items()}

    def start(self) -> None:
        """Start the parts that run on their own (the card reader)."""
        if self.card_reader is not None:
            self.card_reader.start()

    def close(self) -> None:
        """Stop the card reader and close the gate's own files."""
        if self.card_reader is not None:
            self.card_reader.stop()
        if self.cards is not None:
            self.cards.close()
        if self.qr is not None:
            self.qr.used.close()

    def process(
        self,
        camera: CameraConfig,
        frame_bgr: np.ndarray,
        at: float | None = None,
        new_scene: bool = False,
    ) -> list[Decision]:
        """Judge one frame: every face in it, and any QR code in it."""
        import cv2

        at = time.monotonic() if at is None else at
        rgb = np.ascontiguousarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB))
        pipeline = self.pipelines[camera.name]
        # Read per frame: a config pushed from central (edge/remote_config.py) applies at once.
        pipeline.rec, pipeline.live = self.config.recognition, self.config.liveness
        decisions = []
        for face in pipeline.process(rgb, at, new_scene):
            event_id = None
            if face.action == "admit" and face.worker_id is not None:
                event_id = self.check_in(
                    face.worker_id,
                    camera.direction,
                    "face",
                    at,
                    camera=camera.name,
                    distance=face.distance,
                    liveness=face.liveness,
                )
            decisions.append(
                Decision(
                    camera.name,
                    face.worker_id,
                    face.distance,
                    face.box,
                    event_id,
                    "face",
                    face.action,
                    face.liveness,
                    face.reason,
                    face.track_id,
                    face.encoded,
                )
            )
        count = self._frame_counts[camera.name]
        self._frame_counts[camera.name] = count + 1
        # Not on a frame that just ran the encoder: a code is held up for seconds, so the next
        # frame finds it, and a new face reaches its event a few ms sooner.
        if (
            self.qr is not None
            and not any(d.encoded for d in decisions)
            and count % self.config.qr.every_n_frames == 0
        ):
            decisions.extend(self._scan_qr(camera, frame_bgr, at))
        for d in decisions:
            self.turned_away.note(d.method, d.action)
        return decisions

    def _scan_qr(self, camera: CameraConfig, frame_bgr: np.ndarray, at: float) -> list[Decision]:

        assert self.qr is not None
        detector = self._qr_detectors.get(camera.name) or new_detector()
        self._qr_detectors[camera.name] = detector
        decisions = []
        for text in scan_codes(frame_bgr, detector):
            verdict = self.qr.judge(text, at)
            if verdict is None:
                continue
            event_id = None
            if verdict.worker_id is not None:
                event_id = self.check_in(
                    verdict.worker_id, camera.direction, "qr", at, camera=camera.name
                )
            action = "admit" if verdict.worker_id else "refused"
            decisions.append(
                Decision(
                    camera.name,
                    verdict.worker_id,
                    None,
                    None,
                    event_id,
                    "qr",
                    action,
                    reason=verdict.reason,
                )
            )
        return decisions

    def card_presented(self, card: str, at: float | None = None) -> Decision:
        """A card was read: admit its worker, or refuse an unknown card."""
        assert self.cards is not None and self.config.card_reader is not None
        at = time.monotonic() if at is None else at
        worker_id = self.cards.worker_for(card)
        if worker_id is None:
            log.info("unknown card %s refused", mask(card.strip()))
            self.turned_away.note("card", "refused")
            return Decision("card", None, None, None, None, "card", "refused", reason="unknown")
        direction = self.config.card_reader.direction
        event_id = self.check_in(worker_id, direction, "card", at, camera=None)
        return Decision("card", worker_id, None, None, event_id, "card", "admit")

    def check_in(
        self,
        worker_id: str,
        direction: str,
        method: str,
        at: float,
        *,
        camera: str | None,
        distance: float | None = None,
        liveness: str = "not_checked",
    ) -> str | None:
        """Record one admission (unless debounced), then open the turnstile; the event id."""
        with self._lock:
            envelope = None
            if self.debounce.allow(worker_id, direction, at):
                body = AttendanceBody(
                    worker_id=worker_id,
                    direction=direction,  # type: ignore[arg-type]
                    method=method,  # type: ignore[arg-type]
                    distance=None if distance is None else round(distance, 4),
                    liveness=liveness,  # type: ignore[arg-type]
                    captured_at=datetime.now(self.config.zone),
                    camera=camera,
                )
                try:
                    envelope = self.outbox.append(body)
                except OutboxFull:
                    # An admission that cannot be recorded is not given: the turnstile stays
                    # shut and the gate keeps running; the status already raises the alarm.
                    self.debounce.forget(worker_id, direction)
                    log.error("outbox full of unsent attendance: %s not admitted", worker_id)
                    return None
        # The event is committed (or already was, within the window): only now may they pass.
        self.turnstile.open(camera or method, worker_id)
        if envelope is None:
            log.debug("%s seen again at %s within the debounce window", worker_id, direction)
            return None
        if self.on_event is not None:
            self.on_event()
        how = method if distance is None else f"{method} {distance:.3f}"
        log.info("%s checked %s at %s (%s)", worker_id, direction, camera or method, how)
        return envelope.id

    def run_camera(
        self,
        camera: CameraConfig,
        stop: threading.Event,
        on_decisions: Callable[[list[Decision]], None] | None = None,
    ) -> None:
        """Process one camera until it ends (a finite folder/file) or ``stop`` is set."""
        health = self.health[camera.name]
        try:
            for frame in frames(camera.source, stop, health):
                decisions = self.process(camera, frame.image, frame.at, frame.new_scene)
                if on_decisions is not None:
                    on_decisions(decisions)
                for d in decisions:
                    if d.action not in ("tracking", "pending"):
                        log.debug(
                            "%s %s: %s %s %s",
                            camera.name,
                            frame.name,
                            d.action,
                            d.worker_id,
                            d.reason or "",
                        )
        except CameraError as exc:
            health.problem("failed", str(exc))
        except Exception as exc:
            health.problem("failed", f"{type(exc).__name__}: {exc}")
            log.exception("camera %s failed", camera.name)
