"""工资 in the enterprise console: compute → review the sheet with each line's days → close the
month and approve (the approver recorded; a disputed line blocks and is named) → download the
bank file → upload the bank's result → failures with their reasons → replace a card → retry.

Each step calls the service function of the matching ``/api/v1`` route or CLI command, after
the same scope check (``central/auth/scope.py``):

- compute: ``batches.compute`` (``POST /api/v1/projects/{id}/payroll/{month}``: site staff of
  the whole project); closing: ``closing.close`` (``POST …/closings``); approve and retry:
  ``batches.approve`` / ``retry_failed`` (the general contractor's admin);
- the bank file: ``bankfiles.export`` (``sitegate-central payroll export``), whole ID and card
  numbers, so only for the general contractor's admin, audited ``bank_file.downloaded``;
- the bank's result: ``bankfiles.import_results`` (``payroll import-result``), audited;
- a card: ``worker_records.replace_card`` (``PUT /api/v1/workers/{id}/card``), audited there.

The batch list, the wage sheet and a line's days reuse the supervision pages' queries and
tables (central/web/routes/wage_payment.py); a subcontractor sees its own workers' lines only
and no batch totals that include other employers' lines.
"""

import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import ValidationError
from sqlalchemy import Connection, func, select
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from central import audit
from central.attendance import closing
from central.auth.deps import client_address, get_sealer
from central.auth.scope import (
    WHOLE_PROJECT,
    editable_records,
    project_reach,
    project_worker_ids,
    require_project,
    require_record_editor,
    require_worker,
)
from central.auth.users import Principal, Role
from central.errors import Conflict, InvalidInput, NotFound, fill
from central.payroll import bankfiles, batches
from central.payroll.bank_layouts import PRESETS
from central.payroll.confirmation import wage_sheet, wage_sheet_select
from central.payroll.step_notes import STEP_NOTES
from central.registry.worker_records import CardReplacement, replace_card
from central.reports.wage_payment import payments_select, with_days_overdue
from central.storage import schema
from central.storage.lookup import as_int
from central.storage.project_scope import in_scope
from central.web import tables
from central.web.forms import FieldError, field_errors, refusal, submitted
from central.web.i18n import N_, gettext
from central.web.project_picker import pick
from central.web.routes.table_views import XLSX, ListRows, show
from central.web.routes.wage_payment import (
    LINE_DAYS,
    PAYMENT_STATUSES,
    PAYMENTS,
    WAGE_SHEET,
    line_days_page,
)
from central.web.routing import PREFIX, list_twins, today, web_router
from central.web.sessions import EnterpriseUser, database
from central.web.tables import Column, TableSpec

router = web_router()
BASE = PREFIX + "/enterprise/payroll"
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
SITE_STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
RESULT_LIMIT = 900 * 1024  # a bank's result file (under the console's 1 MiB body limit)
FORMATS = (("csv", N_("CSV")), ("xlsx", N_("Excel (.xlsx)")))
LAYOUTS = tuple((name, name) for name in PRESETS)
DISPUTES_BLOCK = N_(
    "Disputed lines block approval: %(lines)s. Resolve them, or hold them back and approve "
    "the rest."
)
#: The batch log's actions (``payroll_log.action``, written by central/payroll/) as the page
#: says them; the first seven are the batch's own steps, the rest are taken line by line.
STEP_LABELS = {
    "computed": N_("Computed"),
    "recomputed": N_("Recomputed for approval"),
    "approved": N_("Approved"),
    "exported": N_("Bank file downloaded"),
    "submitted": N_("Submitted to the bank"),
    "retry": N_("Failed lines sent again"),
    "bank_result_imported": N_("Bank result uploaded"),
    "bank_paid": N_("Paid by the bank"),
    "bank_failed": N_("Refused by the bank"),
    "confirmed": N_("Confirmed by the worker"),
    "disputed": N_("Disputed by the worker"),
}
CARD_LABELS = {
    "card_number": N_("New payroll card"),
    "bank": N_("Bank"),
    "reason": N_("Reason"),
}


def _linked(spec: TableSpec, links: dict[str, str]) -> TableSpec:
    """The supervision table with its drill-downs pointing into the enterprise console."""
    columns = tuple(replace(c, link=links.get(c.key, c.link)) for c in spec.columns)
    return replace(spec, columns=columns)


