"""``sitegate-edge calibrate``: its table must be computed from the photos, row by row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edge.cli.app import app
from edge.recognition.faces import analyse, load_rgb

FACES = Path(__file__).parents[1] / "fixtures" / "faces"
PEOPLE = ["lisa", "london_001", "obama"]
runner = CliRunner()


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three people with two photos each, plus a folder the command must skip."""
    root = tmp_path_factory.mktemp("labelled")
    for person in PEOPLE:
        (root / person).mkdir()
        for n in ("1", "2"):
            shutil.copy(FACES / person / f"{n}.jpg", root / person / f"{n}.jpg")
    (root / "_ignored").mkdir()
    shutil.copy(FACES / "biden" / "1.jpg", root / "_ignored" / "1.jpg")
    return root


def encode(path: Path) -> np.ndarray:
    return max(analyse(load_rgb(path)), key=lambda f: f.box[2] - f.box[0]).encoding


def test_the_table_matches_distances_computed_here(labelled: Path) -> None:
    result = runner.invoke(app, ["calibrate", str(labelled), "--margin", "0", "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.output)
    assert (table["people"], table["genuine_probes"], table["stranger_probes"]) == (3, 3, 6)

    enc = {(p, n): encode(labelled / p / f"{n}.jpg") for p in PEOPLE for n in ("1", "2")}
    genuine = [float(np.linalg.norm(enc[(p, "2")] - enc[(p, "1")])) for p in PEOPLE]
    wrong_best = [  # probe 2 of p: is another enrolled photo closer than its own?
        min(float(np.linalg.norm(enc[(p, "2")] - enc[(q, "1")])) for q in PEOPLE if q != p)
        for p in PEOPLE
    ]
    stranger = [  # every photo of p against the others' enrollment photos
        min(float(np.linalg.norm(enc[(p, n)] - enc[(q, "1")])) for q in PEOPLE if q != p)
        for p in PEOPLE
        for n in ("1", "2")
    ]
    for row in table["rows"]:
        t = row["threshold"]
        right = sum(g <= t and g < w for g, w in zip(genuine, wrong_best, strict=True))
        assert row["accepted"] == right, t
        assert row["strangers_accepted"] == sum(s <= t for s in stranger), t
        assert row["far"] == pytest.approx(row["strangers_accepted"] / 6)
    rec = table["recommended"]
    assert rec is not None and rec["wrong"] == 0 and rec["far"] <= 0.01
    assert rec["tar"] == max(
        r["tar"] for r in table["rows"] if r["wrong"] == 0 and r["far"] <= 0.01
    )


def test_the_table_is_printed_with_a_recommendation(labelled: Path) -> None:
    result = runner.invoke(app, ["calibrate", str(labelled)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[:4] == ["THRESHOLD", "TAR", "WRONG", "FAR"]
    assert len([line for line in lines if line.strip().startswith("0.")]) == 17
    assert any(line.startswith("recommended threshold") for line in lines)
    assert "stranger probes cannot show a FAR below" in result.output  # honest about n


def test_one_person_is_not_enough(tmp_path: Path) -> None:
    (tmp_path / "lisa").mkdir()
    shutil.copy(FACES / "lisa" / "1.jpg", tmp_path / "lisa" / "1.jpg")
    result = runner.invoke(app, ["calibrate", str(tmp_path)])
    assert result.exit_code == 1
    assert "at least two people" in result.output
