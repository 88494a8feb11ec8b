"""The ONNX Runtime encoder gives dlib's own encodings, read from dlib's own model file.

Every photo is a real fixture; the reference is dlib's ``compute_face_descriptor`` on the same
face, with the same 5-point alignment. A wrong layer (padding, residual sizes, folded batch
norm, input scaling) moves encodings by 1e-2 or more, so 1e-4 catches any of them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edge.recognition import fast_encoder, models
from edge.recognition.dlib_resnet import ModelFormatError, read_layers
from edge.recognition.faces import detect_faces, encode_faces, load_rgb

FIXTURES = Path(__file__).parents[1] / "fixtures" / "faces"
PHOTOS = [
    FIXTURES / "obama" / "2.jpg",
    FIXTURES / "lisa" / "2.jpg",
    FIXTURES / "london_004" / "1.jpg",
    FIXTURES / "_probes" / "two_faces" / "obama_biden.jpg",
    FIXTURES / "_probes" / "small_face" / "obama_320x240.jpg",
]


def _dlib_reference(rgb: np.ndarray, boxes: list) -> np.ndarray:  # type: ignore[type-arg]
    import dlib

    shapes = dlib.full_object_detections()
    for top, right, bottom, left in boxes:
        shapes.append(models.shape_predictor_5()(rgb, dlib.rectangle(left, top, right, bottom)))
    with models.ENCODER_LOCK:
        return np.array(models.face_encoder().compute_face_descriptor(rgb, shapes, 1))


def test_reads_the_resnet_layer_by_layer() -> None:
    layers = read_layers(models.model_path(models.RESNET))
    kinds = [layer.kind for layer in layers]
    assert kinds[0] == "input" and kinds[-1] == "fc"
    assert kinds.count("con") == 29 and kinds.count("add_prev") == 14
    assert layers[0].ints == {"rows": 150, "cols": 150}
    assert layers[0].floats["avg_red"] == pytest.approx(122.782, abs=1e-3)
    stem = layers[1]
    assert stem.arrays["weight"].shape == (32, 3, 7, 7)
    assert stem.ints == {"stride_y": 2, "stride_x": 2, "pad_y": 0, "pad_x": 0}
    assert layers[-1].arrays["weight"].shape == (256, 128)


def test_encodings_agree_with_dlib_to_1e4() -> None:
    encoder = fast_encoder.encoder()
    assert encoder is not None, "onnxruntime is a dependency: the fast encoder must be in use"
    compared = 0
    for photo in PHOTOS:
        rgb = load_rgb(photo)
        boxes = detect_faces(rgb)
        assert boxes, photo
        ours = np.array(encode_faces(rgb, boxes))
        reference = _dlib_reference(rgb, boxes)
        assert ours.shape == reference.shape == (len(boxes), 128)
        assert np.abs(ours - reference).max() < 1e-4, photo
        compared += len(boxes)
    assert compared == len(PHOTOS) + 1  # obama_biden holds two faces


def test_jittered_encodings_stay_close_to_the_plain_one() -> None:
    rgb = load_rgb(FIXTURES / "obama" / "1.jpg")
    boxes = detect_faces(rgb)
    plain = encode_faces(rgb, boxes)[0]
    jittered = encode_faces(rgb, boxes, jitters=5)[0]
    assert 0 < np.linalg.norm(plain - jittered) < 0.15


def test_dlib_encoder_is_used_when_asked() -> None:
    code = (
        "import os; os.environ['SITEGATE_FACE_ENCODER'] = 'dlib'\n"
        "from edge.recognition import fast_encoder\n"
        "assert fast_encoder.encoder() is None\n"
        "print('dlib')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "dlib"


def test_another_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelFormatError, match="not dlib's metric-learning face resnet"):
        read_layers(models.model_path(models.SHAPE_5))
    truncated = tmp_path / "resnet.dat"
    truncated.write_bytes(models.model_path(models.RESNET).read_bytes()[:200_000])
    with pytest.raises(ModelFormatError):
        read_layers(truncated)


def test_a_model_file_it_cannot_read_falls_back_to_dlib(tmp_path: Path) -> None:
    """A gate with another resnet file keeps encoding (on dlib), and the log says why."""
    (tmp_path / models.RESNET).write_bytes(models.model_path(models.RESNET).read_bytes()[:4096])
    code = (
        "import logging; logging.basicConfig(level=logging.WARNING)\n"
        "from edge.recognition import fast_encoder\n"
        "assert fast_encoder.encoder() is None\n"
        "print('fallback')\n"
    )
    env = {"SITEGATE_FACE_MODELS": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "fallback"
    assert "face encoder on dlib, not ONNX Runtime" in result.stderr
