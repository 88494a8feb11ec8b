"""Enroll a worker from photos, refusing anything that would make the gallery less reliable.

Enrollment is the one moment a human (the site office) is there to retake a photo, so every
refusal says which photo, what is wrong with it and what to do, in words a clerk can act on.
The worker is the one clearly largest face (a bystander in the background is fine; two faces of
similar size are refused, since either could be the worker), whole in the picture, big and
sharp enough, and not someone already enrolled under another id. A duplicate identity is how
one person would clock in for two wage accounts, so it is refused, never merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike

import numpy as np

from edge.recognition.faces import (
    DEFAULT_JITTERS,
    DEFAULT_MAX_YAW,
    DEFAULT_MIN_FACE_PX,
    DEFAULT_MIN_SHARPNESS,
    DEFAULT_UPSAMPLE,
    Box,
    ImageUnreadable,
    cut_by_edge,
    detect_faces,
    encode_faces,
    face_height,
    load_rgb,
    quality_verdict,
)
from edge.recognition.gallery import Gallery
from firmware_config.recognition_defaults import DUPLICATE_DISTANCE


class EnrollmentError(ValueError):
    """An enrollment was refused; nothing was written to the gallery."""


SIMILAR_FACE = 0.7
"""Another face at least this fraction of the largest one's height could be the worker too.
HOG boxes come in steps of ~1.2x, so a bystander must be two steps smaller (or cut off by the
edge while the larger face is whole); the two workers of tests/fixtures obama_biden.jpg
(155 and 185 px, 0.84) are refused."""

ADVICE = {
    "unreadable": "send the original JPEG or PNG photo from the camera",
    "no_face": "take the photo again with the worker facing the camera, the whole face in the "
    "picture and evenly lit",
    "two_faces": "take the photo again with the worker alone, or crop it to the worker's face",
    "cut_off": "take the photo again with the worker's whole face inside the picture",
    "too_small": "move the camera closer or crop the photo around the face; use the "
    "original photo, not a thumbnail or a screenshot",
    "blurred": "hold the camera still and focus on the face; use the original photo, not a "
    "compressed copy",
    "off_frontal": "ask the worker to look straight at the camera",
}
"""What a clerk can do about each kind of refusal, keyed by its stable code: the codes are
what programs (central's console) translate; the words are for the command line and logs."""


def advice(code: str, problem: str) -> str:
    """``problem: what to do``: the refusal as the clerk sees it."""
    return f"{problem}: {ADVICE[code]}"


class EnrollmentRejected(EnrollmentError):
    """A photo cannot be used as an enrollment template.

    ``code`` is the stable kind of refusal (a key of :data:`ADVICE`: ``blurred``, ``no_face``
    ...); ``reason`` says in English what is wrong and what to do (``too blurred (sharpness
    9 < 15): hold the camera still ...``); the message adds the photo.
    """

    def __init__(self, image: str | PathLike[str], reason: str, code: str) -> None:
        self.image = str(image)
        self.reason = reason
        self.code = code
        super().__init__(f"{self.image}: {reason}")


class DuplicateIdentity(EnrollmentError):
    """The face already belongs to a different enrolled worker."""

    def __init__(
        self, image: str | PathLike[str], existing_worker_id: str, distance: float
    ) -> None:
        self.image = str(image)
        self.existing_worker_id = existing_worker_id
        self.distance = distance
        super().__init__(
            f"{self.image}: face matches already enrolled worker {existing_worker_id} "
            f"(distance {distance:.4f}): one person may hold only one worker id; check whether "
            f"this worker is already enrolled as {existing_worker_id}"
        )


@dataclass(frozen=True)
class EnrollmentResult:
    """What an enrollment stored."""

    worker_id: str
    template_ids: list[int]
    gallery_version: int


def template_from_photo(
    path: str | PathLike[str],
    min_face_px: int = DEFAULT_MIN_FACE_PX,
    min_sharpness: float = DEFAULT_MIN_SHARPNESS,
    upsample: int = DEFAULT_UPSAMPLE,
    jitters: int = DEFAULT_JITTERS,
) -> np.ndarray:
    """Return the encoding of the worker's good-quality face in a photo, or raise."""
    try:
        rgb = load_rgb(path)
    except ImageUnreadable as exc:
        reason = advice("unreadable", "cannot read the image")
        raise EnrollmentRejected(path, reason, "unreadable") from exc
    box = subject_face(path, detect_faces(rgb, upsample), rgb.shape)
    problem = quality_verdict(rgb, box, min_face_px, min_sharpness, DEFAULT_MAX_YAW)
    if problem:
        raise EnrollmentRejected(path, advice(problem.code, problem.message), problem.code)
    return encode_faces(rgb, [box], jitters)[0]


def subject_face(path: str | PathLike[str], boxes: list[Box], shape: tuple[int, ...]) -> Box:
    """The worker's face: the largest, unless another face could as well be the worker."""
    if not boxes:
        raise EnrollmentRejected(path, advice("no_face", "no face"), "no_face")
    largest = max(face_height(b) for b in boxes)
    similar = [b for b in boxes if face_height(b) >= SIMILAR_FACE * largest]
    if len(similar) > 1:
        whole = [b for b in similar if not cut_by_edge(b, shape)]
        if len(whole) != 1:
            sizes = " and ".join(str(face_height(b)) for b in similar)
            problem = f"{len(boxes)} faces of similar size ({sizes} px)"
            raise EnrollmentRejected(path, advice("two_faces", problem), "two_faces")
        similar = whole
    return similar[0]


def enroll(
    gallery: Gallery,
    worker_id: str,
    image_paths: Sequence[str | PathLike[str]],
    *,
    name: str | None = None,
    threshold: float = DUPLICATE_DISTANCE,
    min_face_px: int = DEFAULT_MIN_FACE_PX,
    min_sharpness: float = DEFAULT_MIN_SHARPNESS,
    upsample: int = DEFAULT_UPSAMPLE,
    jitters: int = DEFAULT_JITTERS,
) -> EnrollmentResult:
    """Add one template per photo to ``worker_id``, all or nothing.

    Every photo is checked before anything is written, so a refused batch leaves the gallery
    (and its version) untouched. More photos for an already enrolled worker are welcome: each
    becomes another template, which helps with beards, helmets and lighting.
    """
    if not image_paths:
        raise EnrollmentError("no images to enroll")
    if not worker_id or not worker_id.strip():
        raise EnrollmentError("worker id must not be empty")
    matcher = gallery.snapshot()
    others = np.array([w != worker_id for w in matcher.worker_ids], dtype=bool)
    others_ids = [w for w in matcher.worker_ids if w != worker_id]
    encodings = []
    for path in image_paths:
        encoding = template_from_photo(path, min_face_px, min_sharpness, upsample, jitters)
        distances = matcher.distances(encoding)[others]
        if distances.size:
            nearest = int(np.argmin(distances))
            if distances[nearest] <= threshold:
                raise DuplicateIdentity(path, others_ids[nearest], float(distances[nearest]))
        encodings.append(encoding)
    ids = gallery.add(worker_id, encodings, source=[str(p) for p in image_paths], name=name)
    return EnrollmentResult(worker_id, ids, gallery.version)
