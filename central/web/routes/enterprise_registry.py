"""The registry (实名制花名册) in the enterprise console: the roster, a worker's record, adding a
worker, linking a registered person by ID number, correcting a record, replacing a card.

Every list and change goes through the same scope checks and service functions as the API:
the roster is ``central/reports/roster.py`` over ``scope.records_filter`` (as ``GET
/api/v1/roster``); adding is ``scope.require_employer_on`` + ``roster.place`` (a worker and
their employment in one transaction, as ``POST /api/v1/workers`` then ``/employments``);
linking is ``worker_actions.link_by_id_number``, the function ``POST
/api/v1/employments/by-id-number`` calls (the tenancy rules decide what the new employer sees:
its own employment, the masked identity); edits are
``worker_records`` with the API's rule (``scope.editable_records``: the current employer that
keeps the record), each audited. A worker outside the caller's reach is 404 on every page.
"""

from collections.abc import Callable
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from sqlalchemy import Connection, select
from starlette.responses import RedirectResponse, Response

from central import worker_actions
from central.audit import Actor
from central.auth.deps import client_address, get_sealer
from central.auth.scope import (
    consent_enterprise,
    editable_records,
    general_projects,
    may_see_whole_numbers,
    records_filter,
    require_employer_on,
    require_worker,
    revealable,
)
from central.auth.users import Principal, Role
from central.errors import Forbidden, InvalidInput, NotFound
from central.registry import enrollment, gate_cards, roster, worker_records, workers
from central.registry.employment import LinkIn
from central.registry.roster import Entry, Refused
from central.reports.roster import (
    consent_filter,
    enrolled_filter,
    finish,
    roster_select,
)
from central.storage import schema
from central.storage.project_scope import in_scope
from central.web import tables
from central.web.forms import FieldError, field_errors, submitted
from central.web.i18n import N_
from central.web.project_picker import choices
from central.web.routes import registry_checks as checks
from central.web.routes.enterprise_contracts import STATUS_LABELS
from central.web.routes.registry_checks import LABELS, PAY_KINDS, REASONS, refused
from central.web.routes.table_views import ListRows, show
from central.web.routing import PREFIX, list_twins, today, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()
BASE = PREFIX + "/enterprise"
YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
CONTRACT_STATES = (*STATUS_LABELS, ("none", N_("Not yet generated")))
E, W = schema.employments.c, schema.workers.c

ROSTER = TableSpec(
    name="roster",
    columns=(
        Column("worker_id", N_("Worker ID"), link=BASE + "/workers/{worker_id}"),
        Column("name", N_("Name"), link=BASE + "/workers/{worker_id}"),
        Column("id_number", N_("ID number"), sortable=False),
        Column("card", N_("Payroll card"), sortable=False),
        Column("project", N_("Project")),
        Column("employer", N_("Employer")),
        Column("team", N_("Team")),
        Column("trade", N_("Trade")),
        Column("pay_kind", N_("Pay kind"), sortable=False, labels=PAY_KINDS),
        Column("rate_fen", N_("Rate (yuan)"), sortable=False, kind="fen"),
        Column("start_date", N_("Start date")),
        Column("consent", N_("Face consent"), labels=YES_NO),
        Column("enrolled", N_("Face enrolled"), labels=YES_NO),
        Column("contract", N_("E-contract"), labels=CONTRACT_STATES),
    ),
    default_sort="name",
    filters=(
        Filter("q", N_("Name contains"), W.name, match="contains"),
        Filter("project", N_("Project ID"), E.project_id),
        Filter("team", N_("Team contains"), E.team, match="contains"),
        Filter("consent", N_("Face consent"), clause=consent_filter, choices=YES_NO),
        Filter("enrolled", N_("Face enrolled"), clause=enrolled_filter, choices=YES_NO),
    ),
)


def may_add(who: Principal) -> bool:
    """Registering and importing: an enterprise's admin (or the admin), as the API's WRITERS."""
    return who.role in (Role.CONTRACTOR_ADMIN, Role.ADMIN)


