"""Is the recognised face alive? Evidence across frames that a flat picture cannot give.

A printed photo or a phone held up to the camera is a flat, rigid thing: every frame of it
shows the same face up to an image warp. A live face blinks, and when the head turns its
landmarks move relative to each other in a way no warp of a flat picture produces (nose tip
against the jaw line: parallax). The check watches the 68 dlib landmarks of one face track:

* **blink**: the eye aspect ratio (EAR, Soukupová and Čech 2016) falls to a fraction of the
  track's own open-eye value and recovers. Relative, because EAR differs between people;
  measured on the fixtures, the 68-point model reports a synthetic full eye closure as a drop
  to 0.41-0.82 of the median value (it was trained mostly on open eyes), while camera noise
  and a waved photo never take it below 0.90 (see RULES).
* **3-D motion** (parallax): after the best *affine* map of the face outline and eyes from
  the track's first frame to the current one (which absorbs any move, turn, tilt or zoom of a
  flat photo under a camera), the nose has moved away from where that map puts it by more
  than a limit, in units of the distance between the eyes.

What it cannot stop (see docs/recognition.md): a video of the worker replayed on a screen
(it blinks and turns), a photo with cut-out eyes, a mask. It is a CPU-only first line that
makes the cheapest fraud (a printed photo from a WeChat profile) fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Verdict = Literal["passed", "pending", "failed"]

RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


@dataclass(frozen=True)
class LivenessRules:
    """How much evidence a strictness level asks for."""

    blink_drop: float
    """A blink needs the EAR at or below this fraction of the open-eye value..."""
    reopen: float
    """...and then back at or above this fraction."""
    motion: float | None
    """Non-affine landmark residual (fraction of eye distance) that counts; None: not enough."""
    min_frames: int
    """Frames observed before any verdict can pass."""


RULES: dict[str, LivenessRules] = {
    "normal": LivenessRules(blink_drop=0.85, reopen=0.93, motion=0.08, min_frames=5),
    "strict": LivenessRules(blink_drop=0.72, reopen=0.93, motion=None, min_frames=6),
}
"""Limits measured on the fixtures (30-frame sequences, 640x480, camera noise sigma 3): a photo
held still or waved about (up to 8 degrees, 10% zoom, 30 px shift, 25 px perspective tilt per
corner) keeps its smoothed EAR at >= 0.90 of its median and its nose parallax <= 0.039 (a
real nose moves ~0.17 at 20 degrees of head turn, so 0.08 is ~9 degrees);
a synthetic full eye closure over 4 frames drops the smoothed EAR to 0.41-0.82 of the median
(biden/1 and obama/2 stay above 0.9 when waved: the 68-point model barely sees their eyes
shut)."""

BASELINE_FRAMES = 5
"""Frames needed before the median EAR is trusted as the open-eye value."""


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean EAR of both eyes: eyelid opening over eye width (about 0.2-0.45 open, lower shut)."""

    def one(eye: np.ndarray) -> float:
        width = np.linalg.norm(eye[0] - eye[3])
        if width == 0:
            return 0.0
        opening = np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4])
        return float(opening / (2.0 * width))

    return (one(landmarks[RIGHT_EYE]) + one(landmarks[LEFT_EYE])) / 2.0


def eye_distance(landmarks: np.ndarray) -> float:
    """Distance between the eye centres, the face's own unit of length."""
    return float(
        np.linalg.norm(landmarks[RIGHT_EYE].mean(axis=0) - landmarks[LEFT_EYE].mean(axis=0))
    )


FRAME_POINTS = np.r_[0:17, 36:48]
"""Jaw outline and eyes: where a face's flat-looking frame is, to fit the affine map on."""
NOSE_POINTS = np.r_[27:36]
"""Nose bridge and tip: the part of a face that stands out of that frame."""


def nonaffine_residual(reference: np.ndarray, current: np.ndarray) -> float:
    """How far the nose moved against the face outline, per eye distance.

    The best affine map from the reference outline and eyes to the current ones absorbs any
    move, turn, tilt or zoom of a flat photo under a camera (to first order); applied to the
    nose, it predicts where a flat nose would be. A real nose stands ~0.5 eye distances out
    of the face, so a 20 degree head turn moves it ~0.17 from that prediction; a photo's nose
    stays within landmark noise.
    """
    ones = np.ones((len(reference), 1))
    design = np.hstack([reference, ones])
    solution, *_ = np.linalg.lstsq(design[FRAME_POINTS], current[FRAME_POINTS], rcond=None)
    residual = current[NOSE_POINTS] - design[NOSE_POINTS] @ solution
    unit = eye_distance(current)
    if unit == 0:
        return 0.0
    return float(np.linalg.norm(residual, axis=1).mean() / unit)


@dataclass
class LivenessCheck:
    """The liveness evidence of one face track, fed one frame at a time."""

    rules: LivenessRules
    window_s: float
    started_at: float
    frames: int = 0
    evidence: str | None = None
    """``blink`` or ``motion`` once passed."""
    _reference: np.ndarray | None = None
    _closed: bool = False
    _ears: list[float] = field(default_factory=list)

    def observe(self, landmarks: np.ndarray, at: float) -> Verdict:
        """Add one frame's landmarks (monotonic time ``at``); return the verdict so far.

        Evidence is collected from the first frame of the track, even before the face is
        recognised; the window is counted from ``started_at``, which the gate sets when it
        recognises the face.
        """
        self.frames += 1
        if self.evidence is not None:
            return self.verdict(at)
        self._ears.append(eye_aspect_ratio(landmarks))
        if self._reference is None:
            self._reference = landmarks.copy()
        if len(self._ears) >= BASELINE_FRAMES:
            # Median of 3 against the median of all: one noisy frame is not a blink, while a
            # real blink (100-400 ms) spans at least 3 frames at 10 frames/s or more.
            baseline = float(np.median(self._ears))
            current = float(np.median(self._ears[-3:]))
            if current <= self.rules.blink_drop * baseline:
                self._closed = True
            elif self._closed and current >= self.rules.reopen * baseline:
                self.evidence = "blink"
        if (
            self.evidence is None
            and self.rules.motion is not None
            and nonaffine_residual(self._reference, landmarks) > self.rules.motion
        ):
            self.evidence = "motion"
        return self.verdict(at)

    def expired(self, at: float) -> bool:
        """True once the window has passed without evidence."""
        return self.evidence is None and at - self.started_at > self.window_s

    def verdict(self, at: float) -> Verdict:
        """``passed`` with evidence over enough frames, ``failed`` after the window."""
        if self.evidence is not None and self.frames >= self.rules.min_frames:
            return "passed"
        if self.expired(at):
            return "failed"
        return "pending"

    def summary(self) -> str:
        """One line for the debug log: why a face passed or did not."""
        if not self._ears:
            return "no frames"
        low, median = min(self._ears), float(np.median(self._ears))
        return (
            f"{self.frames} frames, EAR min {low:.3f} median {median:.3f} "
            f"(ratio {low / median if median else 0:.2f}), evidence {self.evidence or 'none'}"
        )


def new_check(strictness: str, window_s: float, started_at: float) -> LivenessCheck:
    """A fresh check for one face track at the configured strictness."""
    return LivenessCheck(RULES[strictness], window_s, started_at)
