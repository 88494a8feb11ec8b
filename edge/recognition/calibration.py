"""Calibrate the match threshold on a labelled photo folder, with rates computed, never assumed.

Layout: ``DIR/<person>/<image>``; folders starting with ``_`` are skipped. For each person the
photos named ``enroll*`` are enrolled (as in the evaluation set of benchmarks/face_eval.py),
or else the first ``enroll`` photos (by name); the rest are **genuine probes**. Every
photo of a person is also a **stranger probe** against the gallery *without* that person
(leave one identity out), so a folder of N people yields strangers without a separate set;
``strangers`` adds photos of people never enrolled.

For each threshold, with the margin rule applied exactly as at the gate:

* TAR: genuine probes accepted as the right worker (no face found counts as a reject);
* wrong: genuine probes accepted as *another* worker (the error that pays the wrong wage);
* FAR: stranger probes accepted as anybody.

The recommendation is the threshold with the highest TAR among those with no wrong accept and
FAR at most the target; ties go to the lower (stricter) threshold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edge.recognition.faces import (
    DEFAULT_MIN_FACE_PX,
    DEFAULT_MIN_SHARPNESS,
    DEFAULT_UPSAMPLE,
    ImageUnreadable,
    analyse,
    cut_by_edge,
    face_height,
    load_rgb,
)
from edge.recognition.matcher import DEFAULT_MARGIN, Matcher

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
DEFAULT_THRESHOLDS = tuple(round(0.30 + 0.025 * i, 3) for i in range(17))  # 0.30 .. 0.70


class CalibrationError(ValueError):
    """The folder cannot be calibrated on (too few people or photos)."""


@dataclass(frozen=True)
class Row:
    """The rates at one threshold."""

    threshold: float
    tar: float
    wrong: int
    far: float
    accepted: int
    strangers_accepted: int


@dataclass(frozen=True)
class Calibration:
    """A calibration run: what was used, the table, and the recommendation."""

    people: int
    enrolled_photos: int
    genuine_probes: int
    stranger_probes: int
    skipped: list[str]
    margin: float
    target_far: float
    rows: list[Row]
    recommended: Row | None


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def labelled_photos(root: Path) -> dict[str, list[Path]]:
    """``{person: [photos]}`` from ``root/<person>/<image>`` (``_`` folders skipped)."""
    if not root.is_dir():
        raise CalibrationError(f"not a folder: {root}")
    people = {
        d.name: _images(d)
        for d in sorted(root.iterdir())
        if d.is_dir() and not d.name.startswith(("_", "."))
    }
    return {name: photos for name, photos in people.items() if photos}


def probe_encoding(
    path: Path, upsample: int = DEFAULT_UPSAMPLE, jitters: int = 1
) -> np.ndarray | None:
    """The encoding of the largest face in a photo (None when there is none, or when it is
    cut off by the picture's edge and so never accepted), as the gate would judge the person
    nearest the camera."""
    try:
        rgb = load_rgb(path)
    except ImageUnreadable:
        return None
    faces = analyse(rgb, upsample, jitters)
    if not faces:
        return None
    largest = max(faces, key=lambda f: face_height(f.box))
    return None if cut_by_edge(largest.box, rgb.shape) else largest.encoding


def enrollment_encoding(
    path: Path, upsample: int = DEFAULT_UPSAMPLE, jitters: int = 1
) -> tuple[np.ndarray | None, str | None]:
    """The encoding enrollment would store, or why enrollment would refuse the photo."""
    from edge.recognition.enrollment import EnrollmentRejected, template_from_photo

    try:
        encoding = template_from_photo(
            path, DEFAULT_MIN_FACE_PX, DEFAULT_MIN_SHARPNESS, upsample, jitters
        )
    except EnrollmentRejected as exc:
        return None, exc.reason
    return encoding, None


def _rates(
    best: np.ndarray,
    best_id: np.ndarray,
    second: np.ndarray,
    truth: np.ndarray | None,
    threshold: float,
    margin: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per probe: accepted at all, and accepted as the true person (vectorised decide())."""
    accepted = (best <= threshold) & (second - best >= margin)
    right = accepted & (best_id == truth) if truth is not None else np.zeros_like(accepted)
    return accepted, right


def _best_two(distances: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: smallest distance, its column, and the second smallest (inf if none)."""
    order = np.argsort(distances, axis=1)
    rows = np.arange(len(distances))
    best = distances[rows, order[:, 0]]
    second = (
        distances[rows, order[:, 1]] if distances.shape[1] > 1 else np.full(len(distances), np.inf)
    )
    return best, order[:, 0], second


def calibrate(
    photos: dict[str, list[Path]],
    *,
    enroll: int = 1,
    strangers: Iterable[Path] = (),
    thresholds: Iterable[float] = DEFAULT_THRESHOLDS,
    margin: float = DEFAULT_MARGIN,
    target_far: float = 0.01,
    upsample: int = DEFAULT_UPSAMPLE,
    enroll_jitters: int = 1,
    probe_jitters: int = 1,
) -> Calibration:
    """Encode, enroll, probe and tabulate (see the module docstring)."""
    labels: list[str] = []
    templates: list[np.ndarray] = []
    skipped: list[str] = []
    probes: list[tuple[str, np.ndarray | None]] = []  # (person, encoding) of genuine probes
    own: list[tuple[str, np.ndarray]] = []  # every encodable photo, for leave-one-out
    for person, all_paths in photos.items():
        named = [p for p in all_paths if p.stem.startswith("enroll")]
        enrolling = named or all_paths[:enroll]
        for path in enrolling:
            encoding, problem = enrollment_encoding(path, upsample, enroll_jitters)
            if encoding is None:
                skipped.append(f"{path}: {problem}")
                continue
            labels.append(person)
            templates.append(encoding)
            own.append((person, encoding))
        for path in (p for p in all_paths if p not in enrolling):
            encoding = probe_encoding(path, upsample, probe_jitters)
            probes.append((person, encoding))
            if encoding is not None:
                own.append((person, encoding))
    workers = sorted(set(labels))
    if len(workers) < 2:
        raise CalibrationError("need at least two people with a usable enrollment photo")
    matcher = Matcher(labels, np.array(templates))
    column = {w: i for i, w in enumerate(matcher.worker_ids)}

    genuine = [(p, e) for p, e in probes if p in column]
    g_dist = np.array([matcher.distances(e) for _, e in genuine if e is not None])
    g_truth = np.array([column[p] for p, e in genuine if e is not None])

    s_rows = []
    for person, encoding in own:
        row = matcher.distances(encoding).astype(np.float64)
        if person in column:
            row[column[person]] = np.inf  # leave this identity out
        s_rows.append(row)
    for path in strangers:
        encoding = probe_encoding(path, upsample, probe_jitters)
        if encoding is not None:
            s_rows.append(matcher.distances(encoding).astype(np.float64))
    s_dist = np.array(s_rows)

    rows = []
    for threshold in thresholds:
        right = wrong = 0
        if len(g_dist):
            best, best_id, second = _best_two(g_dist)
            accepted, ok = _rates(best, best_id, second, g_truth, threshold, margin)
            right, wrong = int(ok.sum()), int((accepted & ~ok).sum())
        s_best, _, s_second = _best_two(s_dist)
        s_accepted, _ = _rates(s_best, np.zeros(len(s_dist)), s_second, None, threshold, margin)
        rows.append(
            Row(
                threshold=float(threshold),
                tar=right / len(genuine) if genuine else 0.0,
                wrong=wrong,
                far=float(s_accepted.mean()) if len(s_dist) else 0.0,
                accepted=right,
                strangers_accepted=int(s_accepted.sum()),
            )
        )
    eligible = [r for r in rows if r.wrong == 0 and r.far <= target_far]
    recommended = max(eligible, key=lambda r: (r.tar, -r.threshold)) if eligible else None
    return Calibration(
        people=len(workers),
        enrolled_photos=len(templates),
        genuine_probes=len(genuine),
        stranger_probes=len(s_dist),
        skipped=skipped,
        margin=margin,
        target_far=target_far,
        rows=rows,
        recommended=recommended,
    )


def format_table(result: Calibration) -> list[str]:
    """The table ``sitegate-edge calibrate`` prints."""
    lines = [
        f"{result.people} people, {result.enrolled_photos} enrollment photos, "
        f"{result.genuine_probes} genuine probes, {result.stranger_probes} stranger probes "
        f"(leave-one-identity-out), margin {result.margin:.3f}",
        f"{'THRESHOLD':>9}  {'TAR':>7}  {'WRONG':>5}  {'FAR':>7}  ACCEPTED  STRANGERS_ACCEPTED",
    ]
    for r in result.rows:
        mark = "  <- recommended" if r is result.recommended else ""
        lines.append(
            f"{r.threshold:>9.3f}  {r.tar:>7.1%}  {r.wrong:>5}  {r.far:>7.2%}  "
            f"{r.accepted:>4}/{result.genuine_probes:<4}  "
            f"{r.strangers_accepted}/{result.stranger_probes}{mark}"
        )
    if result.recommended is None:
        lines.append(
            f"no threshold reaches FAR <= {result.target_far:.2%} with no wrong accept: "
            "add enrollment photos or check the camera"
        )
    else:
        best = [r.threshold for r in result.rows if r.wrong == 0 and r.far <= result.target_far]
        lines.append(
            f"recommended threshold {result.recommended.threshold:.3f} "
            f"(target FAR <= {result.target_far:.2%}, no wrong-person accept; "
            f"{min(best):.3f}-{max(best):.3f} meet the target)"
        )
        if result.stranger_probes and result.target_far * result.stranger_probes < 1:
            lines.append(
                f"note: {result.stranger_probes} stranger probes cannot show a FAR below "
                f"{1 / result.stranger_probes:.1%}; use more people for a firmer figure"
            )
    for problem in result.skipped:
        lines.append(f"skipped enrollment photo {problem}")
    return lines
