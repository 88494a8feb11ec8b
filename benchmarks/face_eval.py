"""Gate recognition accuracy on press-photo-like faces, through the real enroll/identify commands.

    .venv/bin/python benchmarks/face_eval.py [--out DIR] [--workers N]

Builds an evaluation set of the nature of the held-out set the gate is judged on (LFW-like
press photos: 250x250 images, faces 80-120 px, uncontrolled light, pose and expression, JPEG
artefacts, some with a bystander; people enrolled from 1-2 photos, a third never enrolled),
from the studio photos in ``../shared/faces_dev`` (73 people x 2) and ``../shared/faces`` (9
people, 2-5 photos), then:

1. enrolls each enrolled person with ``sitegate-edge enroll --gallery G --worker P PHOTO...``
   (default settings; a refused photo is reported with the reason and the rest retried, as a
   clerk would);
2. identifies every probe with ``sitegate-edge identify --gallery G --json`` (default
   settings) and takes the largest face as the subject;
3. prints genuine accepts (right person), wrong-person accepts and strangers accepted.

The commands run in this process through Typer's runner (the same code and option defaults
as the installed ``sitegate-edge``). The set is generated deterministically (fixed seeds) into
a temporary folder, or into ``--out`` to keep it, with the sources' PROVENANCE files beside
the images; ``sitegate-edge calibrate DIR/people --strangers DIR/strangers`` then prints the
threshold table on it. Nothing generated is committed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.recognition.faces import detect_faces, load_rgb  # noqa: E402

SHARED = ROOT.parent / "shared"
SOURCES = (SHARED / "faces_dev", SHARED / "faces")
SIDE = 250
PROBES_PER_PHOTO = 4


@dataclass
class Person:
    """One identity of the set and its source photos."""

    name: str
    photos: list[Path]
    enrolled: bool = False
    enroll_photos: list[Path] = field(default_factory=list)
    probes: list[Path] = field(default_factory=list)


def _rng(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def people() -> list[Person]:
    """Every identity in the shared sources (folders starting with ``_`` skipped)."""
    found = []
    for source in SOURCES:
        if not source.is_dir():
            raise SystemExit(f"missing {source}: the shared face photos are needed")
        for folder in sorted(p for p in source.iterdir() if p.is_dir()):
            if folder.name.startswith("_"):
                continue
            photos = sorted(folder.glob("*.jpg"))
            if len(photos) >= 2:
                found.append(Person(folder.name, photos))
    return found


_BOXES: dict[Path, tuple[int, int, int, int]] = {}


def face_box(photo: Path, rgb: np.ndarray) -> tuple[int, int, int, int]:
    if photo not in _BOXES:
        boxes = detect_faces(rgb, 1)
        if not boxes:
            raise SystemExit(f"no face in source photo {photo}")
        _BOXES[photo] = max(boxes, key=lambda b: b[2] - b[0])
    return _BOXES[photo]


def _place(
    rgb: np.ndarray,
    box: tuple[int, int, int, int],
    face_px: float,
    centre: tuple[float, float],
    angle: float,
    squeeze: float,
    side: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Warp the photo so its face is ``face_px`` tall at ``centre`` of a side x side canvas,
    rotated by ``angle`` degrees and with one half squeezed (a small head turn)."""
    top, right, bottom, left = box
    scale = face_px / (bottom - top)
    cx, cy = (left + right) / 2, (top + bottom) / 2
    affine = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    affine[0, 2] += centre[0] - cx
    affine[1, 2] += centre[1] - cy
    warped = cv2.warpAffine(
        rgb, affine, (side, side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )
    mask = cv2.warpAffine(
        np.full(rgb.shape[:2], 255, np.uint8),
        affine,
        (side, side),
        flags=cv2.INTER_LINEAR,
        borderValue=0,
    )
    if squeeze:
        half = face_px * 0.55
        x0, x1 = centre[0] - half, centre[0] + half
        y0, y1 = centre[1] - half, centre[1] + half
        shrink = squeeze * half
        src = np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
        dst = src.copy()
        if squeeze > 0:  # right half further away: narrower and shorter
            dst[1] += (-shrink, shrink * 0.3)
            dst[2] += (-shrink, -shrink * 0.3)
        else:
            dst[0] += (-shrink, -shrink * 0.3)
            dst[3] += (-shrink, shrink * 0.3)
        persp = cv2.getPerspectiveTransform(src, dst)
        warped = cv2.warpPerspective(warped, persp, (side, side), borderMode=cv2.BORDER_REPLICATE)
        mask = cv2.warpPerspective(mask, persp, (side, side), borderValue=0)
    return warped, mask


def degrade(photo: Path, others: list[Path], *key: object) -> np.ndarray:
    """One press-photo-like 250x250 RGB image of the person in ``photo`` (deterministic)."""
    rng = _rng(photo.parent.parent.name, photo.parent.name, photo.name, *key)
    rgb = load_rgb(photo)
    box = face_box(photo, rgb)
    face_px = rng.uniform(80, 120)
    centre = (SIDE / 2 + rng.uniform(-10, 10), SIDE / 2 + rng.uniform(-12, 6))
    image, _ = _place(rgb, box, face_px, centre, rng.uniform(-12, 12), rng.uniform(-0.3, 0.3), SIDE)
    image = image.astype(np.float32)
    if rng.random() < 0.35 and others:  # a bystander at one side, partly out of the picture
        other = others[int(rng.integers(len(others)))]
        orgb = load_rgb(other)
        obox = face_box(other, orgb)
        opx = face_px * rng.uniform(0.6, 0.9)
        ox = rng.choice([rng.uniform(-10, 35), rng.uniform(215, 260)])
        bystander, mask = _place(
            orgb, obox, opx, (ox, rng.uniform(60, 200)), rng.uniform(-15, 15), 0.0, SIDE
        )
        alpha = cv2.GaussianBlur(mask, (0, 0), 3).astype(np.float32)[..., None] / 255
        # keep the subject's own face in front
        keep = np.zeros((SIDE, SIDE), np.float32)
        cv2.ellipse(
            keep,
            (int(centre[0]), int(centre[1])),
            (int(face_px * 0.75), int(face_px)),
            0,
            0,
            360,
            1.0,
            -1,
        )
        alpha *= 1 - cv2.GaussianBlur(keep, (0, 0), 6)[..., None]
        image = image * (1 - alpha) + bystander.astype(np.float32) * alpha
    # uneven light: a gradient across the picture, exposure, colour cast, gamma
    theta = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) / SIDE - 0.5
    ramp = np.cos(theta) * xx + np.sin(theta) * yy
    low, high = rng.uniform(0.25, 0.8), rng.uniform(1.0, 1.4)
    light = low + (high - low) * (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    image *= light[..., None] * rng.uniform(0.85, 1.15, 3)
    image = 255 * (np.clip(image, 0, 255) / 255) ** rng.uniform(0.7, 1.45)
    # softness: lens blur or a lower-resolution original scaled up
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.4, 2.0))
    else:
        small = max(int(SIDE * rng.uniform(0.4, 0.8)), 32)
        image = cv2.resize(
            cv2.resize(image, (small, small), interpolation=cv2.INTER_AREA),
            (SIDE, SIDE),
            interpolation=cv2.INTER_LINEAR,
        )
    image += rng.normal(0, rng.uniform(1.5, 7), image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(
        ".jpg",
        cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
        [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 71))],
    )
    assert ok
    return cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _write(path: Path, rgb: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # already JPEG-degraded: store losslessly so the artefacts are the ones chosen above
    cv2.imwrite(str(path.with_suffix(".png")), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path.with_suffix(".png")


def build_set(out: Path) -> list[Person]:
    """Generate the set into ``out``: people/<name>/ (enroll_*, probe_*) and strangers/<name>/."""
    everyone = people()
    order = _rng("split").permutation(len(everyone))
    for rank, index in enumerate(order):
        everyone[index].enrolled = rank % 3 != 2  # a third never enrolled
    all_photos = [p for person in everyone for p in person.photos]
    for person in everyone:
        others = [p for p in all_photos if p.parent != person.photos[0].parent]
        if person.enrolled:
            folder = out / "people" / person.name
            first, rest = person.photos[0], person.photos[1:]
            count = 2 if _rng("count", person.name).random() < 0.5 else 1
            for n in range(count):
                person.enroll_photos.append(
                    _write(folder / f"enroll_{n + 1}", degrade(first, others, "enroll", n))
                )
            for photo in rest:
                for n in range(PROBES_PER_PHOTO):
                    person.probes.append(
                        _write(
                            folder / f"probe_{photo.stem}_{n + 1}",
                            degrade(photo, others, "probe", n),
                        )
                    )
        else:
            folder = out / "strangers" / person.name
            for photo in person.photos:
                for n in range(PROBES_PER_PHOTO - 1):
                    person.probes.append(
                        _write(
                            folder / f"{photo.stem}_{n + 1}", degrade(photo, others, "stranger", n)
                        )
                    )
    provenance = [s / "PROVENANCE.txt" for s in SOURCES if (s / "PROVENANCE.txt").is_file()]
    text = "Generated by benchmarks/face_eval.py from the photos below (degraded copies).\n\n"
    out.joinpath("PROVENANCE.txt").write_text(
        text + "\n\n".join(f"== {p.parent.name} ==\n{p.read_text()}" for p in provenance)
    )
    return everyone


def evaluate(everyone: list[Person], workdir: Path) -> dict[str, object]:
    """Enroll and identify through the CLI commands; count the outcomes."""
    from typer.testing import CliRunner

    from edge.cli.app import app

    runner = CliRunner()
    gallery = workdir / "gallery.db"
    refusals: list[str] = []
    for person in everyone:
        if not person.enrolled:
            continue
        photos = [str(p) for p in person.enroll_photos]
        args = ["enroll", "--gallery", str(gallery), "--worker", person.name]
        result = runner.invoke(app, [*args, *photos])
        if result.exit_code != 0:
            refusals.append(result.stderr.strip())
            for photo in photos:  # the clerk keeps the photos that pass
                one = runner.invoke(app, [*args, photo])
                if one.exit_code != 0:
                    refusals.append(one.stderr.strip())
    from edge.recognition.gallery import Gallery

    with Gallery(gallery) as db:
        enrolled = db.worker_ids()
    truth = {str(p): person.name for person in everyone for p in person.probes}
    stranger = {str(p) for person in everyone if not person.enrolled for p in person.probes}
    result = runner.invoke(app, ["identify", "--gallery", str(gallery), "--json", *truth])
    if result.exit_code != 0:
        raise SystemExit(f"identify failed: {result.output}")
    genuine = right = wrong = strangers_in = no_face = 0
    for line in result.stdout.splitlines():
        answer = json.loads(line)
        image = answer["image"]
        faces = answer["faces"]
        subject = max(faces, key=lambda f: f["box"][2] - f["box"][0]) if faces else None
        who = subject["worker_id"] if subject else None
        no_face += subject is None
        if image in stranger:
            strangers_in += who is not None
        else:
            genuine += 1
            right += who == truth[image]
            wrong += who is not None and who != truth[image]
    return {
        "people": len(everyone),
        "to_enroll": sum(p.enrolled for p in everyone),
        "enrolled": len(enrolled),
        "enroll_photos": sum(len(p.enroll_photos) for p in everyone),
        "refusals": refusals,
        "genuine": genuine,
        "right": right,
        "wrong": wrong,
        "strangers": len(stranger),
        "strangers_accepted": strangers_in,
        "no_face": no_face,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the generated set in this folder")
    args = parser.parse_args()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "set"
        if out.exists() and any(out.iterdir()):
            raise SystemExit(f"{out} is not empty: give a new or empty folder")
        everyone = build_set(out)
        built = time.perf_counter() - start
        figures = evaluate(everyone, Path(tmp))
    print(
        f"evaluation set: {figures['people']} people, {figures['to_enroll']} to enroll from "
        f"{figures['enroll_photos']} photos ({figures['enrolled']} enrolled), "
        f"{figures['genuine']} genuine probes, "
        f"{figures['strangers']} stranger probes (built in {built:.0f} s)"
    )
    for refusal in figures["refusals"]:
        print(f"  enrollment refused: {refusal}")
    genuine, strangers = figures["genuine"], figures["strangers"]
    print(
        f"genuine accepted {figures['right']}/{genuine} = {figures['right'] / genuine:.1%}, "
        f"wrong-person accepts {figures['wrong']}, strangers accepted "
        f"{figures['strangers_accepted']}/{strangers} = "
        f"{figures['strangers_accepted'] / strangers:.1%}, no face found {figures['no_face']}"
    )
    print(f"total {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
