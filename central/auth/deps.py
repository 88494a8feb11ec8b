"""FastAPI dependencies: the bearer token → the :class:`Principal` every route receives."""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from central.auth.users import Principal, Role, principal_for_token
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
        raise HTTPException(
            status_code=401,
            detail="a valid bearer token is required (POST /api/v1/auth/login)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return who


CurrentUser = Annotated[Principal, Depends(current_user)]


def get_sealer(request: Request) -> Sealer:
    return sealer_for(request.app.state.service.settings.db)


SealerDep = Annotated[Sealer, Depends(get_sealer)]


def admin_only(who: CurrentUser) -> Principal:
    """For device-management routes (config push, raw gallery writes that skip consent)."""
    if who.role is not Role.ADMIN:
        raise HTTPException(status_code=403, detail="admin only")
    return who


AdminOnly = Depends(admin_only)
