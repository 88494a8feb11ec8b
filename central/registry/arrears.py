"""The arrears-case register (存量欠薪案件) and projects' special wage accounts.

A case is a wage debt an inspector follows until it is settled: opened from a worker's
complaint, from a warning, or by the inspector on a visit, with the amount and the number of
workers owed; it stays ``open`` until resolved with a written resolution (and can be reopened).
Every change is audited in the same transaction. The overview counts open cases by city and
project (central/reports/indicators.py).

A project's special wage account (农民工工资专用账户) is recorded with its bank; the account
number is sealed at rest like a payroll card and only the masked form is ever returned.
"""

import json
from collections.abc import Collection
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import Connection, Select, select

from central import audit
from central.clock import now_iso
from central.errors import N_, InvalidInput, NotFound
from central.registry.divisions import city_code, name_of
from central.registry.sealing import Sealer
from central.registry.validation import mask
from central.storage import schema
from central.storage.lookup import by_id, inserted_id
from central.storage.project_scope import in_scope
from central.validation import Fen, FreeText, LocalDate, ProjectId, ShortText

ACCOUNT_CONTEXT = "wage_account"
Source = Literal["complaint", "warning", "inspector"]
Status = Literal["open", "resolved"]
MAX_WORKERS = 1_000_000


class WageAccountIn(BaseModel):
    bank: ShortText
    account_number: str = Field(pattern=r"^[0-9]{8,32}$", description="digits only")
    opened_on: LocalDate


class WageAccount(BaseModel):
    """A project's special wage account as shown: the number masked."""

    project_id: str
    bank: str
    account_masked: str
    opened_on: date


class CaseIn(BaseModel):
    project_id: ProjectId
    source: Source
    source_ref: str | None = Field(default=None, max_length=64, pattern=r"^[\x21-\x7e]+$")
    amount_fen: Fen
    workers: int = Field(ge=0, le=MAX_WORKERS)
    summary: FreeText


class CaseUpdate(BaseModel):
    """Fields to change; a case is resolved with a resolution, reopened without one. ``note``
    goes into the case's history (what was done, why the amount changed)."""

    amount_fen: Fen | None = None
    workers: int | None = Field(default=None, ge=0, le=MAX_WORKERS)
    status: Status | None = None
    resolution: FreeText | None = None
    note: FreeText | None = None


class CaseEvent(BaseModel):
    """One change of a case, oldest first: opened, updated, noted, resolved, reopened."""

    at: str
    actor: str
    action: str
    note: str | None
    detail: dict[str, Any]


class Case(BaseModel):
    id: int
    project_id: str
    source: Source
    source_ref: str | None
    amount_fen: int
    workers: int
    status: Status
    summary: str
    resolution: str | None
    opened_by: str
    opened_at: str
    updated_by: str
    updated_at: str


def set_wage_account(
    conn: Connection, sealer: Sealer, actor: audit.Actor, project_id: str, data: WageAccountIn
) -> WageAccount:
    """Record (or replace) the project's special wage account; audited with the masked number."""
    t = schema.project_wage_accounts
    masked = mask(data.account_number, 4, 4)
    values = {
        "bank": data.bank,
        "account_sealed": sealer.seal(data.account_number.encode(), ACCOUNT_CONTEXT),
        "account_masked": masked,
        "opened_on": data.opened_on.isoformat(),
        "recorded_by": actor.name,
        "recorded_at": now_iso(),
    }
    by_id(conn, schema.projects, project_id, "project")  # 404, not a foreign-key 500
    found = conn.execute(select(t.c.project_id).where(t.c.project_id == project_id)).first()
    if found is None:
        conn.execute(t.insert().values(project_id=project_id, **values))
    else:
        conn.execute(t.update().where(t.c.project_id == project_id).values(**values))
    audit.record(
        conn,
        actor,
        "wage_account.recorded",
        target_kind="project",
        target_id=project_id,
        project_id=project_id,
        detail={"bank": data.bank, "account": masked},
    )
    return WageAccount(
        project_id=project_id, bank=data.bank, account_masked=masked, opened_on=data.opened_on
    )


def wage_account(conn: Connection, project_id: str) -> WageAccount:
    t = schema.project_wage_accounts.c
    row = conn.execute(
        select(t.project_id, t.bank, t.account_masked, t.opened_on).where(
            t.project_id == project_id
        )
    ).first()
    if row is None:
        raise NotFound(f"no special wage account recorded for project {project_id}")
    return WageAccount.model_validate(row._mapping)


def require_project(conn: Connection, project_id: str) -> None:
    p = schema.projects.c
    if conn.execute(select(p.id).where(p.id == project_id)).first() is None:
        raise NotFound(f"project {project_id}")


def _history(
    conn: Connection,
    case_id: int,
    actor: audit.Actor,
    action: str,
    note: str | None,
    detail: dict[str, Any],
    at: str,
) -> None:
    conn.execute(
        schema.arrears_case_history.insert().values(
            case_id=case_id,
            at=at,
            actor=actor.name[:64],
            action=action,
            note=None if note is None else note[:500],
            detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        )
    )


