"""The worker's own view: their days, hours, wages, payments, contracts, and a check-in QR code.

Every query here is keyed on the token's worker id, never on a parameter, so a worker cannot
ask for anyone else's data.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep
from central.attendance.days import worker_days
from central.attendance.periods import month_range
from central.attendance.refresh import refresh_month
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import require_role
from central.auth.users import Principal, Role
from central.errors import Forbidden, NotFound
from central.payroll.confirmation import respond
from central.payroll.worker_lines import worker_lines
from central.storage import Database, schema
from wireproto.qr import DEFAULT_TTL_S, issue_token, public_key_text

router = APIRouter(prefix="/api/v1/me", tags=["worker"])


def _worker(who: Principal) -> str:
    if who.role is not Role.WORKER or not who.worker_id:
        raise Forbidden("only a worker account has a personal view")
    return who.worker_id


def _projects(db: Database, worker_id: str) -> list[str]:
    e = schema.employments.c
    with db.engine.connect() as conn:
        return sorted(
            set(conn.execute(select(e.project_id).where(e.worker_id == worker_id)).scalars())
        )


@router.get("/attendance-days")
def my_days(
    db: DbDep, who: CurrentUser, month: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$")]
) -> list[dict[str, object]]:
    worker_id = _worker(who)
    first, last = month_range(month)
    for project_id in _projects(db, worker_id):
        refresh_month(db, project_id, month)
    with db.engine.connect() as conn:
        return worker_days(conn, worker_id, first, last)


def _lines(db: Database, worker_id: str, paid_only: bool = False) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return worker_lines(conn, worker_id, paid_only=paid_only)


@router.get("/payroll-lines")
def my_lines(db: DbDep, who: CurrentUser) -> list[dict[str, object]]:
    """My wage line for each month: days, hours, overtime, gross, deductions, net, state."""
    return _lines(db, _worker(who))


@router.get("/payments")
def my_payments(db: DbDep, who: CurrentUser) -> list[dict[str, object]]:
    return _lines(db, _worker(who), paid_only=True)


@router.get("/contracts")
def my_contracts(db: DbDep, who: CurrentUser) -> dict[str, list[dict[str, object]]]:
    worker_id = _worker(who)
    c, t = schema.contracts.c, schema.trainings.c
    with db.engine.connect() as conn:
        return {
            "contracts": [
                dict(r._mapping)
                for r in conn.execute(select(schema.contracts).where(c.worker_id == worker_id))
            ],
            "trainings": [
                dict(r._mapping)
                for r in conn.execute(select(schema.trainings).where(t.worker_id == worker_id))
            ],
        }


class DisputeIn(BaseModel):
    reason: Annotated[str, Field(min_length=3, max_length=500)]


@router.post("/payroll-lines/{line_id}/confirm")
def confirm_line(line_id: int, db: DbDep, who: CurrentUser) -> dict[str, object]:
    """I agree with this line (the signature on the wage sheet)."""
    return respond(db, line_id, _worker(who), confirm=True)


@router.post("/payroll-lines/{line_id}/dispute")
def dispute_line(line_id: int, body: DisputeIn, db: DbDep, who: CurrentUser) -> dict[str, object]:
    """I do not agree: the line is held back from the bank and flagged, with my reason."""
    return respond(db, line_id, _worker(who), confirm=False, reason=body.reason)


@router.get("/checkin-qr")
def checkin_qr(
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    project_id: str,
    ttl_s: Annotated[int, Query(ge=30, le=600)] = DEFAULT_TTL_S,
) -> dict[str, object]:
    """A short-lived check-in token signed by central (for workers without face consent)."""
    worker_id = _worker(who)
    if project_id not in _projects(db, worker_id):
        raise NotFound(f"project {project_id}")
    token = issue_token(sealer.qr_signing_key(), project_id, worker_id, ttl_s=ttl_s)
    return {"token": token, "site": project_id, "ttl_s": ttl_s}


public_router = APIRouter(prefix="/api/v1/qr", tags=["worker"])


@public_router.get("/public-key")
def qr_public_key(sealer: SealerDep, who: CurrentUser) -> dict[str, str]:
    """The key gates verify check-in QR codes with (put it in the gate config)."""
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    return {"public_key": public_key_text(sealer.qr_signing_key())}
