"""User accounts and bearer tokens.

Tokens are 32 random bytes handed to the client once; the database keeps their SHA-256, so a
leaked database backup holds no usable token. They expire after ``TOKEN_TTL`` and can be
revoked by deleting the row.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pwdlib import PasswordHash
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from central.clock import now_iso, utc_us
from central.errors import Conflict, InvalidInput
from central.storage import Database, schema

TOKEN_TTL = timedelta(hours=12)
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
    password: Annotated[str, Field(min_length=10, max_length=200)]
    role: Role
    enterprise_id: int | None = None
    project_id: str | None = None
    worker_id: str | None = None

    @model_validator(mode="after")
    def _scope_matches_role(self) -> "UserIn":
        needs = {
            Role.CONTRACTOR_ADMIN: "enterprise_id",
            Role.SITE_MANAGER: "project_id",
            Role.WORKER: "worker_id",
        }.get(self.role)
        for name in ("enterprise_id", "project_id", "worker_id"):
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


class BadCredentials(InvalidInput):
    """Unknown user or wrong password (deliberately not saying which)."""


def add_user(db: Database, data: UserIn) -> Principal:
    values = {
        **data.model_dump(exclude={"password"}),
        "role": data.role.value,
        "password_hash": _hasher.hash(data.password),
        "created_at": now_iso(),
    }
    try:
        with db.begin() as conn:
            user_id = conn.execute(schema.users.insert().values(**values)).inserted_primary_key[0]
    except IntegrityError:
        raise Conflict(f"user {data.username} already exists") from None
    return Principal(
        user_id, data.username, data.role, data.enterprise_id, data.project_id, data.worker_id
    )


def _principal(row) -> Principal:  # type: ignore[no-untyped-def]
    return Principal(
        row.id, row.username, Role(row.role), row.enterprise_id, row.project_id, row.worker_id
    )


def login(db: Database, username: str, password: str) -> tuple[str, datetime, Principal]:
    """A new bearer token for valid credentials."""
    u = schema.users
    with db.engine.connect() as conn:
        row = conn.execute(select(u).where(u.c.username == username)).first()
    valid, new_hash = _hasher.verify_and_update(password, row.password_hash if row else _DUMMY_HASH)
    if row is None or not valid:
        raise BadCredentials("unknown user or wrong password")
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + TOKEN_TTL
    with db.begin() as conn:
        if new_hash:  # parameters were raised since this hash was made
            conn.execute(u.update().where(u.c.id == row.id).values(password_hash=new_hash))
        conn.execute(
            schema.api_tokens.delete().where(
                schema.api_tokens.c.expires_utc_us < utc_us(datetime.now(UTC))
            )
        )
        conn.execute(
            schema.api_tokens.insert().values(
                token_sha256=_digest(token), user_id=row.id, expires_utc_us=utc_us(expires)
            )
        )
    return token, expires, _principal(row)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for_token(db: Database, token: str) -> Principal | None:
    t, u = schema.api_tokens, schema.users
    with db.engine.connect() as conn:
        row = conn.execute(
            select(u)
            .join(t, t.c.user_id == u.c.id)
            .where(
                t.c.token_sha256 == _digest(token), t.c.expires_utc_us > utc_us(datetime.now(UTC))
            )
        ).first()
    return _principal(row) if row else None
