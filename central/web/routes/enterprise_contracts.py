"""E-contracts (电子合同) in the enterprise console: templates, a contract per employment, its
PDF, sending it to the worker, and every contract's status (draft, sent, signed).

The same service functions as ``/api/v1/contract-templates`` and ``/api/v1/econtracts``
(central/contracts/), over the caller's reach: a subcontractor sees and makes its own
workers' contracts only; another enterprise's contract or template answers 404.
"""

from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from central.auth.users import Principal
from central.contracts import econtracts, templates
from central.errors import Conflict, InvalidInput, NotFound
from central.storage import schema
from central.validation import DbId
from central.web import tables
from central.web.contract_pdf import contract_pdf as pdf_answer
from central.web.forms import FieldError, field_errors, refusal, submitted
from central.web.i18n import N_
from central.web.project_picker import PickedProject
from central.web.routes.table_views import ListRows, show
from central.web.routing import PREFIX, list_twins, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()
BASE = PREFIX + "/enterprise/contracts"
TEMPLATES = PREFIX + "/enterprise/contract-templates"

STATUS_LABELS = (
    ("draft", N_("Draft")),
    ("sent", N_("Sent to the worker")),
    ("signed", N_("Signed")),
)

CONTRACTS = TableSpec(
    name="contracts",
    columns=(
        Column("id", N_("Contract"), kind="int", link=BASE + "/{id}"),
        Column("worker_name", N_("Worker"), link=BASE + "/{id}"),
        Column("worker_id", N_("Worker ID")),
        Column("project_name", N_("Project")),
        Column("status", N_("Status"), labels=STATUS_LABELS),
        Column("created_at", N_("Generated")),
        Column("sent_at", N_("Sent")),
        Column("signed_at", N_("Signed at")),
        Column("signed_sha256", N_("SHA-256 of the signed PDF"), sortable=False),
    ),
    default_sort="id",
    default_desc=True,
    filters=(
        Filter("project", N_("Project"), schema.econtracts.c.project_id),
        Filter("status", N_("Status"), schema.econtracts.c.status, choices=STATUS_LABELS),
        Filter("worker", N_("Worker"), schema.workers.c.name, match="contains"),
    ),
)

TEMPLATE_LABELS = {"name": N_("Template name"), "body": N_("Contract text")}


