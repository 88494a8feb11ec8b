"""招工宝 over HTTP: enterprises' job posts and applicants; workers' jobs, applications, résumé.

Who may post on which project and whose posts a caller answers come from
central/auth/scope.py (``job_poster``, ``job_owner``); another enterprise's post or
application answers 404 like a missing one. The worker routes key on the token's worker id.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.routes.faces import gallery_notifier
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import job_owner, job_poster, own_worker
from central.clock import zone
from central.errors import NotFound
from central.registry import jobs
from central.validation import DbId

router = APIRouter(prefix="/api/v1", tags=["jobs"], responses=error_responses(*AUTHENTICATED, 403))


class PostPublic(BaseModel):
    id: int
    title: str
    trade: str
    project_id: str
    project: str
    city: str
    pay_fen: int
    headcount: int
    starts_on: str
    ends_on: str
    status: str
    applicants: int
    hired: int


class Applicant(BaseModel):
    """An applicant to one of the caller's posts; the résumé only when its owner shares it."""

    id: int
    worker_id: str
    name: str
    status: str
    applied_at: str
    offer_start_on: str | None
    employment_id: int | None
    resume_trade: str | None
    resume_years: int | None
    resume_certificates: str | None


class OpenPost(BaseModel):
    id: int
    title: str
    trade: str
    city: str
    pay_fen: int
    headcount: int
    starts_on: str
    ends_on: str
    description: str | None
    enterprise: str
    project: str
    my_status: str | None


class MyApplication(BaseModel):
    id: int
    status: str
    applied_at: str
    offer_start_on: str | None
    employment_id: int | None
    title: str
    trade: str
    pay_fen: int
    enterprise: str
    project: str


class Created(BaseModel):
    id: int


class Moved(BaseModel):
    """A post or an application after the change: its id and new status."""

    id: int
    status: str


class Resume(BaseModel):
    worker_id: str
    trade: str
    years: int
    certificates: str | None
    shared: int
    updated_at: str


def _today(request: Request) -> Any:
    return datetime.now(zone(request.app.state.service.settings.timezone)).date()


@router.post(
    "/job-posts", status_code=201, response_model=Created, responses=error_responses(404, 422)
)
def post_job(body: jobs.PostIn, db: DbDep, who: CurrentUser) -> Created:
    """Post a job on one of my enterprise's projects (its city is the site's)."""
    with db.engine.connect() as conn:
        enterprise_id = job_poster(conn, who, body.project_id)
    return Created(id=jobs.create_post(db, who.actor, enterprise_id, body))


@router.get("/job-posts", response_model=list[PostPublic])
def list_posts(db: DbDep, who: CurrentUser) -> list[PostPublic]:
    """My enterprise's posts with their applicant counts (the admin: every post)."""
    owner = job_owner(who)
    with db.engine.connect() as conn:
        rows = conn.execute(jobs.posts_select(owner).order_by("id")).all()
    return [PostPublic.model_validate(dict(r._mapping)) for r in rows]


@router.get(
    "/job-posts/{post_id}/applicants",
    response_model=list[Applicant],
    responses=error_responses(404),
)
def list_applicants(
    post_id: Annotated[DbId, Path()], db: DbDep, who: CurrentUser
) -> list[Applicant]:
    """Applicants to one of my posts; another enterprise's post answers 404."""
    owner = job_owner(who)
    with db.engine.connect() as conn:
        return [Applicant.model_validate(a) for a in jobs.applicants(conn, owner, post_id)]


@router.post("/job-posts/{post_id}/close", response_model=Moved, responses=error_responses(404))
def close_post(post_id: Annotated[DbId, Path()], db: DbDep, who: CurrentUser) -> Moved:
    """Close my post: workers no longer see it; its applications stay as they are."""
    jobs.close_post(db, who.actor, job_owner(who), post_id)
    return Moved(id=post_id, status="closed")


