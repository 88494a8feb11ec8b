"""The warnings queue (关键指标预警): one queue across kinds, a detail page with the history,
and the handling forms (assign, note, resolve, reopen, escalate).

The queue is the table component over :func:`central.warnings.queue.queue_select`, cut to
the supervisor's projects: the page, its JSON twin and its export are the same rows. Handling
goes through the same scope checks and service functions as the ``/api/v1/warnings`` routes
(central/auth/scope.py, central/warnings/handling.py), so every action is a history row and
an audit row whichever way it was taken.
"""

import json
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any

from fastapi import Form, Request
from pydantic import BaseModel
from sqlalchemy import Connection, Select, select
from starlette.responses import RedirectResponse, Response

from central.audit import Actor
from central.auth.deps import client_address
from central.auth.scope import (
    escalation_target,
    require_assignable,
    require_warning,
    warnings_filter,
)
from central.auth.users import Principal, Role
from central.clock import zone
from central.errors import Conflict, Forbidden, InvalidInput, NotFound
from central.storage import schema
from central.warnings import handling
from central.warnings.cases import linked_cases
from central.warnings.queue import age_hours, city_filter, queue_select
from central.warnings.subjects import note_in, subject_in
from central.web import evidence_labels, i18n, tables
from central.web.i18n import N_
from central.web.refusals import refusal_text
from central.web.routes.lists import division_names
from central.web.routes.table_views import show
from central.web.routing import PREFIX, list_twins, scope, web_router
from central.web.sessions import WarningStaff, database
from central.web.tables import Column, Filter, TableSpec
from central.web.templating import render

router = web_router()

SEVERITIES = (("high", N_("High")), ("medium", N_("Medium")), ("low", N_("Low")))
WARNING_STATES = (("open", N_("Open")), ("handled", N_("Resolved")))
#: Every kind the queue holds (central/warnings/); an unknown kind shows its code.
WARNING_KINDS = (
    ("batch_overdue", N_("Wages overdue")),
    ("not_paid_monthly", N_("Not paid monthly")),
    ("underpaid", N_("Underpaid")),
    ("bank_failed", N_("Bank payment failed")),
    ("line_disputed", N_("Wage line disputed")),
    ("no_labour_contract", N_("No labour contract")),
    ("training_expiring", N_("Safety training expiring")),
    ("no_valid_payroll_card", N_("No valid payroll card")),
    ("attendance_without_pay_line", N_("Attendance without a wage line")),
    ("attendance_changed_after_approval", N_("Attendance changed after approval")),
    ("below_minimum_wage", N_("Below the minimum wage")),
    ("overtime_daily_limit", N_("Daily overtime limit exceeded")),
    ("overtime_monthly_limit", N_("Monthly overtime limit exceeded")),
    ("device_offline", N_("Gate offline")),
    ("dust_exceedance", N_("Dust exceedance")),
    ("complaint", N_("Wage complaint")),
    ("complaint_overdue", N_("Wage complaint not handled in time")),
)
ACTIONS = (
    ("raised", N_("Raised")),
    ("assigned", N_("Assigned")),
    ("noted", N_("Note")),
    ("resolved", N_("Resolved")),
    ("reopened", N_("Reopened")),
    ("escalated", N_("Escalated")),
    ("case_opened", N_("Arrears case opened")),
)

w = schema.wage_warnings.c
QUEUE = TableSpec(
    name="warnings",
    columns=(
        Column("id", N_("No."), kind="int", link=PREFIX + "/warnings/{id}"),
        Column("created_at", N_("Raised at")),
        Column("age", N_("Age (hours)"), sortable=False, kind="int"),
        # not sortable: the codes' alphabetical order is not their rank; filter instead
        Column("severity", N_("Severity"), sortable=False, labels=SEVERITIES),
        Column("kind", N_("Kind"), labels=WARNING_KINDS),
        Column("state", N_("State"), labels=WARNING_STATES),
        Column("project_id", N_("Project ID")),
        Column("project", N_("Project name")),
        Column("city_name", N_("City")),
        Column("city", N_("City code")),
        Column("assignee", N_("Assignee")),
        Column("escalated_to", N_("Escalated to")),
        Column("updated_at", N_("Last action")),
        Column("subject", N_("Subject"), sortable=False, link=PREFIX + "/warnings/{id}"),
    ),
    default_sort="id",
    default_desc=True,
    filters=(
        Filter("state", N_("State"), w.state, choices=WARNING_STATES),
        Filter("kind", N_("Kind"), w.kind, choices=WARNING_KINDS),
        Filter("severity", N_("Severity"), w.severity, choices=SEVERITIES),
        Filter("city", N_("City (name or code)"), clause=city_filter),
        Filter("project", N_("Project ID"), w.project_id),
        Filter("assignee", N_("Assignee"), w.assignee),
        Filter("escalated_to", N_("Escalated to"), w.escalated_to),
    ),
)


