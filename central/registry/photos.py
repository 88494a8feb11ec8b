"""Enrollment photos are measured before anything decodes them, and encoded two at a time.

Decoding is where a photo costs: an 8000×8000 PNG is a few hundred kilobytes on the wire and
192 MB of pixels once decoded (3 GB through the face encoder's pyramid), and a few of them
once held every API request for minutes. So the width and height are read from the file's
header (Pillow's lazy ``Image.open`` parses the header only) and a photo above
``MAX_SIDE`` on a side or ``MAX_PIXELS`` in all is refused (413) before the encoder runs; and
at most ``MAX_CONCURRENT`` encodings run at once, a further one being answered 429 at once
rather than queued without bound.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from central.errors import InvalidInput, TooLarge, TooManyRequests

MAX_SIDE = 4096
MAX_PHOTO_BYTES = 8 * 1024 * 1024  # one photo in a request (central/api/limits.py)
MAX_PHOTOS = 10  # photos in one request
MAX_PIXELS = 16_000_000
FORMATS = ("JPEG", "PNG")
MAX_CONCURRENT = 2
RETRY_AFTER_S = 10

_slots = threading.BoundedSemaphore(MAX_CONCURRENT)


def dimensions(path: Path) -> tuple[int, int]:
    """Width and height from the header; InvalidInput unless it is a JPEG or PNG."""
    try:
        with Image.open(path) as image:  # reads the header, decodes nothing
            if image.format not in FORMATS:
                raise InvalidInput(f"{path.name}: a JPEG or PNG photo is expected")
            return image.size
    except Image.DecompressionBombError:
        raise TooLarge(f"{path.name}: far more pixels than a photo of a face needs") from None
    except (UnidentifiedImageError, OSError):
        raise InvalidInput(f"{path.name}: not a readable JPEG or PNG photo") from None


def check_photos(paths: Sequence[Path]) -> None:
    """Refuse (413) any photo larger than the stated pixel limits, before decoding any."""
    for path in paths:
        width, height = dimensions(path)
        if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
            raise TooLarge(
                f"{path.name}: {width}×{height} pixels; at most {MAX_SIDE} on a side and "
                f"{MAX_PIXELS // 1_000_000} megapixels"
            )


@contextmanager
def encoder_slot() -> Iterator[None]:
    """One of the ``MAX_CONCURRENT`` encoder slots, or TooManyRequests when all are taken."""
    if not _slots.acquire(blocking=False):
        raise TooManyRequests(
            "photo encoding is busy; try again shortly", retry_after=RETRY_AFTER_S
        )
    try:
        yield
    finally:
        _slots.release()
