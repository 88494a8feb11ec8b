"""Face enrollment at central: consent first, the gate's quality checks, one identity per face.

Face data is sensitive personal information (PIPL arts. 28–29; the 2025 face-recognition
security rules): a worker is enrolled only with their separate, recorded consent (who
recorded it, when, for what, for which employer), may withdraw it at any time (their
templates are then deleted here and, through the site galleries, from every gate at the next
sync), and a worker without consent checks in by QR code or card instead.

Photos are encoded by ``sitegate-edge template --json`` in a child process (central never
loads opencv or dlib), so enrollment applies exactly the gate's checks: one face, big and
sharp enough. The duplicate-identity check compares the new encodings with every other
worker's templates in the registry (numpy): the same face under another ID is refused,
because that is how one person would draw two wages; the refusal names the other worker
only to a caller who may see them.

Consent is the worker's, given to an employer for its sites (``face_consents.enterprise_id``;
none: through the deployment's operator, for every employer). A site's gates get the
worker's face only while a consent covers an employer of theirs on that site, so another
enterprise employing the same person cannot push the face to its gates on someone else's
consent; withdrawing one employer's consent removes the face from that employer's sites.
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
from central.registry.employment import site_employers
from central.registry.photos import check_photos, encoder_slot
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from firmware_config.recognition_defaults import DUPLICATE_DISTANCE

FACE_PURPOSE = "face recognition for site attendance (实名制考勤)"
# The gates' own duplicate rule (one number for both sides; measured in that module).
DUPLICATE_THRESHOLD = DUPLICATE_DISTANCE
FILING_THRESHOLD = 100_000  # people whose face data a deployment holds before filing
TEMPLATE_CONTEXT = "face_template"
PHOTO_CONTEXT = "enrollment_photo"
ENCODER_TIMEOUT_S = 120
MAX_AT_GATE = 32  # templates per worker a site gallery takes (central/gate_commands/gallery.py)


class NoConsent(Conflict):
    """The worker has not consented to face recognition (use QR or card check-in)."""


class PhotoRejected(InvalidInput):
    """Photos failed the enrollment quality checks.

    ``refusals``: (photo number from 1, stable code, the encoder's English reason) for each
    refused photo; the code is the gate encoder's (edge/recognition/enrollment.py ADVICE's
    keys: ``no_face``, ``two_faces``, ``cut_off``, ``too_small``, ``blurred``,
    ``off_frontal``, ``unreadable``), so a console translates it without reading the words.
    The API's error body carries them as ``photos``.
    """

    def __init__(self, refusals: Sequence[tuple[int, str, str]]) -> None:
        self.refusals = list(refusals)
        super().__init__(
            "photo refused: " + "; ".join(f"photo-{n}: {why}" for n, _c, why in self.refusals)
        )
        self.extra = {
            "photos": [{"photo": n, "code": c, "reason": why} for n, c, why in self.refusals]
        }


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


def active_consents(conn: Connection, worker_id: str) -> list[dict[str, object]]:
    """The worker's live consents, newest first (one per employer it was given to)."""
    c = schema.face_consents.c
    rows = conn.execute(
        select(schema.face_consents)
        .where(c.worker_id == worker_id, c.withdrawn_at.is_(None))
        .order_by(c.id.desc())
    )
    return [dict(r._mapping) for r in rows]


def active_consent(conn: Connection, worker_id: str) -> dict[str, object] | None:
    """The newest live consent of the worker, whoever it was given to."""
    found = active_consents(conn, worker_id)
    return found[0] if found else None


def consent_covers(conn: Connection, worker_id: str, employers: set[int] | None) -> bool:
    """Whether a live consent covers one of ``employers`` (None: any consent will do).

    A consent given to an employer covers that employer's sites; one recorded without an
    employer (through the deployment's operator) covers every employer of the worker.
    """
    for consent in active_consents(conn, worker_id):
        if employers is None or consent["enterprise_id"] is None:
            return True
        if consent["enterprise_id"] in employers:
            return True
    return False


def record_consent(
    db: Database,
    worker_id: str,
    method: str,
    recorded_by: str,
    *,
    enterprise_id: int | None = None,
) -> dict[str, object]:
    """The worker's separate consent to face recognition, as given (e.g. "signed form 2025-06"),
    to one employer (``enterprise_id``) for its sites, or to every employer when None."""
    if not method.strip():
        raise InvalidInput("say how consent was given (signed form, app, …)")
    with db.begin() as conn:
        _worker_exists(conn, worker_id)
        given = [c["enterprise_id"] for c in active_consents(conn, worker_id)]
        if enterprise_id in given:
            raise Conflict(f"worker {worker_id} already has an active consent for this employer")
        values = {
            "worker_id": worker_id,
            "purpose": FACE_PURPOSE,
            "method": method.strip()[:100],
            "granted_at": now_iso(),
            "recorded_by": recorded_by,
            "enterprise_id": enterprise_id,
        }
        new_id = inserted_id(conn.execute(schema.face_consents.insert().values(**values)))
    return {"id": new_id, **values}


