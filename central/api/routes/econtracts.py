"""E-contracts and safety training over HTTP: templates, contracts per employment (PDF), courses,
assignments, completions and each project's training rule; and the worker's own side under
``/api/v1/me`` (read, sign by re-entering the password or PIN, courses).

The same service functions as the enterprise console's and the worker pages
(central/contracts/, central/training/), over the caller's reach (central/auth/scope.py).
"""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.routes.faces import gallery_notifier
from central.auth.deps import CurrentUser, client_address
from central.auth.scope import own_worker, require_project
from central.contracts import econtracts, templates
from central.storage import Database
from central.training import courses, entry
from central.training.material import read_upload
from central.validation import DbId, ProjectId

router = APIRouter(
    prefix="/api/v1", tags=["contracts"], responses=error_responses(*AUTHENTICATED, 403, 404)
)
me_router = APIRouter(
    prefix="/api/v1/me", tags=["worker"], responses=error_responses(*AUTHENTICATED, 403, 404)
)


# A PDF answer, documented as a binary string body (the OpenAPI test's "file" shape).
PDF_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the PDF (its SHA-256 in X-Content-SHA256 where one is kept)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}


class TemplateOut(BaseModel):
    id: int
    enterprise_id: int
    name: str
    body: str | None = None
    created_at: str
    created_by: str
    updated_at: str | None = None


class GenerateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    employment_id: DbId
    template_id: DbId


class ContractOut(BaseModel):
    id: int
    employment_id: int
    worker_id: str
    project_id: str
    employer_id: int
    template_id: int
    status: str = Field(description="draft | sent | signed")
    draft_sha256: str
    signed_sha256: str | None
    created_at: str
    created_by: str
    sent_at: str | None
    signed_at: str | None = Field(description="site time with offset")
    contract_id: int | None = Field(description="the signed labour contract record")
    worker_name: str | None = None
    project_name: str | None = None


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, Field(min_length=1, max_length=200, description="password or PIN")]


class CourseOut(BaseModel):
    id: int
    enterprise_id: int
    title: str
    hours: int
    valid_days: int
    created_at: str
    material_text: str | None
    has_pdf: bool


class AssignmentOut(BaseModel):
    id: int
    course_id: int
    worker_id: str


class CompletionOut(BaseModel):
    id: int
    worker_id: str
    project_id: str | None
    course: str
    course_id: int | None
    completed_on: str
    valid_until: str | None


class ProjectCompletion(BaseModel):
    id: int
    worker_id: str
    worker_name: str
    course: str
    course_id: int | None
    completed_on: str
    valid_until: str | None
    state: str = Field(description="valid | expired")


class RuleOut(BaseModel):
    project_id: str
    required: bool
    warn_days: int


class MyCourse(BaseModel):
    id: int
    project_id: str
    course_id: int
    title: str
    hours: int
    material_text: str | None
    has_pdf: bool
    assigned_at: str
    completed_on: str | None
    valid_until: str | None
    state: str = Field(description="pending | valid | expired")


def _pdf(data: bytes, name: str, digest: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}"',
            "X-Content-SHA256": digest,
            "Cache-Control": "no-store",
        },
    )


# --- templates --------------------------------------------------------------------------


@router.get("/contract-templates", response_model=list[TemplateOut])
def list_templates(db: DbDep, who: CurrentUser) -> list[dict[str, Any]]:
    """The templates the caller may use (an enterprise's own; a site manager's contractor's)."""
    with db.engine.connect() as conn:
        return templates.listing(conn, who)


@router.post("/contract-templates", status_code=201, response_model=TemplateOut)
def add_template(body: templates.TemplateIn, db: DbDep, who: CurrentUser) -> dict[str, Any]:
    """A new template; placeholders in braces, e.g. {worker}, {project}, {pay_terms}."""
    return templates.create(db, who, body)


