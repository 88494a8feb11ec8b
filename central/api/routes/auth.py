"""Login (bearer tokens), logout, password change, and who-am-I.

Login is throttled per username and per client address (central/auth/throttle.py): after
repeated failures it answers 429 with ``Retry-After`` without checking the password. Every
outcome is audited with the client address, never the password.
"""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.schemas.auth import WhoAmI
from central.auth.deps import CurrentUser, client_address
from central.auth.passwords import MAX_LENGTH
from central.auth.users import change_password, login, logout

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

Secret = Annotated[str, Field(min_length=1, max_length=MAX_LENGTH)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # the shape every username has (central/auth/users.py), so odd text never reaches SQL
    username: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.@-]{3,64}$")]
    password: Secret


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: str
    must_change_password: bool = Field(
        False, description="set after a reset: only POST /api/v1/auth/password is allowed"
    )


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Secret
    new_password: Secret


class PasswordChanged(BaseModel):
    revoked_tokens: int = Field(description="the account's other tokens, now refused")


class LoggedOut(BaseModel):
    revoked_tokens: int = Field(description="1: this token is now refused")


@router.post("/login", response_model=TokenOut, responses=error_responses(401, 413, 422, 429))
def post_login(body: LoginIn, request: Request, db: DbDep) -> TokenOut:
    """Exchange a username and password for a bearer token (12 h, 2 h idle)."""
    token, expires, who = login(db, body.username, body.password, client_address(request))
    return TokenOut(
        access_token=token,
        expires_at=expires,
        role=who.role.value,
        must_change_password=who.must_change_password,
    )


@router.post("/logout", response_model=LoggedOut, responses=error_responses(*AUTHENTICATED))
def post_logout(who: CurrentUser, request: Request, db: DbDep) -> LoggedOut:
    """Revoke the token this request carries."""
    return LoggedOut(revoked_tokens=logout(db, who, client_address(request)))


@router.post("/password", response_model=PasswordChanged, responses=error_responses(*AUTHENTICATED))
def post_password(
    body: PasswordChangeIn, who: CurrentUser, request: Request, db: DbDep
) -> PasswordChanged:
    """Change one's own password (the current one is required and throttled like a login).

    The account's other tokens are revoked; the one used here stays valid.
    """
    revoked = change_password(
        db, who, body.current_password, body.new_password, client_address(request)
    )
    return PasswordChanged(revoked_tokens=revoked)


@router.get("/me", response_model=WhoAmI, responses=error_responses(*AUTHENTICATED))
def me(who: CurrentUser) -> WhoAmI:
    """Who the token belongs to, with the scope its role is limited to."""
    return WhoAmI(
        username=who.username,
        role=who.role.value,
        enterprise_id=who.enterprise_id,
        project_id=who.project_id,
        worker_id=who.worker_id,
        division_code=who.division_code,
    )
