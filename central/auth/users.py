"""User accounts: roles and scopes, creation, login and password changes.

Passwords are argon2id hashes (pwdlib); a new password must meet its role's rule
(central/auth/passwords.py). Every password check goes through the login throttle
(central/auth/throttle.py) and leaves an audit row (central/audit.py) that names the account
and the client address, never the password. Tokens: central/auth/tokens.py.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pwdlib import PasswordHash
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, Row, select
from sqlalchemy.exc import IntegrityError

from central import audit
from central.auth import tokens
from central.auth.passwords import MAX_LENGTH, check_new_password
from central.auth.throttle import LoginThrottle, Throttled
from central.clock import now_iso
from central.errors import Conflict, InvalidInput, InvalidValue, NotFound, Unauthenticated
from central.registry import validation
from central.storage import Database, schema
from central.validation import DbId, ProjectId, WorkerIdText

TOKEN_TTL = tokens.TOKEN_TTL
_hasher = PasswordHash.recommended()  # argon2id
# Verifying against this when the user does not exist costs the same time as a real check,
# so response times do not reveal which usernames exist.
_DUMMY_HASH = _hasher.hash("not a real password")


class Role(StrEnum):
    ADMIN = "admin"  # runs the deployment: registry and accounts everywhere
    SUPERVISOR = "supervisor"  # labour inspection: reads everything
    CONTRACTOR_ADMIN = "contractor_admin"  # one enterprise's projects; approves payroll
    SITE_MANAGER = "site_manager"  # one project; corrects attendance, closes days
    WORKER = "worker"  # their own attendance, wages, payments, contracts


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{3,64}$")]
    # the length and strength rules are the role's (central/auth/passwords.py)
    password: Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]
    role: Role
    enterprise_id: DbId | None = None
    project_id: ProjectId | None = None
    worker_id: WorkerIdText | None = None
    division_code: str | None = Field(
        None, description="a supervisor's GB/T 2260 division: province, city or county"
    )

    @model_validator(mode="after")
    def _scope_matches_role(self) -> "UserIn":
        needs = {
            Role.CONTRACTOR_ADMIN: "enterprise_id",
            Role.SITE_MANAGER: "project_id",
            Role.WORKER: "worker_id",
            Role.SUPERVISOR: "division_code",
        }.get(self.role)
        if self.division_code is not None:
            try:
                validation.division_code(self.division_code)
            except InvalidInput as exc:
                raise InvalidValue.from_error(exc) from None
        for name in ("enterprise_id", "project_id", "worker_id", "division_code"):
            given = getattr(self, name) is not None
            if given != (name == needs):
                state = "needs" if name == needs else "must not have"
                raise ValueError(f"role {self.role.value} {state} {name}")
        return self


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as every scope check sees it."""

    user_id: int
    username: str
    role: Role
    enterprise_id: int | None
    project_id: str | None
    worker_id: str | None
    division_code: str | None = None  # a supervisor's jurisdiction (GB/T 2260)
    # the token this request came with (SHA-256), so logout and a password change know it
    token_sha256: str | None = None
    # set by an admin's reset: every route but the password change answers 403 until then
    must_change_password: bool = False

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.username, self.role.value)


class BadCredentials(Unauthenticated):
    """Unknown user, wrong password or disabled account (deliberately not saying which)."""


class WrongPassword(InvalidInput):
    """The current password given with a password change is not the account's."""

    code = "wrong_password"


def require_scope_records(conn: Connection, data: UserIn) -> None:
    """The enterprise, project or worker an account is scoped to exists (404 otherwise), and a
    worker has one account at most (409): a scope naming nothing would be a dead account, or
    one a later record with that id silently inherits."""
    for table, value, what in (
        (schema.enterprises, data.enterprise_id, "enterprise"),
        (schema.projects, data.project_id, "project"),
        (schema.workers, data.worker_id, "worker"),
    ):
        if value is not None:
            found = conn.execute(select(table.c.id).where(table.c.id == value)).first()
            if found is None:
                raise NotFound(f"{what} {value} does not exist")
    if data.worker_id is not None:
        u = schema.users.c
        taken = conn.execute(select(u.id).where(u.worker_id == data.worker_id)).first()
        if taken is not None:
            raise Conflict(f"worker {data.worker_id} has an account already (one per worker)")


def add_user(
    db: Database,
    data: UserIn,
    *,
    by: audit.Actor = audit.SYSTEM,
    must_change_password: bool = False,
) -> Principal:
    """Create an account whose password meets its role's rule; audited as ``account.created``."""
    check_new_password(data.password, data.username, data.role)
    values = {
        **data.model_dump(exclude={"password"}),
        "role": data.role.value,
        "password_hash": _hasher.hash(data.password),
        "created_at": now_iso(),
        "disabled": 0,
        "must_change_password": int(must_change_password),
    }
    try:
        with db.begin() as conn:
            require_scope_records(conn, data)
            made = conn.execute(schema.users.insert().values(**values)).inserted_primary_key
            assert made is not None
            user_id = int(made[0])
            audit.record(
                conn,
                by,
                "account.created",
                target_kind="user",
                target_id=user_id,
                project_id=data.project_id,
                detail={"username": data.username, **scope_of(data)},
            )
    except IntegrityError:
        raise Conflict(f"user {data.username} already exists") from None
    return Principal(
        user_id,
        data.username,
        data.role,
        data.enterprise_id,
        data.project_id,
        data.worker_id,
        division_code=data.division_code,
    )