_SHEET_LINKS = {"worker_id": BASE + "/lines/{id}", "name": BASE + "/lines/{id}"}
BATCHES = replace(
    _linked(PAYMENTS, {"id": BASE + "/{id}", "month": BASE + "/{id}"}),
    name="enterprise_payroll",
)
# a subcontractor's view of the batches: no totals over other employers' lines
OWN_BATCHES = replace(
    BATCHES,
    columns=tuple(
        c
        for c in BATCHES.columns
        if c.key not in ("workers", "due_fen", "paid_fen", "failed_lines")
    ),
)
SHEET = replace(
    WAGE_SHEET,
    name="enterprise_wage_sheet",
    columns=(
        *_linked(WAGE_SHEET, _SHEET_LINKS).columns,
        Column("confirmation_note", N_("Worker's reason"), sortable=False),
    ),
)


# ---- the batches of a project, and computing one ---------------------------------------


def _batches(
    request: Request,
    who: Principal,
    fmt: str,
    *,
    params: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
) -> Response:
    query = dict(request.query_params) if params is None else params
    with database(request).engine.connect() as conn:
        picked = pick(conn, who, query.get("project") or None)
        if picked.id is None:
            raise NotFound("project")
        spec = BATCHES if picked.whole else OWN_BATCHES
        state = tables.state_from(spec, {**query, "project": picked.id})
        month = state.filters.get("month")
        day = today(request)
        base = payments_select(
            {picked.id}, day, project_id=picked.id, month=month, status=state.filters.get("status")
        )
        response = show(
            request,
            who,
            conn,
            spec=spec,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("Payroll"),
            name="enterprise/payroll",
            template="enterprise_payroll.html",
            finish=lambda _conn, rows: with_days_overdue(rows, day),
            picked=picked,
            may_compute=picked.whole and who.role in (*SITE_STAFF, Role.ADMIN),
            values=values or {"month": _last_month(request)},
            errors=errors or {},
        )
    if errors:
        response.status_code = 409 if "batch" in errors else 422
    return response


def _last_month(request: Request) -> str:
    first = today(request).replace(day=1)
    prev = first.fromordinal(first.toordinal() - 1)
    return prev.strftime("%Y-%m")


list_twins(
    router, "/enterprise/payroll", _batches, EnterpriseUser, name="ent_payroll", rows=ListRows
)


@router.post("/enterprise/payroll/compute")
async def compute(request: Request, who: EnterpriseUser) -> Response:
    values = await submitted(request, ("project", "month"))
    project, month = values.get("project", "")[:64], values.get("month", "")
    db = database(request)
    with db.engine.connect() as conn:
        require_project(conn, who, project, *SITE_STAFF, whole=True)
    params = {"project": project}
    try:
        batch = batches.compute(db, project, month, who.username)
    except InvalidInput as exc:
        errors = refusal("month", N_("Month (YYYY-MM)"), exc)
        return _batches(request, who, "html", params=params, values=values, errors=errors)
    except Conflict as exc:
        errors = refusal("batch", N_("Month (YYYY-MM)"), exc)
        return _batches(request, who, "html", params=params, values=values, errors=errors)
    return RedirectResponse(f"{BASE}/{batch['id']}?done=computed", status_code=303)


# ---- one batch: the sheet and the steps ------------------------------------------------


def _batch(conn: Connection, who: Principal, batch_id: int) -> dict[str, Any]:
    """The batch; 404 when absent, outside the caller's projects, or for a worker."""
    try:
        found = batches.batch(conn, batch_id)
        require_project(conn, who, str(found["project_id"]))
    except NotFound:
        raise NotFound(f"payroll batch {batch_id}") from None
    if who.role is Role.WORKER:
        raise NotFound(f"payroll batch {batch_id}")
    return found


