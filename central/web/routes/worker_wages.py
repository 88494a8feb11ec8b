"""The worker's My wages page: each month's line, the per-day breakdown, the payment to the
card (masked) and the bank's answer; confirm it, or dispute it with a reason, and see the
dispute's status.

The figures come from ``central.payroll.my_wages`` (as ``GET /api/v1/me/wages`` and
``/api/v1/me/wages/{line_id}``); confirm and dispute call ``central.payroll.confirmation
.respond`` (as ``POST /api/v1/me/payroll-lines/{id}/confirm|dispute``). Another worker's
line id answers 404 and says nothing about it.
"""

from typing import Annotated, Any

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from central.auth.users import Principal
from central.errors import Conflict
from central.payroll.confirmation import OPEN_FOR_CONFIRMATION, respond
from central.payroll.my_wages import my_line, my_wages
from central.validation import DbId
from central.web.i18n import N_
from central.web.routing import WORKER_PREFIX, web_router
from central.web.sessions import WorkerUser, database
from central.web.worker_layout import render_worker

router = web_router(WORKER_PREFIX)

LINE_STATES = {
    "pending": (N_("Not paid yet"), "warn"),
    "held": (N_("Held back from the bank"), "bad"),
    "paid": (N_("Paid to your card"), "ok"),
    "failed": (N_("The bank refused the payment"), "bad"),
}
ANSWERS = {
    "none": (N_("You have not answered yet"), "warn"),
    "confirmed": (N_("You confirmed it"), "ok"),
    "disputed": (N_("You disputed it"), "bad"),
}
DISPUTE_STATES = {
    "open": N_("Waiting for your employer or the labour inspector to handle it"),
    "handled": N_("Handled"),
}
DAY_KINDS = {"workday": N_("workday"), "restday": N_("rest day"), "holiday": N_("holiday")}
ADJUSTMENT_KINDS = {"piece_rate": N_("Piece rate"), "deduction": N_("Deduction")}


def hours(minutes: object) -> str:
    return f"{int(str(minutes or 0)) / 60:.1f}".removesuffix(".0")


#: What both wage pages' templates look names up in.
PAGE_CONTEXT: dict[str, Any] = {
    "line_states": LINE_STATES,
    "answers": ANSWERS,
    "dispute_states": DISPUTE_STATES,
    "day_kinds": DAY_KINDS,
    "adjustment_kinds": ADJUSTMENT_KINDS,
    "hours": hours,
    "open_batches": OPEN_FOR_CONFIRMATION,
}


@router.get("/wages")
def wages_page(request: Request, who: WorkerUser) -> Response:
    assert who.worker_id is not None
    with database(request).engine.connect() as conn:
        wages = my_wages(conn, who.worker_id)
    return render_worker(request, "worker_wages.html", who, wages=wages, **PAGE_CONTEXT)


def _line_page(
    request: Request,
    who: Principal,
    line_id: int,
    *,
    status_code: int = 200,
    reason: str = "",
    error: str | None = None,
    done: str | None = None,
) -> Response:
    assert who.worker_id is not None
    with database(request).engine.connect() as conn:
        detail = my_line(conn, who.worker_id, line_id)  # NotFound: another worker's line
    return render_worker(
        request,
        "worker_wage_line.html",
        who,
        status_code=status_code,
        detail=detail,
        line=detail["line"],
        reason=reason,
        error=error,
        done=done,
        **PAGE_CONTEXT,
    )


@router.get("/wages/{line_id}")
def line_page(
    request: Request, who: WorkerUser, line_id: DbId, done: str | None = None
) -> Response:
    return _line_page(
        request, who, line_id, done=done if done in ("confirmed", "disputed") else None
    )


@router.post("/wages/{line_id}/confirm")
def confirm(request: Request, who: WorkerUser, line_id: DbId) -> Response:
    """I agree with this line (the signature on the wage sheet)."""
    assert who.worker_id is not None
    try:
        respond(database(request), line_id, who.worker_id, confirm=True)
    except Conflict:
        return _line_page(request, who, line_id, status_code=409, error="closed")
    return RedirectResponse(f"{WORKER_PREFIX}/wages/{line_id}?done=confirmed", status_code=303)


@router.post("/wages/{line_id}/dispute")
def dispute(
    request: Request,
    who: WorkerUser,
    line_id: DbId,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """I do not agree: the line is held back from the bank and flagged, with my reason."""
    assert who.worker_id is not None
    if len(reason.strip()) < 3:
        return _line_page(request, who, line_id, status_code=422, reason=reason, error="reason")
    try:
        respond(database(request), line_id, who.worker_id, confirm=False, reason=reason.strip())
    except Conflict:
        return _line_page(request, who, line_id, status_code=409, reason=reason, error="closed")
    return RedirectResponse(f"{WORKER_PREFIX}/wages/{line_id}?done=disputed", status_code=303)
