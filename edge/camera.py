"""Frame sources behind one iterator: a folder of images, a USB camera, a stream, a file.

Live sources (USB index, RTSP/HTTP stream) drop: cables get kicked, site Wi-Fi bridges reboot,
NVRs restart. They are reopened with exponential backoff (0.5 s doubling to 30 s) for as long
as the gate runs, and :class:`CameraHealth` says what is going on, for the device status. A
video file or a folder ends; that is not a failure.

Each frame carries its own time (monotonic seconds): live frames the moment they were read,
video files their position in the video, so a recording is judged in its own time however
fast it is processed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from firmware_config.model import CameraSource, FileSource, FolderSource, UsbSource

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
STREAM_TIMEOUT_MS = 5000


class CameraError(RuntimeError):
    """A camera source that cannot be opened and will not come back (a missing file)."""


@dataclass
class CameraHealth:
    """What one camera is doing, for the device status and the logs."""

    state: str = "starting"
    """starting | ok | reconnecting | ended | failed"""
    frames: int = 0
    reconnects: int = 0
    last_error: str | None = None
    last_frame_at: float | None = None

    @property
    def ok(self) -> bool:
        """True while frames arrive (a finished file or folder also counts as fine)."""
        return self.state in ("ok", "ended")

    def frame(self, at: float) -> None:
        """Record a frame."""
        self.state, self.last_frame_at = "ok", at
        self.frames += 1

    def problem(self, state: str, error: str) -> None:
        """Record a failure; logged once per change, not once per retry."""
        if (state, error) != (self.state, self.last_error):
            log.warning("camera %s: %s", state, error)
        self.state, self.last_error = state, error


@dataclass(frozen=True)
class Frame:
    """One BGR image and the moment it shows (monotonic seconds)."""

    name: str
    image: np.ndarray
    at: float
    new_scene: bool = False
    """True when the frame is not a continuation of the last one (each photo of a folder):
    faces in it are new people, however they line up with the previous frame's."""


def folder_frames(
    src: FolderSource, stop: threading.Event, health: CameraHealth
) -> Iterator[Frame]:
    """Images of a folder in name order, paced like a camera."""
    import cv2

    files = sorted(p for p in src.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CameraError(f"no images in {src.path}")
    while not stop.is_set():
        for path in files:
            image = cv2.imread(str(path))
            if image is None:
                log.warning("unreadable frame %s", path)
                continue
            now = time.monotonic()
            health.frame(now)
            yield Frame(path.name, image, now, new_scene=True)
            if stop.wait(src.interval_ms / 1000):  # frame pacing, like a real camera
                return
        if not src.loop:
            break
    health.state = "ended"


def _open(src: CameraSource) -> Any:
    import cv2

    if isinstance(src, UsbSource):
        return cv2.VideoCapture(src.index)
    if isinstance(src, FileSource):
        return cv2.VideoCapture(str(src.path))
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
    params += [cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
    return cv2.VideoCapture(src.url, cv2.CAP_ANY, params)  # type: ignore[union-attr]


def file_frames(src: FileSource, stop: threading.Event, health: CameraHealth) -> Iterator[Frame]:
    """A video file once through, each frame stamped with its position in the video."""
    import cv2

    if not src.path.is_file():
        raise CameraError(f"video file not found: {src.path}")
    cap = _open(src)
    if not cap.isOpened():
        raise CameraError(f"cannot decode video file {src.path}")
    start = time.monotonic()
    try:
        n = 0
        while not stop.is_set():
            ok, image = cap.read()
            if not ok:
                break
            n += 1
            at = start + cap.get(cv2.CAP_PROP_POS_MSEC) / 1000
            health.frame(at)
            yield Frame(f"frame-{n}", image, at)
    finally:
        cap.release()
    health.state = "ended"


def live_frames(src: CameraSource, stop: threading.Event, health: CameraHealth) -> Iterator[Frame]:
    """A USB camera or a stream, reopened with backoff whenever it fails, until ``stop``."""
    backoff = FIRST_BACKOFF_S
    n = 0
    while not stop.is_set():
        cap = _open(src)
        try:
            if not cap.isOpened():
                health.problem("reconnecting", f"cannot open {src.type} source")
            else:
                while not stop.is_set():
                    ok, image = cap.read()
                    if not ok:
                        health.problem("reconnecting", f"{src.type} source stopped sending")
                        break
                    n += 1
                    backoff = FIRST_BACKOFF_S
                    now = time.monotonic()
                    health.frame(now)
                    yield Frame(f"frame-{n}", image, now)
        finally:
            cap.release()
        if stop.wait(backoff):  # backoff between reconnects, interrupted by stop
            break
        health.reconnects += 1
        backoff = min(backoff * 2, MAX_BACKOFF_S)


def frames(
    src: CameraSource, stop: threading.Event, health: CameraHealth | None = None
) -> Iterator[Frame]:
    """The frames of any configured source."""
    health = health or CameraHealth()
    if isinstance(src, FolderSource):
        return folder_frames(src, stop, health)
    if isinstance(src, FileSource):
        return file_frames(src, stop, health)
    return live_frames(src, stop, health)
