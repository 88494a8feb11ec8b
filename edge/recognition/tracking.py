"""Follow faces from frame to frame, so the expensive encoder runs once per person, not per frame.

Encoding a face costs ~6 ms of CPU on ONNX Runtime (~90 ms on dlib's own build); detecting it
at the gate's reduced scale ~15 ms. A worker standing at the turnstile for two seconds is fifty
frames but one person: the tracker ties each detection to the track of the same face in the
previous frames, and the gate encodes a track only until it has a verdict.

Association is greedy by box overlap (IoU), with a size check: at 10-30 frames/s a face moves
a fraction of its own width between frames, so overlap is unambiguous for the one to three
people a turnstile sees at once. A frame that differs wholly from the previous one (a scene
cut, a folder of photos used as a camera) ends every track: a new picture is new people.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edge.recognition.faces import Box

MIN_IOU = 0.3
MAX_SIZE_RATIO = 1.6
SCENE_CUT = 40.0
"""Mean absolute difference (grey levels) of 32x24 frame thumbnails that counts as a cut: a
person walking through a static scene changes the thumbnail by ~2-15, a new photo by 40-90."""


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (top, right, bottom, left) boxes."""
    top, bottom = max(a[0], b[0]), min(a[2], b[2])
    left, right = max(a[3], b[3]), min(a[1], b[1])
    inter = max(0, bottom - top) * max(0, right - left)
    area_a = (a[2] - a[0]) * (a[1] - a[3])
    area_b = (b[2] - b[0]) * (b[1] - b[3])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    """One face followed across frames, and what the gate has concluded about it so far."""

    id: int
    box: Box
    first_seen: float
    last_seen: float
    frames: int = 1
    encodings: int = 0
    """How many times this track's face was encoded (normally once)."""
    last_encoded: float = float("-inf")
    state: str = "new"
    """new | rejected (quality, will retry) | unknown | pending_liveness | admitted | refused."""
    worker_id: str | None = None
    distance: float | None = None
    reason: str | None = None
    liveness: Any = None
    """An edge.recognition.liveness.LivenessCheck while one is running."""
    extra: dict[str, Any] = field(default_factory=dict)


class Tracker:
    """Face tracks of one camera."""

    def __init__(self, timeout_s: float = 1.0) -> None:
        self.timeout_s = timeout_s
        self.tracks: list[Track] = []
        self._ids = itertools.count(1)
        self._last_thumb: np.ndarray | None = None

    def scene_cut(self, gray_thumb: np.ndarray) -> bool:
        """Record this frame's thumbnail; True if it is a different scene from the last one."""
        last, self._last_thumb = self._last_thumb, gray_thumb
        if last is None or last.shape != gray_thumb.shape:
            return last is not None
        diff = np.abs(last.astype(np.int16) - gray_thumb.astype(np.int16)).mean()
        return float(diff) > SCENE_CUT

    def update(self, boxes: list[Box], now: float, cut: bool = False) -> list[Track]:
        """Assign this frame's boxes to tracks (new ones where needed), aligned with ``boxes``.

        Tracks unseen for ``timeout_s`` are dropped, so a worker who steps away and returns is
        a new track (and debounce, not the tracker, keeps it to one event).
        """
        if cut:
            self.tracks = []
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.timeout_s]
        pairs = sorted(
            (
                (iou(track.box, box), ti, bi)
                for ti, track in enumerate(self.tracks)
                for bi, box in enumerate(boxes)
            ),
            reverse=True,
        )
        assigned: dict[int, Track] = {}
        used_tracks: set[int] = set()
        for overlap, ti, bi in pairs:
            if overlap < MIN_IOU:
                break
            if ti in used_tracks or bi in assigned:
                continue
            track = self.tracks[ti]
            if not _similar_size(track.box, boxes[bi]):
                continue
            used_tracks.add(ti)
            assigned[bi] = track
        result = []
        for bi, box in enumerate(boxes):
            track = assigned.get(bi)
            if track is None:
                track = Track(next(self._ids), box, now, now)
                self.tracks.append(track)
            else:
                track.box, track.last_seen = box, now
                track.frames += 1
            result.append(track)
        return result


def _similar_size(a: Box, b: Box) -> bool:
    ha, hb = a[2] - a[0], b[2] - b[0]
    if ha <= 0 or hb <= 0:
        return False
    return max(ha, hb) / min(ha, hb) <= MAX_SIZE_RATIO
