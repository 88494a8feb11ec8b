"""Locate and lazily load the dlib model files shipped by ``face_recognition_models``.

We never ``import face_recognition_models``: its ``__init__`` imports ``pkg_resources``, which
setuptools>=82 no longer ships. Its directory is found through the import machinery instead,
without executing the package. ``SITEGATE_FACE_MODELS`` overrides the directory so a gate can
keep the models (~130 MB) on another disk.

Loading a model takes a noticeable fraction of a second, so each is loaded on first use and
kept. Sharing across camera threads follows dlib's own thread-safety notes:

* the shape predictors are safe to share, so there is one per process (loaded behind a lock,
  so two camera threads starting together do not load it twice);
* an ``object_detector`` loads each image into its own scanner (a non-const call), and the
  Python binding releases the GIL while detecting (two threads do run in parallel), so every
  thread gets its own HOG detector (~0.35 s to build, once per thread);
* a DNN keeps each call's intermediate outputs inside its layers, so the one resnet is used
  under ``ENCODER_LOCK``. That costs nothing: encoding does not run in parallel anyway.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODELS_ENV = "SITEGATE_FACE_MODELS"

SHAPE_5 = "shape_predictor_5_face_landmarks.dat"
SHAPE_68 = "shape_predictor_68_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"

_lock = threading.Lock()
_cache: dict[str, Any] = {}
_per_thread = threading.local()

ENCODER_LOCK = threading.Lock()
"""Hold while calling the encoder returned by ``face_encoder()``."""


class FaceModelsMissing(RuntimeError):
    """The dlib model files could not be found on disk."""


def models_dir() -> Path:
    """Return the directory holding the dlib ``.dat`` files.

    Raises FaceModelsMissing rather than exiting: the caller (CLI, gate service) decides how to
    report it.
    """
    override = os.environ.get(MODELS_ENV)
    if override:
        return Path(override)
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelsMissing(
            "package face_recognition_models is not installed; install it "
            f"(pip install face_recognition_models) or set {MODELS_ENV} to a directory "
            "containing the dlib model files"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def model_path(filename: str) -> Path:
    """Return the path of one model file, checking that it exists."""
    path = models_dir() / filename
    if not path.is_file():
        raise FaceModelsMissing(f"face model file not found: {path}")
    return path


def _cached(key: str, build: Callable[[], Any]) -> Any:
    """Return the model cached under ``key``, building it at most once per process."""
    model = _cache.get(key)
    if model is None:
        with _lock:
            model = _cache.get(key)
            if model is None:
                model = build()
                _cache[key] = model
    return model


def _from_file(filename: str, loader: str) -> Any:
    # Keyed by path so that a changed SITEGATE_FACE_MODELS never serves a stale model.
    path = model_path(filename)

    def build() -> Any:
        import dlib

        return getattr(dlib, loader)(str(path))

    return _cached(str(path), build)


def face_detector() -> Any:
    """This thread's HOG frontal face detector (no model file: it is compiled into dlib)."""
    detector = getattr(_per_thread, "hog", None)
    if detector is None:
        import dlib

        detector = _per_thread.hog = dlib.get_frontal_face_detector()
    return detector


def shape_predictor_5() -> Any:
    """The 5-point landmark predictor used to align faces before encoding."""
    return _from_file(SHAPE_5, "shape_predictor")


def shape_predictor_68() -> Any:
    """The 68-point landmark predictor (eye and mouth contours, e.g. for liveness checks)."""
    return _from_file(SHAPE_68, "shape_predictor")


def face_encoder() -> Any:
    """The dlib resnet that maps an aligned face to a 128-d descriptor (use under ENCODER_LOCK)."""
    return _from_file(RESNET, "face_recognition_model_v1")
