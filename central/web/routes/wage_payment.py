"""工资发放管理: payroll batches by project and month with their payment status, amounts due
and paid and days overdue; a batch's wage sheet; a wage line's per-day breakdown.

The batches are central/reports/wage_payment.py's, as ``GET /api/v1/wage-payments`` serves
them; the wage sheet is central/payroll/confirmation.py's ``wage_sheet_select`` (the query of
``GET /api/v1/payroll/batches/{id}/wage-sheet``); a line's days and adjustments are
central/payroll/line_days.py's (``GET /api/v1/payroll/lines/{id}/days``). A batch or line
outside the caller's projects answers 404, exactly like one that does not exist.
"""

from typing import Annotated, Any

from fastapi import Path, Request
from sqlalchemy import Connection, select
from starlette.responses import Response

from central.auth.scope import project_worker_ids
from central.auth.users import Principal
from central.errors import NotFound
from central.payroll.confirmation import wage_sheet, wage_sheet_select
from central.payroll.line_days import line_adjustments
from central.reports.wage_payment import payments_select, with_days_overdue
from central.storage import schema
from central.storage.project_scope import in_scope
from central.web import tables
from central.web.i18n import N_
from central.web.routes.table_views import ListRows, month_filter, month_of, show
from central.web.routing import list_twins, scope, today, web_router
from central.web.sessions import Supervisor, database
from central.web.tables import Column, Filter, TableSpec, TableState

router = web_router()
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

PAYMENT_STATUSES = (
    ("draft", N_("Draft")),
    ("approved", N_("Approved")),
    ("submitted", N_("Submitted to the bank")),
    ("partially_paid", N_("Partly paid")),
    ("paid", N_("Paid")),
    ("failed", N_("Payment failed")),
    ("overdue", N_("Overdue")),
)
LINE_STATES = (
    ("pending", N_("Awaiting payment")),
    ("held", N_("Held (disputed)")),
    ("paid", N_("Paid")),
    ("failed", N_("Payment failed")),
)
CONFIRMATIONS = (
    ("none", N_("Not answered")),
    ("confirmed", N_("Confirmed")),
    ("disputed", N_("Disputed")),
)
DAY_KINDS = (("workday", N_("Workday")), ("restday", N_("Rest day")), ("holiday", N_("Holiday")))

PAYMENTS = TableSpec(
    name="wage_payments",
    columns=(
        Column("id", N_("Batch"), kind="int", link="/console/payroll/{id}"),
        Column("project_id", N_("Project ID")),
        Column("project", N_("Project name")),
        Column("month", N_("Month"), link="/console/payroll/{id}"),
        Column("status", N_("Status"), labels=PAYMENT_STATUSES),
        Column("due_date", N_("Due date")),
        Column("days_overdue", N_("Days overdue"), kind="int", sortable=False),
        Column("workers", N_("Workers"), kind="int"),
        Column("due_fen", N_("Amount due (yuan)"), kind="fen"),
        Column("paid_fen", N_("Amount paid (yuan)"), kind="fen"),
        Column("failed_lines", N_("Failed lines"), kind="int"),
    ),
    default_sort="month",
    default_desc=True,
    filters=(
        Filter("project", N_("Project ID")),
        month_filter(),
        Filter("status", N_("Status"), choices=PAYMENT_STATUSES),
    ),
)

_P = schema.payroll_lines.c
WAGE_SHEET = TableSpec(
    name="wage_sheet",
    columns=(
        Column("worker_id", N_("Worker ID"), link="/console/payroll/lines/{id}"),
        Column("name", N_("Name"), link="/console/payroll/lines/{id}"),
        Column("id_number_masked", N_("ID number"), sortable=False),
        Column("card_masked", N_("Payroll card"), sortable=False),
        Column("employer_name", N_("Employer")),
        Column("attended_days", N_("Days attended"), kind="int"),
        Column("plain_fen", N_("Plain time (yuan)"), kind="fen"),
        Column("extended_fen", N_("Overtime ×1.5 (yuan)"), kind="fen"),
        Column("restday_fen", N_("Rest days ×2 (yuan)"), kind="fen"),
        Column("holiday_fen", N_("Holidays ×3 (yuan)"), kind="fen"),
        Column("additions_fen", N_("Additions (yuan)"), kind="fen"),
        Column("gross_fen", N_("Gross (yuan)"), kind="fen"),
        Column("deductions_fen", N_("Deductions (yuan)"), kind="fen"),
        Column("net_fen", N_("Net (yuan)"), kind="fen"),
        Column("paid_fen", N_("Amount paid (yuan)"), kind="fen"),
        Column("state", N_("Payment"), labels=LINE_STATES),
        Column("confirmation", N_("Worker's answer"), labels=CONFIRMATIONS),
    ),
    default_sort="worker_id",
    filters=(
        Filter("q", N_("Name contains"), schema.workers.c.name, match="contains"),
        Filter("state", N_("Payment"), _P.state, choices=LINE_STATES),
        Filter("confirmation", N_("Worker's answer"), _P.confirmation, choices=CONFIRMATIONS),
    ),
)

