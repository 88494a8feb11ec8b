"""A gate's config for a camera that sees real faces: an enrolled worker and a stranger.

The gate's camera is a folder holding Obama's second photo (he is enrolled from his first,
as ``W1``) and a face enrolled by nobody, so a running gate yields one check-in and one
unknown face. Used wherever a test needs a live gate to produce real check-ins
(test_vertical_slice.py, test_enterprise_payroll_browser.py).
"""

import shutil
from pathlib import Path

import yaml

from conftest import FACES, run_cli

OBAMA = FACES / "obama" / "1.jpg"


def camera_gate(
    config: Path, tmp: Path, enrolled: dict[str, Path], outbox: str = "outbox.db"
) -> Path:
    """Enroll ``enrolled`` (worker id → photo) into a gallery under ``tmp``, point the
    provisioned gate ``config`` at it and at the camera folder; the same config path."""
    gallery = tmp / "gallery.db"
    for worker, photo in enrolled.items():
        run_cli(
            "sitegate-edge", "enroll", "--gallery", str(gallery), "--worker", worker, str(photo)
        )
    camera = tmp / "camera"
    camera.mkdir()
    shutil.copy(FACES / "obama" / "2.jpg", camera / "1.jpg")
    shutil.copy(FACES / "_probes" / "unknown_face" / "london_009_neutral.jpg", camera / "2.jpg")
    data = yaml.safe_load(config.read_text())
    data["cameras"] = [
        {
            "name": "east",
            "direction": "in",
            "source": {"type": "folder", "path": str(camera), "interval_ms": 0},
        }
    ]
    data["gallery"] = str(gallery)
    data["outbox"] = str(tmp / outbox)
    config.write_text(yaml.safe_dump(data))
    return config
