"""Account management: who may create, list, disable, enable and reset which accounts.

- The **admin** manages every account.
- A **contractor admin** manages its own enterprise's staff and workers: site-manager
  accounts of the projects it is general contractor of, and worker accounts of the workers
  it employs (an employment whose ``employer_id`` is its enterprise) and whom no other
  employer employs outside its own projects: a worker's account opens every employer's
  records about them (``/me``), so an enterprise that merely linked a known person cannot
  reset their account and read another employer's records as them. It cannot create an
  admin, supervisor or contractor-admin account, and any other account is invisible to it
  (404, as if it did not exist).
- Every other role is refused (403).

An account made or reset by someone else must set its own password at next login
(``must_change_password``): the person who typed or received the password is not its owner.
Without a given password, a one-time temporary password is generated and returned once;
only its hash is stored. Every change is audited and every change of standing (disable,
reset) revokes the account's tokens at once.
"""

import secrets
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import ColumnElement, Connection, Row, false, or_, select

from central import audit
from central.auth import scope, tokens
from central.auth.passwords import MAX_LENGTH, WeakPassword, check_new_password
from central.auth.users import (
    Principal,
    Role,
    UserIn,
    add_user,
    hash_password,
    require_scope_records,
    scope_of,
)
from central.errors import Conflict, Forbidden, InvalidInput, NotFound
from central.storage import Database, schema

MANAGERS = (Role.ADMIN, Role.CONTRACTOR_ADMIN)
CONTRACTOR_MAY_CREATE = (Role.SITE_MANAGER, Role.WORKER)


def _require_manager(who: Principal) -> None:
    if who.role not in MANAGERS:
        raise Forbidden(f"role {who.role.value} may not manage accounts")


