"""The rows behind the overview's figures: projects and workers, cut to a caller's scope.

Each function returns a SELECT (not rows) so the console's table component can page, sort and
filter it in the database (central/web/tables.py) and a JSON route can run the same query.
``projects`` is the set of project ids the caller may read, or None for all (as in
central/reports/overview.py). Workers carry their masked ID and card numbers only: whole
numbers are revealed by the registry's audited route, never by a list.
"""

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select

from central.registry.divisions import city_code, name_of
from central.reports.overview import GATE_ONLINE
from central.storage import schema
from central.storage.project_scope import in_scope

#: A gate's state as the overview counts it: ``online`` or ``offline``.
GATE_STATE = case((GATE_ONLINE, literal("online")), else_=literal("offline"))


def projects_select(projects: Collection[str] | None) -> Select[Any]:
    """Projects in scope: id, name, division (code and name), its city (code and name),
    status, general contractor, workers employed."""
    p, ent, e = schema.projects.c, schema.enterprises.c, schema.employments.c
    workers = (
        select(func.count(func.distinct(e.worker_id))).where(e.project_id == p.id).scalar_subquery()
    )
    return (
        select(
            p.id.label("id"),
            p.name.label("name"),
            p.division_code.label("division_code"),
            name_of(p.division_code).label("division_name"),
            city_code(p.division_code).label("city"),
            name_of(city_code(p.division_code)).label("city_name"),
            p.status.label("status"),
            ent.name.label("contractor"),
            workers.label("workers"),
        )
        .select_from(schema.projects.join(schema.enterprises, ent.id == p.contractor_id))
        .where(in_scope(p.id, projects))
    )


def workers_select(projects: Collection[str] | None) -> Select[Any]:
    """Workers employed on a project in scope (the admin: every worker), masked numbers only."""
    w, e = schema.workers.c, schema.employments.c
    query = select(
        w.id.label("id"),
        w.name.label("name"),
        w.id_number_masked.label("id_number"),
        w.card_masked.label("card"),
        w.bank.label("bank"),
    )
    if projects is not None:
        query = query.where(w.id.in_(select(e.worker_id).where(in_scope(e.project_id, projects))))
    return query


def worker_project_filter(project_id: str) -> ColumnElement[bool]:
    """Workers employed on one project (the workers list's project filter)."""
    e = schema.employments.c
    return schema.workers.c.id.in_(select(e.worker_id).where(e.project_id == project_id))
