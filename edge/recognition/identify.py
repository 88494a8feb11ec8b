"""Who is in this photo? The JSON contract shared by the ``identify`` command and its callers.

Each face is judged on its own: two workers walking through the gate together are two
check-ins, and an unknown face next to a known one must not hide (or borrow) the known one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from os import PathLike
from typing import Any

from edge.recognition.faces import (
    DEFAULT_UPSAMPLE,
    FaceObservation,
    analyse,
    cut_by_edge,
    load_rgb,
)
from edge.recognition.gallery import Gallery
from edge.recognition.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD, Matcher


def judge_faces(
    faces: Iterable[FaceObservation],
    matcher: Matcher,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
    shape: tuple[int, ...] | None = None,
) -> list[dict[str, Any]]:
    """Return ``[{"worker_id", "distance", "box"}, ...]`` for already encoded faces.

    Split from detection so that callers holding encodings (tests, the gate loop) do not pay
    for dlib twice. Given the picture's ``shape``, a face cut off by its edge is never
    accepted (its encoding is a guess; see :func:`edge.recognition.faces.cut_by_edge`).
    """
    judged = []
    for face in faces:
        match = matcher.match(face.encoding, threshold, margin)
        distance = None if math.isinf(match.distance) else round(match.distance, 4)
        worker_id = match.worker_id
        if shape is not None and cut_by_edge(face.box, shape):
            worker_id = None
        judged.append({"worker_id": worker_id, "distance": distance, "box": list(face.box)})
    return judged


def identify_image(
    path: str | PathLike[str],
    gallery: Gallery,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
    upsample: int = DEFAULT_UPSAMPLE,
) -> dict[str, Any]:
    """Return ``{"image": path, "faces": [{"worker_id", "distance", "box"}, ...]}``.

    ``worker_id`` is None for an unknown or ambiguous face; ``distance`` is the distance to the
    nearest enrolled worker (rounded to 4 decimals, None only when the gallery is empty; a
    face cut off by the picture's edge is reported, never accepted);
    ``box`` is [top, right, bottom, left], faces left to right. Raises ImageUnreadable for a
    bad file.
    """
    rgb = load_rgb(path)
    faces = analyse(rgb, upsample)
    judged = judge_faces(faces, gallery.snapshot(), threshold, margin, rgb.shape)
    return {"image": str(path), "faces": judged}
