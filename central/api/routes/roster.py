"""An enterprise's roster over HTTP: its employments with masked numbers and face status, and
a roster imported from an .xlsx workbook (all rows or none).

The same service functions as the enterprise console's registry pages
(central/reports/roster.py, central/registry/roster_import.py), over the caller's reach
(``scope.records_filter``): a subcontractor sees and imports its own workers only.
"""

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import select

from central.api.deps import DbDep, ServiceDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.routes.faces import gallery_notifier
from central.auth.deps import CurrentUser, SealerDep
from central.auth.scope import records_filter, require_employer_on
from central.errors import TooLarge
from central.registry import roster, roster_import
from central.reports.roster import finish, roster_select
from central.storage import schema
from central.validation import DbId, ProjectId

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=error_responses(*AUTHENTICATED))


class RosterRow(BaseModel):
    employment: int
    worker_id: str
    name: str
    id_number: str = Field(description="masked")
    card: str | None = Field(description="masked")
    bank: str | None
    project_id: str
    project: str
    employer: str
    team: str | None
    trade: str | None
    start_date: str
    end_date: str | None
    pay_kind: str | None
    rate_fen: int | None
    consent: str = Field(description="yes: a live face consent covers this employer")
    enrolled: str = Field(description="yes: the worker has face templates")
    contract: str = Field(description="the newest e-contract: none, draft, sent or signed")


@router.get("/roster", response_model=list[RosterRow])
def get_roster(db: DbDep, who: CurrentUser, project_id: ProjectId | None = None) -> list[RosterRow]:
    """The employments the caller may read (masked), by project then worker."""
    e = schema.employments.c
    with db.engine.connect() as conn:
        query = roster_select(records_filter(conn, who, schema.employments))
        if project_id is not None:
            query = query.where(e.project_id == project_id)
        inner = query.subquery()
        rows = [
            dict(r._mapping)
            for r in conn.execute(select(inner).order_by(inner.c.project_id, inner.c.worker_id))
        ]
        finish(conn, rows)
    return [RosterRow.model_validate(r) for r in rows]


class RowProblem(BaseModel):
    row: int = Field(description="the spreadsheet's row (1 is the header)")
    field: str
    reason: str = Field(description="a code: missing, checksum, number_cell, formula, …")
    detail: str


class ImportAnswer(BaseModel):
    imported: bool = Field(description="false: nothing was written")
    rows: int
    registered: int
    linked: int = Field(description="people already registered, employed here by ID number")
    errors: list[RowProblem]


@router.post(
    "/roster/import",
    response_model=ImportAnswer,
    responses=error_responses(403, 404, 413, 422),
)
def import_roster(
    file: Annotated[UploadFile, File(description="the roster template, filled in (.xlsx)")],
    project_id: Annotated[ProjectId, Form()],
    employer_id: Annotated[DbId, Form()],
    db: DbDep,
    sealer: SealerDep,
    who: CurrentUser,
    service: ServiceDep,
) -> ImportAnswer:
    """Import a roster for one employer on one project: every row is checked (row, field,
    reason) and nothing is written unless all pass. A person registered already is linked by
    ID number (their one record, 一人一档)."""
    with db.engine.connect() as conn:
        require_employer_on(conn, who, project_id, employer_id)
    data = file.file.read(roster_import.MAX_BYTES + 1)
    if len(data) > roster_import.MAX_BYTES:
        raise TooLarge(f"the workbook is larger than {roster_import.MAX_BYTES} bytes")
    report = roster_import.import_roster(db, sealer, data, project_id, employer_id)
    for placed in report.placed:
        if placed.how == "linked":
            roster.publish(
                db, sealer, placed.worker_id, project_id, service.gallery, gallery_notifier(service)
            )
    return ImportAnswer(
        imported=report.imported,
        rows=report.rows,
        registered=report.count("registered"),
        linked=report.count("linked"),
        errors=[
            RowProblem(row=e.row, field=e.field, reason=e.reason, detail=e.detail)
            for e in report.errors
        ],
    )