_LD = schema.payroll_line_days.c
LINE_DAYS = TableSpec(
    name="line_days",
    columns=(
        Column("local_date", N_("Date")),
        Column("day_kind", N_("Kind of day"), labels=DAY_KINDS),
        Column("first_in", N_("First in")),
        Column("last_out", N_("Last out")),
        Column("plain_minutes", N_("Plain minutes"), kind="int"),
        Column("extended_minutes", N_("Minutes ×1.5"), kind="int"),
        Column("restday_minutes", N_("Minutes ×2"), kind="int"),
        Column("holiday_minutes", N_("Minutes ×3"), kind="int"),
        Column("compensated_minutes", N_("Compensated minutes"), kind="int"),
        Column("money_fen", N_("Money (yuan)"), kind="fen"),
        Column("flags", N_("Flags")),
        Column("note", N_("Explanation"), sortable=False),
    ),
    default_sort="local_date",
    filters=(Filter("kind", N_("Kind of day"), _LD.day_kind, choices=DAY_KINDS),),
)


def _payments(request: Request, who: Principal, fmt: str) -> Response:
    state = tables.state_from(PAYMENTS, dict(request.query_params))
    day = today(request)
    with database(request).engine.connect() as conn:
        base = payments_select(
            scope(conn, who),
            day,
            project_id=state.filters.get("project"),
            month=month_of(state),
            status=state.filters.get("status"),
        )
        return show(
            request,
            who,
            conn,
            spec=PAYMENTS,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("Wage payment"),
            name="payroll",
            finish=lambda _conn, rows: with_days_overdue(rows, day),
        )


def _payment(request: Request, conn: Connection, who: Principal, batch_id: int) -> dict[str, Any]:
    """The batch as the batches list shows it; 404 when absent or out of scope."""
    day = today(request)
    query = payments_select(scope(conn, who), day)
    found = conn.execute(query.where(query.selected_columns.id == batch_id)).first()
    if found is None:
        raise NotFound(f"payroll batch {batch_id}")
    row = dict(found._mapping)
    with_days_overdue([row], day)
    return row


def _wage_sheet(request: Request, who: Principal, batch_id: int, fmt: str) -> Response:
    state = tables.state_from(WAGE_SHEET, dict(request.query_params))
    with database(request).engine.connect() as conn:
        batch = _payment(request, conn, who, batch_id)
        # supervisors see whole projects (None); kept for any narrower reach
        mine = project_worker_ids(conn, who, str(batch["project_id"]))
        base = wage_sheet_select(batch_id).where(in_scope(_P.worker_id, mine))
        return show(
            request,
            who,
            conn,
            spec=WAGE_SHEET,
            state=state,
            base=base,
            fmt=fmt,
            title=N_("Wage sheet"),
            name=f"payroll/{batch_id}",
            template="wage_sheet.html",
            batch=batch,
            statuses=dict(PAYMENT_STATUSES),
        )


def _line_days(request: Request, who: Principal, line_id: int, fmt: str) -> Response:
    state = tables.state_from(LINE_DAYS, dict(request.query_params))
    with database(request).engine.connect() as conn:
        batch_id = conn.execute(select(_P.batch_id).where(_P.id == line_id)).scalar_one_or_none()
        if batch_id is None:
            raise NotFound(f"payroll line {line_id}")
        try:
            batch = _payment(request, conn, who, int(batch_id))
        except NotFound:
            raise NotFound(f"payroll line {line_id}") from None
        (line,) = wage_sheet(conn, int(batch_id), line_id)
        mine = project_worker_ids(conn, who, str(batch["project_id"]))
        if mine is not None and line["worker_id"] not in mine:
            raise NotFound(f"payroll line {line_id}")
        return line_days_page(
            request, who, conn, LINE_DAYS, state, fmt, batch, line, name=f"payroll/lines/{line_id}"
        )


def line_days_page(
    request: Request,
    who: Principal,
    conn: Connection,
    spec: TableSpec,
    state: TableState,
    fmt: str,
    batch: dict[str, Any],
    line: dict[str, Any],
    *,
    name: str,
    **context: Any,
) -> Response:
    """A wage line's days and its adjustments (``wage_line.html``), once for the supervision
    console and the enterprise console; the caller has read ``state`` from the query (a bad
    one refused first) and found the line within its reach."""
    adjustments = line_adjustments(
        conn, str(batch["project_id"]), str(line["worker_id"]), str(batch["month"])
    )
    # the row id first: the table's tie-break
    columns = (getattr(_LD, c.key) for c in spec.columns)
    base = select(_LD.id, *columns).where(_LD.line_id == line["id"])
    return show(
        request,
        who,
        conn,
        spec=spec,
        state=state,
        base=base,
        fmt=fmt,
        title=N_("A wage line's days"),
        name=name,
        template="wage_line.html",
        batch=batch,
        line=line,
        adjustments=adjustments,
        **context,
    )


list_twins(router, "/payroll", _payments, Supervisor, name="payments", rows=ListRows)
list_twins(
    router,
    "/payroll/{batch_id}",
    _wage_sheet,
    Supervisor,
    name="wage_sheet",
    rows=ListRows,
    params={"batch_id": Id},
)
list_twins(
    router,
    "/payroll/lines/{line_id}",
    _line_days,
    Supervisor,
    name="line_days",
    rows=ListRows,
    params={"line_id": Id},
)