@router.get("/contract-templates/{template_id}", response_model=TemplateOut)
def get_template(template_id: DbId, db: DbDep, who: CurrentUser) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return templates.get(conn, who, template_id)


@router.put("/contract-templates/{template_id}", response_model=TemplateOut)
def put_template(
    template_id: DbId, body: templates.TemplateIn, db: DbDep, who: CurrentUser
) -> dict[str, Any]:
    return templates.update(db, who, template_id, body)


# --- contracts --------------------------------------------------------------------------


@router.post("/econtracts", status_code=201, response_model=ContractOut)
def generate_contract(body: GenerateIn, db: DbDep, who: CurrentUser) -> dict[str, Any]:
    """A draft contract (PDF) for an employment from a template."""
    return econtracts.generate(db, who, body.employment_id, body.template_id)


@router.get("/econtracts", response_model=list[ContractOut])
def list_contracts(
    db: DbDep,
    who: CurrentUser,
    project_id: ProjectId | None = None,
    status: econtracts.Status | None = None,
) -> list[dict[str, Any]]:
    """Contracts in the caller's reach, newest first, with their status."""
    with db.engine.connect() as conn:
        return econtracts.listing(conn, who, project_id, status)


@router.get("/econtracts/{contract_id}", response_model=ContractOut)
def get_contract(contract_id: DbId, db: DbDep, who: CurrentUser) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return econtracts.get(conn, who, contract_id)


@router.get("/econtracts/{contract_id}/pdf", response_class=Response, responses=PDF_ANSWER)
def contract_pdf(contract_id: DbId, db: DbDep, who: CurrentUser) -> Response:
    """The contract's PDF: the signed one once signed (its SHA-256 in X-Content-SHA256)."""
    with db.engine.connect() as conn:
        data, digest = econtracts.document(conn, who, contract_id)
    return _pdf(data, f"contract-{contract_id}.pdf", digest)


@router.post("/econtracts/{contract_id}/send", response_model=ContractOut)
def send_contract(contract_id: DbId, db: DbDep, who: CurrentUser) -> dict[str, Any]:
    """Draft → sent: the worker may now read and sign it on their pages."""
    return econtracts.send(db, who, contract_id)


# --- training ---------------------------------------------------------------------------


@router.get("/training-courses", response_model=list[CourseOut])
def list_courses(db: DbDep, who: CurrentUser) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return courses.listing(conn, who)


@router.post(
    "/training-courses",
    status_code=201,
    response_model=CourseOut,
    responses=error_responses(413, 422),
)
def add_course(
    db: DbDep,
    who: CurrentUser,
    title: Annotated[str, Form()],
    hours: Annotated[int, Form()],
    valid_days: Annotated[int, Form()],
    material_text: Annotated[str | None, Form()] = None,
    enterprise_id: Annotated[int | None, Form()] = None,
    material_pdf: Annotated[UploadFile | None, File(description="PDF, at most 5 MiB")] = None,
) -> dict[str, Any]:
    """A course (multipart form): title, hours, validity in days, material as text or a PDF."""
    data = courses.course_in(
        {
            "title": title,
            "hours": hours,
            "valid_days": valid_days,
            "material_text": material_text or None,
            "enterprise_id": enterprise_id,
        }
    )
    upload = material_pdf
    pdf = read_upload(upload.file, upload.filename) if upload is not None else None
    return courses.create(db, who, data, pdf)


@router.get("/training-courses/{course_id}/material", response_class=Response, responses=PDF_ANSWER)
def course_material(course_id: DbId, db: DbDep, who: CurrentUser) -> Response:
    with db.engine.connect() as conn:
        data = courses.material_pdf(conn, who, course_id)
    return _pdf(data, f"course-{course_id}.pdf", "")


