"""Scope checks: the one place that decides which projects, workers and records a caller may reach.

The tenancy model (docs/tenancy.md, 保障农民工工资支付条例 arts. 28–31):

- the **admin** runs the deployment and reaches everything;
- a **supervisor** reads every project under their GB/T 2260 division (a province account
  ``450000`` sees every project whose code starts ``45``, a city ``450100`` those starting
  ``4501``, a county exactly its own) and nothing else;
- a **general contractor's** admin (the enterprise of ``projects.contractor_id``) answers for
  the wages of everyone on its projects: it sees every worker there (masked), may reveal their
  whole numbers (audited), and runs the project's payroll (compute, approve, submit, retry);
- a **subcontractor's** admin (an enterprise registered on the project, or employing on it)
  sees and acts on its own workers only: employments whose ``employer_id`` is its enterprise,
  their attendance, wage lines and warnings, never another employer's;
- a **site manager** is the general contractor's office on one project;
- a **worker** sees their own records.

Out-of-scope records answer 404, as if they did not exist, so ids cannot be probed; a visible
record the caller may not change answers 403.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    Table,
    and_,
    exists,
    false,
    or_,
    select,
    true,
)

from central.auth.users import Principal, Role, principal_of
from central.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from central.storage import schema
from central.storage.project_scope import in_scope

READ_ALL = (Role.ADMIN,)
WHOLE_PROJECT = "whole"  # sees every worker of the project
OWN_WORKERS = "own_workers"  # sees its own enterprise's workers on the project


def jurisdiction_prefix(division_code: str) -> str:
    """``450000`` → ``45`` (province), ``450100`` → ``4501`` (city), ``450102`` itself (county)."""
    if division_code.endswith("0000"):
        return division_code[:2]
    if division_code.endswith("00"):
        return division_code[:4]
    return division_code


def _supervised(conn: Connection, who: Principal) -> set[str]:
    if not who.division_code:
        return set()
    p = schema.projects.c
    prefix = jurisdiction_prefix(who.division_code)
    return set(conn.execute(select(p.id).where(p.division_code.startswith(prefix))).scalars())


def general_projects(conn: Connection, enterprise_id: int | None) -> set[str]:
    """Projects whose general contractor is this enterprise."""
    if enterprise_id is None:
        return set()
    p = schema.projects.c
    return set(conn.execute(select(p.id).where(p.contractor_id == enterprise_id)).scalars())


def visible_projects(conn: Connection, who: Principal) -> set[str] | None:
    """Project ids the caller may read (some of it); None means every project."""
    if who.role in READ_ALL:
        return None
    if who.role is Role.SUPERVISOR:
        return _supervised(conn, who)
    if who.role is Role.SITE_MANAGER:
        return {who.project_id} if who.project_id else set()
    if who.role is Role.CONTRACTOR_ADMIN:
        e, r = schema.employments.c, schema.project_enterprises.c
        registered = select(r.project_id).where(r.enterprise_id == who.enterprise_id)
        employing = select(e.project_id).where(e.employer_id == who.enterprise_id)
        return (
            general_projects(conn, who.enterprise_id)
            | set(conn.execute(registered).scalars())
            | set(conn.execute(employing).scalars())
        )
    p_ids = select(schema.employments.c.project_id).where(
        schema.employments.c.worker_id == who.worker_id
    )
    return set(conn.execute(p_ids).scalars())


def whole_projects(conn: Connection, who: Principal) -> set[str] | None:
    """Projects where the caller sees every worker; None means every project."""
    if who.role in READ_ALL:
        return None
    if who.role is Role.SUPERVISOR:
        return _supervised(conn, who)
    if who.role is Role.SITE_MANAGER:
        return {who.project_id} if who.project_id else set()
    if who.role is Role.CONTRACTOR_ADMIN:
        return general_projects(conn, who.enterprise_id)
    return set()


def project_reach(conn: Connection, who: Principal, project_id: str) -> str | None:
    """``whole``, ``own_workers`` (a subcontractor, a worker) or None (not visible)."""
    whole = whole_projects(conn, who)
    if whole is None or project_id in whole:
        return WHOLE_PROJECT
    visible = visible_projects(conn, who)
    return OWN_WORKERS if visible is not None and project_id in visible else None


def require_role(who: Principal, *roles: Role) -> None:
    if who.role not in roles and who.role is not Role.ADMIN:
        raise Forbidden(f"role {who.role.value} may not do this")


def own_worker(who: Principal, refusal: str = "only a worker account has a personal view") -> str:
    """The worker id of a worker's account, for the ``/me`` routes: they key every query on
    the token's worker, never on a parameter, so any other account is refused (403)."""
    if who.role is not Role.WORKER or not who.worker_id:
        raise Forbidden(refusal)
    return who.worker_id


