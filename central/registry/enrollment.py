"""Face enrollment at central: consent first, the gate's quality checks, one identity per face.

Face data is sensitive personal information (PIPL arts. 28–29; the 2025 face-recognition
security rules): a worker is enrolled only with their separate, recorded consent (who
recorded it, when, for what), may withdraw it at any time (their templates are then deleted
here and, through the site galleries, from every gate at the next sync), and a worker
without consent checks in by QR code or card instead.

Photos are encoded by ``sitegate-edge template --json`` in a child process (central never
loads opencv or dlib), so enrollment applies exactly the gate's checks: one face, big and
sharp enough. The duplicate-identity check compares the new encodings with every other
worker's templates in the registry (numpy): the same face under another ID is refused,
naming the other worker, because that is how one person would draw two wages.
"""

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from sqlalchemy import Connection, func, select

from central.clock import now_iso
from central.errors import Conflict, InvalidInput, NotFound
from central.registry.sealing import Sealer
from central.storage import Database, schema

FACE_PURPOSE = "face recognition for site attendance (实名制考勤)"
DUPLICATE_THRESHOLD = 0.5  # firmware_config/recognition_defaults.py: same-person pairs ≤ 0.459
FILING_THRESHOLD = 100_000  # people whose face data a deployment holds before filing
TEMPLATE_CONTEXT = "face_template"
PHOTO_CONTEXT = "enrollment_photo"
ENCODER_TIMEOUT_S = 120
MAX_AT_GATE = 32  # templates per worker a site gallery takes (central/gate_commands/gallery.py)


class NoConsent(Conflict):
    """The worker has not consented to face recognition (use QR or card check-in)."""


class PhotoRejected(InvalidInput):
    """A photo failed the enrollment quality checks."""


class DuplicateFace(Conflict):
    """The face already belongs to another registered worker."""


class SiteGalleries(Protocol):
    """What enrollment needs of the per-site galleries (central/gate_commands/gallery.py)."""

    def put_worker(
        self, site: str, worker_id: str, encodings: Sequence[Sequence[float]]
    ) -> int: ...

    def remove_worker(self, site: str, worker_id: str) -> int | None: ...


SiteChanged = Callable[[str], None]


@dataclass(frozen=True)
class Enrolled:
    worker_id: str
    templates: int
    sites: dict[str, int]  # site → its new gallery version


def _worker_exists(conn: Connection, worker_id: str) -> None:
    if (
        conn.execute(select(schema.workers.c.id).where(schema.workers.c.id == worker_id)).first()
        is None
    ):
        raise NotFound(f"worker {worker_id}")


def active_consent(conn: Connection, worker_id: str) -> dict[str, object] | None:
    c = schema.face_consents.c
    row = conn.execute(
        select(schema.face_consents)
        .where(c.worker_id == worker_id, c.withdrawn_at.is_(None))
        .order_by(c.id.desc())
    ).first()
    return dict(row._mapping) if row else None


def record_consent(
    db: Database, worker_id: str, method: str, recorded_by: str
) -> dict[str, object]:
    """The worker's separate consent to face recognition, as given (e.g. "signed form 2025-06")."""
    if not method.strip():
        raise InvalidInput("say how consent was given (signed form, app, …)")
    with db.begin() as conn:
        _worker_exists(conn, worker_id)
        if active_consent(conn, worker_id):
            raise Conflict(f"worker {worker_id} already has an active consent")
        values = {
            "worker_id": worker_id,
            "purpose": FACE_PURPOSE,
            "method": method.strip()[:100],
            "granted_at": now_iso(),
            "recorded_by": recorded_by,
        }
        new_id = conn.execute(schema.face_consents.insert().values(**values)).inserted_primary_key[
            0
        ]
    return {"id": new_id, **values}


def employed_sites(conn: Connection, worker_id: str) -> list[str]:
    e = schema.employments.c
    return sorted(set(conn.execute(select(e.project_id).where(e.worker_id == worker_id)).scalars()))


def withdraw_consent(
    db: Database, worker_id: str, by: str, galleries: SiteGalleries, changed: SiteChanged
) -> dict[str, object]:
    """Withdraw consent: templates deleted here and removed from every site's gallery."""
    with db.begin() as conn:
        consent = active_consent(conn, worker_id)
        if consent is None:
            raise NotFound(f"no active consent for worker {worker_id}")
        c = schema.face_consents
        conn.execute(
            c.update()
            .where(c.c.id == consent["id"])
            .values(withdrawn_at=now_iso(), withdrawn_by=by)
        )
        t = schema.face_templates
        deleted = conn.execute(t.delete().where(t.c.worker_id == worker_id)).rowcount
        sites = employed_sites(conn, worker_id)
    removed = {}
    for site in sites:
        version = galleries.remove_worker(site, worker_id)
        if version is not None:
            removed[site] = version
            changed(site)
    return {"worker_id": worker_id, "templates_deleted": deleted, "removed_from_sites": removed}