@router.post(
    "/training-courses/{course_id}/assignments",
    status_code=201,
    response_model=list[AssignmentOut],
)
def assign_course(
    course_id: DbId, body: courses.AssignIn, db: DbDep, who: CurrentUser
) -> list[dict[str, Any]]:
    """Assign a course to workers of a project."""
    return courses.assign(db, who, course_id, body)


def _site_today(db: Database, project_id: str) -> Any:
    with db.engine.connect() as conn:
        return entry.site_today(conn, project_id)


@router.post(
    "/training-courses/{course_id}/completions",
    status_code=201,
    response_model=CompletionOut,
)
def complete_course(
    course_id: DbId,
    body: courses.CompletionIn,
    db: DbDep,
    who: CurrentUser,
    service: ServiceDep,
) -> dict[str, Any]:
    """Record that a worker completed a course; a gate rule lets them in from the next sync."""
    done = courses.record_completion(db, who, course_id, body, _site_today(db, body.project_id))
    if entry.reconcile(db, service.gallery, body.project_id):
        gallery_notifier(service)(body.project_id)
    return done


@router.get("/projects/{project_id}/trainings", response_model=list[ProjectCompletion])
def project_trainings(project_id: ProjectId, db: DbDep, who: CurrentUser) -> list[dict[str, Any]]:
    """A project's training records in the caller's reach, with their state today."""
    today = _site_today(db, project_id)
    with db.engine.connect() as conn:
        return courses.completions(conn, who, project_id, today)


@router.get("/projects/{project_id}/training-rule", response_model=RuleOut)
def get_rule(project_id: ProjectId, db: DbDep, who: CurrentUser) -> dict[str, Any]:
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        return entry.rule(conn, project_id)


@router.put("/projects/{project_id}/training-rule", response_model=RuleOut)
def put_rule(
    project_id: ProjectId, body: entry.RuleIn, db: DbDep, who: CurrentUser, service: ServiceDep
) -> dict[str, Any]:
    """Whether the project's gates refuse workers without valid safety training, and how
    many days before expiry the site manager is warned."""
    return entry.set_rule(db, who, project_id, body, service.gallery, gallery_notifier(service))


# --- the worker's own -------------------------------------------------------------------


@me_router.get("/econtracts", response_model=list[ContractOut])
def my_contracts(db: DbDep, who: CurrentUser) -> list[dict[str, Any]]:
    """My contracts sent to me or signed."""
    own_worker(who)
    with db.engine.connect() as conn:
        return econtracts.listing(conn, who)


@me_router.get("/econtracts/{contract_id}/pdf", response_class=Response, responses=PDF_ANSWER)
def my_contract_pdf(contract_id: DbId, db: DbDep, who: CurrentUser) -> Response:
    own_worker(who)
    with db.engine.connect() as conn:
        data, digest = econtracts.document(conn, who, contract_id)
    return _pdf(data, f"contract-{contract_id}.pdf", digest)


@me_router.post(
    "/econtracts/{contract_id}/sign",
    response_model=ContractOut,
    responses=error_responses(409, 422, 429),
)
def sign_contract(
    contract_id: DbId, body: SignIn, request: Request, db: DbDep, who: CurrentUser
) -> dict[str, Any]:
    """Sign a sent contract by re-entering my password or PIN (throttled like a sign-in)."""
    own_worker(who)
    return econtracts.sign(db, who, contract_id, body.password, client_address(request))


@me_router.get("/training", response_model=list[MyCourse])
def my_training(db: DbDep, who: CurrentUser) -> list[dict[str, Any]]:
    """My assigned courses: pending, valid (with its end date) or expired."""
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        return courses.worker_courses(conn, worker_id)


@me_router.get("/training/{course_id}/material", response_class=Response, responses=PDF_ANSWER)
def my_course_material(course_id: DbId, db: DbDep, who: CurrentUser) -> Response:
    own_worker(who)
    with db.engine.connect() as conn:
        data = courses.material_pdf(conn, who, course_id)
    return _pdf(data, f"course-{course_id}.pdf", "")
