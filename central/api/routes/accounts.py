"""Accounts and the audit log.

Accounts: the admin manages every account; a contractor admin manages its own enterprise's
site managers and workers (central/auth/accounts.py). An account made or reset here must set
a new password at its next login; a generated temporary password is in the answer once.

Audit log: the admin reads every row; a supervisor reads the rows of the projects under its
jurisdiction (central/auth/scope.py), newest first, ``limit`` at a time.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from central import audit
from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth import accounts
from central.auth.deps import CurrentUser, client_address
from central.auth.passwords import MAX_LENGTH
from central.auth.scope import require_role, visible_projects
from central.auth.users import Role

router = APIRouter(prefix="/api/v1", tags=["accounts"])

AccountId = Annotated[int, Field(ge=1, le=2**31 - 1)]
MANAGE = error_responses(*AUTHENTICATED, 403, 404)


class AccountPublic(BaseModel):
    """An account as its managers see it (never a password or its hash)."""

    id: int
    username: str
    role: str
    enterprise_id: int | None = None
    project_id: str | None = None
    worker_id: str | None = None
    division_code: str | None = None
    created_at: str
    disabled: bool
    must_change_password: bool = Field(description="must set a new password at next login")


class AccountCreated(BaseModel):
    account: AccountPublic
    temporary_password: str | None = Field(
        None, description="generated when no password was given; shown this once only"
    )


class AccountPage(BaseModel):
    items: list[AccountPublic]
    next_after_id: int | None = Field(None, description="pass as after_id for the next page")


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str | None, Field(min_length=1, max_length=MAX_LENGTH)] = Field(
        None, description="the new password; omitted: a temporary one is generated"
    )


class AuditEntry(BaseModel):
    id: int
    at: str
    actor: str
    actor_role: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    project_id: str | None
    client: str | None
    detail: str | None = Field(description="JSON for people; never a secret")


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_before_id: int | None = Field(None, description="pass as before_id for the next page")


def _public(row: dict[str, object]) -> AccountPublic:
    return AccountPublic.model_validate(row)


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountCreated,
    responses=error_responses(*AUTHENTICATED, 403, 404, 409),
)
def create_account(
    body: accounts.AccountIn, who: CurrentUser, request: Request, db: DbDep
) -> AccountCreated:
    """Create an account (a worker's too: no shell on the server is needed)."""
    made, generated = accounts.create(db, who, body, client_address(request))
    return AccountCreated(account=_public(made), temporary_password=generated)


@router.get(
    "/accounts",
    response_model=AccountPage,
    responses=error_responses(*AUTHENTICATED, 403),
)
def list_accounts(
    who: CurrentUser,
    db: DbDep,
    role: Role | None = None,
    disabled: bool | None = None,
    after_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AccountPage:
    """The accounts the caller manages, by id."""
    rows = accounts.listing(db, who, role=role, disabled=disabled, after_id=after_id, limit=limit)
    items = [_public(r) for r in rows]
    return AccountPage(items=items, next_after_id=items[-1].id if len(items) == limit else None)


@router.get("/accounts/{user_id}", response_model=AccountPublic, responses=MANAGE)
def get_account(user_id: AccountId, who: CurrentUser, db: DbDep) -> AccountPublic:
    return _public(accounts.get(db, who, user_id))


@router.post(
    "/accounts/{user_id}/disable",
    response_model=AccountPublic,
    responses=error_responses(*AUTHENTICATED, 403, 404, 409),
)
def disable_account(
    user_id: AccountId, who: CurrentUser, request: Request, db: DbDep
) -> AccountPublic:
    """Refuse the account's login and revoke its tokens at once."""
    return _public(accounts.set_disabled(db, who, user_id, True, client_address(request)))


@router.post("/accounts/{user_id}/enable", response_model=AccountPublic, responses=MANAGE)
def enable_account(
    user_id: AccountId, who: CurrentUser, request: Request, db: DbDep
) -> AccountPublic:
    return _public(accounts.set_disabled(db, who, user_id, False, client_address(request)))


@router.post(
    "/accounts/{user_id}/password-reset",
    response_model=AccountCreated,
    responses=error_responses(*AUTHENTICATED, 403, 404, 409),
)
def reset_password(
    user_id: AccountId,
    body: PasswordResetIn,
    who: CurrentUser,
    request: Request,
    db: DbDep,
) -> AccountCreated:
    """Set the given password or a generated one; the owner must change it at next login.

    Every token of the account is revoked.
    """
    account, generated = accounts.reset_password(
        db, who, user_id, body.password, client_address(request)
    )
    return AccountCreated(account=_public(account), temporary_password=generated)


@router.put(
    "/accounts/{user_id}/scope",
    response_model=AccountPublic,
    responses=error_responses(*AUTHENTICATED, 403, 404, 409),
)
def change_scope(
    user_id: AccountId,
    body: accounts.ScopeIn,
    who: CurrentUser,
    request: Request,
    db: DbDep,
) -> AccountPublic:
    """The admin changes an account's role or scope; the account's tokens are revoked."""
    return _public(accounts.change_scope(db, who, user_id, body, client_address(request)))


@router.get("/audit", response_model=AuditPage, responses=error_responses(*AUTHENTICATED, 403))
def audit_log(
    who: CurrentUser,
    db: DbDep,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")] = None,
    actor: Annotated[str | None, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")] = None,
    before_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Who did what, newest first: everything for the admin, a supervisor's projects' rows."""
    require_role(who, Role.SUPERVISOR)
    with db.engine.connect() as conn:
        projects = visible_projects(conn, who)
        rows = audit.entries(
            conn,
            projects=projects,
            action=action,
            actor=actor,
            before_id=before_id,
            limit=limit,
        )
    items = [AuditEntry.model_validate(r) for r in rows]
    return AuditPage(items=items, next_before_id=items[-1].id if len(items) == limit else None)