def employed_sites(conn: Connection, worker_id: str) -> list[str]:
    e = schema.employments.c
    return sorted(set(conn.execute(select(e.project_id).where(e.worker_id == worker_id)).scalars()))


def covered_sites(conn: Connection, worker_id: str) -> list[str]:
    """Sites whose gates may hold the worker's face: where a live consent was given to an
    employer of theirs on that site or to the site's general contractor (who runs its gates
    and keeps its real-name records), or covers every employer."""
    employers = site_employers(conn, worker_id)
    return sorted(s for s, ids in employers.items() if consent_covers(conn, worker_id, ids))


def withdraw_consent(
    db: Database,
    worker_id: str,
    by: str,
    galleries: SiteGalleries,
    changed: SiteChanged,
    *,
    enterprise_id: int | None = None,
) -> dict[str, object]:
    """Withdraw consent: every consent of the worker, or (``enterprise_id``) the one given to
    that employer. The worker leaves the galleries of the sites no consent covers any more;
    with no consent left their templates are deleted here too."""
    with db.begin() as conn:
        live = active_consents(conn, worker_id)
        if enterprise_id is not None:
            live = [c for c in live if c["enterprise_id"] == enterprise_id]
        if not live:
            raise NotFound(f"no active consent for worker {worker_id}")
        c = schema.face_consents
        conn.execute(
            c.update()
            .where(c.c.id.in_([x["id"] for x in live]))
            .values(withdrawn_at=now_iso(), withdrawn_by=by)
        )
        deleted = 0
        if not active_consents(conn, worker_id):
            t = schema.face_templates
            deleted = conn.execute(t.delete().where(t.c.worker_id == worker_id)).rowcount
        keep = set(covered_sites(conn, worker_id))
        sites = [s for s in employed_sites(conn, worker_id) if s not in keep]
    removed = {}
    for site in sites:
        version = galleries.remove_worker(site, worker_id)
        if version is not None:
            removed[site] = version
            changed(site)
    return {"worker_id": worker_id, "templates_deleted": deleted, "removed_from_sites": removed}


def encode_photos(photos: Sequence[Path]) -> list[list[float]]:
    """Run the gate's encoder on the photos; all must pass, or PhotoRejected says which failed.

    Pixel limits are checked from the headers first, and at most two encodings run at once
    (central/registry/photos.py).
    """
    check_photos(photos)
    exe = shutil.which("sitegate-edge", path=str(Path(sys.executable).parent)) or "sitegate-edge"
    try:
        with encoder_slot():
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
    refused = [
        (n, str(v.get("code") or "unreadable"), str(v["reason"]))
        for n, v in enumerate(verdicts, 1)
        if not v["ok"]
    ]
    if refused:
        raise PhotoRejected(refused)
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
    consent_of: set[int] | None = None,
    may_name: Callable[[str], bool] = lambda _worker: False,
) -> Enrolled:
    """Consent → quality → duplicate check → sealed templates → every covered site's gallery.

    ``consent_of``: the employers one of whose consents must be live for this caller to enroll
    (None: any consent). A duplicate face is refused; the refusal names the other worker only
    when ``may_name`` says the caller may see them.
    """
    if not photos:
        raise InvalidInput("no photos")
    with db.engine.connect() as conn:
        _worker_exists(conn, worker_id)
        if not consent_covers(conn, worker_id, consent_of):
            raise NoConsent(
                f"worker {worker_id} has not consented to face recognition: record the "
                "consent first, or let them check in by QR code or card"
            )
    encodings = encode_photos(photos)
    with db.begin() as conn:
        nearest = nearest_other(conn, sealer, worker_id, encodings)
        if nearest and nearest[1] <= threshold:
            other, distance = nearest
            whom = (
                f"worker {other} (distance {distance:.3f})" if may_name(other) else "another worker"
            )
            raise DuplicateFace(f"this face is already registered as {whom}")
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
        sites = covered_sites(conn, worker_id)
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
    """A worker employed at another site after enrollment: their templates go to its gates,
    if a consent covers an employer of theirs on that site (never on another's consent)."""
    with db.engine.connect() as conn:
        if site not in covered_sites(conn, worker_id):
            return None
        templates = worker_templates(conn, sealer, worker_id)
    if not templates:
        return None
    version = galleries.put_worker(site, worker_id, templates[-MAX_AT_GATE:])
    changed(site)
    return version


def publish_covered(
    db: Database, sealer: Sealer, worker_id: str, galleries: SiteGalleries, changed: SiteChanged
) -> dict[str, int]:
    """After a new consent: the enrolled worker's templates go to every site it now covers."""
    with db.engine.connect() as conn:
        sites = covered_sites(conn, worker_id)
        templates = worker_templates(conn, sealer, worker_id)
    versions: dict[str, int] = {}
    if not templates:
        return versions
    for site in sites:
        versions[site] = galleries.put_worker(site, worker_id, templates[-MAX_AT_GATE:])
        changed(site)
    return versions


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
