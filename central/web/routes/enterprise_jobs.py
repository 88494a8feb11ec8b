"""招工宝 in the enterprise console: an enterprise's job posts, their applicants, offers.

An enterprise's admin posts jobs on projects where it may employ for itself, sees the
applicants to its own posts (a résumé only when its owner shared it), offers a start date or
turns an applicant down. The worker accepts on their own pages (central/web/routes/
worker_jobs.py), which creates the employment. Scope: ``scope.job_poster`` and
``scope.job_owner``, the same checks as ``/api/v1/job-posts``; another enterprise's post or
application answers 404.
"""

from dataclasses import replace
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from central.auth.scope import job_owner, job_poster
from central.auth.users import Principal
from central.errors import CentralError, Conflict, InvalidInput
from central.registry import jobs
from central.storage import schema
from central.validation import DbId
from central.web import project_picker, tables
from central.web.forms import FieldError, field_errors, refusal, submitted
from central.web.i18n import N_
from central.web.job_labels import APPLICATION_STATUSES, POST_STATUSES, TRADE_LABELS
from central.web.refusals import refusal_reason
from central.web.routes.lists import division_names
from central.web.routes.table_views import ListRows, show
from central.web.routing import PREFIX, list_twins, today, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()
BASE = PREFIX + "/enterprise/jobs"

POSTS = TableSpec(
    name="job_posts",
    columns=(
        Column("id", N_("Post"), kind="int", link=BASE + "/{id}"),
        Column("title", N_("Title"), link=BASE + "/{id}"),
        Column("trade", N_("Trade"), labels=TRADE_LABELS),
        Column("project", N_("Project")),
        Column("city_name", N_("City")),
        Column("pay_fen", N_("Day's pay (yuan)"), kind="fen"),
        Column("headcount", N_("Headcount"), kind="int"),
        Column("starts_on", N_("Starts"), kind="date"),
        Column("ends_on", N_("Ends"), kind="date"),
        Column("status", N_("Status"), labels=POST_STATUSES),
        Column("applicants", N_("Applicants"), kind="int"),
        Column("hired", N_("Hired"), kind="int"),
    ),
    default_sort="id",
    default_desc=True,
    filters=(
        Filter("status", N_("Status"), schema.job_posts.c.status, choices=POST_STATUSES),
        Filter("trade", N_("Trade"), schema.job_posts.c.trade, choices=TRADE_LABELS),
    ),
)

POST_LABELS = {
    "project_id": N_("Project"),
    "trade": N_("Trade"),
    "title": N_("Title"),
    "pay_yuan": N_("Day's pay (yuan)"),
    "pay_fen": N_("Day's pay (yuan)"),
    "headcount": N_("Headcount"),
    "starts_on": N_("Starts"),
    "ends_on": N_("Ends"),
    "description": N_("Description"),
}


def _list(request: Request, who: Principal, fmt: str) -> Response:
    owner = job_owner(who)
    state = tables.state_from(POSTS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=POSTS,
            state=state,
            base=jobs.posts_select(owner),
            fmt=fmt,
            title=N_("Recruitment"),
            name="enterprise/jobs",
            template="enterprise_jobs.html",
            may_post=owner is not None,
            finish=division_names(request, ("city_name", "city")),
        )


list_twins(router, "/enterprise/jobs", _list, EnterpriseUser, name="enterprise_jobs", rows=ListRows)


def yuan_to_fen(text: str) -> int | str:
    """``"350"`` or ``"350.5"`` → fen; the text back when it is not an amount (pydantic then
    names the field)."""
    raw = text.strip().replace(",", "")
    whole, _, cents = raw.partition(".")
    if not whole.isdigit() or len(whole) > 9 or (cents and (not cents.isdigit() or len(cents) > 2)):
        return text
    return int(whole) * 100 + int((cents + "00")[:2])


