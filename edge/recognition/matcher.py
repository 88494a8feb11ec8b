"""1:N matching of one face encoding against every template in the gallery.

A gate compares each passer-by against *all* enrolled workers, so the chance that some stranger
lands close to some worker grows with the gallery. dlib's 0.6 (tuned for 1:1 verification on
LFW) is too lenient for that, and the nearest worker must also clearly beat the second nearest:
a face halfway between two workers is a coin toss, and a coin toss must not pay anyone's wage.

The threshold and margin defaults, and the measurements behind them, are in
:mod:`edge.recognition.defaults`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from edge.recognition.defaults import DEFAULT_MARGIN, DEFAULT_THRESHOLD

ENCODING_SIZE = 128


@dataclass(frozen=True)
class Match:
    """The verdict for one face.

    ``worker_id`` is None when the face is unknown or ambiguous; ``nearest`` keeps the closest
    worker anyway, for audit logs ("unknown, nearest W-17 at 0.53"). ``distance`` is inf for an
    empty gallery.
    """

    worker_id: str | None
    distance: float
    runner_up: str | None
    runner_up_distance: float | None
    nearest: str | None = None


def decide(
    distance: float,
    runner_up_distance: float | None,
    threshold: float = DEFAULT_THRESHOLD,
    margin: float = DEFAULT_MARGIN,
) -> bool:
    """Accept the nearest worker only if close enough and clearly closer than the next one."""
    if distance > threshold:
        return False
    return runner_up_distance is None or runner_up_distance - distance >= margin


class Matcher:
    """An immutable view of the gallery's templates, ready for vectorised matching.

    Templates are sorted by worker so that the best distance per worker is a single
    ``np.minimum.reduceat`` over contiguous runs, whatever the number of templates per worker.
    """

    def __init__(self, labels: Sequence[str] | np.ndarray, matrix: np.ndarray) -> None:
        labels_arr = np.asarray(labels, dtype=str).reshape(-1)
        matrix = np.asarray(matrix, dtype=np.float32)
        if matrix.size == 0:
            matrix = matrix.reshape(0, ENCODING_SIZE)
        if matrix.ndim != 2 or matrix.shape[1] != ENCODING_SIZE:
            raise ValueError(f"expected an N x {ENCODING_SIZE} matrix, got {matrix.shape}")
        if len(labels_arr) != len(matrix):
            raise ValueError(f"{len(labels_arr)} labels for {len(matrix)} templates")
        order = np.argsort(labels_arr, kind="stable")
        self._labels = labels_arr[order]
        self._matrix = np.ascontiguousarray(matrix[order])
        self._workers, self._starts = np.unique(self._labels, return_index=True)

    @property
    def worker_ids(self) -> list[str]:
        """Enrolled workers, sorted."""
        return [str(w) for w in self._workers]

    @property
    def template_count(self) -> int:
        """Number of templates (a worker may have several)."""
        return len(self._matrix)

    def __len__(self) -> int:
        return len(self._workers)

    def distances(self, encoding: np.ndarray) -> np.ndarray:
        """Best (smallest) distance to each worker, aligned with ``worker_ids``."""
        if not len(self._workers):
            return np.empty(0, dtype=np.float32)
        probe = np.asarray(encoding, dtype=np.float32).reshape(ENCODING_SIZE)
        per_template = np.linalg.norm(self._matrix - probe, axis=1)
        return np.minimum.reduceat(per_template, self._starts)

    def match(
        self,
        encoding: np.ndarray,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ) -> Match:
        """Judge one face against everyone in the gallery."""
        per_worker = self.distances(encoding)
        if not len(per_worker):
            return Match(None, math.inf, None, None)
        if len(per_worker) == 1:
            best, second = 0, None
        else:
            two = np.argpartition(per_worker, 1)[:2]
            best, second = (int(i) for i in sorted(two, key=lambda i: per_worker[i]))
        distance = float(per_worker[best])
        nearest = str(self._workers[best])
        runner_up = None if second is None else str(self._workers[second])
        runner_up_distance = None if second is None else float(per_worker[second])
        accepted = decide(distance, runner_up_distance, threshold, margin)
        return Match(
            nearest if accepted else None, distance, runner_up, runner_up_distance, nearest
        )