def manageable(conn: Connection, who: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause on ``users`` for the accounts ``who`` manages (None: every account)."""
    _require_manager(who)
    if who.role is Role.ADMIN:
        return None
    if who.enterprise_id is None:
        return false()
    u = schema.users.c
    projects = scope.general_projects(conn, who.enterprise_id)
    return or_(
        (u.role == Role.SITE_MANAGER.value) & u.project_id.in_(sorted(projects)),
        (u.role == Role.WORKER.value)
        & u.worker_id.in_(scope.kept_workers(conn, who.enterprise_id)),
    )


def _account(conn: Connection, who: Principal, user_id: int) -> Row[Any]:
    u = schema.users
    q = select(u).where(u.c.id == user_id)
    where = manageable(conn, who)
    if where is not None:
        q = q.where(where)
    row = conn.execute(q).first()
    if row is None:
        raise NotFound("account not found")
    return row


def _check_reach(conn: Connection, who: Principal, data: UserIn) -> None:
    """A contractor admin's new account is a site manager or worker of its own (else 403/404).

    Whether the scope's records exist, and one account per worker, are add_user's checks
    (``require_scope_records``), the same for the CLI and the API.
    """
    if who.role is not Role.CONTRACTOR_ADMIN:
        return
    if data.role not in CONTRACTOR_MAY_CREATE:
        raise Forbidden("a contractor admin creates site manager and worker accounts only")
    if data.project_id is not None and data.project_id not in scope.general_projects(
        conn, who.enterprise_id
    ):
        raise NotFound("project not found")
    if data.worker_id is not None:
        e = schema.employments.c
        kept = (
            conn.execute(
                scope.kept_workers(conn, who.enterprise_id).where(e.worker_id == data.worker_id)
            ).first()
            if who.enterprise_id is not None
            else None
        )
        if kept is None:
            raise NotFound("worker not found")


def temporary_password(username: str, role: str) -> str:
    """A random password that meets the role's rule, to be handed over once."""
    while True:
        candidate = secrets.token_urlsafe(12)
        try:
            check_new_password(candidate, username, role)
        except WeakPassword:
            continue
        return candidate


class AccountIn(UserIn):
    """A new account; without ``password`` a temporary one is generated and returned once."""

    password: str | None = Field(None, min_length=1, max_length=MAX_LENGTH)  # type: ignore[assignment]  # optional, unlike UserIn's: a missing one is generated


def create(
    db: Database, who: Principal, data: AccountIn, client: str | None = None
) -> tuple[dict[str, Any], str | None]:
    """A new account in ``who``'s reach; the temporary password when none was given."""
    _require_manager(who)
    generated = None
    if data.password is None:
        generated = temporary_password(data.username, data.role)
    user = UserIn.model_validate({**data.model_dump(), "password": data.password or generated})
    with db.engine.connect() as conn:
        _check_reach(conn, who, user)
    made = add_user(
        db,
        user,
        by=audit.Actor(who.username, who.role.value, client),
        must_change_password=True,
    )
    return get(db, who, made.user_id), generated


def get(db: Database, who: Principal, user_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return public(_account(conn, who, user_id))


def listing(
    db: Database,
    who: Principal,
    *,
    role: Role | None = None,
    disabled: bool | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Accounts ``who`` manages, by id, ``limit`` at a time after ``after_id``."""
    u = schema.users
    with db.engine.connect() as conn:
        q = select(u).order_by(u.c.id).limit(limit)
        where = manageable(conn, who)
        if where is not None:
            q = q.where(where)
        if role is not None:
            q = q.where(u.c.role == role.value)
        if disabled is not None:
            q = q.where(u.c.disabled == int(disabled))
        if after_id is not None:
            q = q.where(u.c.id > after_id)
        return [public(r) for r in conn.execute(q)]


def set_disabled(
    db: Database, who: Principal, user_id: int, disabled: bool, client: str | None = None
) -> dict[str, Any]:
    """Disable (tokens revoked at once, login refused) or enable an account."""
    u = schema.users
    with db.begin() as conn:
        row = _account(conn, who, user_id)
        if disabled and row.id == who.user_id:
            raise Conflict("an account cannot disable itself")
        conn.execute(u.update().where(u.c.id == row.id).values(disabled=int(disabled)))
        revoked = tokens.revoke_all(conn, row.id) if disabled else 0
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client),
            "account.disabled" if disabled else "account.enabled",
            target_kind="user",
            target_id=row.id,
            project_id=_project_of(row),
            detail={"username": row.username, "revoked_tokens": revoked},
        )
    return get(db, who, user_id)


def reset_password(
    db: Database,
    who: Principal,
    user_id: int,
    password: str | None = None,
    client: str | None = None,
) -> tuple[dict[str, Any], str | None]:
    """Set a given password or a generated one; the owner must change it at next login.

    Every token of the account is revoked. Returns the account and the generated password
    (None when one was given).
    """
    with db.engine.connect() as conn:
        row = _account(conn, who, user_id)
    if row.id == who.user_id:
        raise Conflict("change your own password with POST /api/v1/auth/password")
    generated = None
    if password is None:
        password = generated = temporary_password(row.username, row.role)
    else:
        check_new_password(password, row.username, row.role)
    u = schema.users
    with db.begin() as conn:
        conn.execute(
            u.update()
            .where(u.c.id == row.id)
            .values(password_hash=hash_password(password), must_change_password=1)
        )
        revoked = tokens.revoke_all(conn, row.id)
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client),
            "password.reset",
            target_kind="user",
            target_id=row.id,
            project_id=_project_of(row),
            detail={
                "username": row.username,
                "generated": generated is not None,
                "revoked_tokens": revoked,
            },
        )
    return get(db, who, user_id), generated


class ScopeIn(BaseModel):
    """An account's new role and scope (the same pairing rules as a new account's)."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    enterprise_id: int | None = None
    project_id: str | None = None
    worker_id: str | None = None
    division_code: str | None = None


def change_scope(
    db: Database, who: Principal, user_id: int, new: ScopeIn, client: str | None = None
) -> dict[str, Any]:
    """The admin moves an account to another role or scope; its tokens are revoked."""
    if who.role is not Role.ADMIN:
        raise Forbidden("only the admin changes an account's role or scope")
    with db.engine.connect() as conn:
        row = _account(conn, who, user_id)
    try:  # the pairing rules live on UserIn; the password is not part of this change
        as_user = UserIn.model_validate(
            {**new.model_dump(), "username": row.username, "password": "unchanged"}
        )
    except ValidationError as exc:
        raise InvalidInput(str(exc.errors()[0]["msg"])) from None
    if row.id == who.user_id:
        raise Conflict("an admin cannot change its own role or scope")
    before = scope_of(row)
    u = schema.users
    with db.begin() as conn:
        if as_user.worker_id is None or as_user.worker_id != row.worker_id:
            require_scope_records(conn, as_user)
        conn.execute(
            u.update()
            .where(u.c.id == row.id)
            .values(role=new.role.value, **new.model_dump(exclude={"role"}))
        )
        revoked = tokens.revoke_all(conn, row.id)
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client),
            "account.scope_changed",
            target_kind="user",
            target_id=row.id,
            project_id=new.project_id or _project_of(row),
            detail={
                "username": row.username,
                "from": before,
                "to": scope_of(as_user),
                "revoked_tokens": revoked,
            },
        )
    return get(db, who, user_id)


def _project_of(row: Row[Any]) -> str | None:
    return row.project_id if row.role == Role.SITE_MANAGER.value else None


PUBLIC_FIELDS: Iterable[str] = (
    "id",
    "username",
    "role",
    "enterprise_id",
    "project_id",
    "worker_id",
    "division_code",
    "created_at",
)


def public(row: Row[Any]) -> dict[str, Any]:
    """What an account answer shows: never the password hash."""
    m = row._mapping
    out = {f: m[f] for f in PUBLIC_FIELDS if f in m}
    out["disabled"] = bool(m["disabled"])
    out["must_change_password"] = bool(m["must_change_password"])
    out["scope"] = scope_of(row)
    return out
