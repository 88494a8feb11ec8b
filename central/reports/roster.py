"""The enterprise's roster: one row per employment the caller may read, with the worker's
masked numbers, the pay terms, whether the worker can be recognised at the gate, and the state
of their e-contract.

A SELECT (not rows), so the console's table component pages, sorts and filters it in the
database and ``GET /api/v1/roster`` runs the same query; ``reach`` is the caller's WHERE clause
on ``employments`` (``scope.records_filter``: a general contractor's whole projects and its
own employments elsewhere, a subcontractor its own, a site manager its project), so the list
never shows another employer's workers to a subcontractor. Whole numbers never appear here.
"""

import json
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)

from central.storage import schema

E, W, P, ENT = schema.employments.c, schema.workers.c, schema.projects.c, schema.enterprises.c
_C, _T = schema.face_consents.c, schema.face_templates.c

#: A live face consent that covers this employment's employer (or every employer).
CONSENTED = exists().where(
    _C.worker_id == E.worker_id,
    _C.withdrawn_at.is_(None),
    or_(
        _C.enterprise_id.is_(None),
        _C.enterprise_id == E.employer_id,
        _C.enterprise_id == P.contractor_id,
    ),
)
TEMPLATES = select(func.count()).where(_T.worker_id == E.worker_id).scalar_subquery()
YES_NO = case((CONSENTED, literal("yes")), else_=literal("no"))
_EC = schema.econtracts.c
#: The newest e-contract's state for the employment (central/contracts/econtracts.py):
#: draft, sent (waiting for the worker's signature), signed; none before one is generated.
CONTRACT = func.coalesce(
    select(_EC.status)
    .where(_EC.employment_id == E.id)
    .order_by(_EC.id.desc())
    .limit(1)
    .scalar_subquery(),
    literal("none"),
)
ENROLLED = case((TEMPLATES > 0, literal("yes")), else_=literal("no"))


def roster_select(reach: ColumnElement[bool] | None) -> Select[Any]:
    """Employments in reach with their worker (masked), project, employer and face status."""
    return (
        select(
            E.id.label("employment"),
            W.id.label("worker_id"),
            W.name.label("name"),
            W.id_number_masked.label("id_number"),
            W.card_masked.label("card"),
            W.bank.label("bank"),
            E.project_id.label("project_id"),
            P.name.label("project"),
            ENT.name.label("employer"),
            E.team.label("team"),
            E.trade.label("trade"),
            E.start_date.label("start_date"),
            E.end_date.label("end_date"),
            E.terms.label("terms"),
            YES_NO.label("consent"),
            ENROLLED.label("enrolled"),
            CONTRACT.label("contract"),
        )
        .select_from(
            schema.employments.join(schema.workers, W.id == E.worker_id)
            .join(schema.projects, P.id == E.project_id)
            .join(schema.enterprises, ENT.id == E.employer_id)
        )
        .where(reach if reach is not None else true())
    )


def consent_filter(value: str) -> ColumnElement[bool]:
    return CONSENTED if value == "yes" else ~CONSENTED


def enrolled_filter(value: str) -> ColumnElement[bool]:
    return TEMPLATES > 0 if value == "yes" else TEMPLATES == 0


def active_filter(today: str) -> ColumnElement[bool]:
    """Employments running on ``today`` (ISO date)."""
    return and_(E.start_date <= today, or_(E.end_date.is_(None), E.end_date >= today))


def finish(_conn: Connection, rows: list[dict[str, Any]]) -> None:
    """The stored pay terms (JSON) as two columns: the kind and the rate in fen."""
    for row in rows:
        terms = json.loads(row.pop("terms") or "{}")
        row["pay_kind"] = terms.get("pay_kind")
        row["rate_fen"] = terms.get("rate_fen")