class QueueRows(BaseModel):
    """The queue's JSON twin: every row its filters select, in its order (as the export)."""

    rows: list[dict[str, str | int | None]]
    total: int


def _local(request: Request, stamp: object) -> object:
    """A stored UTC time shown in the deployment's zone, with its offset (a site's clock)."""
    if not isinstance(stamp, str) or not stamp:
        return stamp
    tz = zone(request.app.state.service.settings.timezone)
    return datetime.fromisoformat(stamp).astimezone(tz).isoformat(timespec="seconds")


Reader = tuple[Callable[[str], str], tzinfo]


def _reader(request: Request) -> Reader:
    """The reader's catalogue and the deployment's zone, looked up once per page or export
    (not once per row) for :func:`_subject` and the history's notes."""
    translate = i18n.translations(i18n.locale_of(request)).gettext
    return translate, zone(request.app.state.service.settings.timezone)


def _subject(reader: Reader, kind: str, params: object, stored: str) -> str:
    """The warning's subject in the reader's language, from its kind and parameters."""
    translate, tz = reader
    given = json.loads(params) if isinstance(params, str) and params else params
    return subject_in(translate, kind, given if isinstance(given, dict) else None, stored, tz)


def _finish(request: Request, conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Age, local times and subject (:func:`_aged`), the cities' names in the reader's
    language."""
    _aged(request, rows)
    division_names(request, ("city_name", "city"))(conn, rows)


def _aged(request: Request, rows: list[dict[str, Any]]) -> None:
    """The queue's finishing step: each row's age, its times in the site's zone, its
    subject in the reader's language (page, JSON twin and export alike)."""
    now, reader = datetime.now(UTC), _reader(request)
    for r in rows:
        r.update(
            age=age_hours(r["created_at"], now),
            created_at=_local(request, r["created_at"]),
            updated_at=_local(request, r["updated_at"]),
            subject=_subject(reader, r["kind"], r.pop("params", None), r["subject"]),
        )


def _queue(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(QUEUE, dict(request.query_params))
    with database(request).engine.connect() as conn:
        return show(
            request,
            who,
            conn,
            spec=QUEUE,
            state=state,
            base=_scoped_queue(conn, who),
            fmt=fmt,
            title=N_("Warnings"),
            name="warnings",
            finish=lambda conn, rows: _finish(request, conn, rows),
            rows_model=QueueRows,
        )


def _scoped_queue(conn: Connection, who: Principal) -> Select[Any]:
    """The queue cut to the caller's projects and, for an enterprise, to the warnings it may
    read there (a subcontractor: those about its own workers), as the API lists them."""
    base = queue_select(scope(conn, who))
    clause = warnings_filter(conn, who)
    return base if clause is None else base.where(clause)


list_twins(router, "/warnings", _queue, WarningStaff, name="queue", rows=QueueRows)


def _warning_id(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        raise NotFound(f"warning {raw[:20]}")
    return int(raw)


def _detail_page(
    request: Request,
    who: Principal,
    warning_id: int,
    error: str | None = None,
    status: int = 200,
    case_values: dict[str, str] | None = None,
    case_errors: dict[str, Any] | None = None,
) -> Response:
    with database(request).engine.connect() as conn:
        q = select(w.id).where(w.id == warning_id)
        clause = warnings_filter(conn, who)
        if clause is not None:
            q = q.where(clause)
        if conn.execute(q).first() is None:
            raise NotFound(f"warning {warning_id}")
        found = handling.detail(conn, warning_id)
        cases = linked_cases(conn, warning_id)
    found["created_at"] = _local(request, found["created_at"])
    reader = _reader(request)
    found["subject"] = _subject(
        reader, str(found["kind"]), found.get("params"), str(found["subject"])
    )
    translate, tz = reader
    for entry in found["history"]:  # type: ignore[attr-defined]  # the detail's values are typed object
        entry["at"] = _local(request, entry["at"])
        entry["note"] = note_in(translate, entry["detail"], entry["note"], tz)
    kinds, actions = dict(WARNING_KINDS), dict(ACTIONS)
    return render(
        request,
        "warning.html",
        who,
        status_code=status,
        warning=found,
        evidence=evidence_labels.shown(found["evidence"]),  # type: ignore[arg-type]  # a JSON object
        kind_label=kinds.get(str(found["kind"])),
        severity_label=dict(SEVERITIES).get(str(found["severity"])),
        state_label=dict(WARNING_STATES).get(str(found["state"])),
        action_labels=actions,
        # the roles central/auth/scope.py require_warning lets handle and escalate
        may_handle=who.role in (Role.SUPERVISOR, Role.ADMIN, Role.CONTRACTOR_ADMIN),
        error=error,
        # 存量欠薪: an inspector opens a case from the warning (central/warnings/cases.py)
        cases=cases,
        may_open_case=who.role in (Role.SUPERVISOR, Role.ADMIN)
        and found["project_id"] is not None
        and not any(c.status == "open" for c in cases),
        case_values=case_values or {},
        case_errors=case_errors or {},
    )


@router.get("/warnings/{warning_id}")
def warning_page(warning_id: str, request: Request, who: WarningStaff) -> Response:
    return _detail_page(request, who, _warning_id(warning_id))


Note = Annotated[str, Form(max_length=500)]


def _handle(request: Request, who: Principal, raw_id: str, action: str, **form: str) -> Response:
    """Scope check, then the service function; back to the detail page (303), or the page
    again with the reason when the warning's state or the form does not allow the action."""
    warning_id = _warning_id(raw_id)
    db = database(request)
    actor = Actor(who.username, who.role.value, client_address(request))
    note = form.get("note", "")
    try:
        with db.engine.connect() as conn:
            require_warning(conn, who, warning_id)
            if action == "assign" and form.get("assignee"):
                require_assignable(conn, form["assignee"], warning_id)
            target = escalation_target(conn, who, warning_id) if action == "escalate" else ""
        if action == "assign":
            handling.assign(db, warning_id, actor, form.get("assignee") or None, note)
        elif action == "note":
            handling.add_note(db, warning_id, actor, note)
        elif action == "resolve":
            handling.resolve(db, warning_id, actor, note)
        elif action == "reopen":
            handling.reopen(db, warning_id, actor, note)
        else:
            handling.escalate(db, warning_id, actor, target, note)
    except (Conflict, InvalidInput, Forbidden) as exc:
        status = 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, Forbidden) else 422
        return _detail_page(
            request, who, warning_id, error=refusal_text(request, exc), status=status
        )
    return RedirectResponse(f"{PREFIX}/warnings/{warning_id}", status_code=303)


@router.post("/warnings/{warning_id}/assign")
def assign_submit(
    warning_id: str,
    request: Request,
    who: WarningStaff,
    assignee: Annotated[str, Form(max_length=64)] = "",
    note: Note = "",
) -> Response:
    return _handle(request, who, warning_id, "assign", assignee=assignee.strip(), note=note)


@router.post("/warnings/{warning_id}/note")
def note_submit(warning_id: str, request: Request, who: WarningStaff, note: Note = "") -> Response:
    return _handle(request, who, warning_id, "note", note=note)


@router.post("/warnings/{warning_id}/resolve")
def resolve_submit(
    warning_id: str, request: Request, who: WarningStaff, note: Note = ""
) -> Response:
    return _handle(request, who, warning_id, "resolve", note=note)


@router.post("/warnings/{warning_id}/reopen")
def reopen_submit(
    warning_id: str, request: Request, who: WarningStaff, note: Note = ""
) -> Response:
    return _handle(request, who, warning_id, "reopen", note=note)


@router.post("/warnings/{warning_id}/escalate")
def escalate_submit(
    warning_id: str, request: Request, who: WarningStaff, note: Note = ""
) -> Response:
    return _handle(request, who, warning_id, "escalate", note=note)
