"""A wage line's per-day breakdown, the wage sheet as a workbook, compensatory rest (调休)
and a project's hourly minimum wage.

A line's days are scoped like the line: the worker sees their own, a subcontractor its own
workers', the project's staff and supervisors every line of the project; anything else is
404, as if absent.
"""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.payroll import WageSheetLine
from central.audit import Actor
from central.auth.deps import CurrentUser, client_address
from central.auth.scope import project_worker_ids, require_project, require_worker_on_project
from central.auth.users import Principal, Role
from central.errors import Forbidden, NotFound
from central.payroll import batches, compensatory_rest
from central.payroll.confirmation import line, wage_sheet
from central.payroll.line_days import days_of_lines, line_adjustments, wage_sheet_xlsx
from central.payroll.minimum_wage import set_minimum_wage
from central.storage import schema
from central.storage.lookup import by_id
from central.validation import FreeText, LocalDate, ProjectId, WorkerIdText

router = APIRouter(prefix="/api/v1", tags=["payroll"], responses=error_responses(*AUTHENTICATED))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _actor(who: Principal, request: Request) -> Actor:
    return Actor(who.username, who.role.value, client_address(request))


class LineDay(BaseModel):
    local_date: str = Field(description="the date the shift started (its attendance day)")
    day_kind: str = Field(description="workday | restday | holiday (of that date)")
    first_in: str | None
    last_out: str | None
    plain_minutes: int
    extended_minutes: int
    restday_minutes: int
    holiday_minutes: int
    compensated_minutes: int
    money_fen: int = Field(description="the day's share of the line's attendance money")
    flags: str = Field(description="missing_out, missing_in, corrected; empty when clean")
    note: str | None = Field(description="why (part of) the day was not paid, or was corrected")


class LineAdjustment(BaseModel):
    id: int
    kind: str = Field(description="piece_rate (an addition) | deduction")
    amount_fen: int
    reason: str
    by_user: str
    at: str


class LineDays(BaseModel):
    project_id: str
    month: str
    line: WageSheetLine
    adjustments: list[LineAdjustment]
    days: list[LineDay]


def _line_in_scope(
    conn: Connection, who: Principal, line_id: int
) -> tuple[dict[str, object], dict[str, object]]:
    found = line(conn, line_id)
    b = batches.batch(conn, int(found["batch_id"]))  # type: ignore[call-overload]  # row values are typed object
    if who.role is Role.WORKER:
        if found["worker_id"] != who.worker_id:
            raise NotFound(f"payroll line {line_id}")
        return found, b
    try:
        require_project(conn, who, str(b["project_id"]))
    except NotFound:
        raise NotFound(f"payroll line {line_id}") from None
    mine = project_worker_ids(conn, who, str(b["project_id"]))
    if mine is not None and found["worker_id"] not in mine:
        raise NotFound(f"payroll line {line_id}")
    return found, b


@router.get(
    "/payroll/lines/{line_id}/days", response_model=LineDays, responses=error_responses(404)
)
def get_line_days(line_id: Id, db: DbDep, who: CurrentUser) -> LineDays:
    """The line as on the wage sheet, its additions and deductions with reasons, and every
    attendance day behind it: date, kind, in/out, minutes by kind, money, unpaid reasons."""
    with db.engine.connect() as conn:
        found, b = _line_in_scope(conn, who, line_id)
        (sheet_line,) = wage_sheet(conn, int(str(b["id"])), line_id)
        return LineDays(
            project_id=str(b["project_id"]),
            month=str(b["month"]),
            line=WageSheetLine.model_validate(sheet_line),
            adjustments=[
                LineAdjustment.model_validate(a)
                for a in line_adjustments(
                    conn, str(b["project_id"]), str(found["worker_id"]), str(b["month"])
                )
            ],
            days=[LineDay.model_validate(d) for d in days_of_lines(conn, [line_id])[line_id]],
        )


