"""FastAPI dependencies: the bearer token → the :class:`Principal` every route receives."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from central.auth.users import Principal, Role, principal_for_token
from central.errors import Forbidden, Unauthenticated
from central.registry.sealing import Sealer, sealer_for

_bearer = HTTPBearer(auto_error=False, description="token from POST /api/v1/auth/login")


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """401 without a valid, unexpired token."""
    who = None
    if credentials is not None and credentials.scheme.lower() == "bearer":
        who = principal_for_token(request.app.state.service.db, credentials.credentials)
    if who is None:
        raise Unauthenticated("a valid bearer token is required (POST /api/v1/auth/login)")
    if who.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise PasswordChangeRequired(
            "this account's password was reset: set a new one (POST /api/v1/auth/password)"
        )
    return who


# What a token of an account whose password was reset may still do.
PASSWORD_CHANGE_PATHS = frozenset(
    {"/api/v1/auth/password", "/api/v1/auth/logout", "/api/v1/auth/me"}
)


class PasswordChangeRequired(Forbidden):
    """The account must set a new password before it does anything else."""

    code = "password_change_required"


def client_address(request: Request) -> str | None:
    """The peer address from the ASGI scope.

    ``X-Forwarded-For`` is not read here: uvicorn puts a proxy's forwarded address into the
    scope only for connections from the proxies ``serve --trusted-proxy`` names (none by
    default), so a client cannot choose the address the login throttle counts.
    """
    return request.client.host if request.client else None


CurrentUser = Annotated[Principal, Depends(current_user)]


def get_sealer(request: Request) -> Sealer:
    return sealer_for(request.app.state.service.settings.db)


SealerDep = Annotated[Sealer, Depends(get_sealer)]


def admin_only(who: CurrentUser) -> Principal:
    """For device-management routes (config push, raw gallery writes that skip consent)."""
    if who.role is not Role.ADMIN:
        raise Forbidden("admin only")
    return who


AdminOnly = Depends(admin_only)
