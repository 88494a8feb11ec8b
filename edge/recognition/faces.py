"""Find faces in an RGB image, encode them, and judge whether a face is good enough to enroll.

Boxes follow the face_recognition convention ``(top, right, bottom, left)`` in pixels, clipped
to the image, so code and data written against that library keep working. Encodings are the
128-d dlib resnet descriptors as float64; faces are aligned with the 5-point predictor, which is
what the resnet was trained with and what face_recognition uses by default.

Quality thresholds were measured on tests/fixtures/faces (HOG, upsample 1):

* Face height: the 22 identity photos have faces of 90-386 px. Downscaling photo 1 of each
  person, HOG (upsample 1) still finds faces of 36 px, but the encoding moves away from the
  full-size one by 0.05-0.10 at ~90 px, 0.07-0.16 at ~75 px, 0.12-0.22 at ~52 px and
  0.20-0.36 at ~36 px (HOG box heights come in steps: 52, 62, 75, 90, 107 ... px). The
  enrollment minimum is 60 px: press-like photos with faces of 80-120 px (the evaluation set of
  benchmarks/face_eval.py) often get a 75 px box, and refusing them cost far more genuine
  accepts (at 80 px: 51 of 55 people enrolled, genuine accepts 91.5 %) than their templates'
  drift (at 60 px: 55 of 55, 97.9 %, no wrong-person or stranger accept either way). The
  gate's own minimum is in its config (80).
* Sharpness = variance of the Laplacian of the face crop *resized to 80x80*. Resizing makes the
  number about blur relative to the face, not about resolution: raw, an in-focus 386 px face
  (lisa/1) scores 30 while a blurred 108 px face scores 17, so no raw threshold can separate
  them. Normalised, the 22 in-focus photos score 236-1237 (lisa/2 lowest); Gaussian blur
  sigma 3 gives 11-166 and moves the encoding by 0.12-0.45, sigma 4 gives 7-94 (drift
  0.18-0.54). Real enrollment photos are softer than studio shots: on the evaluation set a
  minimum of 100 left 27 of 55 people unenrolled (genuine accepts 48 %), 60 left 14 (70 %, and
  2 wrong-person accepts by the people left out), 30 three, 20 one, 15 none (97.9 %). The
  enrollment minimum is 15, which still refuses a face blurred past recognition (Gaussian
  sigma 8 on the fixtures scores 7-11, sigma 6 10-15).
* A face whose box touches the picture's edge is partly outside it: its alignment and encoding
  are guesses, so it is neither enrolled nor matched (at the gate, the next frame has it whole).
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np

from edge.recognition import fast_encoder, models

Box = tuple[int, int, int, int]
"""(top, right, bottom, left) in pixels, like face_recognition."""

DEFAULT_UPSAMPLE = 1
DEFAULT_JITTERS = 1
DEFAULT_MIN_FACE_PX = 60
DEFAULT_MIN_SHARPNESS = 15.0
DEFAULT_MAX_YAW = 0.6
"""Yaw asymmetry limit (see yaw_asymmetry): the fixtures span 0.00-0.46 (obama/2, a
three-quarter view that still matches at 0.38), so 0.6 only refuses faces turned further."""
SHARPNESS_SIDE = 80
"""Face crops are resized to this square before measuring sharpness (see module docstring)."""


class ImageUnreadable(ValueError):
    """An image file is missing or cannot be decoded."""


@dataclass(frozen=True)
class FaceObservation:
    """One detected face: where it is and what it looks like to the encoder."""

    box: Box
    encoding: np.ndarray


def load_rgb(path: str | PathLike[str]) -> np.ndarray:
    """Read an image file as a contiguous uint8 RGB array (dlib rejects anything else).

    Decodes from bytes instead of ``cv2.imread`` so that a missing file and a corrupt file get
    a clear error instead of a silent ``None``.
    """
    import cv2

    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise ImageUnreadable(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise ImageUnreadable(f"{path}: not a readable image")
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def _checked(rgb: np.ndarray) -> np.ndarray:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 RGB image, got {rgb.dtype} {rgb.shape}")
    return np.ascontiguousarray(rgb)


def detect_faces(rgb: np.ndarray, upsample: int = DEFAULT_UPSAMPLE) -> list[Box]:
    """Return the boxes of all faces found by the HOG detector, left to right.

    Sorting makes output (and the JSON of ``identify``) stable for a given image; dlib orders by
    detection score, which shifts with tiny pixel changes.
    """
    rgb = _checked(rgb)
    height, width = rgb.shape[:2]
    rects = models.face_detector()(rgb, upsample)
    boxes = [
        (max(r.top(), 0), min(r.right(), width), min(r.bottom(), height), max(r.left(), 0))
        for r in rects
    ]
    return sorted(boxes, key=lambda box: (box[3], box[0]))


def encode_faces(
    rgb: np.ndarray, boxes: list[Box], jitters: int = DEFAULT_JITTERS
) -> list[np.ndarray]:
    """Return one 128-d float64 encoding per box, in the same order.

    The network runs on ONNX Runtime when it is installed (:mod:`edge.recognition.fast_encoder`:
    the same weights, encodings within 1e-6 of dlib's, ~10x faster), else on dlib itself.

    ``jitters`` > 1 averages encodings of randomly perturbed crops: a little more robust, but
    proportionally slower and no longer deterministic between runs.
    """
    if not boxes:
        return []
    import dlib

    rgb = _checked(rgb)
    predictor = models.shape_predictor_5()
    shapes = dlib.full_object_detections()
    for top, right, bottom, left in boxes:
        shapes.append(predictor(rgb, dlib.rectangle(left, top, right, bottom)))
    fast = fast_encoder.encoder()
    if fast is not None:
        chips = dlib.get_face_chips(
            rgb, shapes, size=fast_encoder.CHIP_SIZE, padding=fast_encoder.CHIP_PADDING
        )
        if jitters <= 1:
            return list(fast.encode_chips(np.asarray(chips)))
        return [
            fast.encode_chips(np.asarray(dlib.jitter_image(chip, jitters))).mean(axis=0)
            for chip in chips
        ]
    encoder = models.face_encoder()
    with models.ENCODER_LOCK:
        descriptors = encoder.compute_face_descriptor(rgb, shapes, jitters)
    return [np.asarray(d, dtype=np.float64) for d in descriptors]


def analyse(
    rgb: np.ndarray, upsample: int = DEFAULT_UPSAMPLE, jitters: int = DEFAULT_JITTERS
) -> list[FaceObservation]:
    """Detect and encode every face in one go."""
    boxes = detect_faces(rgb, upsample)
    encodings = encode_faces(rgb, boxes, jitters)
    return [FaceObservation(box, enc) for box, enc in zip(boxes, encodings, strict=True)]


def face_height(box: Box) -> int:
    """Height of the face box in pixels (the dimension that limits encoding quality)."""
    top, _right, bottom, _left = box
    return bottom - top


def cut_by_edge(box: Box, shape: tuple[int, ...]) -> bool:
    """Whether the face box reaches the picture's edge, i.e. part of the face is outside it.

    Boxes are clipped to the picture, so a face running off it ends exactly on the edge.
    """
    top, right, bottom, left = box
    return top <= 0 or left <= 0 or bottom >= shape[0] or right >= shape[1]


def sharpness(rgb: np.ndarray, box: Box) -> float:
    """Variance of the Laplacian of the face crop resized to SHARPNESS_SIDE pixels square."""
    import cv2

    top, right, bottom, left = box
    crop = rgb[top:bottom, left:right]
    if crop.size == 0:
        return 0.0
    gray = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2GRAY)
    side = SHARPNESS_SIDE
    interpolation = cv2.INTER_AREA if gray.shape[0] >= side else cv2.INTER_LINEAR
    gray = cv2.resize(gray, (side, side), interpolation=interpolation)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


@dataclass(frozen=True, slots=True)
class QualityProblem:
    """Why a face is not good enough: a stable machine ``code`` (``cut_off``, ``too_small``,
    ``blurred``, ``off_frontal``) for programs that translate it, and the English ``message``
    with the measured values for logs and the gate's display."""

    code: str
    message: str


def quality_verdict(
    rgb: np.ndarray,
    box: Box,
    min_face_px: int = DEFAULT_MIN_FACE_PX,
    min_sharpness: float = DEFAULT_MIN_SHARPNESS,
    max_yaw: float | None = None,
    landmarks: np.ndarray | None = None,
) -> QualityProblem | None:
    """Return why this face is not good enough to judge or enroll, or None when it is.

    An enrollment template is compared against every passer-by for years, so a poor one costs
    far more than asking the worker for another photo; at the gate, a poor face is better left
    for the next frame than matched. Checks run cheapest first. ``max_yaw`` (see
    :func:`yaw_asymmetry`) is checked only when given; ``landmarks`` saves recomputing them.
    """
    if cut_by_edge(box, rgb.shape):
        return QualityProblem("cut_off", "face cut off by the edge of the picture")
    height = face_height(box)
    if height < min_face_px:
        return QualityProblem("too_small", f"face too small ({height} px < {min_face_px} px)")
    score = sharpness(rgb, box)
    if score < min_sharpness:
        return QualityProblem(
            "blurred", f"too blurred (sharpness {score:.0f} < {min_sharpness:.0f})"
        )
    if max_yaw is not None:
        points = landmarks if landmarks is not None else landmarks_68(rgb, box)
        yaw = yaw_asymmetry(points)
        if yaw > max_yaw:
            return QualityProblem(
                "off_frontal", f"too far off-frontal (yaw asymmetry {yaw:.2f} > {max_yaw:.2f})"
            )
    return None


def detect_faces_scaled(rgb: np.ndarray, detect_width: int, upsample: int = 0) -> list[Box]:
    """Detect on a copy downscaled to ``detect_width`` pixels wide; boxes in full-size pixels.

    HOG cost grows with the pixels scanned, so a 640x480 frame detected at 480 px wide costs
    about half as much as at full size, while the smallest face found (80 px of HOG window at
    the scanned scale) is still ~107 px in the frame: the size a face has when the worker is
    close enough to the gate to be judged at all. Encoding then runs on the full-size frame.
    """
    import cv2

    rgb = _checked(rgb)
    height, width = rgb.shape[:2]
    if width <= detect_width:
        return detect_faces(rgb, upsample)
    scale = detect_width / width
    small = cv2.resize(rgb, (detect_width, round(height * scale)), interpolation=cv2.INTER_AREA)
    boxes = []
    for top, right, bottom, left in detect_faces(small, upsample):
        boxes.append(
            (
                max(round(top / scale), 0),
                min(round(right / scale), width),
                min(round(bottom / scale), height),
                max(round(left / scale), 0),
            )
        )
    return boxes


def landmarks_68(rgb: np.ndarray, box: Box) -> np.ndarray:
    """The 68 iBUG landmarks of one face as a 68x2 float array of (x, y) pixels.

    About 1 ms per face: cheap enough to run on every frame for liveness and pose.
    """
    import dlib

    top, right, bottom, left = box
    shape = models.shape_predictor_68()(_checked(rgb), dlib.rectangle(left, top, right, bottom))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def yaw_asymmetry(landmarks: np.ndarray) -> float:
    """How far the nose tip sits from the middle of the jaw line: 0 frontal, 1 profile.

    The nose tip (landmark 30) projected on the jaw line (landmarks 0 to 16) sits at the middle
    for a frontal face and moves toward one end as the head turns; the encoder's accuracy drops
    sharply past ~30 degrees of yaw (asymmetry ~0.4), where one side of the face is hidden.
    """
    jaw_left, jaw_right, nose = landmarks[0], landmarks[16], landmarks[30]
    axis = jaw_right - jaw_left
    length = float(axis @ axis)
    if length == 0.0:
        return 1.0
    position = float((nose - jaw_left) @ axis) / length
    return min(abs(position - 0.5) * 2.0, 1.0)
