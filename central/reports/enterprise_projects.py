"""The enterprise console's project list: the caller's projects and its part in each.

``GET /api/v1/enterprise/projects`` and the console's ``/console/enterprise/projects`` (page,
JSON twin, export) run this one SELECT, cut to the caller's projects by
``scope.visible_projects``. It says nothing of other enterprises beyond what the tenancy
rules already show an enterprise on the project (the general contractor's name): no worker
counts of the whole project, which would tell a subcontractor about other employers' crews.
"""

from collections.abc import Collection
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, case, func, literal, select

from central.registry import divisions
from central.storage import schema
from central.storage.project_scope import in_scope


def _my_role(enterprise_id: int | None) -> ColumnElement[str]:
    """The caller's part on the project: general_contractor (its office, site managers, the
    admin: ``enterprise_id`` None), or the role its enterprise is registered with;
    ``employer`` when it only employs there."""
    p, r = schema.projects.c, schema.project_enterprises.c
    if enterprise_id is None:
        return literal("general_contractor")
    registered = (
        select(r.role)
        .where(r.project_id == p.id, r.enterprise_id == enterprise_id)
        .scalar_subquery()
    )
    return case(
        (p.contractor_id == enterprise_id, literal("general_contractor")),
        else_=func.coalesce(registered, literal("employer")),
    )


def projects_select(enterprise_id: int | None, projects: Collection[str] | None) -> Select[Any]:
    """One row per project in scope (None: every project): id, name, division, status, the
    general contractor's name, the part of the enterprise ``enterprise_id`` (a contractor
    admin's; None for site managers and the admin), the number of gates."""
    p, ent, d = schema.projects.c, schema.enterprises.c, schema.devices.c
    gates = select(func.count()).where(d.site == p.id).scalar_subquery()
    return (
        select(
            p.id.label("id"),
            p.name.label("name"),
            p.division_code.label("division_code"),
            divisions.name_of(p.division_code).label("division_name"),
            p.status.label("status"),
            ent.name.label("contractor"),
            _my_role(enterprise_id).label("my_role"),
            gates.label("gates"),
        )
        .select_from(schema.projects.join(schema.enterprises, ent.id == p.contractor_id))
        .where(in_scope(p.id, projects))
    )


class EnterpriseProject(BaseModel):
    """One of the caller's projects, as the API and the console list show it."""

    id: str
    name: str
    division_code: str | None
    division_name: str | None = Field(description="the division's Chinese name (GB/T 2260)")
    status: str = Field(description="under_construction | suspended | completed")
    contractor: str = Field(description="the general contractor's name")
    my_role: str = Field(
        description="general_contractor | subcontractor | labour_subcontractor | employer"
    )
    gates: int
