"""The warnings queue (关键指标预警): every kind of warning in one SELECT, with the project's
name and city, cut to the projects a caller may read.

Returns a SELECT (not rows) so the console's table component pages, sorts, filters and
exports it in the database (central/web/tables.py). ``projects`` is the set of project ids
the caller may read, or None for all (central/auth/scope.py ``visible_projects``).
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from central.registry.divisions import city_code, in_city, name_of
from central.storage import schema
from central.storage.project_scope import in_scope

#: The city of a project: the first four digits of its GB/T 2260 county or city code + ``00``.
CITY = city_code(schema.projects.c.division_code)


def queue_select(projects: Collection[str] | None) -> Select[Any]:
    """Warnings of every kind on projects in scope (the admin: every warning)."""
    w, p = schema.wage_warnings.c, schema.projects.c
    scope = in_scope(w.project_id, projects)
    return (
        select(
            w.id.label("id"),
            w.created_at.label("created_at"),
            w.severity.label("severity"),
            w.kind.label("kind"),
            w.project_id.label("project_id"),
            p.name.label("project"),
            CITY.label("city"),
            name_of(CITY).label("city_name"),
            w.subject.label("subject"),
            w.params.label("params"),
            w.assignee.label("assignee"),
            w.escalated_to.label("escalated_to"),
            w.state.label("state"),
            func.coalesce(w.updated_at, w.created_at).label("updated_at"),
        )
        .select_from(schema.wage_warnings.outerjoin(schema.projects, p.id == w.project_id))
        .where(scope)
    )


def city_filter(value: str) -> ColumnElement[bool]:
    """Warnings of projects in one city: its six-digit code (``450100``) or its name."""
    return in_city(schema.projects.c.division_code, value)


def age_hours(created_at: str, now: datetime) -> int:
    """Whole hours since the warning was raised (the queue's age column)."""
    return max(0, int((now - datetime.fromisoformat(created_at)).total_seconds() // 3600))
