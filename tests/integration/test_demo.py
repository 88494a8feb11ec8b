"""README command 1 keeps working: the demo brings up attendance for the people it enrolled."""

import re
from pathlib import Path

from conftest import run_cli
from sitegate_demo.cli import WORKERS


def test_demo_shows_attendance_for_every_enrolled_worker(tmp_path: Path) -> None:
    result = run_cli(
        "sitegate-demo", "--exit-when-done", "--workdir", str(tmp_path / "demo"),
        "--http-port", "0", "--timeout", "120", timeout=240,
    )  # fmt: skip
    shown = re.findall(r"^(W\d{4}) +in ", result.stdout, flags=re.M)
    assert sorted(shown) == sorted(WORKERS), result.stdout + result.stderr
    assert "demo stopped" in result.stdout
