"""Worker access over the API: issuing activation codes, redeeming them, and the worker's
sign-in by phone or ID number (central/auth/activation.py, central/auth/worker_login.py).

The worker pages (central/web/routes/worker_access.py and the enterprise console's
activation page) call the same functions: the same throttle, the same audit rows.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.api.routes.auth import Secret, TokenOut
from central.auth.activation import activate, issue_code
from central.auth.deps import CurrentUser, SealerDep, client_address
from central.auth.worker_login import worker_login
from central.validation import WorkerIdText

router = APIRouter(prefix="/api/v1", tags=["auth"])


class ActivationCode(BaseModel):
    code: str = Field(description="shown once: give it to the worker (text or QR code)")
    activation_path: str = Field(description="the page the worker opens with it")
    expires_at: datetime


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(min_length=1, max_length=40)]
    pin: Secret = Field(description="a 6-digit PIN (not trivial, not from the worker's papers)")


class Activated(BaseModel):
    username: str
    worker_id: str
    created: bool = Field(description="a new account; false: an existing one was re-armed")


class WorkerLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identifier: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="the worker's phone number or resident ID number"
    )
    pin: Secret


def activation_path(code: str) -> str:
    return f"/worker/activate?code={code}"


@router.post(
    "/workers/{worker_id}/activation-code",
    response_model=ActivationCode,
    status_code=201,
    responses=error_responses(*AUTHENTICATED, 404),
)
def post_activation_code(
    worker_id: WorkerIdText, request: Request, db: DbDep, who: CurrentUser
) -> ActivationCode:
    """A one-time code for the worker's first sign-in or a forgotten PIN (site managers,
    contractor admins and the admin, for workers they may see); any older unused code of the
    worker stops working. Audited; only the code's hash is stored."""
    hours = request.app.state.service.settings.activation_code_hours
    issued = issue_code(db, who, worker_id, timedelta(hours=hours), client_address(request))
    return ActivationCode(
        code=issued.code,
        activation_path=activation_path(issued.code),
        expires_at=issued.expires.astimezone(UTC),
    )


@router.post(
    "/auth/activate",
    response_model=Activated,
    responses=error_responses(413, 422, 429),
)
def post_activate(body: ActivateIn, request: Request, db: DbDep, sealer: SealerDep) -> Activated:
    """Redeem an activation code with a new PIN: creates the worker's account or re-arms it
    (every old session revoked). Throttled per code and per client address."""
    done = activate(db, sealer, body.code, body.pin, client_address(request))
    return Activated(username=done.username, worker_id=done.worker_id, created=done.created)


@router.post(
    "/auth/worker-login",
    response_model=TokenOut,
    responses=error_responses(401, 413, 422, 429),
)
def post_worker_login(
    body: WorkerLoginIn, request: Request, db: DbDep, sealer: SealerDep
) -> TokenOut:
    """A worker's phone number or ID number and PIN for a bearer token (the login's throttle
    and audit, as ``POST /api/v1/auth/login``)."""
    token, expires, who = worker_login(
        db, sealer, body.identifier, body.pin, client_address(request)
    )
    return TokenOut(
        access_token=token,
        expires_at=expires,
        role=who.role.value,
        must_change_password=who.must_change_password,
    )