@router.get(
    "/payroll/batches/{batch_id}/wage-sheet.xlsx",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "sheets lines, days and batch",
        },
        **error_responses(404),
    },
)
def get_wage_sheet_xlsx(batch_id: Id, db: DbDep, who: CurrentUser) -> Response:
    """The wage sheet as a workbook: one row per line (split by kind with money), and every
    line's per-day breakdown on the "days" sheet."""
    with db.engine.connect() as conn:
        b = batches.batch(conn, batch_id)
        try:
            require_project(conn, who, str(b["project_id"]))
        except NotFound:
            raise NotFound(f"payroll batch {batch_id}") from None
        if who.role is Role.WORKER:
            raise NotFound(f"payroll batch {batch_id}")
        lines = wage_sheet(conn, batch_id)
        mine = project_worker_ids(conn, who, str(b["project_id"]))
        if mine is not None:
            lines = [x for x in lines if x["worker_id"] in mine]
        days = days_of_lines(conn, [int(x["id"]) for x in lines])  # type: ignore[call-overload]  # row values are typed object
    name = f"wage-sheet-{b['project_id']}-{b['month']}.xlsx"
    return Response(
        wage_sheet_xlsx(b, lines, days),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class RestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    worker_id: WorkerIdText
    worked_date: LocalDate = Field(description="the rest day that was worked")
    rest_date: LocalDate = Field(description="the working day given off instead")
    note: FreeText | None = None


class RestPublic(BaseModel):
    id: int
    worker_id: str
    project_id: str
    employer_id: int
    worked_date: str
    rest_date: str
    note: str | None
    state: str = Field(description="proposed (awaiting the worker) | confirmed")
    recorded_by: str
    recorded_at: str
    confirmed_at: str | None


@router.post(
    "/projects/{project_id}/compensatory-rest",
    status_code=201,
    response_model=RestPublic,
    responses=error_responses(403, 404, 409),
)
def record_rest(
    project_id: ProjectId, body: RestIn, db: DbDep, who: CurrentUser, request: Request
) -> RestPublic:
    """The employer records compensatory rest for a worked rest day; it replaces the ×2
    premium once the worker confirms it."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
        require_worker_on_project(conn, who, project_id, body.worker_id)
    return RestPublic.model_validate(
        compensatory_rest.record_rest(
            db,
            project_id,
            body.worker_id,
            body.worked_date,
            body.rest_date,
            body.note,
            _actor(who, request),
        )
    )


@router.get(
    "/projects/{project_id}/compensatory-rest",
    response_model=list[RestPublic],
    responses=error_responses(404),
)
def list_rest(project_id: ProjectId, db: DbDep, who: CurrentUser) -> list[RestPublic]:
    with db.engine.connect() as conn:
        require_project(conn, who, project_id)
        rows = compensatory_rest.rests(conn, project_id=project_id)
        if who.role is Role.WORKER:
            rows = [r for r in rows if r["worker_id"] == who.worker_id]
        else:
            mine = project_worker_ids(conn, who, project_id)
            rows = [r for r in rows if mine is None or r["worker_id"] in mine]
    return [RestPublic.model_validate(r) for r in rows]


@router.get("/me/compensatory-rest", response_model=list[RestPublic])
def my_rest(db: DbDep, who: CurrentUser) -> list[RestPublic]:
    """A worker's compensatory rest records, to confirm the proposed ones."""
    if who.worker_id is None:
        return []
    with db.engine.connect() as conn:
        rows = compensatory_rest.rests(conn, worker_id=who.worker_id)
    return [RestPublic.model_validate(r) for r in rows]


@router.post(
    "/me/compensatory-rest/{rest_id}/confirm",
    response_model=RestPublic,
    responses=error_responses(403, 404, 409),
)
def confirm_rest(rest_id: Id, db: DbDep, who: CurrentUser, request: Request) -> RestPublic:
    """The worker agrees to time off instead of the rest-day premium."""
    if who.role is not Role.WORKER or who.worker_id is None:
        raise Forbidden("only the worker confirms their compensatory rest")
    return RestPublic.model_validate(
        compensatory_rest.confirm_rest(db, rest_id, who.worker_id, _actor(who, request))
    )


class MinimumWageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hourly_fen: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        description="the province's hourly minimum wage in fen; null removes it"
    )


class MinimumWage(BaseModel):
    project_id: str
    hourly_fen: int | None


@router.put(
    "/projects/{project_id}/minimum-wage",
    response_model=MinimumWage,
    responses=error_responses(403, 404),
)
def put_minimum_wage(
    project_id: ProjectId, body: MinimumWageIn, db: DbDep, who: CurrentUser, request: Request
) -> MinimumWage:
    """Lines paying less per plain hour than this raise a ``below_minimum_wage`` warning."""
    with db.engine.connect() as conn:
        require_project(conn, who, project_id, Role.CONTRACTOR_ADMIN, whole=True)
    set_minimum_wage(db, project_id, body.hourly_fen, _actor(who, request))
    with db.engine.connect() as conn:
        found = by_id(conn, schema.projects, project_id, "project")
    return MinimumWage.model_validate(
        {"project_id": project_id, "hourly_fen": found["min_hourly_wage_fen"]}
    )
