"""The face models must load in the installed environment, and never via pkg_resources."""

import subprocess
import sys

from conftest import FACES


def test_models_load_without_pkg_resources() -> None:
    """setuptools>=82 ships no pkg_resources; hide it and load every model anyway."""
    code = f"""
import sys
sys.modules["pkg_resources"] = None  # importing it now raises ImportError
from edge.recognition import models
from edge.recognition.faces import analyse, load_rgb
models.face_detector(); models.shape_predictor_5(); models.shape_predictor_68()
models.face_encoder()
faces = analyse(load_rgb({str(FACES / "obama" / "1.jpg")!r}))
assert len(faces) == 1 and faces[0].encoding.shape == (128,), faces
assert "face_recognition_models" not in sys.modules  # its __init__ needs pkg_resources
print("models ok")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "models ok"


def test_missing_model_files_are_a_clear_error_not_quit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = "from edge.recognition import models; models.face_encoder()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"SITEGATE_FACE_MODELS": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "FaceModelsMissing" in result.stderr
