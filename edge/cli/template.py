"""``sitegate-edge template IMAGE... --json``: quality verdicts and encodings, nothing stored.

Central enrolls workers from photos but must never load opencv or dlib, so it runs this
command in a child process: the same checks a gate applies at enrollment (one face, big and
sharp enough: edge/recognition/enrollment.py) and the same 128-d encoder, printed as JSON.
A refusal carries its stable ``code`` (edge/recognition/enrollment.py ADVICE's keys) beside
the English ``reason``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from edge.cli.faces import JsonLinesOption, MinFacePxOption, MinSharpnessOption
from edge.recognition.faces import DEFAULT_MIN_FACE_PX, DEFAULT_MIN_SHARPNESS


def template_cmd(
    images: Annotated[list[Path], typer.Argument(metavar="IMAGE", help="Photos, one face each.")],
    as_json: JsonLinesOption = False,
    min_face_px: MinFacePxOption = DEFAULT_MIN_FACE_PX,
    min_sharpness: MinSharpnessOption = DEFAULT_MIN_SHARPNESS,
) -> None:
    """Check each photo as enrollment would and print its face encoding (exit 1 if any fails)."""
    from edge.recognition.enrollment import EnrollmentRejected, template_from_photo
    from edge.recognition.models import FaceModelsMissing

    failed = False
    for image in images:
        result: dict[str, object] = {"image": str(image), "ok": True, "reason": None, "code": None}
        try:
            encoding = template_from_photo(image, min_face_px, min_sharpness)
            result["encoding"] = [round(float(v), 7) for v in encoding]
        except EnrollmentRejected as exc:
            result.update(ok=False, reason=exc.reason, code=exc.code)
            failed = True
        except FaceModelsMissing as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        if as_json:
            typer.echo(json.dumps(result))
        else:
            typer.echo(f"{image}\t{'ok' if result['ok'] else 'refused: ' + str(result['reason'])}")
    if failed:
        raise typer.Exit(1)