def _list(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(CONTRACTS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=CONTRACTS,
            state=state,
            base=econtracts.listing_select(conn, who),
            fmt=fmt,
            title=N_("E-contracts"),
            name="enterprise/contracts",
            template="enterprise_contracts.html",
        )


list_twins(
    router,
    "/enterprise/contracts",
    _list,
    EnterpriseUser,
    name="enterprise_contracts",
    rows=ListRows,
)


def _new_form(
    request: Request,
    who: Principal,
    picked: Any,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    with database(request).engine.connect() as conn:
        people = econtracts.employments_for(conn, who, picked.id) if picked.id else []
        usable = templates.listing(conn, who)
    return render(
        request,
        "enterprise_contract_new.html",
        who,
        status_code=422 if errors else 200,
        picked=picked,
        people=people,
        usable=usable,
        statuses=dict(STATUS_LABELS),
        values=values or {},
        errors=errors or {},
    )


@router.get("/enterprise/contracts/new")
def new_contract(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    return _new_form(request, who, picked)


LABELS = {"employment_id": N_("Worker"), "template_id": N_("Template")}


@router.post("/enterprise/contracts")
async def generate(request: Request, who: EnterpriseUser, picked: PickedProject) -> Response:
    values = await submitted(request, ("employment_id", "template_id"), 200)
    errors: dict[str, FieldError] = {}
    for key in ("employment_id", "template_id"):
        if not values[key].isdigit() or len(values[key]) > 12:
            errors[key] = FieldError(key, LABELS[key], N_("is required"))
    if errors:
        return _new_form(request, who, picked, values, errors)
    try:
        made = econtracts.generate(
            database(request), who, int(values["employment_id"]), int(values["template_id"])
        )
    except NotFound:
        return _new_form(
            request,
            who,
            picked,
            values,
            {
                "employment_id": FieldError(
                    "employment_id", LABELS["employment_id"], N_("is not one of the choices")
                )
            },
        )
    except Conflict as exc:
        return _new_form(
            request, who, picked, values, refusal("template_id", LABELS["template_id"], exc)
        )
    return RedirectResponse(f"{BASE}/{made['id']}?saved=generated", status_code=303)


def _detail(request: Request, who: Principal, contract_id: int, saved: str = "") -> Response:
    with database(request).engine.connect() as conn:
        contract = econtracts.get(conn, who, contract_id)
    return render(
        request,
        "enterprise_contract.html",
        who,
        contract=contract,
        statuses=dict(STATUS_LABELS),
        saved=saved,
    )


@router.get("/enterprise/contracts/{contract_id}")
def contract_page(
    request: Request, who: EnterpriseUser, contract_id: DbId, saved: str = ""
) -> Response:
    return _detail(request, who, contract_id, saved if saved.isalpha() else "")


@router.get("/enterprise/contracts/{contract_id}/document.pdf")
def contract_pdf(request: Request, who: EnterpriseUser, contract_id: DbId) -> Response:
    return pdf_answer(request, who, contract_id)


@router.post("/enterprise/contracts/{contract_id}/send")
def send(request: Request, who: EnterpriseUser, contract_id: DbId) -> Response:
    econtracts.send(database(request), who, contract_id)
    return RedirectResponse(f"{BASE}/{contract_id}?saved=sent", status_code=303)


# --- templates --------------------------------------------------------------------------


def _templates_page(
    request: Request,
    who: Principal,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    saved: str = "",
) -> Response:
    with database(request).engine.connect() as conn:
        rows = templates.listing(conn, who)
    return render(
        request,
        "enterprise_contract_templates.html",
        who,
        status_code=422 if errors else 200,
        rows=rows,
        values=values or {"name": templates.DEFAULT_NAME, "body": templates.DEFAULT_BODY},
        errors=errors or {},
        fields=templates.FIELDS,
        saved=saved,
        action=TEMPLATES,
    )


@router.get("/enterprise/contract-templates")
def templates_page(request: Request, who: EnterpriseUser, saved: str = "") -> Response:
    return _templates_page(request, who, saved=saved if saved.isalpha() else "")


def _template_in(values: dict[str, str]) -> templates.TemplateIn:
    return templates.TemplateIn.model_validate({"name": values["name"], "body": values["body"]})


@router.post("/enterprise/contract-templates")
async def add_template(request: Request, who: EnterpriseUser) -> Response:
    values = await submitted(request, ("name", "body"), limit=25_000)
    try:
        made = templates.create(database(request), who, _template_in(values))
    except ValidationError as exc:
        return _templates_page(request, who, values, field_errors(exc, TEMPLATE_LABELS))
    except InvalidInput as exc:
        return _templates_page(request, who, values, refusal("name", TEMPLATE_LABELS["name"], exc))
    return RedirectResponse(f"{TEMPLATES}/{made['id']}?saved=created", status_code=303)


def _template_page(
    request: Request,
    who: Principal,
    template_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    saved: str = "",
) -> Response:
    with database(request).engine.connect() as conn:
        found = templates.get(conn, who, template_id)
    return render(
        request,
        "enterprise_contract_template.html",
        who,
        status_code=422 if errors else 200,
        record=found,
        values=values or {"name": found["name"], "body": found["body"]},
        errors=errors or {},
        fields=templates.FIELDS,
        saved=saved,
    )


@router.get("/enterprise/contract-templates/{template_id}")
def template_page(
    request: Request, who: EnterpriseUser, template_id: DbId, saved: str = ""
) -> Response:
    return _template_page(request, who, template_id, saved=saved if saved.isalpha() else "")


@router.post("/enterprise/contract-templates/{template_id}")
async def edit_template(request: Request, who: EnterpriseUser, template_id: DbId) -> Response:
    values = await submitted(request, ("name", "body"), limit=25_000)
    try:
        templates.update(database(request), who, template_id, _template_in(values))
    except ValidationError as exc:
        return _template_page(request, who, template_id, values, field_errors(exc, TEMPLATE_LABELS))
    return RedirectResponse(f"{TEMPLATES}/{template_id}?saved=saved", status_code=303)
