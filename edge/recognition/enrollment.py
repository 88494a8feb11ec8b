"""Enroll a worker from photos, refusing anything that would make the gallery less reliable.

Enrollment is the one moment a human (the site office) is there to retake a photo, so it is
strict: exactly one face per photo, big and sharp enough, and not someone already enrolled
under another id. A duplicate identity is how one person would clock in for two wage
accounts, so it is refused, never merged.
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
    ImageUnreadable,
    detect_faces,
    encode_faces,
    load_rgb,
    quality_problem,
)
from edge.recognition.gallery import Gallery
from edge.recognition.matcher import DEFAULT_THRESHOLD


class EnrollmentError(ValueError):
    """An enrollment was refused; nothing was written to the gallery."""


class EnrollmentRejected(EnrollmentError):
    """A photo cannot be used as an enrollment template."""

    def __init__(self, image: str | PathLike[str], reason: str) -> None:
        self.image = str(image)
        self.reason = reason
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
            f"(distance {distance:.4f})"
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
    """Return the encoding of the single, good-quality face in a photo, or raise."""
    try:
        rgb = load_rgb(path)
    except ImageUnreadable as exc:
        raise EnrollmentRejected(path, "cannot read image") from exc
    boxes = detect_faces(rgb, upsample)
    if not boxes:
        raise EnrollmentRejected(path, "no face")
    if len(boxes) > 1:
        raise EnrollmentRejected(path, f"{len(boxes)} faces")
    problem = quality_problem(rgb, boxes[0], min_face_px, min_sharpness, DEFAULT_MAX_YAW)
    if problem:
        raise EnrollmentRejected(path, problem)
    return encode_faces(rgb, boxes, jitters)[0]


def enroll(
    gallery: Gallery,
    worker_id: str,
    image_paths: Sequence[str | PathLike[str]],
    *,
    name: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
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
