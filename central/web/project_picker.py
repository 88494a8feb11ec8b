"""Which project an enterprise console page is about: ``?project=`` checked against scope.

Contractor admins work on several projects (as general contractor of some, subcontractor on
others), a site manager on one. Every enterprise page that is about one project takes the
query parameter ``project`` and asks :func:`pick` (or the :data:`PickedProject` dependency):

- the projects offered are exactly the API's (``scope.visible_projects``, the same set as
  ``GET /api/v1/projects``), sorted by name;
- ``project=`` naming one outside them, or malformed, answers 404 like a project that does not
  exist (no oracle: the page never confirms another enterprise's project);
- without ``project=`` the first project offered is shown (a site manager: theirs);
- ``whole`` says whether the caller sees the whole project (general contractor's office, the
  admin) or only its own workers there (a subcontractor): pages that change the project
  (gates, subcontractors, wage account) offer their forms only when it is set, and the
  service/API check decides again on submission.

Templates include ``project_picker.html`` to show the choice as a GET form (works without
JavaScript, the choice is part of every link).
"""

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection, select

from central.auth.scope import WHOLE_PROJECT, project_reach, visible_projects
from central.auth.users import Principal
from central.errors import NotFound
from central.storage import schema
from central.storage.project_scope import in_scope
from central.web.sessions import EnterpriseUser, database
from wireproto.topics import ID_PATTERN

_PROJECT_ID = re.compile(rf"^{ID_PATTERN}$")


@dataclass(frozen=True, slots=True)
class ProjectChoice:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Picked:
    """The project a page is about (None: the caller has no project yet) and the choices."""

    project: ProjectChoice | None
    choices: tuple[ProjectChoice, ...]
    whole: bool  # the caller sees every worker of it (general contractor's office, admin)

    @property
    def id(self) -> str | None:
        return self.project.id if self.project else None


def choices(conn: Connection, who: Principal) -> tuple[ProjectChoice, ...]:
    """The caller's projects (the API's scope), by name then id."""
    p = schema.projects.c
    q = select(p.id, p.name).order_by(p.name, p.id)
    q = q.where(in_scope(p.id, visible_projects(conn, who)))
    return tuple(ProjectChoice(r.id, r.name) for r in conn.execute(q))


def form_choices(request: Request, who: Principal) -> list[tuple[str, str]]:
    """The caller's projects as ``(id, name)`` pairs for a form's project field
    (``form_fields.html``'s ``project_select`` unpacks pairs), in :func:`choices`' order."""
    with database(request).engine.connect() as conn:
        return [(c.id, c.name) for c in choices(conn, who)]


def pick(conn: Connection, who: Principal, project: str | None) -> Picked:
    """The project named by ``project`` (404 outside the caller's scope) or the first one."""
    offered = choices(conn, who)
    if project:
        if len(project) > 64 or not _PROJECT_ID.match(project):
            raise NotFound(f"project {project[:64]!r}")
        found = next((c for c in offered if c.id == project), None)
        if found is None:
            raise NotFound(f"project {project}")
    else:
        found = offered[0] if offered else None
    whole = found is not None and project_reach(conn, who, found.id) == WHOLE_PROJECT
    return Picked(found, offered, whole)


def _picked(request: Request, who: EnterpriseUser, project: str | None = Query(None)) -> Picked:
    with database(request).engine.connect() as conn:
        return pick(conn, who, project)


#: A route parameter: the page's project for an enterprise user (404 outside their scope).
PickedProject = Annotated[Picked, Depends(_picked)]
