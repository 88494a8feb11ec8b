"""One camera's face pipeline: detect small, track, judge quality, encode once, match, liveness.

Per frame, in order of cost:

1. detect on the frame downscaled to ``detect_width`` (~15 ms at 480 px; every frame);
2. tie each face to its track (microseconds);
3. for a track without a verdict: quality (whole in the frame, size, sharpness, pose; ~1 ms
   with the 68 landmarks), then the 128-d encoding at full resolution (~6 ms on ONNX Runtime,
   edge/recognition/fast_encoder.py; once per track, plus at
   most two retries a second apart for a face that came out unknown), then the 1:N match;
4. for a recognised track while liveness is on: landmarks again, to watch for a blink or
   head motion (~1 ms a frame) until the liveness window ends.

It decides about faces only; the gate turns an ``admit`` into an event, a turnstile pulse and
debounce. Times are the frame's own (monotonic seconds), so a recorded video is judged the
same however fast it is processed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from edge.recognition.faces import (
    Box,
    detect_faces_scaled,
    encode_faces,
    landmarks_68,
    quality_verdict,
)
from edge.recognition.gallery import Gallery
from edge.recognition.liveness import new_check
from edge.recognition.tracking import Track, Tracker
from firmware_config.model import LivenessConfig, RecognitionConfig

log = logging.getLogger(__name__)

MAX_ENCODINGS_PER_TRACK = 3
RETRY_UNKNOWN_S = 1.0
"""An unknown face is encoded again after this long (a turned head or a blink may have spoiled
the first try), at most MAX_ENCODINGS_PER_TRACK times per track."""

Action = Literal["admit", "unknown", "rejected", "pending", "refused", "tracking"]
LivenessResult = Literal["passed", "failed", "not_checked", "pending"]


@dataclass(frozen=True)
class FaceDecision:
    """What the pipeline concluded about one face in one frame."""

    track_id: int
    box: Box
    action: Action
    """admit: check this worker in now (once per track); unknown: no worker matches;
    rejected: face not judged (``reason`` says why); pending: recognised, waiting for
    liveness; refused: recognised but liveness failed; tracking: verdict already given."""
    worker_id: str | None = None
    distance: float | None = None
    liveness: LivenessResult = "not_checked"
    reason: str | None = None
    encoded: bool = False


class FacePipeline:
    """Face tracks and verdicts for one camera (not shared between cameras)."""

    def __init__(
        self,
        recognition: RecognitionConfig,
        liveness: LivenessConfig,
        gallery: Gallery,
        name: str = "cam",
    ) -> None:
        self.rec = recognition
        self.live = liveness
        self.gallery = gallery
        self.name = name
        self.tracker = Tracker(recognition.track_timeout_s)

    def process(self, rgb: np.ndarray, now: float, new_scene: bool = False) -> list[FaceDecision]:
        """Judge every face in one RGB frame taken at monotonic time ``now``.

        ``new_scene`` says the frame does not continue the previous one (a folder of photos),
        so no face in it may inherit a track, and so a verdict, from the last frame.
        """
        import cv2

        thumb = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), (32, 24))
        cut = self.tracker.scene_cut(thumb) or new_scene
        boxes = detect_faces_scaled(rgb, self.rec.detect_width, self.rec.detect_upsample)
        tracks = self.tracker.update(boxes, now, cut)
        return [self._judge(rgb, track, now) for track in tracks]

    def _judge(self, rgb: np.ndarray, track: Track, now: float) -> FaceDecision:
        landmarks = None
        if self.live.enabled and track.state not in ("admitted", "unknown_final"):
            landmarks = landmarks_68(rgb, track.box)
            if track.liveness is None:
                track.liveness = new_check(self.live.strictness, self.live.window_s, now)
            track.liveness.observe(landmarks, now)
        if track.state in ("new", "rejected") or self._retry_unknown(track, now):
            return self._recognise(rgb, track, now, landmarks)
        if track.state == "pending_liveness":
            return self._await_liveness(track, now)
        return self._decision(track, "tracking")

    def _retry_unknown(self, track: Track, now: float) -> bool:
        return (
            track.state == "unknown"
            and track.encodings < MAX_ENCODINGS_PER_TRACK
            and now - track.last_encoded >= RETRY_UNKNOWN_S
        )

    def _recognise(
        self, rgb: np.ndarray, track: Track, now: float, landmarks: np.ndarray | None
    ) -> FaceDecision:
        rec = self.rec
        verdict = quality_verdict(
            rgb, track.box, rec.min_face_px, rec.min_sharpness, rec.max_yaw, landmarks
        )
        if verdict is not None:
            problem = verdict.message  # the words the gate logs and reports, as before
            if problem != track.reason:
                log.debug("%s track %d not judged: %s", self.name, track.id, problem)
            if track.state == "new":
                track.state = "rejected"
            track.reason = problem
            return self._decision(track, "rejected")
        encoding = encode_faces(rgb, [track.box], rec.jitters)[0]
        track.encodings += 1
        track.last_encoded = now
        match = self.gallery.snapshot().match(encoding, rec.threshold, rec.margin)
        track.distance = None if math.isinf(match.distance) else match.distance
        track.reason = None
        if match.worker_id is None:
            track.state = (
                "unknown" if track.encodings < MAX_ENCODINGS_PER_TRACK else "unknown_final"
            )
            log.debug(
                "%s track %d unknown (nearest %s at %.3f, next %s)",
                self.name,
                track.id,
                match.nearest,
                match.distance,
                match.runner_up_distance,
            )
            return self._decision(track, "unknown", encoded=True)
        track.worker_id = match.worker_id
        if not self.live.enabled:
            track.state = "admitted"
            return self._decision(track, "admit", encoded=True)
        track.state = "pending_liveness"
        track.liveness.started_at = now  # the window counts from recognition
        return self._await_liveness(track, now, encoded=True)

    def _await_liveness(self, track: Track, now: float, encoded: bool = False) -> FaceDecision:
        check = track.liveness
        verdict = check.verdict(now)
        if verdict == "passed":
            track.state = "admitted"
            log.debug("%s track %d live: %s", self.name, track.id, check.summary())
            return self._decision(track, "admit", encoded=encoded)
        if verdict == "failed":
            log.info(
                "%s track %d (%s) failed liveness: %s",
                self.name,
                track.id,
                track.worker_id,
                check.summary(),
            )
            # Start a new window: a live worker who did not blink yet gets another chance,
            # a photo keeps failing and never opens the gate.
            track.liveness = new_check(self.live.strictness, self.live.window_s, now)
            return self._decision(track, "refused", encoded=encoded, reason="liveness failed")
        return self._decision(track, "pending", encoded=encoded)

    def _decision(
        self, track: Track, action: Action, encoded: bool = False, reason: str | None = None
    ) -> FaceDecision:
        if not self.live.enabled:
            liveness: LivenessResult = "not_checked"
        elif action == "admit":
            liveness = "passed"
        elif action == "refused":
            liveness = "failed"
        else:
            liveness = "pending"
        return FaceDecision(
            track.id,
            track.box,
            action,
            track.worker_id,
            track.distance,
            liveness,
            reason or track.reason,
            encoded,
        )
