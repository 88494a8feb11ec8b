"""Safety training (安全教育) in the enterprise console: the project's training records (a
list with its JSON and xlsx twins), its gate rule (refuse the untrained, warn before expiry),
courses with their material (text or an uploaded PDF), assignments and completions.

The same service functions as ``/api/v1/training-courses`` and
``/api/v1/projects/{id}/training-rule`` (central/training/), over the caller's reach: a
subcontractor sees and records its own workers only and cannot change the project's rule.
"""

from datetime import date
from functools import partial
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy import Connection
from starlette.responses import RedirectResponse, Response

from central import worker_actions
from central.auth.users import Principal
from central.contracts.econtracts import employments_for
from central.errors import InvalidInput, NotFound, TooLarge
from central.training import courses, entry
from central.training.material import read_upload
from central.validation import DbId
from central.web import tables
from central.web.contract_pdf import course_material_pdf
from central.web.forms import FieldError, field_errors, refusal, submitted
from central.web.i18n import N_
from central.web.project_picker import Picked, PickedProject
from central.web.routes.table_views import ListRows, show
from central.web.routing import PREFIX, list_twins, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, TableSpec

router = web_router()
BASE = PREFIX + "/enterprise/training"

STATE_LABELS = (
    ("valid", N_("Valid")),
    ("expired", N_("Expired")),
    ("pending", N_("Not completed")),
)

RECORDS = TableSpec(
    name="training",
    columns=(
        Column("worker_name", N_("Worker")),
        Column("worker_id", N_("Worker ID")),
        Column("course", N_("Course")),
        Column("completed_on", N_("Completed on"), kind="date"),
        Column("valid_until", N_("Valid until"), kind="date"),
        Column("state", N_("Status"), sortable=False, labels=STATE_LABELS),
    ),
    default_sort="completed_on",
    default_desc=True,
)

COURSE_LABELS = {
    "title": N_("Course title"),
    "hours": N_("Hours"),
    "valid_days": N_("Valid for (days)"),
    "material_text": N_("Material (text)"),
    "material_pdf": N_("Material (PDF)"),
    "form": N_("Course"),
}
RULE_LABELS = {"warn_days": N_("Warn this many days before expiry")}
DONE_LABELS = {
    "course_id": N_("Course"),
    "worker_id": N_("Worker"),
    "completed_on": N_("Completed on"),
}


def _site_today(conn: Connection, picked: Picked) -> date:
    return entry.site_today(conn, picked.id) if picked.id else date.today()


