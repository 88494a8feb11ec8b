"""The evaluation set of benchmarks/face_eval.py is what it claims: deterministic, press-like.

Its figures (docs/recognition.md) are only comparable between runs and commits if the same
images come out every time, with faces of the stated size in 250x250 pictures.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from edge.recognition.faces import detect_faces

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "faces"


@pytest.fixture(scope="module")
def face_eval() -> ModuleType:
    spec = importlib.util.spec_from_file_location("face_eval", ROOT / "benchmarks" / "face_eval.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["face_eval"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_degraded_pictures_are_deterministic_and_press_sized(face_eval: ModuleType) -> None:
    photo = FIXTURES / "london_001" / "1.jpg"
    others = [FIXTURES / "london_002" / "1.jpg", FIXTURES / "obama" / "1.jpg"]
    pictures = [face_eval.degrade(photo, others, "probe", n) for n in range(6)]
    again = face_eval.degrade(photo, others, "probe", 0)
    assert np.array_equal(pictures[0], again)
    assert len({p.tobytes() for p in pictures}) == 6  # each variant differs
    heights = []
    for picture in pictures:
        assert picture.shape == (250, 250, 3) and picture.dtype == np.uint8
        boxes = detect_faces(picture)
        if boxes:
            heights.append(max(b[2] - b[0] for b in boxes))
    assert len(heights) >= 5
    assert all(60 <= h <= 135 for h in heights), heights  # HOG boxes of 80-120 px faces
