"""Jobs (招工宝) on the worker's phone: open posts near them, applying, offers, the résumé.

"Near" is :func:`central.registry.jobs.worker_cities` (the cities of the projects they work
on now); the worker may look anywhere instead, and filter by trade. Applying, accepting or
declining an offer and the opt-in résumé are the same service calls as the
``/api/v1/me/jobs`` routes; accepting creates the employment (the registry's
``add_employment``) and the enterprise console shows the applicant as hired.
"""

from typing import Annotated, Any

from fastapi import Form, Query, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from central import worker_actions
from central.auth.deps import get_sealer
from central.errors import Conflict
from central.registry import divisions, jobs
from central.validation import DbId
from central.web import i18n
from central.web.forms import FieldError, field_errors
from central.web.i18n import N_
from central.web.job_labels import APPLICATION_STATUSES, TRADE_LABELS
from central.web.routing import WORKER_PREFIX, today, web_router
from central.web.sessions import WorkerUser, database
from central.web.worker_layout import render_worker

router = web_router(WORKER_PREFIX)
RESUME_LABELS = {
    "trade": N_("My trade"),
    "years": N_("Years in the trade"),
    "certificates": N_("Certificates"),
    "shared": N_("Share it"),
}
DONE = {
    "applied": N_("You applied. The employer sees your application."),
    "accepted": N_("You accepted the job. You are now employed on the project."),
    "declined": N_("You declined the offer."),
    "resume": N_("Your résumé is saved."),
}


def _page(
    request: Request,
    who: WorkerUser,
    *,
    trade: str | None,
    anywhere: bool,
    status_code: int = 200,
    **context: Any,
) -> Response:
    assert who.worker_id is not None  # WorkerUser guarantees it
    now = today(request)
    with database(request).engine.connect() as conn:
        cities = jobs.worker_cities(conn, who.worker_id, now)
        posts = jobs.open_posts(
            conn, who.worker_id, now, cities=None if anywhere else cities, trade=trade
        )
        applications = jobs.my_applications(conn, who.worker_id)
        english = i18n.locale_of(request) == "en"
        city_names = divisions.names(conn, [*cities, *(p["city"] for p in posts)], english)
    return render_worker(
        request,
        "worker_jobs.html",
        who,
        status_code=status_code,
        posts=posts,
        applications=applications,
        cities=[city_names.get(c, c) for c in cities],
        city_names=city_names,
        trade=trade or "",
        anywhere=anywhere,
        trades=TRADE_LABELS,
        trade_names=dict(TRADE_LABELS),
        statuses=dict(APPLICATION_STATUSES),
        **context,
    )


@router.get("/jobs")
def jobs_page(
    request: Request,
    who: WorkerUser,
    trade: Annotated[str, Query(max_length=20)] = "",
    anywhere: Annotated[str, Query(max_length=3)] = "",
    done: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    chosen = trade if trade in jobs.TRADES else None
    return _page(
        request,
        who,
        trade=chosen,
        anywhere=anywhere == "1",
        done=DONE.get(done),
    )


@router.post("/jobs/{post_id}/apply")
def apply(request: Request, who: WorkerUser, post_id: DbId) -> Response:
    assert who.worker_id is not None
    try:
        jobs.apply(database(request), who.worker_id, post_id, today(request))
    except Conflict:
        return _page(
            request,
            who,
            trade=None,
            anywhere=True,
            status_code=409,
            problem=N_("You have already applied to this job."),
        )
    return RedirectResponse(f"{WORKER_PREFIX}/jobs?done=applied", status_code=303)


def _answer(request: Request, who: WorkerUser, application_id: int, accept: bool) -> Response:
    assert who.worker_id is not None
    try:
        jobs.answer_offer(
            database(request),
            get_sealer(request),
            request.app.state.service.gallery,
            worker_actions.gates_of(request.app.state.service).changed,
            who.actor,
            who.worker_id,
            application_id,
            accept,
        )
    except Conflict:
        return _page(
            request,
            who,
            trade=None,
            anywhere=False,
            status_code=409,
            problem=N_("This offer is no longer open."),
        )
    done = "accepted" if accept else "declined"
    return RedirectResponse(f"{WORKER_PREFIX}/jobs?done={done}", status_code=303)


@router.post("/jobs/applications/{application_id}/accept")
def accept(request: Request, who: WorkerUser, application_id: DbId) -> Response:
    return _answer(request, who, application_id, True)


@router.post("/jobs/applications/{application_id}/decline")
def decline(request: Request, who: WorkerUser, application_id: DbId) -> Response:
    return _answer(request, who, application_id, False)


def _resume_form(
    request: Request,
    who: WorkerUser,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    assert who.worker_id is not None
    if values is None:
        with database(request).engine.connect() as conn:
            found = jobs.resume(conn, who.worker_id)
        values = (
            {
                "trade": found["trade"],
                "years": str(found["years"]),
                "certificates": found["certificates"] or "",
                "shared": "yes" if found["shared"] else "",
            }
            if found
            else {}
        )
    return render_worker(
        request,
        "worker_resume.html",
        who,
        status_code=422 if errors else 200,
        values=values,
        errors=errors or {},
        trades=TRADE_LABELS,
    )


@router.get("/jobs/resume")
def resume_page(request: Request, who: WorkerUser) -> Response:
    return _resume_form(request, who)


@router.post("/jobs/resume")
def save_resume(
    request: Request,
    who: WorkerUser,
    trade: Annotated[str, Form(max_length=20)] = "",
    years: Annotated[str, Form(max_length=10)] = "",
    certificates: Annotated[str, Form(max_length=600)] = "",
    shared: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    assert who.worker_id is not None
    values = {"trade": trade, "years": years, "certificates": certificates, "shared": shared}
    try:
        data = jobs.ResumeIn.model_validate(
            {
                "trade": trade or None,
                "years": years.strip() or None,
                "certificates": certificates.strip() or None,
                "shared": shared == "yes",
            }
        )
    except ValidationError as exc:
        return _resume_form(request, who, values, field_errors(exc, RESUME_LABELS))
    jobs.set_resume(database(request), who.worker_id, data)
    return RedirectResponse(f"{WORKER_PREFIX}/jobs?done=resume", status_code=303)
