"""The face commands of ``sitegate-edge``: ``identify``, ``enroll``, ``calibrate``, ``add-card``.

edge/cli/app.py attaches them with ``app.command("identify")(identify_cmd)`` and
``app.command("enroll")(enroll_cmd)``. Everything heavy (dlib, OpenCV, sqlite-utils) is imported
inside the commands so that ``sitegate-edge --help`` and unrelated commands start instantly.
Expected failures (bad photo, duplicate worker, missing models) print one line on stderr and
exit 1: the site office needs to know what to fix, not a traceback.

``identify`` and ``enroll`` open a gallery either with ``--config gate.yaml`` (the gate's own
gallery, templates encrypted at rest under the key derived from its device secret) or with
``--gallery FILE`` (an unencrypted lab gallery). Both together: that file, with the gate's key.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from edge.recognition.faces import DEFAULT_MIN_FACE_PX, DEFAULT_MIN_SHARPNESS
from edge.recognition.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD
from firmware_config.recognition_defaults import DUPLICATE_DISTANCE

if TYPE_CHECKING:
    from edge.recognition.gallery import Gallery

GalleryOption = Annotated[
    Path | None,
    typer.Option("--gallery", help="An unencrypted (lab) gallery database (sqlite file)."),
]
GateConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The gate config YAML: its gallery, opened with the gate's key (encrypted).",
    ),
]

# Shared with ``template`` (edge/cli/template.py): it applies enrollment's photo checks,
# so its thresholds are the same options with the same meaning and help.
JsonLinesOption = Annotated[
    bool, typer.Option("--json", help="One JSON object per image, one per line.")
]
MinFacePxOption = Annotated[int, typer.Option(min=1, help="Minimum face height in pixels.")]
MinSharpnessOption = Annotated[
    float, typer.Option(min=0.0, help="Minimum sharpness (Laplacian variance) of the face.")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _open_gallery(gallery: Path | None, config: Path | None, *, must_exist: bool) -> Gallery:
    """The gallery named by ``--gallery`` and/or ``--config``, or exit with one clear line."""
    from edge.recognition.gallery import Gallery, GalleryError, GalleryKeyMissing
    from edge.recognition.gallery_key import gallery_key

    key = None
    if config is not None:
        from firmware_config import ConfigError, load_config

        try:
            cfg = load_config(config)
        except ConfigError as exc:
            raise _fail(str(exc)) from None
        key = gallery_key(cfg.secret_bytes)
        gallery = gallery or cfg.gallery
    if gallery is None:
        raise _fail("pass --config gate.yaml (the gate's gallery) or --gallery FILE (a lab one)")
    if must_exist and not gallery.is_file():
        raise _fail(f"gallery not found: {gallery}")
    try:
        return Gallery(gallery, key)
    except GalleryKeyMissing:
        raise _fail(
            f"gallery {gallery} is encrypted: pass --config with the gate's config to open it"
        ) from None
    except GalleryError as exc:
        raise _fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise _fail(f"cannot use gallery {gallery}: {exc}") from None


TABLE_HEADER = f"{'WORKER':<16} {'DISTANCE':>8}  {'BOX (t,r,b,l)':<20} IMAGE"


def _table_lines(result: dict[str, Any]) -> list[str]:
    if not result["faces"]:
        return [f"{'-':<16} {'-':>8}  {'(no face)':<20} {result['image']}"]
    lines = []
    for face in result["faces"]:
        who = face["worker_id"] or "unknown"
        distance = "-" if face["distance"] is None else f"{face['distance']:.4f}"
        box = ",".join(str(v) for v in face["box"])
        lines.append(f"{who:<16} {distance:>8}  {box:<20} {result['image']}")
    return lines


def identify_cmd(
    images: Annotated[list[Path], typer.Argument(metavar="IMAGE", help="Photos to identify.")],
    gallery: GalleryOption = None,
    config: GateConfigOption = None,
    as_json: JsonLinesOption = False,
    threshold: Annotated[
        float, typer.Option(min=0.0, help="Maximum distance to accept a worker.")
    ] = DEFAULT_THRESHOLD,
    margin: Annotated[
        float, typer.Option(min=0.0, help="Required lead of the best worker over the next.")
    ] = DEFAULT_MARGIN,
) -> None:
    """Identify every face in each photo against the gate's gallery."""
    from edge.recognition.faces import ImageUnreadable
    from edge.recognition.gallery import GalleryError
    from edge.recognition.identify import identify_image
    from edge.recognition.models import FaceModelsMissing

    db = _open_gallery(gallery, config, must_exist=True)
    failed = False
    if not as_json:
        typer.echo(TABLE_HEADER)
    with db:
        for image in images:
            try:
                result = identify_image(image, db, threshold, margin)
            except ImageUnreadable as exc:
                typer.echo(f"error: {exc}", err=True)
                failed = True
                continue
            except (FaceModelsMissing, GalleryError) as exc:
                raise _fail(str(exc)) from None
            if as_json:
                typer.echo(json.dumps(result))
            else:
                for line in _table_lines(result):
                    typer.echo(line)
    if failed:
        raise typer.Exit(1)