def _steps(
    conn: Connection, who: Principal, b: dict[str, Any], translate: Callable[[str], str]
) -> dict[str, Any]:
    """What the caller may do next on this batch, and what the page shows beside the sheet.

    Read by the database, not from the whole sheet loaded per view: the caller's totals as
    one aggregate, only the disputed and failed lines, the batch's own steps, and the steps
    taken line by line (a bank's result, the workers' answers: one per line of a project of
    thousands) counted per kind."""
    project = str(b["project_id"])
    batch_id = int(b["id"])
    whole = project_reach(conn, who, project) == WHOLE_PROJECT
    payroll_office = whole and who.role in (Role.CONTRACTOR_ADMIN, Role.ADMIN)
    p, w, log = schema.payroll_lines.c, schema.workers.c, schema.payroll_log.c
    reach = in_scope(p.worker_id, project_worker_ids(conn, who, project))
    own_lines, own_net, own_paid = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(p.net_fen), 0),
            func.coalesce(func.sum(p.paid_fen), 0),
        ).where(p.batch_id == batch_id, reach)
    ).one()
    sheet = wage_sheet_select(batch_id).where(reach).order_by(p.worker_id)
    disputed = [dict(r._mapping) for r in conn.execute(sheet.where(p.confirmation == "disputed"))]
    failed = [
        dict(r._mapping)
        for r in conn.execute(
            sheet.add_columns(w.card_valid, p.bank_message.label("message")).where(
                p.state == "failed"
            )
        )
    ]
    batch_steps = conn.execute(
        select(schema.payroll_log)
        .where(log.batch_id == batch_id, log.line_id.is_(None))
        .order_by(log.id)  # steps in one second keep the order they were taken in
    )
    # Counted per kind, shown after the batch's steps: placed among them by one moment, a
    # count spanning several uploads read as if it all happened then.
    line_steps = conn.execute(
        select(log.action, func.count().label("lines"))
        .join(schema.payroll_lines, p.id == log.line_id)
        .where(log.batch_id == batch_id, reach)
        .group_by(log.action)
        .order_by(func.min(log.id))
    )
    steps = [dict(r._mapping) for r in batch_steps]
    per_line = [dict(r._mapping) for r in line_steps]
    for step in steps + per_line:  # an action central does not know (yet): shown as its code
        step["label"] = STEP_LABELS.get(str(step["action"]))
    for step in steps:
        step["note"] = _note(step, translate)
    month_closed = closing.is_closed(conn, project, "month", str(b["month"]))
    return {
        "whole": whole,
        "payroll_office": payroll_office,
        "may_close": whole and who.role in (*SITE_STAFF, Role.ADMIN) and not month_closed,
        "month_closed": month_closed,
        "disputed": disputed,
        "failed": failed,
        "card_editable": editable_records(conn, who, [str(line["worker_id"]) for line in failed]),
        "log": steps,
        "line_log": per_line,
        "own_net": as_int(own_net),
        "own_paid": as_int(own_paid),
        "own_lines": int(own_lines),
    }


def _note(step: Mapping[str, Any], translate: Callable[[str], str]) -> str | None:
    """A step's note in the reader's language when central wrote it (its msgid and
    parameters, central/payroll/step_notes.py); a person's words, or an older row, as stored."""
    msgid = STEP_NOTES.get(str(step.get("action")))
    if msgid is None or not step.get("params"):
        return step.get("note")
    try:
        return fill(translate(msgid), json.loads(step["params"]))
    except (ValueError, KeyError, TypeError):  # a translation naming a parameter not kept
        return step.get("note")


def _sheet(
    request: Request,
    who: Principal,
    batch_id: int,
    fmt: str,
    *,
    params: dict[str, str] | None = None,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    result: bankfiles.ImportResult | None = None,
    status: int = 200,
) -> Response:
    query = dict(request.query_params) if params is None else params
    state = tables.state_from(SHEET, query)
    with database(request).engine.connect() as conn:
        b = _batch(conn, who, batch_id)
        listed = payments_select(None, today(request), project_id=str(b["project_id"]))
        payment = conn.execute(listed.where(listed.selected_columns.id == batch_id)).first()
        shown_batch = {**b, **(dict(payment._mapping) if payment else {})}
        with_days_overdue([shown_batch], today(request))
        mine = project_worker_ids(conn, who, str(b["project_id"]))
        base = wage_sheet_select(batch_id).where(in_scope(schema.payroll_lines.c.worker_id, mine))
        response = show(
            request,
            who,
            conn,
            spec=SHEET,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("Wage sheet"),
            name=f"enterprise/payroll/{batch_id}",
            template="enterprise_payroll_batch.html",
            batch=shown_batch,
            statuses=dict(PAYMENT_STATUSES),
            steps=_steps(conn, who, b, partial(gettext, request)),
            layouts=LAYOUTS,
            formats=FORMATS,
            failed_form=form,
            values=values or {},
            errors=errors or {},
            result=result,
            notice=query.get("done", "")[:16],
        )
    response.status_code = status
    return response


list_twins(
    router,
    "/enterprise/payroll/{batch_id}",
    _sheet,
    EnterpriseUser,
    name="ent_wage_sheet",
    rows=ListRows,
    params={"batch_id": Id},
)


def _done(batch_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"{BASE}/{batch_id}?done={what}", status_code=303)