def history(conn: Connection, case_id: int) -> list[CaseEvent]:
    """Every change of the case, oldest first (the caller has checked the scope)."""
    h = schema.arrears_case_history.c
    rows = conn.execute(
        select(h.at, h.actor, h.action, h.note, h.detail).where(h.case_id == case_id).order_by(h.id)
    )
    return [
        CaseEvent(
            at=r.at,
            actor=r.actor,
            action=r.action,
            note=r.note,
            detail=json.loads(r.detail) if r.detail else {},
        )
        for r in rows
    ]


def open_case(conn: Connection, actor: audit.Actor, data: CaseIn) -> Case:
    """Open a case on a project the caller may see (the caller has checked the scope).

    The one way a case is opened, whatever opens it: an inspector's form or API call, a
    warning (central/warnings/cases.py), a worker's complaint. Audited (``arrears.opened``)
    and the first row of the case's history, in the caller's transaction."""
    now = now_iso()
    new_id = inserted_id(
        conn.execute(
            schema.arrears_cases.insert().values(
                **data.model_dump(),
                status="open",
                resolution=None,
                opened_by=actor.name,
                opened_at=now,
                updated_by=actor.name,
                updated_at=now,
            )
        )
    )
    audit.record(
        conn,
        actor,
        "arrears.opened",
        target_kind="arrears_case",
        target_id=new_id,
        project_id=data.project_id,
        detail={"amount_fen": data.amount_fen, "workers": data.workers, "source": data.source},
    )
    _history(
        conn,
        new_id,
        actor,
        "opened",
        data.summary,
        {
            "amount_fen": data.amount_fen,
            "workers": data.workers,
            "source": data.source,
            "source_ref": data.source_ref,
        },
        now,
    )
    return case(conn, new_id, None)


def case(conn: Connection, case_id: int, projects: Collection[str] | None) -> Case:
    """One case, or NotFound when it does not exist or lies outside ``projects``."""
    a = schema.arrears_cases.c
    row = conn.execute(select(schema.arrears_cases).where(a.id == case_id)).first()
    if row is None or (projects is not None and row.project_id not in projects):
        raise NotFound(f"arrears case {case_id}")
    return Case.model_validate(row._mapping)


def update_case(
    conn: Connection,
    actor: audit.Actor,
    case_id: int,
    change: CaseUpdate,
    projects: Collection[str] | None,
) -> Case:
    """Change amount, workers or status; resolving needs a resolution, reopening clears it."""
    before = case(conn, case_id, projects)
    values = change.model_dump(exclude_none=True, exclude={"note"})
    old = before.model_dump()
    values = {k: v for k, v in values.items() if v != old.get(k)}  # what really changes
    status = values.get("status", before.status)
    if status == "resolved" and not (values.get("resolution") or before.resolution):
        raise InvalidInput.of(N_("a resolved case needs a resolution"))
    if status == "open" and before.status == "resolved":
        values["resolution"] = change.resolution
    if not values and change.note is None:
        raise InvalidInput.of(N_("nothing to change"))
    now = now_iso()
    a = schema.arrears_cases
    conn.execute(
        a.update().where(a.c.id == case_id).values(**values, updated_by=actor.name, updated_at=now)
    )
    if values.get("status") == "resolved":
        action, note = "resolved", values.get("resolution") or before.resolution
    elif values.get("status") == "open":
        action, note = "reopened", change.note
    else:
        action, note = ("updated" if values else "noted"), change.note
    if change.note is not None and note != change.note:
        note = f"{note}\n{change.note}" if note else change.note
    changed = {k: v for k, v in values.items() if k != "resolution"}
    _history(conn, case_id, actor, action, note, changed, now)
    audit.record(
        conn,
        actor,
        "arrears.updated",
        target_kind="arrears_case",
        target_id=case_id,
        project_id=before.project_id,
        detail={k: v for k, v in values.items() if k != "resolution"},
    )
    return case(conn, case_id, None)


def cases_select(projects: Collection[str] | None) -> Select[Any]:
    """Cases in scope with their project's name and city: the register's list and export."""
    a, p = schema.arrears_cases.c, schema.projects.c
    query = select(
        *schema.arrears_cases.c,
        p.name.label("project_name"),
        city_code(p.division_code).label("city"),
        name_of(city_code(p.division_code)).label("city_name"),
    ).select_from(schema.arrears_cases.join(schema.projects, p.id == a.project_id))
    return query.where(in_scope(a.project_id, projects))


def cases(
    conn: Connection,
    projects: Collection[str] | None,
    *,
    status: Status | None = None,
    project_id: str | None = None,
    limit: int = 500,
) -> list[Case]:
    """Cases in scope, newest first; a project outside the scope simply yields nothing."""
    a = schema.arrears_cases.c
    query = cases_select(projects).order_by(a.id.desc()).limit(limit)
    if status is not None:
        query = query.where(a.status == status)
    if project_id is not None:
        query = query.where(a.project_id == project_id)
    return [Case.model_validate(r._mapping) for r in conn.execute(query)]