def _list(request: Request, who: Principal, fmt: str, picked: Picked, **context: Any) -> Response:
    state = tables.state_from(RECORDS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        if picked.id is None:
            raise NotFound("no project")
        today = _site_today(conn, picked)
        extra: dict[str, Any] = {}
        if fmt == "html":
            extra = {
                "picked": picked,
                "rule": entry.rule(conn, picked.id),
                "courses": courses.listing(conn, who),
                "assigned": courses.project_assignments(conn, who, picked.id, today),
                "people": _people(conn, who, picked.id),
                "states": dict(STATE_LABELS),
                "today": today.isoformat(),
                "values": context.pop("values", {}),
                "errors": context.pop("errors", {}),
                "saved": context.pop("saved", ""),
                "failed": context.pop("failed", ""),
            }
        return show(
            request,
            who,
            conn,
            spec=RECORDS,
            state=state,
            base=courses.completions_select(conn, who, picked.id),
            fmt=fmt,
            title=N_("Safety training"),
            name="enterprise/training",
            template="enterprise_training.html",
            finish=lambda _c, rows: courses.with_state(rows, today),
            **extra,
        )


def _people(conn: Connection, who: Principal, project_id: str) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for row in employments_for(conn, who, project_id):
        seen.setdefault(row["worker_id"], row)
    return list(seen.values())


def _view(request: Request, who: Principal, fmt: str, picked: Picked) -> Response:
    saved = request.query_params.get("saved", "")
    return _list(request, who, fmt, picked, saved=saved if saved.isalpha() else "")


list_twins(
    router,
    "/enterprise/training",
    _view,
    EnterpriseUser,
    name="enterprise_training",
    rows=ListRows,
    params={"picked": PickedProject},
)


def _again(
    request: Request,
    who: Principal,
    picked: Picked,
    form: str,
    values: dict[str, str],
    errors: dict[str, FieldError],
) -> Response:
    response = _list(request, who, "html", picked, values=values, errors=errors, failed=form)
    response.status_code = 422
    return response


def _done(picked: Picked, saved: str) -> Response:
    return RedirectResponse(f"{BASE}?project={picked.id}&saved={saved}#{saved}", status_code=303)


@router.post("/enterprise/training/rule")
async def set_rule(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    values = await submitted(request, ("required", "warn_days"), 200)
    try:
        data = entry.RuleIn.model_validate(
            {"required": values["required"] == "yes", "warn_days": values["warn_days"] or 14}
        )
    except ValidationError as exc:
        return _again(request, who, picked, "rule", values, field_errors(exc, RULE_LABELS))
    service = request.app.state.service
    assert picked.id is not None
    entry.set_rule(
        database(request),
        who,
        picked.id,
        data,
        service.gallery,
        worker_actions.gates_of(service).changed,
    )
    return _done(picked, "rule")


@router.post("/enterprise/training-courses")
async def add_course(
    request: Request,
    who: EnterpriseUser,
    picked: PickedProject,
    title: Annotated[str, Form(max_length=1000)] = "",
    hours: Annotated[str, Form(max_length=20)] = "",
    valid_days: Annotated[str, Form(max_length=20)] = "",
    material_text: Annotated[str, Form(max_length=60_000)] = "",
    material_pdf: Annotated[UploadFile | None, File()] = None,
) -> Response:
    values = {
        "title": title,
        "hours": hours,
        "valid_days": valid_days,
        "material_text": material_text,
    }
    try:
        data = courses.CourseIn.model_validate(
            {
                "title": title,
                "hours": hours,
                "valid_days": valid_days,
                "material_text": material_text.strip() or None,
            }
        )
        courses.create(
            database(request),
            who,
            data,
            read_upload(material_pdf.file, material_pdf.filename) if material_pdf else None,
        )
    except ValidationError as exc:
        return _again(request, who, picked, "course", values, field_errors(exc, COURSE_LABELS))
    except (InvalidInput, TooLarge) as exc:
        field = str((exc.extra or {}).get("field", "material_text"))
        label = COURSE_LABELS.get(field, COURSE_LABELS["form"])
        return _again(request, who, picked, "course", values, refusal(field, label, exc))
    return _done(picked, "course")


@router.post("/enterprise/training/assign")
async def assign(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    form = await request.form()
    course = str(form.get("course_id", ""))[:12]
    workers = [str(w)[:64] for w in form.getlist("worker_id")][:500]
    values = {"course_id": course}
    again = partial(_again, request, who, picked, "assign", values)
    if not course.isdigit():
        return again({"course_id": FieldError("course_id", N_("Course"), N_("is required"))})
    if not workers:
        return again({"worker_id": FieldError("worker_id", N_("Workers"), N_("is required"))})
    assert picked.id is not None
    try:
        courses.assign(
            database(request),
            who,
            int(course),
            courses.AssignIn(project_id=picked.id, worker_ids=workers),
        )
    except (ValidationError, NotFound):
        return again(
            {"worker_id": FieldError("worker_id", N_("Workers"), N_("is not one of the choices"))}
        )
    return _done(picked, "assigned")


@router.post("/enterprise/training/complete")
async def complete(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    values = await submitted(request, ("course_id", "worker_id", "completed_on"), 200)
    assert picked.id is not None
    db = database(request)
    again = partial(_again, request, who, picked, "complete", values)
    try:
        data = courses.CompletionIn.model_validate(
            {
                "project_id": picked.id,
                "worker_id": values["worker_id"],
                "completed_on": values["completed_on"],
            }
        )
        if not values["course_id"].isdigit() or len(values["course_id"]) > 12:
            label = DONE_LABELS["course_id"]
            return again({"course_id": FieldError("course_id", label, N_("is required"))})
        with db.engine.connect() as conn:
            today = entry.site_today(conn, picked.id)
        courses.record_completion(db, who, int(values["course_id"]), data, today)
    except ValidationError as exc:
        return again(field_errors(exc, DONE_LABELS))
    except InvalidInput as exc:
        return again(refusal("completed_on", DONE_LABELS["completed_on"], exc))
    except NotFound:
        reason = N_("is not one of the choices")
        return again({"worker_id": FieldError("worker_id", DONE_LABELS["worker_id"], reason)})
    service = request.app.state.service
    if entry.reconcile(db, service.gallery, picked.id):
        worker_actions.gates_of(request.app.state.service).changed(picked.id)
    return _done(picked, "completed")


@router.get("/enterprise/training-courses/{course_id}/material.pdf")
def material(request: Request, who: EnterpriseUser, course_id: DbId) -> Response:
    return course_material_pdf(request, who, course_id)
