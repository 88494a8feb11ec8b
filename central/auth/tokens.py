"""Bearer tokens: issued at login, checked on every request, revoked by deleting their row.

A token is 32 random bytes handed to the client once; the database keeps its SHA-256, so a
leaked backup holds no usable token. A token is refused once any of these holds:

- it is older than ``TOKEN_TTL`` (12 h, whatever its use);
- it has not been used for ``IDLE_TIMEOUT`` (a console left open on a site office PC);
- its account is disabled;
- it was revoked: by logout (that token), by a password change (the account's other tokens),
  by a reset, a scope change or disabling (all of the account's tokens).

``last_used_utc_us`` is written at most once per ``TOUCH_EVERY``, so a burst of requests does
not turn every read into a write.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, select

from central.clock import utc_us
from central.storage import Database, schema

TOKEN_TTL = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=5)


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(conn: Connection, user_id: int, now: datetime | None = None) -> tuple[str, datetime]:
    """A new token for ``user_id`` (and the moment it expires); expired rows are swept."""
    now = now or datetime.now(UTC)
    t = schema.api_tokens
    conn.execute(t.delete().where(t.c.expires_utc_us < utc_us(now)))
    token = secrets.token_urlsafe(32)
    expires = now + TOKEN_TTL
    conn.execute(
        t.insert().values(
            token_sha256=digest(token),
            user_id=user_id,
            expires_utc_us=utc_us(expires),
            created_utc_us=utc_us(now),
            last_used_utc_us=utc_us(now),
        )
    )
    return token, expires


def user_for_token(db: Database, token: str, now: datetime | None = None) -> Row[Any] | None:
    """The enabled account behind a live token (with ``token_sha256``), or None."""
    now_us = utc_us(now or datetime.now(UTC))
    t, u = schema.api_tokens, schema.users
    key = digest(token)
    with db.engine.connect() as conn:
        row = conn.execute(
            select(u, t.c.token_sha256, t.c.last_used_utc_us)
            .join(t, t.c.user_id == u.c.id)
            .where(
                t.c.token_sha256 == key,
                t.c.expires_utc_us > now_us,
                u.c.disabled == 0,
            )
        ).first()
    if row is None:
        return None
    last_used = row.last_used_utc_us or 0
    if last_used <= now_us - utc_us_span(IDLE_TIMEOUT):
        return None
    if last_used <= now_us - utc_us_span(TOUCH_EVERY):
        with db.begin() as conn:
            conn.execute(t.update().where(t.c.token_sha256 == key).values(last_used_utc_us=now_us))
    return row


def utc_us_span(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def revoke(conn: Connection, token_sha256: str) -> int:
    """Revoke one token (logout); how many rows went (0 or 1)."""
    t = schema.api_tokens
    return conn.execute(t.delete().where(t.c.token_sha256 == token_sha256)).rowcount or 0


def revoke_all(conn: Connection, user_id: int, keep: str | None = None) -> int:
    """Revoke every token of an account, except ``keep`` (the caller's own) when given."""
    t = schema.api_tokens
    q = t.delete().where(t.c.user_id == user_id)
    if keep is not None:
        q = q.where(t.c.token_sha256 != keep)
    return conn.execute(q).rowcount or 0
