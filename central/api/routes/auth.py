"""Login (bearer tokens) and who-am-I."""

from datetime import datetime

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from central.api.deps import DbDep
from central.auth.deps import CurrentUser
from central.auth.users import BadCredentials, login

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str
    password: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: str


@router.post("/login", response_model=TokenOut)
def post_login(body: LoginIn, db: DbDep) -> TokenOut:
    """Exchange a username and password for a bearer token (12 h)."""
    try:
        token, expires, who = login(db, body.username, body.password)
    except BadCredentials:
        raise HTTPException(401, "unknown user or wrong password") from None
    return TokenOut(access_token=token, expires_at=expires, role=who.role.value)


@router.get("/me")
def me(who: CurrentUser) -> dict[str, object]:
    return {
        "username": who.username,
        "role": who.role.value,
        "enterprise_id": who.enterprise_id,
        "project_id": who.project_id,
        "worker_id": who.worker_id,
    }