def scope_of(data: Any) -> dict[str, object]:
    """Role and scope fields of a user row or model, for audit details."""
    role = data.role.value if isinstance(data.role, Role) else data.role
    fields = ("enterprise_id", "project_id", "worker_id", "division_code")
    return {"role": role, **{f: getattr(data, f) for f in fields if getattr(data, f) is not None}}


def principal_of(row: Row[Any], token_sha256: str | None = None) -> Principal:
    return Principal(
        row.id,
        row.username,
        Role(row.role),
        row.enterprise_id,
        row.project_id,
        row.worker_id,
        division_code=row.division_code,
        token_sha256=token_sha256,
        must_change_password=bool(row.must_change_password),
    )


def _user_row(db: Database, username: str) -> Row[Any] | None:
    u = schema.users
    with db.engine.connect() as conn:
        return conn.execute(select(u).where(u.c.username == username)).first()


def _project_of(row: Row[Any]) -> str | None:
    return row.project_id if row.role == Role.SITE_MANAGER else None


def login(
    db: Database, username: str, password: str, client: str | None = None
) -> tuple[str, datetime, Principal]:
    """A new bearer token for valid credentials of an enabled account.

    Throttled (429) after repeated failures for the username or from the client address;
    every outcome is audited (``login.succeeded``, ``login.failed``, ``login.throttled``).
    An unknown username is audited as actor ``-`` so a password typed into the name field
    is never stored.
    """
    throttle = LoginThrottle(db)
    try:
        attempt = throttle.begin(username, client)
    except Throttled as exc:
        if exc.first_refusal:
            row = _user_row(db, username)
            with db.begin() as conn:
                audit.record(
                    conn,
                    audit.Actor(row.username if row else "-", row.role if row else None, client),
                    "login.throttled",
                    target_kind="user",
                    target_id=row.id if row else None,
                    project_id=_project_of(row) if row else None,
                    detail={"scope": exc.scope, "retry_after_s": exc.retry_after},
                )
        raise
    row = _user_row(db, username)
    valid, new_hash = _hasher.verify_and_update(password, row.password_hash if row else _DUMMY_HASH)
    ok = row is not None and valid and not row.disabled
    throttle.finish(attempt, ok)
    with db.begin() as conn:
        if row is None or not ok:
            reason = "unknown_user" if row is None else "disabled" if valid else "wrong_password"
            audit.record(
                conn,
                audit.Actor(row.username if row else "-", row.role if row else None, client),
                "login.failed",
                target_kind="user",
                target_id=row.id if row else None,
                project_id=_project_of(row) if row else None,
                detail={"reason": reason},
            )
        else:
            u = schema.users
            if new_hash:  # parameters were raised since this hash was made
                conn.execute(u.update().where(u.c.id == row.id).values(password_hash=new_hash))
            token, expires = tokens.issue(conn, row.id)
            audit.record(
                conn,
                audit.Actor(row.username, row.role, client),
                "login.succeeded",
                target_kind="user",
                target_id=row.id,
                project_id=_project_of(row),
            )
    if row is None or not ok:
        raise BadCredentials("unknown user or wrong password")
    return token, expires, principal_of(row, tokens.digest(token))


def change_password(
    db: Database, who: Principal, current: str, new: str, client: str | None = None
) -> int:
    """Set a new password after checking the current one; revokes the account's other tokens.

    The current password is checked through the login throttle, so a stolen token cannot be
    used to guess it faster than the login allows. Returns how many tokens were revoked.
    """
    throttle = LoginThrottle(db)
    attempt = throttle.begin(who.username, client)
    row = _user_row(db, who.username)
    valid = row is not None and _hasher.verify(current, row.password_hash)
    throttle.finish(attempt, valid)
    actor = audit.Actor(who.username, who.role.value, client)
    if not valid:
        with db.begin() as conn:
            audit.record(
                conn, actor, "password.change_failed", target_kind="user", target_id=who.user_id
            )
        raise WrongPassword("the current password is wrong")
    if new == current:
        raise InvalidInput("the new password must differ from the current one")
    check_new_password(new, who.username, who.role)
    u = schema.users
    with db.begin() as conn:
        conn.execute(
            u.update()
            .where(u.c.id == who.user_id)
            .values(password_hash=_hasher.hash(new), must_change_password=0)
        )
        revoked = tokens.revoke_all(conn, who.user_id, keep=who.token_sha256)
        audit.record(
            conn,
            actor,
            "password.changed",
            target_kind="user",
            target_id=who.user_id,
            project_id=who.project_id if who.role is Role.SITE_MANAGER else None,
            detail={"revoked_tokens": revoked},
        )
    return revoked


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def logout(db: Database, who: Principal, client: str | None = None) -> int:
    """Revoke the token of this request; audited as ``logout``."""
    with db.begin() as conn:
        revoked = tokens.revoke(conn, who.token_sha256) if who.token_sha256 else 0
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client),
            "logout",
            target_kind="user",
            target_id=who.user_id,
            project_id=who.project_id if who.role is Role.SITE_MANAGER else None,
        )
    return revoked


def principal_for_token(db: Database, token: str) -> Principal | None:
    """The caller behind a live token of an enabled account (central/auth/tokens.py)."""
    row = tokens.user_for_token(db, token)
    return principal_of(row, row.token_sha256) if row is not None else None
