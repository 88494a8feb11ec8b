"""Scope checks: the one place that decides which projects and workers a caller may reach.

Out-of-scope records answer 404, as if they did not exist, so ids cannot be probed; a visible
record the role may not change answers 403.
"""

from sqlalchemy import Connection, select

from central.auth.users import Principal, Role
from central.errors import Forbidden, NotFound
from central.storage import schema

READ_ALL = (Role.ADMIN, Role.SUPERVISOR)


def visible_projects(conn: Connection, who: Principal) -> set[str] | None:
    """Project ids the caller may read; None means every project."""
    if who.role in READ_ALL:
        return None
    if who.role is Role.SITE_MANAGER:
        return {who.project_id} if who.project_id else set()
    if who.role is Role.CONTRACTOR_ADMIN:
        p, e = schema.projects.c, schema.employments.c
        own = set(conn.execute(select(p.id).where(p.contractor_id == who.enterprise_id)).scalars())
        employing = set(
            conn.execute(select(e.project_id).where(e.employer_id == who.enterprise_id)).scalars()
        )
        return own | employing
    p_ids = select(schema.employments.c.project_id).where(
        schema.employments.c.worker_id == who.worker_id
    )
    return set(conn.execute(p_ids).scalars())


def require_role(who: Principal, *roles: Role) -> None:
    if who.role not in roles and who.role is not Role.ADMIN:
        raise Forbidden(f"role {who.role.value} may not do this")


def require_project(conn: Connection, who: Principal, project_id: str, *roles: Role) -> None:
    """404 outside the caller's projects; 403 when ``roles`` are given and the role is not one."""
    visible = visible_projects(conn, who)
    if visible is not None and project_id not in visible:
        raise NotFound(f"project {project_id}")
    if roles:
        require_role(who, *roles)


def visible_workers_filter(conn: Connection, who: Principal):  # type: ignore[no-untyped-def]
    """A WHERE clause on ``workers.id`` for the caller, or None for everyone."""
    if who.role in READ_ALL:
        return None
    w = schema.workers.c
    if who.role is Role.WORKER:
        return w.id == who.worker_id
    projects = visible_projects(conn, who) or set()
    e = schema.employments.c
    return w.id.in_(select(e.worker_id).where(e.project_id.in_(projects)))


def require_worker(conn: Connection, who: Principal, worker_id: str) -> None:
    """404 unless the caller may see this worker (themselves, or employed in their projects)."""
    if who.role in READ_ALL:
        return
    if who.role is Role.WORKER:
        if worker_id != who.worker_id:
            raise NotFound(f"worker {worker_id}")
        return
    projects = visible_projects(conn, who) or set()
    e = schema.employments.c
    found = conn.execute(
        select(e.id).where(e.worker_id == worker_id, e.project_id.in_(projects)).limit(1)
    ).first()
    if found is None:
        raise NotFound(f"worker {worker_id}")


def may_see_whole_numbers(who: Principal) -> bool:
    """Whole ID/card numbers: the admin and the employer's payroll staff, nobody else."""
    return who.role in (Role.ADMIN, Role.CONTRACTOR_ADMIN)


def restrict(conn: Connection, who: Principal, query, site_column, worker_column=None):  # type: ignore[no-untyped-def]
    """Narrow a SELECT to the caller's projects (and, for a worker, to their own rows).

    The one-line scope for list routes written before auth existed (attendance, devices,
    dust): ``q = restrict(conn, who, q, table.c.site, table.c.worker_id)``.
    """
    visible = visible_projects(conn, who)
    if visible is not None:
        query = query.where(site_column.in_(sorted(visible)))
    if who.role is Role.WORKER:
        if worker_column is None:
            raise Forbidden("workers see their own records only")
        query = query.where(worker_column == who.worker_id)
    return query