@router.post(
    "/job-applications/{application_id}/offer",
    response_model=Moved,
    responses=error_responses(404, 409, 422),
)
def offer(
    application_id: Annotated[DbId, Path()],
    body: jobs.OfferIn,
    request: Request,
    db: DbDep,
    who: CurrentUser,
) -> Moved:
    """Offer the applicant the job from a start date; the worker accepts on their pages."""
    jobs.offer(db, who.actor, job_owner(who), application_id, body, _today(request))
    return Moved(id=application_id, status="offered")


@router.post(
    "/job-applications/{application_id}/refuse",
    response_model=Moved,
    responses=error_responses(404, 409),
)
def refuse(application_id: Annotated[DbId, Path()], db: DbDep, who: CurrentUser) -> Moved:
    """Turn the applicant down (an offer not yet accepted is withdrawn)."""
    jobs.refuse(db, who.actor, job_owner(who), application_id)
    return Moved(id=application_id, status="refused")


# ---- the worker's side -------------------------------------------------------------------


@router.get("/me/jobs", response_model=list[OpenPost])
def my_jobs(
    request: Request,
    db: DbDep,
    who: CurrentUser,
    trade: Annotated[jobs.Trade | None, Query()] = None,
    anywhere: bool = False,
) -> list[OpenPost]:
    """Open posts near me (the cities of my current projects), or ``anywhere``; by trade."""
    worker_id = own_worker(who)
    today = _today(request)
    with db.engine.connect() as conn:
        cities = None if anywhere else jobs.worker_cities(conn, worker_id, today)
        found = jobs.open_posts(conn, worker_id, today, cities=cities, trade=trade)
    return [OpenPost.model_validate(p) for p in found]


@router.post(
    "/me/jobs/{post_id}/apply",
    status_code=201,
    response_model=Created,
    responses=error_responses(404, 409),
)
def apply(
    post_id: Annotated[DbId, Path()], request: Request, db: DbDep, who: CurrentUser
) -> Created:
    """Apply to an open post; my résumé, if I share it, becomes visible to its employer."""
    return Created(id=jobs.apply(db, own_worker(who), post_id, _today(request)))


@router.get("/me/job-applications", response_model=list[MyApplication])
def my_applications(db: DbDep, who: CurrentUser) -> list[MyApplication]:
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        return [MyApplication.model_validate(a) for a in jobs.my_applications(conn, worker_id)]


def _answer(
    application_id: int,
    accept: bool,
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> Moved:
    jobs.answer_offer(
        db,
        sealer,
        service.gallery,
        gallery_notifier(service),
        who.actor,
        own_worker(who),
        application_id,
        accept,
    )
    return Moved(id=application_id, status="hired" if accept else "declined")


@router.post(
    "/me/job-applications/{application_id}/accept",
    response_model=Moved,
    responses=error_responses(404, 409),
)
def accept(
    application_id: Annotated[DbId, Path()],
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> Moved:
    """Accept the offer: the employment is created (daily pay at the post's rate)."""
    return _answer(application_id, True, db, sealer, who, service)


@router.post(
    "/me/job-applications/{application_id}/decline",
    response_model=Moved,
    responses=error_responses(404, 409),
)
def decline(
    application_id: Annotated[DbId, Path()],
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> Moved:
    """Decline the offer."""
    return _answer(application_id, False, db, sealer, who, service)


@router.get("/me/resume", response_model=Resume, responses=error_responses(404))
def my_resume(db: DbDep, who: CurrentUser) -> Resume:
    """My résumé (404 until I write one)."""
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        found = jobs.resume(conn, worker_id)
    if found is None:
        raise NotFound("no résumé yet")
    return Resume.model_validate(found)


@router.put("/me/resume", response_model=Resume, responses=error_responses(422))
def put_resume(body: jobs.ResumeIn, db: DbDep, who: CurrentUser) -> Resume:
    """My résumé; ``shared``: shown to the employers of the posts I applied to, else nobody."""
    return Resume.model_validate(jobs.set_resume(db, own_worker(who), body))