def _new_form(
    request: Request,
    who: Principal,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    job_owner(who)
    return render(
        request,
        "enterprise_job_new.html",
        who,
        status_code=422 if errors else 200,
        values=values or {"headcount": "1"},
        errors=errors or {},
        projects=project_picker.form_choices(request, who),
        trades=TRADE_LABELS,
    )


@router.get("/enterprise/jobs/new")
def new_post(request: Request, who: EnterpriseUser) -> Response:
    return _new_form(request, who)


@router.post("/enterprise/jobs")
async def create_post(request: Request, who: EnterpriseUser) -> Response:
    keys = ("project_id", "trade", "title", "pay_yuan", "headcount", "starts_on", "ends_on")
    values = await submitted(request, (*keys, "description"), 1000)
    data: dict[str, Any] = {k: v for k, v in values.items() if v and k != "pay_yuan"}
    if values["pay_yuan"]:
        data["pay_fen"] = yuan_to_fen(values["pay_yuan"])
    try:
        post = jobs.PostIn.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc, POST_LABELS)
        if "pay_fen" in errors:  # the form's field is in yuan
            pay = errors.pop("pay_fen")
            errors["pay_yuan"] = replace(pay, field="pay_yuan", label=POST_LABELS["pay_yuan"])
        if "" in errors:  # a rule over two fields (ends before it starts)
            order = errors.pop("")
            errors["ends_on"] = replace(order, field="ends_on", label=POST_LABELS["ends_on"])
        return _new_form(request, who, values, errors)
    db = database(request)
    with db.engine.connect() as conn:
        enterprise_id = job_poster(conn, who, post.project_id)
    try:
        post_id = jobs.create_post(db, who.actor, enterprise_id, post)
    except InvalidInput as exc:
        return _new_form(
            request, who, values, refusal("project_id", POST_LABELS["project_id"], exc)
        )
    return RedirectResponse(f"{BASE}/{post_id}?saved=posted", status_code=303)


def _detail(
    request: Request,
    who: Principal,
    post_id: int,
    *,
    saved: str = "",
    error: str | CentralError = "",
    failed: int | None = None,
    status_code: int = 200,
) -> Response:
    owner = job_owner(who)
    reason, params = refusal_reason(error) if isinstance(error, CentralError) else (error, {})
    with database(request).engine.connect() as conn:
        post = dict(jobs.own_post(conn, owner, post_id))
        post["city_name"] = post["city"]
        division_names(request, ("city_name", "city"))(conn, [post])
        people = jobs.applicants(conn, owner, post_id)
    return render(
        request,
        "enterprise_job.html",
        who,
        status_code=status_code,
        post=post,
        applicants=people,
        trades=dict(TRADE_LABELS),
        statuses=dict(APPLICATION_STATUSES),
        post_statuses=dict(POST_STATUSES),
        saved=saved,
        error=reason,
        error_params=params,
        failed=failed,
        today=today(request).isoformat(),
    )


@router.get("/enterprise/jobs/{post_id}")
def post_page(request: Request, who: EnterpriseUser, post_id: DbId, saved: str = "") -> Response:
    return _detail(request, who, post_id, saved=saved if saved.isalpha() else "")


@router.post("/enterprise/jobs/{post_id}/close")
def close_post(request: Request, who: EnterpriseUser, post_id: DbId) -> Response:
    jobs.close_post(database(request), who.actor, job_owner(who), post_id)
    return RedirectResponse(f"{BASE}/{post_id}?saved=closed", status_code=303)


@router.post("/enterprise/jobs/{post_id}/applications/{application_id}/offer")
async def offer(
    request: Request, who: EnterpriseUser, post_id: DbId, application_id: DbId
) -> Response:
    values = await submitted(request, ("start_on",), 1000)
    owner = job_owner(who)
    with database(request).engine.connect() as conn:
        jobs.own_post(conn, owner, post_id)
    try:
        data = jobs.OfferIn.model_validate({"start_on": values["start_on"] or None})
        jobs.offer(database(request), who.actor, owner, application_id, data, today(request))
    except ValidationError:
        return _detail(
            request,
            who,
            post_id,
            error=N_("The start date must be a date like 2025-06-30."),
            failed=application_id,
            status_code=422,
        )
    except (InvalidInput, Conflict) as exc:
        return _detail(request, who, post_id, error=exc, failed=application_id, status_code=422)
    return RedirectResponse(f"{BASE}/{post_id}?saved=offered", status_code=303)


@router.post("/enterprise/jobs/{post_id}/applications/{application_id}/refuse")
def refuse(request: Request, who: EnterpriseUser, post_id: DbId, application_id: DbId) -> Response:
    owner = job_owner(who)
    with database(request).engine.connect() as conn:
        jobs.own_post(conn, owner, post_id)
    try:
        jobs.refuse(database(request), who.actor, owner, application_id)
    except Conflict as exc:
        return _detail(request, who, post_id, error=exc, failed=application_id, status_code=409)
    return RedirectResponse(f"{BASE}/{post_id}?saved=refused", status_code=303)