def encode_photos(photos: Sequence[Path]) -> list[list[float]]:
    """Run the gate's encoder on the photos; all must pass, or PhotoRejected says which failed."""
    exe = shutil.which("sitegate-edge", path=str(Path(sys.executable).parent)) or "sitegate-edge"
    try:
        proc = subprocess.run(
            [exe, "template", "--json", *map(str, photos)],
            capture_output=True,
            text=True,
            timeout=ENCODER_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"the face encoder could not run: {exc}") from None
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"the face encoder failed: {proc.stderr.strip()[-300:]}")
    verdicts = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    names = {str(p): p.name for p in photos}
    refused = [
        f"{names.get(v['image'], v['image'])}: {v['reason']}" for v in verdicts if not v["ok"]
    ]
    if refused:
        raise PhotoRejected("photo refused: " + "; ".join(refused))
    return [v["encoding"] for v in verdicts]


def _matrix(blobs: list[bytes]) -> np.ndarray:
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), 128)


def nearest_other(
    conn: Connection, sealer: Sealer, worker_id: str, encodings: list[list[float]]
) -> tuple[str, float] | None:
    """The closest template of any *other* worker to any of ``encodings``."""
    t = schema.face_templates.c
    rows = conn.execute(select(t.worker_id, t.sealed).where(t.worker_id != worker_id)).all()
    if not rows:
        return None
    matrix = _matrix([sealer.open(r.sealed, TEMPLATE_CONTEXT) for r in rows])
    probes = np.asarray(encodings, dtype=np.float32)
    distances = np.linalg.norm(matrix[None, :, :] - probes[:, None, :], axis=2)
    flat = int(np.argmin(distances))
    return rows[flat % len(rows)].worker_id, float(distances.flat[flat])


def enroll(
    db: Database,
    sealer: Sealer,
    worker_id: str,
    photos: Sequence[Path],
    *,
    galleries: SiteGalleries,
    changed: SiteChanged,
    keep_photos: bool = False,
    threshold: float = DUPLICATE_THRESHOLD,
) -> Enrolled:
    """Consent → quality → duplicate check → sealed templates → every employing site's gallery."""
    if not photos:
        raise InvalidInput("no photos")
    with db.engine.connect() as conn:
        _worker_exists(conn, worker_id)
        if active_consent(conn, worker_id) is None:
            raise NoConsent(
                f"worker {worker_id} has not consented to face recognition: record the "
                "consent first, or let them check in by QR code or card"
            )
    encodings = encode_photos(photos)
    with db.begin() as conn:
        nearest = nearest_other(conn, sealer, worker_id, encodings)
        if nearest and nearest[1] <= threshold:
            other, distance = nearest
            raise DuplicateFace(
                f"this face is already registered as worker {other} (distance {distance:.3f})"
            )
        stamp = now_iso()
        rows = []
        for photo, encoding in zip(photos, encodings, strict=True):
            blob = np.asarray(encoding, dtype="<f4").tobytes()
            rows.append(
                {
                    "worker_id": worker_id,
                    "sealed": sealer.seal(blob, TEMPLATE_CONTEXT),
                    "photo_sealed": sealer.seal(photo.read_bytes(), PHOTO_CONTEXT)
                    if keep_photos
                    else None,
                    "created_at": stamp,
                }
            )
        conn.execute(schema.face_templates.insert(), rows)
        templates = worker_templates(conn, sealer, worker_id)
        sites = employed_sites(conn, worker_id)
    versions = {}
    for site in sites:
        versions[site] = galleries.put_worker(site, worker_id, templates[-MAX_AT_GATE:])
        changed(site)
    return Enrolled(worker_id, len(templates), versions)


def worker_templates(conn: Connection, sealer: Sealer, worker_id: str) -> list[list[float]]:
    t = schema.face_templates.c
    blobs = [
        sealer.open(s, TEMPLATE_CONTEXT)
        for s in conn.execute(
            select(t.sealed).where(t.worker_id == worker_id).order_by(t.id)
        ).scalars()
    ]
    return _matrix(blobs).tolist() if blobs else []


def publish_to_site(
    db: Database,
    sealer: Sealer,
    worker_id: str,
    site: str,
    galleries: SiteGalleries,
    changed: SiteChanged,
) -> int | None:
    """A worker employed at another site after enrollment: their templates go to its gates."""
    with db.engine.connect() as conn:
        if active_consent(conn, worker_id) is None:
            return None
        templates = worker_templates(conn, sealer, worker_id)
    if not templates:
        return None
    version = galleries.put_worker(site, worker_id, templates[-MAX_AT_GATE:])
    changed(site)
    return version


def face_data_stats(conn: Connection) -> dict[str, object]:
    """How many people's face data the deployment holds, against the filing threshold."""
    t = schema.face_templates.c
    people = conn.execute(select(func.count(func.distinct(t.worker_id)))).scalar_one()
    templates = conn.execute(select(func.count()).select_from(schema.face_templates)).scalar_one()
    c = schema.face_consents.c
    active = conn.execute(
        select(func.count(func.distinct(c.worker_id))).where(c.withdrawn_at.is_(None))
    ).scalar_one()
    return {
        "people_with_face_data": people,
        "templates": templates,
        "active_consents": active,
        "filing_threshold": FILING_THRESHOLD,
        "filing_required": people >= FILING_THRESHOLD,
    }
