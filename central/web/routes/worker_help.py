"""Help (欠薪投诉 / 法律咨询) on the worker's phone: file a wage complaint and follow it, the
12333 hotline and how arbitration works, and the worker's own evidence statement.

A complaint goes through :func:`central.complaints.filing.file_complaint`, the service behind
``POST /api/v1/me/complaints``: an arrears case and a ``complaint`` warning for the
supervisors of the project's division, with the deployment's SLA. The worker's list shows each
status change (``filing.complaints_of``). The statement is ``central/reports/evidence.py``
cut to nothing (the worker's own records, every project), as ``GET /api/v1/me/evidence``.
"""

from datetime import date, timedelta
from typing import Any

from fastapi import Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from central.complaints import filing
from central.errors import Conflict, InvalidInput
from central.reports.evidence import gather, render_html, render_xlsx
from central.web.forms import FieldError, field_errors, refusal
from central.web.i18n import N_
from central.web.routes.enterprise_jobs import yuan_to_fen
from central.web.routes.table_views import XLSX
from central.web.routing import WORKER_PREFIX, today, web_router
from central.web.sessions import WorkerUser, database
from central.web.worker_layout import render_worker

router = web_router(WORKER_PREFIX)

STATUSES = {
    "received": N_("Received"),
    "in_progress": N_("Being handled"),
    "resolved": N_("Resolved"),
}
STEPS = {
    "filed": N_("You filed it; it went to the labour inspectors"),
    "assigned": N_("An inspector took it on"),
    "escalated": N_("Sent to the higher labour inspection office"),
    "resolved": N_("Marked as handled"),
    "reopened": N_("Opened again"),
    "overdue": N_("Not handled in time: raised again as urgent"),
    "case_resolved": N_("The arrears case was resolved"),
    "case_reopened": N_("The arrears case was opened again"),
}
LABELS = {
    "project_id": N_("Project"),
    "first_month": N_("First unpaid month"),
    "last_month": N_("Last unpaid month"),
    "months": N_("Months"),
    "amount_yuan": N_("Amount owed (yuan)"),
    "amount_fen": N_("Amount owed (yuan)"),
    "description": N_("What happened"),
}


def months_between(first: str, last: str) -> list[str] | None:
    """``2026-08``..``2026-10`` → the three months; None when either is not a month or the
    range runs backwards or over a year (the form then names the field)."""
    try:
        a, b = date.fromisoformat(first + "-01"), date.fromisoformat(last + "-01")
    except ValueError:
        return None
    span = (b.year - a.year) * 12 + b.month - a.month
    if span < 0 or span >= filing.MAX_MONTHS:
        return None
    index = a.year * 12 + a.month - 1
    return [f"{(index + i) // 12:04d}-{(index + i) % 12 + 1:02d}" for i in range(span + 1)]


def _help(
    request: Request,
    who: WorkerUser,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    assert who.worker_id is not None  # WorkerUser guarantees it
    mine = filing.complaints_of(database(request), who.worker_id)
    now = today(request)
    return render_worker(
        request,
        "worker_help.html",
        who,
        status_code=status_code,
        complaints=mine,
        statuses=STATUSES,
        steps=STEPS,
        evidence_first=(now.replace(day=1) - timedelta(days=62)).replace(day=1).isoformat(),
        evidence_last=now.isoformat(),
        **context,
    )


@router.get("/help")
def help_page(request: Request, who: WorkerUser, filed: int = 0) -> Response:
    return _help(request, who, filed=filed)


def _form_page(
    request: Request,
    who: WorkerUser,
    values: dict[str, str] | None = None,
    errors: dict[str, FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    assert who.worker_id is not None
    with database(request).engine.connect() as conn:
        projects = filing.worker_projects(conn, who.worker_id)
    this_month = today(request).strftime("%Y-%m")
    return render_worker(
        request,
        "worker_complaint.html",
        who,
        status_code=status_code,
        projects=projects,
        values=values or {"first_month": this_month, "last_month": this_month},
        errors=errors or {},
        max_months=filing.MAX_MONTHS,
    )


@router.get("/help/complaint")
def complaint_form(request: Request, who: WorkerUser) -> Response:
    return _form_page(request, who)


def _error(field: str, message: str) -> dict[str, FieldError]:
    return {field: FieldError(field, LABELS[field], message)}


@router.post("/help/complaint")
async def file_complaint(request: Request, who: WorkerUser) -> Response:
    assert who.worker_id is not None
    form = await request.form()
    keys = ("project_id", "first_month", "last_month", "amount_yuan", "description")
    values = {k: str(form.get(k, "")).strip()[:1200] for k in keys}
    last = values["last_month"] or values["first_month"]
    months = months_between(values["first_month"], last)
    if months is None:
        field = "first_month" if not values["first_month"] else "last_month"
        reason = N_("Choose the months as a range of at most 12 months, first before last.")
        return _form_page(request, who, values, _error(field, reason), 422)
    data = {
        "project_id": values["project_id"],
        "months": months,
        "amount_fen": yuan_to_fen(values["amount_yuan"]) if values["amount_yuan"] else None,
        "description": values["description"],
    }
    try:
        complaint = filing.ComplaintIn.model_validate({k: v for k, v in data.items() if v})
    except ValidationError as exc:
        errors = field_errors(exc, LABELS)
        if "amount_fen" in errors:  # the field on the form is in yuan
            errors["amount_yuan"] = FieldError(
                "amount_yuan",
                LABELS["amount_yuan"],
                N_("must be an amount from 1 to 1,000,000 yuan"),
            )
            del errors["amount_fen"]
        return _form_page(request, who, values, errors, 422)
    settings = request.app.state.service.settings
    try:
        filed = filing.file_complaint(
            database(request),
            who.actor,
            who.worker_id,
            complaint,
            today(request),
            settings.complaint_sla_days,
        )
    except (InvalidInput, Conflict) as exc:
        field = str(exc).split(":", 1)[0]  # the English text names the field it concerns
        field = field if field in LABELS else "description"
        shown = field if field != "months" else "first_month"
        error = refusal(shown, LABELS[shown], exc)
        return _form_page(
            request, who, values, error, 422 if isinstance(exc, InvalidInput) else 409
        )
    return RedirectResponse(f"{WORKER_PREFIX}/help?filed={filed.id}", status_code=303)


@router.get("/help/evidence")
def evidence(
    request: Request, who: WorkerUser, first: str = "", last: str = "", format: str = "html"
) -> Response:
    """My evidence statement, to keep or to take to the inspectors or the arbitration
    committee: every day with its gate events, correction, wage line and payment."""
    assert who.worker_id is not None
    try:
        a, b = date.fromisoformat(first), date.fromisoformat(last)
        with database(request).engine.connect() as conn:
            data = gather(conn, who.worker_id, a, b, None)
    except (ValueError, InvalidInput):
        return _help(request, who, status_code=422, evidence_error=True)
    if format == "xlsx":
        body, kind, ext = render_xlsx(data), XLSX, "xlsx"
    else:
        body, kind, ext = render_html(data).encode(), "text/html; charset=utf-8", "html"
    return Response(
        body,
        media_type=kind,
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{a}-{b}.{ext}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