def _refused(
    request: Request,
    who: Principal,
    batch_id: int,
    form: str,
    message: str | BaseException,
    status: int,
    params: Mapping[str, object] | None = None,
) -> Response:
    """The batch's sheet again with the step's refusal: a service's exception or a msgid
    (with ``params``), both said in the reader's language."""
    errors = (
        refusal(form, N_("Refused"), message)
        if isinstance(message, BaseException)
        else {form: FieldError(form, N_("Refused"), message, params=params)}
    )
    return _sheet(
        request, who, batch_id, "html", params={}, form=form, errors=errors, status=status
    )


@router.post("/enterprise/payroll/{batch_id}/close-month")
def close_month(request: Request, who: EnterpriseUser, batch_id: Id) -> Response:
    db = database(request)
    with db.engine.connect() as conn:
        b = _batch(conn, who, batch_id)
        require_project(conn, who, str(b["project_id"]), *SITE_STAFF, whole=True)
    try:
        closing.close(db, str(b["project_id"]), "month", str(b["month"]), who.username)
    except Conflict as exc:
        return _refused(request, who, batch_id, "close", exc, 409)
    return _done(batch_id, "closed")


@router.post("/enterprise/payroll/{batch_id}/approve")
async def approve(request: Request, who: EnterpriseUser, batch_id: Id) -> Response:
    values = await submitted(request, ("hold_disputed",))
    db = database(request)
    with db.engine.connect() as conn:
        b = _batch(conn, who, batch_id)
        require_project(conn, who, str(b["project_id"]), Role.CONTRACTOR_ADMIN, whole=True)
    try:
        batches.approve(
            db, batch_id, who.username, hold_disputed=values.get("hold_disputed") == "1"
        )
    except batches.DisputedLines as exc:
        # said in the reader's language, naming each disputed line and its worker
        named = ", ".join(f"#{d['id']} ({d['worker_id']})" for d in exc.disputed)
        lines = {"lines": named}
        return _refused(request, who, batch_id, "approve", DISPUTES_BLOCK, 409, lines)
    except Conflict as exc:
        return _refused(request, who, batch_id, "approve", exc, 409)
    return _done(batch_id, "approved")


def _payroll_office(conn: Connection, who: Principal, batch_id: int) -> dict[str, Any]:
    b = _batch(conn, who, batch_id)
    require_project(conn, who, str(b["project_id"]), Role.CONTRACTOR_ADMIN, whole=True)
    return b


@router.post("/enterprise/payroll/{batch_id}/bank-file")
async def bank_file(request: Request, who: EnterpriseUser, batch_id: Id) -> Response:
    """The disbursement file with whole ID and card numbers: the general contractor's payroll
    office only, never cached, every download in the audit log."""
    values = await submitted(request, ("layout", "format"))
    db = database(request)
    with db.engine.connect() as conn:
        b = _payroll_office(conn, who, batch_id)
    layout = PRESETS.get(values.get("layout", ""))
    suffix = values.get("format", "")
    if layout is None or suffix not in ("csv", "xlsx"):
        return _refused(
            request, who, batch_id, "bank_file", N_("choose a layout and a format"), 422
        )
    with tempfile.TemporaryDirectory(prefix="sitegate-bank-") as folder:
        path = FilePath(folder) / f"bank-{batch_id}.{suffix}"
        try:
            count = bankfiles.export(
                db, get_sealer(request), batch_id, path, who.username, layout=layout
            )
        except Conflict as exc:
            return _refused(request, who, batch_id, "bank_file", exc, 409)
        body = path.read_bytes()
    with db.begin() as conn:
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client_address(request)),
            "bank_file.downloaded",
            target_kind="payroll_batch",
            target_id=batch_id,
            project_id=str(b["project_id"]),
            detail={"lines": count, "layout": layout.name, "format": suffix},
        )
    media = XLSX if suffix == "xlsx" else f"text/csv; charset={layout.encoding}"
    name = f"bank-{b['project_id']}-{b['month']}-{batch_id}.{suffix}"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/enterprise/payroll/{batch_id}/bank-result")