def _roster(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(ROSTER, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=ROSTER,
            state=state,
            base=roster_select(records_filter(conn, who, schema.employments)),
            fmt=fmt,
            title=N_("Registry"),
            name="enterprise/workers",
            finish=finish,
            template="registry_roster.html",
            rows_model=ListRows,
            may_add=may_add(who),
        )


# ---- adding a worker, linking a registered person ---------------------------------------


def employers(conn: Connection, who: Principal) -> list[tuple[str, str]]:
    """Enterprises the caller may employ for: its own, and as a general contractor the
    subcontractors registered on its projects (the admin: every enterprise)."""
    ent, r = schema.enterprises.c, schema.project_enterprises.c
    q = select(ent.id, ent.name).order_by(ent.name)
    if who.role is not Role.ADMIN:
        mine = general_projects(conn, who.enterprise_id)
        subs = select(r.enterprise_id).where(in_scope(r.project_id, mine))
        q = q.where((ent.id == who.enterprise_id) | ent.id.in_(subs))
    return [(str(i), name) for i, name in conn.execute(q)]


def hiring_choices(
    request: Request, who: Principal, what: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The projects and employers an enterprise's admin may hire for (403 for anyone else:
    "an enterprise's admin ``what``")."""
    if not may_add(who):
        raise Forbidden(f"an enterprise's admin {what}")
    with database(request).engine.connect() as conn:
        projects = [(c.id, f"{c.name} ({c.id})") for c in choices(conn, who)]
        return projects, employers(conn, who)


def _form_page(
    request: Request,
    who: Principal,
    template: str,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    projects, offered = hiring_choices(request, who, "registers and employs workers")
    shown = values or {
        "pay_kind": "daily",
        "start_date": today(request).isoformat(),
        "employer_id": str(who.enterprise_id or ""),
        "project_id": request.query_params.get("project", ""),
    }
    return render(
        request,
        template,
        who,
        status_code=422 if errors else 200,
        values=shown,
        errors=errors or {},
        projects=projects,
        employers=offered,
        pay_kinds=PAY_KINDS,
        reasons=REASONS,
    )


FIELDS = (
    "name",
    "id_number",
    "phone",
    "card_number",
    "bank",
    "project_id",
    "employer_id",
    "team",
    "trade",
    "pay_kind",
    "rate",
    "start_date",
    "worker_id",
)


async def form_values(request: Request, keys: tuple[str, ...]) -> dict[str, str]:
    """:func:`submitted`, with ID and card numbers in their stored form (spaces dropped,
    upper case: a typed lower-case ``x`` or grouped digits still match)."""
    values = await submitted(request, keys, 200)
    for key in ("id_number", "card_number"):
        if key in values:
            values[key] = "".join(values[key].split()).upper()
    return values


def _employer_refusal(exc: Exception) -> FieldError:
    """``scope.require_employer_on``'s refusal put on its field."""
    if isinstance(exc, NotFound):
        return refused("project_id", "not_your_project")
    if isinstance(exc, InvalidInput):
        return refused("employer_id", "employer_not_on_project")
    return refused("employer_id", "own_employer_only")


def _employer_check(conn: Connection, who: Principal, hire: roster.Hire) -> FieldError | None:
    """``scope.require_employer_on`` as the API calls it, its refusal put on a field."""
    try:
        require_employer_on(conn, who, hire.project_id, hire.employer_id)
    except (NotFound, InvalidInput, Forbidden) as exc:
        return _employer_refusal(exc)
    return None


def galleries(request: Request) -> tuple[worker_actions.Galleries, Callable[[str], None]]:
    """The site galleries and the callback that tells a site's gates (as the API's)."""
    gates = worker_actions.gates_of(request.app.state.service)
    return gates.galleries, gates.changed


@router.get("/enterprise/workers/new")
def new_worker(request: Request, who: EnterpriseUser) -> Response:
    return _form_page(request, who, "registry_new.html")


@router.post("/enterprise/workers/new")
async def add_worker(request: Request, who: EnterpriseUser) -> Response:
    values = await form_values(request, FIELDS)
    if not may_add(who):
        raise Forbidden("an enterprise's admin registers and employs workers")
    db, sealer = database(request), get_sealer(request)
    errors: dict[str, FieldError] = {}
    with db.engine.connect() as conn:
        new_id = roster.new_worker_id(conn)
        hire = checks.hire(values, errors)
        if hire is not None and (problem := _employer_check(conn, who, hire)):
            errors[problem.field] = problem
    person = checks.person(values, new_id, errors)
    if errors or person is None or hire is None:
        return _form_page(request, who, "registry_new.html", values, errors)
    try:
        (placed,) = roster.place(db, sealer, [Entry(hire, person)], link_known=False)
    except Refused as exc:
        field = "worker_id" if exc.reason == "worker_id" else "id_number"
        return _form_page(
            request, who, "registry_new.html", values, {field: refused(field, exc.reason)}
        )
    return RedirectResponse(f"{BASE}/workers/{placed.worker_id}?saved=added", status_code=303)


@router.get("/enterprise/workers/link")
def link_form(request: Request, who: EnterpriseUser) -> Response:
    return _form_page(request, who, "registry_link.html")


@router.post("/enterprise/workers/link")
async def link_person(request: Request, who: EnterpriseUser) -> Response:
    """``worker_actions.link_by_id_number``, as ``POST /api/v1/employments/by-id-number``:
    the employer check first, so a caller who may not employ on the project learns nothing
    about the number; each refusal put on its field."""
    values = await form_values(request, FIELDS)
    if not may_add(who):
        raise Forbidden("an enterprise's admin registers and employs workers")
    db, sealer = database(request), get_sealer(request)
    errors = checks.number_errors(values, card=False)
    hire = checks.hire(values, errors)
    if hire is not None:  # every field's refusal at once; the service checks again below
        with db.engine.connect() as conn:
            if problem := _employer_check(conn, who, hire):
                errors[problem.field] = problem
    if errors or hire is None:
        return _form_page(request, who, "registry_link.html", values, errors)
    link = LinkIn.model_validate({**hire.model_dump(), "id_number": values["id_number"]})
    gates = worker_actions.gates_of(request.app.state.service)
    try:
        linked = worker_actions.link_by_id_number(db, sealer, who, link, gates, once=True)
    except worker_actions.NotRegistered:
        errors = {"id_number": refused("id_number", "not_registered")}
    except (NotFound, InvalidInput, Forbidden) as exc:
        errors = {(problem := _employer_refusal(exc)).field: problem}
    except Refused as exc:
        errors = {"id_number": refused("id_number", exc.reason)}
    else:
        return RedirectResponse(f"{BASE}/workers/{linked.worker_id}?saved=linked", status_code=303)
    return _form_page(request, who, "registry_link.html", values, errors)


# ---- one worker's record ------------------------------------------------------------------


def may_edit(conn: Connection, who: Principal, worker_id: str) -> bool:
    """The API's rule for changing the person-wide record (``scope.editable_records``): an
    employer that employs them now and keeps the record, or the admin."""
    if who.role not in (Role.CONTRACTOR_ADMIN, Role.ADMIN):
        return False
    return worker_id in editable_records(conn, who, [worker_id])


def _record(conn: Connection, who: Principal, worker_id: str) -> dict[str, Any]:
    """Everything the record page shows, each part cut to the caller's reach (404 outside)."""
    require_worker(conn, who, worker_id)
    found = workers.worker(conn, worker_id)
    reach = records_filter(conn, who, schema.employments)
    p, ent = schema.projects.c, schema.enterprises.c
    q = (
        select(schema.employments, p.name.label("project"), ent.name.label("employer"))
        .join(schema.projects, p.id == E.project_id)
        .join(schema.enterprises, ent.id == E.employer_id)
        .where(E.worker_id == worker_id)
        .order_by(E.start_date.desc(), E.id.desc())
    )
    if reach is not None:
        q = q.where(reach)
    jobs = [dict(r._mapping) for r in conn.execute(q)]
    for job in jobs:
        job["terms"] = roster.terms_of(job["terms"])
    staff = who.role in (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER, Role.ADMIN)
    acting = consent_enterprise(conn, who, worker_id) if staff else None
    consents = [
        c
        for c in enrollment.active_consents(conn, worker_id)
        if acting is None or c["enterprise_id"] in (None, acting)
    ]
    t = schema.face_templates.c
    templates = len(conn.execute(select(t.id).where(t.worker_id == worker_id)).all())
    return {
        "worker": found,
        "worker_id": worker_id,
        "employments": jobs,
        "card_changes": worker_records.card_history(conn, worker_id),
        "consents": consents,
        "templates": templates,
        "gate_cards": gate_cards.cards_of(conn, worker_id, acting),
        "editable": may_edit(conn, who, worker_id),
        # whole numbers on request (enterprise_record_actions.py): an employer employing them now
        "may_reveal": may_see_whole_numbers(who) and bool(revealable(conn, who, [worker_id])),
    }


def record_page(
    request: Request,
    who: Principal,
    worker_id: str,
    *,
    template: str = "registry_worker.html",
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    status_code: int | None = None,
    **extra: Any,
) -> Response:
    """The record (or one of its forms: ``template``), every part cut to the caller's reach."""
    with database(request).engine.connect() as conn:
        facts = _record(conn, who, worker_id)
    saved = request.query_params.get("saved", "")
    return render(
        request,
        template,
        who,
        status_code=status_code or (422 if errors else 200),
        saved=saved if saved.isalpha() else "",
        values=values or {},
        errors=errors or {},
        pay_kinds=dict(PAY_KINDS),
        reasons=REASONS,
        **facts,
        **extra,
    )


@router.get("/enterprise/workers/{worker_id}")
def worker_page(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    return record_page(request, who, worker_id)


def _edit_check(request: Request, who: Principal, worker_id: str) -> None:
    """404 outside reach; 403 unless the caller keeps the record (as the API)."""
    with database(request).engine.connect() as conn:
        require_worker(conn, who, worker_id)
        if not may_edit(conn, who, worker_id):
            raise Forbidden("only the worker's employer that keeps the record edits it")


def actor_of(who: Principal, request: Request) -> Actor:
    """The caller as the audit log records them (with the client's address)."""
    return Actor(who.username, who.role.value, client_address(request))


@router.get("/enterprise/workers/{worker_id}/edit")
def edit_form(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    _edit_check(request, who, worker_id)
    with database(request).engine.connect() as conn:
        now = workers.worker(conn, worker_id)
    values = {k: str(now.get(k) or "") for k in ("name", "phone", "bank")}
    return record_page(request, who, worker_id, template="registry_edit.html", values=values)


@router.post("/enterprise/workers/{worker_id}/edit")
async def edit_worker(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    values = await form_values(request, ("name", "phone", "bank", "reason"))
    _edit_check(request, who, worker_id)
    db = database(request)
    with db.engine.connect() as conn:
        now = workers.worker(conn, worker_id)
    changed = {k: v for k, v in values.items() if k != "reason" and v and v != now.get(k)}
    try:
        change = worker_records.WorkerUpdate.model_validate({**changed, "reason": values["reason"]})
    except ValidationError as exc:
        errors = field_errors(exc, LABELS)
        return record_page(
            request, who, worker_id, template="registry_edit.html", values=values, errors=errors
        )
    if not changed:
        errors = {"name": FieldError("name", LABELS["name"], N_("nothing was changed"))}
        return record_page(
            request, who, worker_id, template="registry_edit.html", values=values, errors=errors
        )
    worker_records.update_worker(db, worker_id, change, actor_of(who, request))
    return RedirectResponse(f"{BASE}/workers/{worker_id}?saved=edited", status_code=303)


@router.get("/enterprise/workers/{worker_id}/card")
def card_form(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    _edit_check(request, who, worker_id)
    return record_page(request, who, worker_id, template="registry_card.html")


@router.post("/enterprise/workers/{worker_id}/card")
async def replace_card(request: Request, who: EnterpriseUser, worker_id: str) -> Response:
    values = await form_values(request, ("card_number", "bank", "reason"))
    _edit_check(request, who, worker_id)
    errors: dict[str, FieldError] = {}
    if not values["card_number"]:
        errors["card_number"] = refused("card_number", "missing")
    elif problem := checks.validation.card_problem(values["card_number"]):
        errors["card_number"] = refused("card_number", f"card_{problem}")
    change = None
    try:  # a refused number is swapped for a checked one so the other fields are checked too
        change = worker_records.CardReplacement.model_validate(
            {**values, "card_number": values["card_number"] if not errors else "0" * 16}
        )
    except ValidationError as exc:
        errors.update({k: v for k, v in field_errors(exc, LABELS).items() if k not in errors})
    if errors or change is None:
        return record_page(
            request, who, worker_id, template="registry_card.html", values=values, errors=errors
        )
    db, sealer = database(request), get_sealer(request)
    worker_records.replace_card(db, sealer, worker_id, change, actor_of(who, request))
    return RedirectResponse(f"{BASE}/workers/{worker_id}?saved=card", status_code=303)


list_twins(router, "/enterprise/workers", _roster, EnterpriseUser, name="roster", rows=ListRows)
