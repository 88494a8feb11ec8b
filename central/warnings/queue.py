"""The warnings queue (关键指标预警): every kind of warning in one SELECT, with the project's
name and city, cut to the projects a caller may read.

Returns a SELECT (not rows) so the console's table component pages, sorts, filters and
exports it in the database (central/web/tables.py). ``projects`` is the set of project ids
the caller may read, or None for all (central/auth/scope.py ``visible_projects``).
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, literal_column, select, true

from central.errors import InvalidInput
from central.storage import schema

#: The city of a project: the first four digits of its GB/T 2260 county or city code + ``00``.
CITY = case(
    (
        schema.projects.c.division_code.is_not(None),
        func.substr(schema.projects.c.division_code, literal_column("1"), literal_column("4"))
        + literal("00"),
    ),
    else_=None,
)


def queue_select(projects: Collection[str] | None) -> Select[Any]:
    """Warnings of every kind on projects in scope (the admin: every warning)."""
    w, p = schema.wage_warnings.c, schema.projects.c
    scope: ColumnElement[bool] = true() if projects is None else w.project_id.in_(sorted(projects))
    return (
        select(
            w.id.label("id"),
            w.created_at.label("created_at"),
            w.severity.label("severity"),
            w.kind.label("kind"),
            w.project_id.label("project_id"),
            p.name.label("project"),
            CITY.label("city"),
            w.subject.label("subject"),
            w.assignee.label("assignee"),
            w.escalated_to.label("escalated_to"),
            w.state.label("state"),
            func.coalesce(w.updated_at, w.created_at).label("updated_at"),
        )
        .select_from(schema.wage_warnings.outerjoin(schema.projects, p.id == w.project_id))
        .where(scope)
    )


def city_filter(code: str) -> ColumnElement[bool]:
    """Warnings of projects in one city (a six-digit city code, ``450100``)."""
    if len(code) != 6 or not code.isdigit() or not code.endswith("00") or code.endswith("0000"):
        raise InvalidInput("city must be a six-digit GB/T 2260 city code such as 450100")
    return schema.projects.c.division_code.startswith(code[:4])


def age_hours(created_at: str, now: datetime) -> int:
    """Whole hours since the warning was raised (the queue's age column)."""
    return max(0, int((now - datetime.fromisoformat(created_at)).total_seconds() // 3600))
