"""Frame sources behind one iterator: a folder of images, a USB camera, a stream, a file."""

import logging
import threading
from collections.abc import Iterator

import numpy as np

from firmware_config.model import CameraSource, FolderSource, UsbSource

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


class CameraError(RuntimeError):
    """A camera source that cannot be opened."""


def folder_frames(src: FolderSource, stop: threading.Event) -> Iterator[tuple[str, np.ndarray]]:
    import cv2

    files = sorted(p for p in src.path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise CameraError(f"no images in {src.path}")
    while not stop.is_set():
        for path in files:
            frame = cv2.imread(str(path))
            if frame is None:
                log.warning("unreadable frame %s", path)
                continue
            yield path.name, frame
            if stop.wait(src.interval_ms / 1000):  # frame pacing, like a real camera
                return
        if not src.loop:
            return


def capture_frames(src: CameraSource, stop: threading.Event) -> Iterator[tuple[str, np.ndarray]]:
    """OpenCV VideoCapture for usb/stream/file sources."""
    import cv2

    target: int | str
    if isinstance(src, UsbSource):
        target = src.index
    else:
        target = str(getattr(src, "url", None) or getattr(src, "path"))  # noqa: B009
    cap = cv2.VideoCapture(target)
    if not cap.isOpened():
        raise CameraError(f"cannot open camera source {src.type}")
    n = 0
    try:
        while not stop.is_set():
            ok, frame = cap.read()
            if not ok:
                return
            n += 1
            yield f"frame-{n}", frame
    finally:
        cap.release()


def frames(src: CameraSource, stop: threading.Event) -> Iterator[tuple[str, np.ndarray]]:
    if isinstance(src, FolderSource):
        return folder_frames(src, stop)
    return capture_frames(src, stop)
