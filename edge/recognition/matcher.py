"""1:N matching of one face encoding against every template in the gallery.

A gate compares each passer-by against *all* enrolled workers, so the chance that some stranger
lands close to some worker grows with the gallery. dlib's 0.6 (tuned for 1:1 verification on
LFW) is too lenient for that, and the nearest worker must also clearly beat the second nearest:
a face halfway between two workers is a coin toss, and a coin toss must not pay anyone's wage.

The threshold and margin defaults, and the measurements behind them, are in
:mod:`firmware_config.recognition_defaults`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from firmware_config.recognition_defaults import DEFAULT_MARGIN, DEFAULT_THRESHOLD

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
        self._sqnorms = np.einsum("ij,ij->i", self._matrix, self._matrix)
        self._workers, self._starts = np.unique(self._labels, return_index=True)
        self._one_each = len(self._workers) == len(self._matrix)

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

    def _squared(self, encoding: np.ndarray) -> np.ndarray:
        """Smallest squared distance to each worker, aligned with ``worker_ids``.

        ``|t - p|² = |t|² - 2 t·p + |p|²`` turns the whole gallery into one matrix-vector
        product (BLAS, no N x 128 temporary): at 1M templates that reads 512 MB once instead
        of writing and reading it twice. Squared, because the square root is monotonic and
        only the two winners need it.
        """
        probe = np.asarray(encoding, dtype=np.float32).reshape(ENCODING_SIZE)
        squared = self._matrix @ probe
        squared *= -2.0
        squared += self._sqnorms
        squared += float(probe @ probe)
        np.maximum(squared, 0.0, out=squared)  # rounding can dip just below zero
        if self._one_each:
            return squared
        return np.minimum.reduceat(squared, self._starts)

    def distances(self, encoding: np.ndarray) -> np.ndarray:
        """Best (smallest) distance to each worker, aligned with ``worker_ids``."""
        if not len(self._workers):
            return np.empty(0, dtype=np.float32)
        return np.sqrt(self._squared(encoding))

    def match(
        self,
        encoding: np.ndarray,
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
    ) -> Match:
        """Judge one face against everyone in the gallery."""
        if not len(self._workers):
            return Match(None, math.inf, None, None)
        per_worker = self._squared(encoding)
        if len(per_worker) == 1:
            best, second = 0, None
        else:
            two = np.argpartition(per_worker, 1)[:2]
            best, second = (int(i) for i in sorted(two, key=lambda i: per_worker[i]))
        distance = math.sqrt(float(per_worker[best]))
        nearest = str(self._workers[best])
        runner_up = None if second is None else str(self._workers[second])
        runner_up_distance = None if second is None else math.sqrt(float(per_worker[second]))
        accepted = decide(distance, runner_up_distance, threshold, margin)
        return Match(
            nearest if accepted else None, distance, runner_up, runner_up_distance, nearest
        )
