"""The worker's own view: their days, hours, wages, payments, contracts, and a check-in QR code.

Every query here is keyed on the token's worker id, never on a parameter, so a worker cannot
ask for anyone else's data.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.routes.pay_lines import LineAdjustment, LineDay
from central.api.schemas.attendance import AttendanceDayPublic
from central.api.schemas.me import CheckinToken, MyContracts, MyToday, QrPublicKey
from central.api.schemas.payroll import PayrollLinePublic, WorkerLine
from central.attendance.days import worker_days
from central.attendance.periods import month_range
from central.attendance.today import worker_today
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import own_worker, require_role
from central.auth.users import Role
from central.clock import zone
from central.errors import Conflict, NotFound
from central.payroll.confirmation import respond
from central.payroll.my_wages import my_line, my_wages
from central.payroll.worker_lines import worker_lines
from central.storage import Database, schema
from central.training.entry import may_enter
from central.validation import DbId, FreeText, Month, ProjectId
from wireproto.qr import DEFAULT_TTL_S, issue_token, public_key_text

# Every route here answers 403 to an account that is not a worker's.
router = APIRouter(
    prefix="/api/v1/me", tags=["worker"], responses=error_responses(*AUTHENTICATED, 403)
)


def _projects(db: Database, worker_id: str) -> list[str]:
    e = schema.employments.c
    with db.engine.connect() as conn:
        return sorted(
            set(conn.execute(select(e.project_id).where(e.worker_id == worker_id)).scalars())
        )


@router.get("/attendance-days", response_model=list[AttendanceDayPublic])
def my_days(
    db: DbDep, who: CurrentUser, month: Annotated[Month, Query()]
) -> list[AttendanceDayPublic]:
    """My days of the month on every project, as stored (a read never recomputes them)."""
    worker_id = own_worker(who)
    first, last = month_range(month)
    with db.engine.connect() as conn:
        return [
            AttendanceDayPublic.model_validate(d) for d in worker_days(conn, worker_id, first, last)
        ]


def _lines(db: Database, worker_id: str, paid_only: bool = False) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return worker_lines(conn, worker_id, paid_only=paid_only)


@router.get("/payroll-lines", response_model=list[WorkerLine])
def my_lines(db: DbDep, who: CurrentUser) -> list[WorkerLine]:
    """My wage line for each month: days, hours, overtime, gross, deductions, net, state."""
    return [WorkerLine.model_validate(line) for line in _lines(db, own_worker(who))]


@router.get("/payments", response_model=list[WorkerLine])
def my_payments(db: DbDep, who: CurrentUser) -> list[WorkerLine]:
    """My paid lines (what reached my card, with the bank's reference)."""
    return [WorkerLine.model_validate(line) for line in _lines(db, own_worker(who), paid_only=True)]


@router.get("/contracts", response_model=MyContracts)
def my_contracts(db: DbDep, who: CurrentUser) -> MyContracts:
    """My labour contracts and safety training."""
    worker_id = own_worker(who)
    c, t = schema.contracts.c, schema.trainings.c
    with db.engine.connect() as conn:
        return MyContracts.model_validate(
            {
                "contracts": [
                    dict(r._mapping)
                    for r in conn.execute(select(schema.contracts).where(c.worker_id == worker_id))
                ],
                "trainings": [
                    dict(r._mapping)
                    for r in conn.execute(select(schema.trainings).where(t.worker_id == worker_id))
                ],
            }
        )


class DisputeIn(BaseModel):
    reason: Annotated[FreeText, Field(min_length=3)]


@router.post(
    "/payroll-lines/{line_id}/confirm",
    response_model=PayrollLinePublic,
    responses=error_responses(404, 409),
)
def confirm_line(line_id: DbId, db: DbDep, who: CurrentUser) -> PayrollLinePublic:
    """I agree with this line (the signature on the wage sheet)."""
    return PayrollLinePublic.model_validate(respond(db, line_id, own_worker(who), confirm=True))


@router.post(
    "/payroll-lines/{line_id}/dispute",
    response_model=PayrollLinePublic,
    responses=error_responses(404, 409),
)
def dispute_line(line_id: DbId, body: DisputeIn, db: DbDep, who: CurrentUser) -> PayrollLinePublic:
    """I do not agree: the line is held back from the bank and flagged, with my reason."""
    answered = respond(db, line_id, own_worker(who), confirm=False, reason=body.reason)
    return PayrollLinePublic.model_validate(answered)


class DisputeStatus(BaseModel):
    state: str = Field(description="open until the employer or a supervisor handles it; handled")
    raised_at: str
    handled_at: str | None
    note: str | None = Field(description="the handler's answer, once handled")


class MyWageLine(WorkerLine):
    project_name: str | None
    dispute: DisputeStatus | None


class CardPublic(BaseModel):
    masked: str | None
    bank: str | None
    valid: bool = Field(description="false after the bank refused a payment to it")


class MyWages(BaseModel):
    card: CardPublic
    lines: list[MyWageLine] = Field(description="newest month first")


class MyLineDetail(BaseModel):
    line: MyWageLine
    card: CardPublic
    days: list[LineDay]
    adjustments: list[LineAdjustment]


@router.get("/wages", response_model=MyWages)
def get_my_wages(db: DbDep, who: CurrentUser) -> MyWages:
    """My lines, newest month first, with the card they are paid to (masked) and the status of
    any dispute (the My wages page shows the same)."""
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        return MyWages.model_validate(my_wages(conn, worker_id))


@router.get("/wages/{line_id}", response_model=MyLineDetail, responses=error_responses(404))
def get_my_line(line_id: DbId, db: DbDep, who: CurrentUser) -> MyLineDetail:
    """One of my lines with its per-day breakdown and its additions and deductions."""
    worker_id = own_worker(who)
    with db.engine.connect() as conn:
        return MyLineDetail.model_validate(my_line(conn, worker_id, line_id))


@router.get("/today", response_model=MyToday)
def my_today(db: DbDep, who: CurrentUser, request: Request) -> MyToday:
    """Today (the deployment's time zone): checked in or not, at which gate and when; the
    projects I may check in on; whether a gate can recognise my face."""
    worker_id = own_worker(who)
    day = datetime.now(zone(request.app.state.service.settings.timezone)).date()
    with db.engine.connect() as conn:
        return MyToday.model_validate(worker_today(conn, worker_id, day))


@router.get("/checkin-qr", response_model=CheckinToken, responses=error_responses(404, 409))
def checkin_qr(
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    project_id: ProjectId,
    ttl_s: Annotated[int, Query(ge=30, le=600)] = DEFAULT_TTL_S,
) -> CheckinToken:
    """A short-lived check-in token signed by central (for workers without face consent)."""
    worker_id = own_worker(who)
    if project_id not in _projects(db, worker_id):
        raise NotFound(f"project {project_id}")
    with db.engine.connect() as conn:
        if not may_enter(conn, project_id, worker_id):
            raise Conflict(f"project {project_id} admits workers with valid safety training only")
    token = issue_token(sealer.qr_signing_key(), project_id, worker_id, ttl_s=ttl_s)
    return CheckinToken(token=token, site=project_id, ttl_s=ttl_s)


public_router = APIRouter(
    prefix="/api/v1/qr", tags=["worker"], responses=error_responses(*AUTHENTICATED, 403)
)


@public_router.get("/public-key", response_model=QrPublicKey)
def qr_public_key(sealer: SealerDep, who: CurrentUser) -> QrPublicKey:
    """The key gates verify check-in QR codes with (put it in the gate config)."""
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    return QrPublicKey(public_key=public_key_text(sealer.qr_signing_key()))