def enroll_cmd(
    images: Annotated[
        list[Path], typer.Argument(metavar="IMAGE", help="Photos of the worker, one face each.")
    ],
    worker: Annotated[str, typer.Option("--worker", help="The worker's id.")],
    gallery: GalleryOption = None,
    config: GateConfigOption = None,
    name: Annotated[str | None, typer.Option(help="The worker's name.")] = None,
    threshold: Annotated[
        float,
        typer.Option(min=0.0, help="Refuse if the face is this close to another worker."),
    ] = DUPLICATE_DISTANCE,
    min_face_px: MinFacePxOption = DEFAULT_MIN_FACE_PX,
    min_sharpness: MinSharpnessOption = DEFAULT_MIN_SHARPNESS,
) -> None:
    """Enroll a worker from one or more photos (all are refused if one is unusable)."""
    from edge.recognition.enrollment import EnrollmentError, enroll
    from edge.recognition.gallery import GalleryError
    from edge.recognition.models import FaceModelsMissing

    db = _open_gallery(gallery, config, must_exist=False)
    try:
        with db:
            result = enroll(
                db,
                worker,
                images,
                name=name,
                threshold=threshold,
                min_face_px=min_face_px,
                min_sharpness=min_sharpness,
            )
    except (EnrollmentError, GalleryError, FaceModelsMissing) as exc:
        raise _fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise _fail(f"cannot use gallery {db.path}: {exc}") from None
    count = len(result.template_ids)
    typer.echo(
        f"enrolled {result.worker_id}: {count} photo{'s' if count != 1 else ''} added "
        f"(gallery version {result.gallery_version})"
    )


def calibrate_cmd(
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Labelled photos: DIR/<person>/<image>.")
    ],
    enroll: Annotated[
        int, typer.Option(min=1, help="Photos per person to enroll (the rest are probes).")
    ] = 1,
    strangers: Annotated[
        Path | None, typer.Option(help="A folder of photos of people never enrolled.")
    ] = None,
    margin: Annotated[
        float, typer.Option(min=0.0, help="Margin rule applied as at the gate.")
    ] = DEFAULT_MARGIN,
    target_far: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Stranger accept rate to stay under.")
    ] = 0.01,
    jitters: Annotated[
        int, typer.Option(min=1, max=100, help="Encoder jitters for enrollment photos.")
    ] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="The table as JSON.")] = False,
) -> None:
    """Tabulate true- and false-accept rates by threshold on a labelled folder; recommend one."""
    from dataclasses import asdict

    from edge.recognition.calibration import (
        IMAGE_SUFFIXES,
        CalibrationError,
        calibrate,
        format_table,
        labelled_photos,
    )
    from edge.recognition.models import FaceModelsMissing

    stranger_photos: list[Path] = []
    if strangers is not None:
        if not strangers.is_dir():
            raise _fail(f"not a folder: {strangers}")
        stranger_photos = sorted(
            p for p in strangers.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES
        )
    try:
        result = calibrate(
            labelled_photos(folder),
            enroll=enroll,
            strangers=stranger_photos,
            margin=margin,
            target_far=target_far,
            enroll_jitters=jitters,
        )
    except (CalibrationError, FaceModelsMissing) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(asdict(result)))
        return
    for line in format_table(result):
        typer.echo(line)


def add_card_cmd(
    card: Annotated[str, typer.Argument(help="The card number as the reader prints it.")],
    config: Annotated[Path, typer.Option("--config", "-c", help="The gate config YAML.")],
    worker: Annotated[str, typer.Option("--worker", help="The worker's id.")],
) -> None:
    """Register an ID/NFC card for a worker (stored as a keyed hash, never the number)."""
    from edge.card_reader import CardError, CardRegistry
    from firmware_config import ConfigError, load_config

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    try:
        registry = CardRegistry(cfg.gallery, cfg.secret_bytes)
        try:
            hint = registry.add(card, worker)
        finally:
            registry.close()
    except CardError as exc:
        raise _fail(str(exc)) from None
    except sqlite3.Error as exc:
        raise _fail(f"cannot use gallery {cfg.gallery}: {exc}") from None
    typer.echo(f"card {hint} registered for {worker}")