async def bank_result(request: Request, who: EnterpriseUser, batch_id: Id) -> Response:
    """The bank's result file: lines paid or failed, refused rows listed with the reason."""
    form = await request.form()
    db = database(request)
    with db.engine.connect() as conn:
        b = _payroll_office(conn, who, batch_id)
    upload = form.get("file")
    layout = PRESETS.get(str(form.get("layout", "")))
    if layout is None:
        return _refused(request, who, batch_id, "bank_result", N_("choose the file's layout"), 422)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(request, who, batch_id, "bank_result", N_("choose the bank's file"), 422)
    suffix = FilePath(upload.filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        return _refused(
            request, who, batch_id, "bank_result", N_("the file must be .csv or .xlsx"), 422
        )
    data = await upload.read(RESULT_LIMIT + 1)
    if len(data) > RESULT_LIMIT:
        return _refused(request, who, batch_id, "bank_result", N_("the file is too large"), 413)
    with tempfile.TemporaryDirectory(prefix="sitegate-result-") as folder:
        path = FilePath(folder) / f"bank-result{suffix}"
        path.write_bytes(data)
        try:
            result = bankfiles.import_results(
                db, get_sealer(request), batch_id, path, who.username, layout
            )
        except InvalidInput as exc:
            return _refused(request, who, batch_id, "bank_result", exc, 422)
        except Conflict as exc:
            return _refused(request, who, batch_id, "bank_result", exc, 409)
    with db.begin() as conn:
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client_address(request)),
            "bank_result.imported",
            target_kind="payroll_batch",
            target_id=batch_id,
            project_id=str(b["project_id"]),
            detail={"paid": result.paid, "failed": result.failed, "refused": len(result.errors)},
        )
    return _sheet(request, who, batch_id, "html", params={}, result=result)


@router.post("/enterprise/payroll/{batch_id}/retry")
def retry(request: Request, who: EnterpriseUser, batch_id: Id) -> Response:
    db = database(request)
    with db.engine.connect() as conn:
        _payroll_office(conn, who, batch_id)
    try:
        batches.retry_failed(db, batch_id, who.username)
    except Conflict as exc:
        return _refused(request, who, batch_id, "retry", exc, 409)
    return _done(batch_id, "retried")


def _line(conn: Connection, who: Principal, line_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """A line and its batch, 404 unless the caller sees the line's worker on the project."""
    p = schema.payroll_lines.c
    batch_id = conn.execute(select(p.batch_id).where(p.id == line_id)).scalar_one_or_none()
    try:
        if batch_id is None:
            raise NotFound("line")
        b = _batch(conn, who, int(batch_id))
        (line,) = wage_sheet(conn, int(batch_id), line_id)
        mine = project_worker_ids(conn, who, str(b["project_id"]))
        if mine is not None and line["worker_id"] not in mine:
            raise NotFound("line")
    except NotFound:
        raise NotFound(f"payroll line {line_id}") from None
    return b, line


@router.post("/enterprise/payroll/lines/{line_id}/card")
async def new_card(request: Request, who: EnterpriseUser, line_id: Id) -> Response:
    """Replace the card of a failed line's worker (as ``PUT /api/v1/workers/{id}/card``)."""
    values = await submitted(request, tuple(CARD_LABELS))
    db = database(request)
    with db.engine.connect() as conn:
        b, line = _line(conn, who, line_id)
        worker_id = str(line["worker_id"])
        require_worker(conn, who, worker_id)
        require_record_editor(conn, who, worker_id)
    batch_id = int(b["id"])
    form = f"card-{line_id}"
    try:
        change = CardReplacement.model_validate(values)
    except (ValidationError, InvalidInput) as exc:
        errors = (
            field_errors(exc, CARD_LABELS)
            if isinstance(exc, ValidationError)
            else refusal("card_number", CARD_LABELS["card_number"], exc)
        )
        return _sheet(
            request,
            who,
            batch_id,
            "html",
            params={},
            form=form,
            values=values,
            errors=errors,
            status=422,
        )
    replace_card(
        db,
        get_sealer(request),
        worker_id,
        change,
        audit.Actor(who.username, who.role.value, client_address(request)),
    )
    return _done(batch_id, "card")


# ---- one line's days ---------------------------------------------------------------------

LINE_DAYS_HERE = replace(LINE_DAYS, name="enterprise_line_days")


def _line_days(request: Request, who: Principal, line_id: int, fmt: str) -> Response:
    state = tables.state_from(LINE_DAYS_HERE, dict(request.query_params))
    with database(request).engine.connect() as conn:
        b, line = _line(conn, who, line_id)
        project = conn.execute(
            select(schema.projects.c.name).where(schema.projects.c.id == b["project_id"])
        ).scalar_one()
        return line_days_page(
            request,
            who,
            conn,
            LINE_DAYS_HERE,
            state,
            fmt,
            {**b, "project": project},
            line,
            name=f"enterprise/payroll/lines/{line_id}",
            back=f"{BASE}/{b['id']}",
        )


list_twins(
    router,
    "/enterprise/payroll/lines/{line_id}",
    _line_days,
    EnterpriseUser,
    name="ent_line_days",
    rows=ListRows,
    params={"line_id": Id},
)
