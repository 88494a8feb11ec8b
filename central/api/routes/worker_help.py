"""A worker's face data, wage complaints and evidence statement, under ``/api/v1/me``.

Every query is keyed on the token's worker id, never on a parameter: a worker reads and files
only their own. The same service functions serve the worker pages (central/web/routes/).
"""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.routes.evidence import JSON_ERRORS, statement, statement_answers
from central.auth.deps import CurrentUser
from central.auth.scope import own_worker, worker_projects
from central.clock import zone
from central.complaints import filing
from central.registry.face_data import FaceData, face_data
from central.reports.evidence import gather
from central.validation import DbId, LocalDate

router = APIRouter(
    prefix="/api/v1/me", tags=["worker"], responses=error_responses(*AUTHENTICATED, 403)
)


@router.get("/face-data", response_model=FaceData)
def my_face_data(db: DbDep, who: CurrentUser) -> FaceData:
    """What is held of my face: template count and dates, my consents, each gate's gallery
    (never a template or a photo). Withdraw with ``DELETE /api/v1/workers/{me}/face-consent``."""
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        return face_data(conn, worker_id)


@router.get("/complaints", response_model=list[filing.Complaint])
def my_complaints(db: DbDep, who: CurrentUser) -> list[filing.Complaint]:
    """My wage complaints, newest first, each with every status change."""
    return filing.complaints_of(db, own_worker(who))


@router.get(
    "/complaints/{complaint_id}",
    response_model=filing.Complaint,
    responses=error_responses(404),
)
def my_complaint(
    complaint_id: Annotated[DbId, Path()], db: DbDep, who: CurrentUser
) -> filing.Complaint:
    return filing.complaint(db, own_worker(who), complaint_id)


@router.post(
    "/complaints",
    status_code=201,
    response_model=filing.Complaint,
    responses=error_responses(409, 422),
)
def file_complaint(
    body: filing.ComplaintIn, request: Request, db: DbDep, who: CurrentUser
) -> filing.Complaint:
    """File a wage complaint about one of my projects: it becomes an arrears case and a
    warning for the supervisors of the project's division, with a deadline (SLA)."""
    settings = request.app.state.service.settings
    today = datetime.now(zone(settings.timezone)).date()
    return filing.file_complaint(
        db, who.actor, own_worker(who), body, today, settings.complaint_sla_days
    )


@router.get(
    "/evidence",
    response_class=HTMLResponse,
    responses={
        **statement_answers("my statement"),
        403: {**JSON_ERRORS[404], "description": "not a worker's account"},
    },
)
def my_evidence(
    first: LocalDate,
    last: LocalDate,
    db: DbDep,
    who: CurrentUser,
    format: Literal["html", "xlsx"] = "html",
) -> Response:
    """My own evidence statement: every day with its events, correction, wage line, payment."""
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        data = gather(conn, worker_id, first, last, worker_projects(conn, who, worker_id))
    return statement(data, f"evidence-{first}-{last}", format)
