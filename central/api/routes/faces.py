"""Face consent and enrollment over HTTP, and the count supervisors must watch."""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from central import worker_actions
from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.enrollment import (
    ConsentPublic,
    ConsentWithdrawn,
    EnrollmentDone,
    FaceDataStats,
)
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import require_role
from central.auth.users import Role
from central.registry import enrollment
from central.service import CentralService
from central.validation import ShortText, WorkerIdText

router = APIRouter(prefix="/api/v1", tags=["enrollment"], responses=error_responses(*AUTHENTICATED))


def gallery_notifier(service: CentralService) -> Callable[[str], None]:
    """Tell the site's gates (through the command channel) that its gallery changed."""
    return worker_actions.gates_of(service).changed


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
    recorded = worker_actions.give_consent(
        db, sealer, who, worker_id, body.method, worker_actions.gates_of(service)
    )
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
    withdrawn = worker_actions.withdraw_consent(
        db, who, worker_id, worker_actions.gates_of(service)
    )
    return ConsentWithdrawn.model_validate(withdrawn)


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
    done = worker_actions.enroll_photos(
        db,
        sealer,
        who,
        worker_id,
        [upload.file for upload in photos],
        worker_actions.gates_of(service),
        keep_photos=service.settings.keep_enrollment_photos,
    )
    return EnrollmentDone(worker_id=done.worker_id, templates=done.templates, sites=done.sites)


@router.get("/face-data/stats", response_model=FaceDataStats, responses=error_responses(403))
def face_data_stats(db: DbDep, who: CurrentUser) -> FaceDataStats:
    """People whose face data this deployment holds (a filing is due from 100,000)."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        return FaceDataStats.model_validate(enrollment.face_data_stats(conn))
