"""Face consent and enrollment over HTTP, and the count supervisors must watch."""

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from central.api.deps import DbDep, ServiceDep
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import require_role, require_worker
from central.auth.users import Principal, Role
from central.errors import InvalidInput
from central.registry import enrollment
from central.service import CentralService
from central.storage import Database

router = APIRouter(prefix="/api/v1", tags=["enrollment"])
STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def _staff_over(db: Database, who: Principal, worker_id: str) -> None:
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)
    require_role(who, *STAFF)


def gallery_notifier(service: CentralService):  # type: ignore[no-untyped-def]
    """Tell the site's gates (through the command channel) that its gallery changed."""

    def notify(site: str) -> None:
        if service.commands is not None:
            service.commands.gallery_changed(site)

    return notify


class ConsentIn(BaseModel):
    method: Annotated[str, Field(min_length=2, max_length=100, description="e.g. signed form")]


@router.post("/workers/{worker_id}/face-consent", status_code=201)
def give_consent(worker_id: str, body: ConsentIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    """Record the worker's separate consent to face recognition (PIPL art. 29)."""
    _staff_over(db, who, worker_id)
    return enrollment.record_consent(db, worker_id, body.method, who.username)


@router.delete("/workers/{worker_id}/face-consent")
def withdraw_consent(
    worker_id: str, db: DbDep, who: CurrentUser, service: ServiceDep
) -> dict[str, object]:
    """Withdraw consent: templates deleted here and from every gate at the next sync."""
    with db.engine.connect() as conn:
        require_worker(conn, who, worker_id)  # the worker themselves, or staff over them
    if who.role is not Role.WORKER:
        require_role(who, *STAFF)
    return enrollment.withdraw_consent(
        db, worker_id, who.username, service.gallery, gallery_notifier(service)
    )


@router.post("/workers/{worker_id}/photos", status_code=201)
async def enroll_photos(
    worker_id: str,
    photos: Annotated[list[UploadFile], File(description="one face per photo")],
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> dict[str, object]:
    """Enroll from photos: consent, quality, duplicate identity, then every site's gallery."""
    _staff_over(db, who, worker_id)
    with tempfile.TemporaryDirectory(prefix="sitegate-enroll-") as tmp:
        paths = []
        for n, upload in enumerate(photos):
            data = await upload.read(MAX_PHOTO_BYTES + 1)
            if len(data) > MAX_PHOTO_BYTES:
                raise InvalidInput(f"{upload.filename}: larger than {MAX_PHOTO_BYTES} bytes")
            path = Path(tmp) / f"{n:02d}-{Path(upload.filename or 'photo').name}"
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
        )
    return {"worker_id": done.worker_id, "templates": done.templates, "sites": done.sites}


@router.get("/face-data/stats")
def face_data_stats(db: DbDep, who: CurrentUser) -> dict[str, object]:
    """People whose face data this deployment holds (a filing is due from 100,000)."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        return enrollment.face_data_stats(conn)
