"""The ``identify`` and ``enroll`` commands of ``sitegate-edge``.

edge/cli.py attaches them with ``app.command("identify")(identify_cmd)`` and
``app.command("enroll")(enroll_cmd)``. Everything heavy (dlib, OpenCV, sqlite-utils) is imported
inside the commands so that ``sitegate-edge --help`` and unrelated commands start instantly.
Expected failures (bad photo, duplicate worker, missing models) print one line on stderr and
exit 1: the site office needs to know what to fix, not a traceback.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Annotated, Any

import typer

from edge.recognition.faces import DEFAULT_MIN_FACE_PX, DEFAULT_MIN_SHARPNESS
from edge.recognition.matcher import DEFAULT_MARGIN, DEFAULT_THRESHOLD

GalleryOption = Annotated[
    Path, typer.Option("--gallery", help="The gate's gallery database (sqlite file).")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


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
    gallery: GalleryOption,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per image, one per line.")
    ] = False,
    threshold: Annotated[
        float, typer.Option(min=0.0, help="Maximum distance to accept a worker.")
    ] = DEFAULT_THRESHOLD,
    margin: Annotated[
        float, typer.Option(min=0.0, help="Required lead of the best worker over the next.")
    ] = DEFAULT_MARGIN,
) -> None:
    """Identify every face in each photo against the gate's gallery."""
    from edge.recognition.faces import ImageUnreadable
    from edge.recognition.gallery import Gallery
    from edge.recognition.identify import identify_image
    from edge.recognition.models import FaceModelsMissing

    if not gallery.is_file():
        raise _fail(f"gallery not found: {gallery}")
    try:
        db = Gallery(gallery)
    except sqlite3.Error as exc:
        raise _fail(f"cannot use gallery {gallery}: {exc}") from None
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
            except FaceModelsMissing as exc:
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
    gallery: GalleryOption,
    worker: Annotated[str, typer.Option("--worker", help="The worker's id.")],
    name: Annotated[str | None, typer.Option(help="The worker's name.")] = None,
    threshold: Annotated[
        float,
        typer.Option(min=0.0, help="Refuse if the face is this close to another worker."),
    ] = DEFAULT_THRESHOLD,
    min_face_px: Annotated[
        int, typer.Option(min=1, help="Minimum face height in pixels.")
    ] = DEFAULT_MIN_FACE_PX,
    min_sharpness: Annotated[
        float, typer.Option(min=0.0, help="Minimum sharpness (Laplacian variance) of the face.")
    ] = DEFAULT_MIN_SHARPNESS,
) -> None:
    """Enroll a worker from one or more photos (all are refused if one is unusable)."""
    from edge.recognition.enrollment import EnrollmentError, enroll
    from edge.recognition.gallery import Gallery, GalleryError
    from edge.recognition.models import FaceModelsMissing

    try:
        with Gallery(gallery) as db:
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
        raise _fail(f"cannot use gallery {gallery}: {exc}") from None
    count = len(result.template_ids)
    typer.echo(
        f"enrolled {result.worker_id}: {count} photo{'s' if count != 1 else ''} added "
        f"(gallery version {result.gallery_version})"
    )
