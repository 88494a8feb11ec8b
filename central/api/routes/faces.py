"""Face consent and enrollment over HTTP, and the count supervisors must watch."""

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.limits import MAX_PHOTO_BYTES, MAX_PHOTOS
from central.api.schemas.enrollment import (
    ConsentPublic,
    ConsentWithdrawn,
    EnrollmentDone,
    FaceDataStats,
)
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import consent_enterprise, kept_by, require_role, require_worker
from central.auth.users import Principal, Role
from central.errors import Forbidden, NotFound, TooLarge
from central.registry import enrollment
from central.service import CentralService
from central.storage import Database
from central.validation import ShortText, WorkerIdText

router = APIRouter(prefix="/api/v1", tags=["enrollment"], responses=error_responses(*AUTHENTICATED))
STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)


def _staff_over(db: Database, who: Principal, worker_id: str) -> None:
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
    require_role(who, *STAFF)


def gallery_notifier(service: CentralService) -> Callable[[str], None]:
    """Tell the site's gates (through the command channel) that its gallery changed."""

    def notify(site: str) -> None:
        if service.commands is not None:
            service.commands.gallery_changed(site)

    return notify


class ConsentIn(BaseModel):
    method: Annotated[ShortText, Field(min_length=2, description="e.g. signed form")]


@router.post(
    "/workers/{worker_id}/face-consent",
    status_code=201,
    response_model=ConsentPublic,
    responses=error_responses(403, 404, 409),
)
def give_consent(
    worker_id: WorkerIdText,
    body: ConsentIn,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> ConsentPublic:
    """Record the worker's separate consent to face recognition (PIPL art. 29), given to the
    caller's enterprise for its sites (a site manager: the project's general contractor)."""
    with db.engine.connect() as conn:
        enterprise_id = consent_enterprise(conn, who, worker_id)
    recorded = enrollment.record_consent(
        db, worker_id, body.method, who.username, enterprise_id=enterprise_id
    )
    # an already enrolled worker's face now reaches the sites this consent covers
    enrollment.publish_covered(db, sealer, worker_id, service.gallery, gallery_notifier(service))
    return ConsentPublic.model_validate(recorded)


@router.delete(
    "/workers/{worker_id}/face-consent",
    response_model=ConsentWithdrawn,
    responses=error_responses(403, 404),
)
def withdraw_consent(
    worker_id: WorkerIdText, db: DbDep, who: CurrentUser, service: ServiceDep
) -> ConsentWithdrawn:
    """Withdraw consent; the face leaves the gates no consent covers any more at the next
    sync, and with no consent left the templates are deleted.

    Consent is the worker's: the worker (every consent) or the admin withdraws any; an
    employer only the consent given to it (a site manager: to the project's general
    contractor), so one employer cannot lock a worker out of another's site.
    """
    only: int | None = None
    with db.engine.connect() as conn:
        if who.role is Role.WORKER:
            require_worker(conn, who, worker_id)  # themselves only
        else:
            only = consent_enterprise(conn, who, worker_id)
    return ConsentWithdrawn.model_validate(
        enrollment.withdraw_consent(
            db,
            worker_id,
            who.username,
            service.gallery,
            gallery_notifier(service),
            enterprise_id=only,
        )
    )


@router.post(
    "/workers/{worker_id}/photos",
    status_code=201,
    response_model=EnrollmentDone,
    responses=error_responses(403, 404, 409),
)
def enroll_photos(
    worker_id: WorkerIdText,
    photos: Annotated[list[UploadFile], File(description="one face per photo")],
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> EnrollmentDone:
    """Enroll from photos: consent, quality, duplicate identity, then every site's gallery.

    At most 10 photos of 8 MiB, 4096 pixels a side and 16 megapixels each (413). A plain
    ``def``: the encoding runs in the threadpool, never on the event loop, and at most two at
    once (429 beyond).
    """
    with db.engine.connect() as conn:
        acting_for = consent_enterprise(conn, who, worker_id)
        # A worker's templates go to every gate a consent covers, another employer's included:
        # only the record's keepers add faces to them (central/auth/scope.py kept_records).
        if acting_for is not None and worker_id not in kept_by(conn, acting_for, [worker_id]):
            raise Forbidden(
                "this worker's face is shared with another employer's gates: "
                "the admin enrolls new photos"
            )

    def may_name(other: str) -> bool:
        with db.engine.connect() as conn:
            try:
                require_worker(conn, who, other)
            except NotFound:
                return False
            return True

    if len(photos) > MAX_PHOTOS:
        raise TooLarge(f"at most {MAX_PHOTOS} photos at a time")
    with tempfile.TemporaryDirectory(prefix="sitegate-enroll-") as tmp:
        paths = []
        for n, upload in enumerate(photos, 1):
            data = upload.file.read(MAX_PHOTO_BYTES + 1)
            if len(data) > MAX_PHOTO_BYTES:
                raise TooLarge(f"photo {n}: larger than {MAX_PHOTO_BYTES} bytes")
            # Named by position, not by the client's file name (which may hold anything).
            path = Path(tmp) / f"photo-{n}"
            path.write_bytes(data)
            paths.append(path)
        done = enrollment.enroll(
            db,
            sealer,
            worker_id,
            paths,
            galleries=service.gallery,
            changed=gallery_notifier(service),
            keep_photos=service.settings.keep_enrollment_photos,
            consent_of=None if acting_for is None else {acting_for},
            may_name=may_name,
        )
    return EnrollmentDone(worker_id=done.worker_id, templates=done.templates, sites=done.sites)


@router.get("/face-data/stats", response_model=FaceDataStats, responses=error_responses(403))
def face_data_stats(db: DbDep, who: CurrentUser) -> FaceDataStats:
    """People whose face data this deployment holds (a filing is due from 100,000)."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        return FaceDataStats.model_validate(enrollment.face_data_stats(conn))
