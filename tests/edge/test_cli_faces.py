"""The ``identify`` and ``enroll`` commands, run in-process on real photos and a real gallery."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from edge.cli.faces import enroll_cmd, identify_cmd

FIXTURES = Path(__file__).parents[1] / "fixtures" / "faces"
PROBES = FIXTURES / "_probes"


def _app() -> typer.Typer:
    """Attach the commands exactly the way edge/cli/app.py does."""
    app = typer.Typer()
    app.command("identify")(identify_cmd)
    app.command("enroll")(enroll_cmd)
    return app


APP = _app()
runner = CliRunner()


@pytest.fixture(scope="module")
def gallery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """obama/1 and biden/2 enrolled through the CLI (the two-face probe uses other photos)."""
    path = tmp_path_factory.mktemp("cli") / "gallery.db"
    for worker, photo in (("W-obama", "obama/1.jpg"), ("W-biden", "biden/2.jpg")):
        result = runner.invoke(
            APP, ["enroll", "--gallery", str(path), "--worker", worker, str(FIXTURES / photo)]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"enrolled {worker}: 1 photo added (gallery version ")
    return path


def _check_face_shape(face: dict) -> None:
    assert set(face) == {"worker_id", "distance", "box"}
    assert face["worker_id"] is None or isinstance(face["worker_id"], str)
    assert isinstance(face["distance"], float)
    assert face["distance"] == round(face["distance"], 4)
    assert isinstance(face["box"], list) and len(face["box"]) == 4
    assert all(type(v) is int for v in face["box"])


def test_identify_json_prints_one_object_per_image(gallery: Path) -> None:
    two = str(PROBES / "two_faces" / "obama_biden.jpg")
    none = str(PROBES / "no_face" / "coffee.jpg")
    stranger = str(PROBES / "unknown_face" / "london_009_neutral.jpg")
    result = runner.invoke(
        APP, ["identify", "--gallery", str(gallery), two, none, stranger, "--json"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    objects = [json.loads(line) for line in lines]
    for obj in objects:
        assert set(obj) == {"image", "faces"}
        for face in obj["faces"]:
            _check_face_shape(face)
    assert [obj["image"] for obj in objects] == [two, none, stranger]
    assert sorted(f["worker_id"] for f in objects[0]["faces"]) == ["W-biden", "W-obama"]
    assert objects[1]["faces"] == []
    assert [f["worker_id"] for f in objects[2]["faces"]] == [None]


def test_identify_table_for_humans(gallery: Path) -> None:
    result = runner.invoke(
        APP,
        [
            "identify",
            "--gallery",
            str(gallery),
            str(FIXTURES / "obama" / "2.jpg"),
            str(PROBES / "no_face" / "rocket.jpg"),
        ],
    )
    assert result.exit_code == 0, result.output
    header, first, second = result.stdout.splitlines()
    assert header.split() == ["WORKER", "DISTANCE", "BOX", "(t,r,b,l)", "IMAGE"]
    assert first.startswith("W-obama ") and first.endswith("obama/2.jpg")
    assert "(no face)" in second and second.endswith("rocket.jpg")


def test_threshold_and_margin_options(gallery: Path) -> None:
    photo = str(FIXTURES / "obama" / "2.jpg")
    base = ["identify", "--gallery", str(gallery), photo, "--json"]
    strict = json.loads(runner.invoke(APP, [*base, "--threshold", "0.05"]).stdout)
    assert strict["faces"][0]["worker_id"] is None
    assert strict["faces"][0]["distance"] > 0.05
    ambiguous = json.loads(runner.invoke(APP, [*base, "--margin", "0.9"]).stdout)
    assert ambiguous["faces"][0]["worker_id"] is None


def test_identify_missing_gallery_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    result = runner.invoke(APP, ["identify", "--gallery", str(missing), "x.jpg"])
    assert result.exit_code == 1
    assert result.stderr == f"error: gallery not found: {missing}\n"
    assert not missing.exists()


def test_identify_unreadable_image_reports_and_continues(gallery: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_text("nope")
    good = str(PROBES / "no_face" / "coffee.jpg")
    result = runner.invoke(APP, ["identify", "--gallery", str(gallery), str(bad), good, "--json"])
    assert result.exit_code == 1
    assert result.stderr == f"error: {bad}: not a readable image\n"
    assert json.loads(result.stdout) == {"image": good, "faces": []}


@pytest.mark.parametrize(
    ("photo", "message"),
    [
        (PROBES / "two_faces" / "obama_biden.jpg", "2 faces of similar size (155 and 185 px)"),
        (PROBES / "no_face" / "chelsea_cat.jpg", "no face"),
    ],
)
def test_enroll_refusal_is_one_clear_line(tmp_path: Path, photo: Path, message: str) -> None:
    path = tmp_path / "g.db"
    result = runner.invoke(APP, ["enroll", "--gallery", str(path), "--worker", "W-1", str(photo)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {photo}: {message}: take the photo again with ")
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_enroll_duplicate_identity_names_the_existing_worker(gallery: Path) -> None:
    photo = FIXTURES / "obama" / "3.jpg"
    result = runner.invoke(
        APP, ["enroll", "--gallery", str(gallery), "--worker", "W-new", str(photo)]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: {photo}: face matches already enrolled worker W-obama (distance 0."
    )


def test_enroll_unwritable_gallery_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "g.db"
    photo = str(FIXTURES / "lisa" / "1.jpg")
    result = runner.invoke(APP, ["enroll", "--gallery", str(path), "--worker", "W-1", photo])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot use gallery {path}: ")


def test_commands_do_not_load_dlib_or_opencv_on_import() -> None:
    """``sitegate-edge --help`` must not pay for dlib and OpenCV."""
    code = (
        "import sys\n"
        "import edge.cli.faces, edge.recognition, edge.recognition.models\n"
        "import edge.recognition.faces, edge.recognition.gallery, edge.recognition.matcher\n"
        "import edge.recognition.enrollment, edge.recognition.identify\n"
        "print(sorted({'dlib', 'cv2'} & set(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    ).stdout
    assert out.strip() == "[]"


def test_missing_model_files_are_a_clear_error(
    gallery: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from edge.recognition.models import MODELS_ENV

    monkeypatch.setenv(MODELS_ENV, str(tmp_path))
    photo = str(FIXTURES / "obama" / "2.jpg")
    result = runner.invoke(APP, ["identify", "--gallery", str(gallery), photo])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: face model file not found: {tmp_path}/")


def test_template_json_says_which_photo_what_is_wrong_and_what_to_do() -> None:
    """Central relays these lines to the clerk enrolling a worker (central/registry/enrollment)."""
    from edge.cli.app import app

    good = str(FIXTURES / "obama" / "1.jpg")
    two = str(PROBES / "two_faces" / "obama_biden.jpg")
    none = str(PROBES / "no_face" / "coffee.jpg")
    result = runner.invoke(app, ["template", "--json", good, two, none])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["image"], line["ok"]) for line in lines] == [
        (good, True),
        (two, False),
        (none, False),
    ]
    assert len(lines[0]["encoding"]) == 128 and lines[0]["reason"] is None
    assert [line["code"] for line in lines] == [None, "two_faces", "no_face"]
    assert lines[1]["reason"] == (
        "2 faces of similar size (155 and 185 px): take the photo again with the worker alone, "
        "or crop it to the worker's face"
    )
    assert lines[2]["reason"].startswith("no face: take the photo again with the worker facing")