def require_project(
    conn: Connection, who: Principal, project_id: str, *roles: Role, whole: bool = False
) -> None:
    """404 outside the caller's projects; 403 when ``roles`` are given and the role is not one.

    ``whole``: the action concerns the whole project (its payroll batch, closing its days, its
    calendar), which is the general contractor's: a subcontractor on the project gets 403.
    """
    reach = project_reach(conn, who, project_id)
    if reach is None:
        raise NotFound(f"project {project_id}")
    if roles:
        require_role(who, *roles)
    if whole and reach != WHOLE_PROJECT:
        raise Forbidden("only the project's general contractor may do this")


def _own_employment(
    who: Principal, project_column: ColumnElement[Any], worker_column: ColumnElement[Any]
) -> ColumnElement[bool]:
    """An employment of ``worker_column`` on ``project_column`` by the caller's enterprise."""
    e = schema.employments.c
    return exists().where(
        e.project_id == project_column,
        e.worker_id == worker_column,
        e.employer_id == who.enterprise_id,
    )


def employments_filter(conn: Connection, who: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause on ``employments`` (or a table with the same project/worker/employer
    columns, e.g. ``contracts``): the rows the caller may read; None for every row."""
    return records_filter(conn, who, schema.employments)


def records_filter(conn: Connection, who: Principal, table: Table) -> ColumnElement[bool] | None:
    """Rows of ``employments`` or ``contracts`` the caller may read: its whole projects' rows,
    and for an enterprise its own (``employer_id``) anywhere. None for every row."""
    if who.role in READ_ALL:
        return None
    if who.role is Role.WORKER:
        return table.c.worker_id == who.worker_id
    whole = whole_projects(conn, who) or set()
    clause: ColumnElement[bool] = in_scope(table.c.project_id, whole)
    if who.role is Role.CONTRACTOR_ADMIN:
        clause = or_(clause, table.c.employer_id == who.enterprise_id)
    return clause


def trainings_filter(conn: Connection, who: Principal) -> ColumnElement[bool] | None:
    """Training records: project-less ones (the worker's own certificates, recorded by the
    admin) and those of projects where the caller sees the worker's employment."""
    if who.role in READ_ALL:
        return None
    if who.role is Role.WORKER:
        return schema.trainings.c.worker_id == who.worker_id
    t, e = schema.trainings.c, schema.employments.c
    reach = records_filter(conn, who, schema.employments)
    mine = select(e.project_id).where(e.worker_id == t.worker_id)
    if reach is not None:
        mine = mine.where(reach)
    return or_(t.project_id.is_(None), t.project_id.in_(mine))


def visible_workers_filter(conn: Connection, who: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause on ``workers.id`` for the caller, or None for everyone."""
    if who.role in READ_ALL:
        return None
    w = schema.workers.c
    if who.role is Role.WORKER:
        return w.id == who.worker_id
    e = schema.employments.c
    reach = employments_filter(conn, who)
    return w.id.in_(select(e.worker_id).where(reach if reach is not None else true()))


def require_worker(conn: Connection, who: Principal, worker_id: str) -> None:
    """404 unless the caller may see this worker (themselves, or employed in their reach)."""
    if who.role in READ_ALL:
        return
    clause = visible_workers_filter(conn, who)
    w = schema.workers.c
    q = select(w.id).where(w.id == worker_id)
    if clause is not None:
        q = q.where(clause)
    found = conn.execute(q.limit(1)).first()
    if found is None:
        raise NotFound(f"worker {worker_id}")


def project_workers_filter(
    conn: Connection, who: Principal, project_id: str, worker_column: ColumnElement[Any]
) -> ColumnElement[bool] | None:
    """Rows of one project's workers the caller may see (attendance days, wage lines,
    corrections): every worker for the whole project's staff, a subcontractor's own workers,
    a worker's own rows; None for every row."""
    if who.role is Role.WORKER:
        return worker_column == who.worker_id
    if project_reach(conn, who, project_id) == WHOLE_PROJECT:
        return None
    if who.role is not Role.CONTRACTOR_ADMIN:
        return false()
    e = schema.employments.c
    return worker_column.in_(
        select(e.worker_id).where(e.project_id == project_id, e.employer_id == who.enterprise_id)
    )


def require_worker_on_project(
    conn: Connection, who: Principal, project_id: str, worker_id: str
) -> None:
    """404 unless the worker is employed on the project and within the caller's reach there
    (a subcontractor: employed by it); for adjustments, corrections and the like."""
    e = schema.employments.c
    q = select(e.id).where(e.project_id == project_id, e.worker_id == worker_id)
    if project_reach(conn, who, project_id) != WHOLE_PROJECT:
        if who.role is not Role.CONTRACTOR_ADMIN:
            raise NotFound(f"worker {worker_id}")
        q = q.where(e.employer_id == who.enterprise_id)
    if conn.execute(q.limit(1)).first() is None:
        raise NotFound(f"worker {worker_id}")


def revealable(conn: Connection, who: Principal, worker_ids: list[str]) -> set[str]:
    """Workers whose whole ID and card numbers the caller may see (each reveal is audited).

    The admin; an enterprise that currently employs the worker; the general contractor of a
    project the worker currently works on (it pays them through the project's wage account,
    art. 31). Nobody else: supervisors, site managers and former employers see masks.
    """
    if who.role in READ_ALL:
        return set(worker_ids)
    if who.role is not Role.CONTRACTOR_ADMIN or not worker_ids:
        return set()
    e, p = schema.employments.c, schema.projects.c
    today = date.today().isoformat()
    current = and_(
        e.worker_id.in_(worker_ids),
        e.start_date <= today,
        or_(e.end_date.is_(None), e.end_date >= today),
    )
    rows = conn.execute(
        select(e.worker_id)
        .join(schema.projects, p.id == e.project_id)
        .where(
            current, or_(e.employer_id == who.enterprise_id, p.contractor_id == who.enterprise_id)
        )
    )
    return set(rows.scalars())


def may_see_whole_numbers(who: Principal) -> bool:
    """Whether the role can ever see whole numbers (which workers: :func:`revealable`)."""
    return who.role in (Role.ADMIN, Role.CONTRACTOR_ADMIN)


def _employed_elsewhere(conn: Connection, enterprise_id: int) -> Select[Any]:
    """Worker ids with an employment (past or present) outside the enterprise's reach: another
    employer's, on a project it is not general contractor of."""
    e = schema.employments.c
    mine = general_projects(conn, enterprise_id)
    return select(e.worker_id).where(
        e.employer_id != enterprise_id, e.project_id.not_in(sorted(mine))
    )


def kept_workers(conn: Connection, enterprise_id: int) -> Select[Any]:
    """Worker ids whose account this enterprise manages: it employs them, and no employment
    of theirs lies outside its reach (see :func:`kept_records`)."""
    e = schema.employments.c
    return select(e.worker_id).where(
        e.employer_id == enterprise_id,
        e.worker_id.not_in(_employed_elsewhere(conn, enterprise_id)),
    )


def kept_records(conn: Connection, who: Principal, worker_ids: list[str]) -> set[str]:
    """Workers whose person-wide record ``who`` keeps: the admin all; an enterprise admin those
    it employs or who work on its projects, when every employment of theirs (past or present)
    is its own or on a project it is general contractor of.

    The real-name record (payroll card, name, bank) and the worker's account are one per
    person and reach every employer's side of them: a worker's account reads all of their
    wage lines, a replaced card is the one every employer's bank file pays, and the whole
    card number is another employer's payroll data. An enterprise that merely linked a known
    person by their ID number gets none of these; when unrelated employers share a worker,
    the admin changes the record.
    """
    if who.role in READ_ALL:
        return set(worker_ids)
    if who.role is not Role.CONTRACTOR_ADMIN or who.enterprise_id is None:
        return set()
    return kept_by(conn, who.enterprise_id, worker_ids)


def kept_by(conn: Connection, enterprise_id: int, worker_ids: list[str]) -> set[str]:
    """The workers among ``worker_ids`` whose record this enterprise keeps (as above)."""
    if not worker_ids:
        return set()
    e = schema.employments.c
    mine = general_projects(conn, enterprise_id)
    rows = conn.execute(
        select(e.worker_id)
        .where(
            e.worker_id.in_(worker_ids),
            or_(e.employer_id == enterprise_id, in_scope(e.project_id, mine)),
            e.worker_id.not_in(_employed_elsewhere(conn, enterprise_id)),
        )
        .distinct()
    )
    return set(rows.scalars())


def keeps_record(conn: Connection, who: Principal, worker_id: str) -> bool:
    """Whether ``who`` may change the worker's person-wide record (see :func:`kept_records`)."""
    return worker_id in kept_records(conn, who, [worker_id])


def editable_records(conn: Connection, who: Principal, worker_ids: list[str]) -> set[str]:
    """Workers whose person-wide record (card, name, bank) ``who`` may change: those whose
    whole numbers it may see (:func:`revealable`: it employs or pays them now) and whose
    record it keeps (:func:`kept_records`): a few queries for any number of workers."""
    if not worker_ids:
        return set()
    return revealable(conn, who, worker_ids) & kept_records(conn, who, worker_ids)


def require_record_editor(conn: Connection, who: Principal, worker_id: str) -> None:
    """403 unless ``who`` may change the worker's record (:func:`editable_records`), saying
    which half of the rule fails; the caller has checked the worker is visible
    (:func:`require_worker`)."""
    if worker_id not in revealable(conn, who, [worker_id]):
        raise Forbidden("only the worker's employer or general contractor edits the record")
    if not keeps_record(conn, who, worker_id):
        raise Forbidden("this worker's record is shared with another employer: the admin edits it")


#: Warnings only supervisors and the admin read: a worker's wage complaint goes to the labour
#: inspectors, and the employer hears of it from them, not from its own queue (a worker must
#: not be pressed to withdraw a complaint before anyone has looked at it).
SUPERVISION_ONLY_KINDS = ("complaint", "complaint_overdue")


def warnings_filter(conn: Connection, who: Principal) -> ColumnElement[bool] | None:
    """Wage warnings the caller may read: whole projects' warnings, and a subcontractor's
    warnings about its own workers, never a worker's complaint; None for every warning."""
    if who.role in READ_ALL:
        return None
    w = schema.wage_warnings.c
    whole = whole_projects(conn, who) or set()
    clause: ColumnElement[bool] = in_scope(w.project_id, whole)
    if who.role is Role.CONTRACTOR_ADMIN:
        clause = or_(
            clause,
            and_(w.worker_id.is_not(None), _own_employment(who, w.project_id, w.worker_id)),
        )
    if who.role is Role.SUPERVISOR:
        return clause
    return and_(clause, w.kind.not_in(SUPERVISION_ONLY_KINDS))


def require_warning(conn: Connection, who: Principal, warning_id: int) -> None:
    """404 unless the caller may read the warning; 403 unless it may handle it (the general
    contractor, the employer of the worker it is about, a supervisor, the admin)."""
    w = schema.wage_warnings.c
    q = select(w.id).where(w.id == warning_id)
    clause = warnings_filter(conn, who)
    if clause is not None:
        q = q.where(clause)
    if conn.execute(q).first() is None:
        raise NotFound(f"warning {warning_id}")
    require_role(who, Role.CONTRACTOR_ADMIN, Role.SUPERVISOR)


_LEVELS = {"province": 0, "city": 1, "county": 2}


def division_level(code: str) -> str:
    """``450000`` province, ``450100`` city, ``450102`` county (GB/T 2260)."""
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


def parent_division(code: str) -> str | None:
    """The level above: a county's city, a city's province; None above a province."""
    level = division_level(code)
    if level == "province":
        return None
    return code[:2] + "0000" if level == "city" else code[:4] + "00"


def escalation_target(conn: Connection, who: Principal, warning_id: int) -> str:
    """Where this caller's escalation sends a warning: the level above its own (a county's
    supervisor → its city, a city's → the province); the admin's, one level above where the
    warning stands. Call after :func:`require_warning`. 403 for anyone but a supervisor or an
    enterprise's admin, 409 when the warning is already there or higher, or its project has no
    division.

    An enterprise's level above is the labour inspection: its admin refers a warning it cannot
    settle (a subcontractor that does not pay, a bank that keeps refusing) to the supervisors
    of the project's own division, who see it anyway; ``escalated_to`` then names that
    division, and only they escalate it further.
    """
    require_role(who, Role.SUPERVISOR, Role.CONTRACTOR_ADMIN)
    w, p = schema.wage_warnings.c, schema.projects.c
    row = conn.execute(
        select(w.escalated_to, p.division_code)
        .select_from(schema.wage_warnings.outerjoin(schema.projects, p.id == w.project_id))
        .where(w.id == warning_id)
    ).one()
    current = row.escalated_to or row.division_code
    if current is None:
        raise Conflict.of(
            N_("warning %(warning)s's project has no division to escalate from"),
            warning=warning_id,
        )
    if who.role is Role.CONTRACTOR_ADMIN:
        if row.escalated_to is not None:
            raise Conflict.of(
                N_("warning %(warning)s is with the labour inspectors already"),
                warning=warning_id,
            )
        return str(row.division_code)
    base = current if who.role is Role.ADMIN else who.division_code or ""
    target = parent_division(base) if base else None
    if target is None:
        raise Conflict.of(N_("a province's supervisors have no level above them to escalate to"))
    if _LEVELS[division_level(current)] <= _LEVELS[division_level(target)]:
        raise Conflict.of(
            N_("warning %(warning)s is already escalated to %(division)s"),
            warning=warning_id,
            division=current,
        )
    return target


def require_assignable(conn: Connection, username: str, warning_id: int) -> None:
    """A warning is assigned only to an enabled account that may itself handle it. Unknown and
    out-of-scope names get the same answer, so the form is no oracle for accounts."""
    u = schema.users
    row = conn.execute(select(u).where(u.c.username == username, u.c.disabled == 0)).first()
    try:
        if row is None:
            raise NotFound(username)
        require_warning(conn, principal_of(row), warning_id)
    except (NotFound, Forbidden):
        raise InvalidInput.of(
            N_("no account named %(name)s may handle this warning"), name=repr(username[:64])
        ) from None


def restrict(
    conn: Connection,
    who: Principal,
    query: Select[Any],
    site_column: ColumnElement[Any],
    worker_column: ColumnElement[Any] | None = None,
) -> Select[Any]:
    """Narrow a SELECT to the caller's reach (projects; for an enterprise on a project it does
    not run, its own workers; for a worker, their own rows).

    The one-line scope for list routes (attendance, devices, dust):
    ``q = restrict(conn, who, q, table.c.site, table.c.worker_id)``.
    """
    if who.role is Role.WORKER:
        if worker_column is None:
            raise Forbidden("workers see their own records only")
        query = query.where(worker_column == who.worker_id)
    visible = visible_projects(conn, who)
    if visible is None:
        return query
    if who.role is Role.CONTRACTOR_ADMIN and worker_column is not None:
        whole = whole_projects(conn, who) or set()
        return query.where(
            or_(
                in_scope(site_column, whole),
                _own_employment(who, site_column, worker_column),
            )
        )
    return query.where(in_scope(site_column, visible))


def may_register_on(conn: Connection, who: Principal, project_id: str) -> None:
    """Registering subcontractors on a project, changing its status: its general contractor
    (or the admin). 404 outside the caller's projects, 403 for anyone else who sees it."""
    require_project(conn, who, project_id, Role.CONTRACTOR_ADMIN, whole=True)


def require_employer_on(
    conn: Connection, who: Principal, project_id: str, employer_id: int
) -> None:
    """Employing someone on a project: the general contractor (for itself or a subcontractor
    registered there), a registered subcontractor (for itself only), or the admin."""
    require_project(conn, who, project_id, Role.CONTRACTOR_ADMIN)
    p, r = schema.projects.c, schema.project_enterprises.c
    contractor = conn.execute(
        select(p.contractor_id).where(p.id == project_id)
    ).scalar_one_or_none()
    if contractor is None:  # an admin reaches every project id, even one never registered
        raise NotFound(f"project {project_id}")
    registered = set(
        conn.execute(select(r.enterprise_id).where(r.project_id == project_id)).scalars()
    )
    if employer_id != contractor and employer_id not in registered:
        raise InvalidInput(
            f"enterprise {employer_id} is not registered on project {project_id}: its general "
            "contractor registers subcontractors first"
        )
    if who.role is Role.CONTRACTOR_ADMIN and who.enterprise_id not in (employer_id, contractor):
        raise Forbidden("a subcontractor employs workers for its own enterprise only")


def consent_enterprise(conn: Connection, who: Principal, worker_id: str) -> int | None:
    """The enterprise a face consent is recorded for, withdrawn from, or enrolled under when
    this caller acts (central/registry/enrollment.py); None for the admin (every employer).

    An enterprise's admin acts for its enterprise, a site manager for the project's general
    contractor. The worker must be within the caller's reach (404 otherwise); a supervisor
    or worker acting as staff gets 403.
    """
    require_worker(conn, who, worker_id)
    require_role(who, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)
    if who.role is Role.ADMIN:
        return None
    if who.role is Role.CONTRACTOR_ADMIN:
        return who.enterprise_id
    p = schema.projects.c
    return conn.execute(select(p.contractor_id).where(p.id == who.project_id)).scalar_one()


def project_worker_ids(conn: Connection, who: Principal, project_id: str) -> set[str] | None:
    """The workers of one project whose rows the caller may read; None for all of them."""
    e = schema.employments.c
    clause = project_workers_filter(conn, who, project_id, e.worker_id)
    if clause is None:
        return None
    q = select(e.worker_id).where(e.project_id == project_id, clause)
    return set(conn.execute(q).scalars())


def worker_projects(conn: Connection, who: Principal, worker_id: str) -> set[str] | None:
    """The projects whose records of this worker the caller may read (their evidence
    statement is cut to these); None for all of them (the admin, the worker themselves)."""
    if who.role in READ_ALL or who.role is Role.WORKER:
        return None
    e = schema.employments.c
    clause = employments_filter(conn, who)
    q = select(e.project_id).where(e.worker_id == worker_id)
    if clause is not None:
        q = q.where(clause)
    return set(conn.execute(q).scalars())


def enterprises_filter(conn: Connection, who: Principal) -> ColumnElement[bool] | None:
    """Enterprises the caller may list: a supervisor those working on projects in its
    division (general contractors, registered and employing enterprises), an enterprise's
    staff their own; None for every enterprise (the admin)."""
    if who.role in READ_ALL:
        return None
    ent = schema.enterprises.c
    if who.role is not Role.SUPERVISOR:
        return ent.id == who.enterprise_id if who.enterprise_id else false()
    projects = _supervised(conn, who)
    p, r, e = schema.projects.c, schema.project_enterprises.c, schema.employments.c
    return or_(
        ent.id.in_(select(p.contractor_id).where(in_scope(p.id, projects))),
        ent.id.in_(select(r.enterprise_id).where(in_scope(r.project_id, projects))),
        ent.id.in_(select(e.employer_id).where(in_scope(e.project_id, projects))),
    )


def may_manage_gates(conn: Connection, who: Principal, project_id: str) -> None:
    """Provisioning a project's gates and pushing their config: the general contractor's
    office (its admin, the project's site manager) or the admin. 404 outside the caller's
    projects, 403 for a subcontractor or supervisor who sees the project."""
    require_project(conn, who, project_id, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER, whole=True)


def job_poster(conn: Connection, who: Principal, project_id: str) -> int:
    """Posting a job (招工宝) on a project: an enterprise's admin that may employ there for
    itself (its general contractor or a registered subcontractor); the post is its
    enterprise's. 404 outside the caller's projects, 403 for every other role."""
    if who.role is not Role.CONTRACTOR_ADMIN or who.enterprise_id is None:
        raise Forbidden("job posts are made by an enterprise's administrator")
    require_employer_on(conn, who, project_id, who.enterprise_id)
    return who.enterprise_id


def job_owner(who: Principal) -> int | None:
    """Whose job posts, applicants and résumés the caller reads and answers: its own
    enterprise's (an enterprise's admin), every one (the admin: None); 403 for anyone else."""
    if who.role is Role.ADMIN:
        return None
    if who.role is Role.CONTRACTOR_ADMIN and who.enterprise_id is not None:
        return who.enterprise_id
    raise Forbidden("job posts are an enterprise administrator's")


def own_enterprise(who: Principal) -> int | None:
    """The enterprise whose part on each project a list shows: a contractor admin's own;
    None for the general contractor's site managers and the admin."""
    return who.enterprise_id if who.role is Role.CONTRACTOR_ADMIN else None


def project_worker_cut(
    conn: Connection, who: Principal, project_id: str
) -> Callable[[ColumnElement[Any]], ColumnElement[bool] | None]:
    """:func:`project_workers_filter` bound to the caller and the project, for report
    functions that apply it to several tables' worker columns."""
    return lambda column: project_workers_filter(conn, who, project_id, column)


def enterprise_assets(conn: Connection, who: Principal) -> set[int] | None:
    """Enterprises whose contract templates and training courses the caller may read and use;
    None for every one (the admin). An enterprise's admin: its own; a site manager: its
    project's general contractor's; anyone else: none."""
    if who.role in READ_ALL:
        return None
    if who.role is Role.CONTRACTOR_ADMIN and who.enterprise_id is not None:
        return {who.enterprise_id}
    if who.role is Role.SITE_MANAGER and who.project_id:
        p = schema.projects.c
        found = conn.execute(select(p.contractor_id).where(p.id == who.project_id)).scalar()
        return {int(found)} if found is not None else set()
    return set()
