"""Re-authentication before an act that binds the caller (a worker signing a contract).

The password (or PIN) is checked through the login throttle, exactly as a sign-in is, so a
stolen session cannot be used to guess it any faster than the login form allows.
"""

from pwdlib import PasswordHash
from sqlalchemy import select

from central import audit
from central.auth.throttle import LoginThrottle
from central.auth.users import Principal, WrongPassword
from central.storage import Database, schema

_hasher = PasswordHash.recommended()  # verifies the argon2id hashes central.auth.users makes


def confirm_password(
    db: Database, who: Principal, password: str, action: str, client: str | None = None
) -> None:
    """WrongPassword (422) unless ``password`` is the caller's current one; a failure is
    audited as ``<action>.reauth_failed``; Throttled (429) after repeated failures."""
    throttle = LoginThrottle(db)
    attempt = throttle.begin(who.username, client)
    u = schema.users.c
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(u.password_hash).where(u.id == who.user_id, u.disabled == 0)
        ).scalar()
    ok = stored is not None and bool(password) and _hasher.verify(password, stored)
    throttle.finish(attempt, ok)
    if not ok:
        with db.begin() as conn:
            audit.record(
                conn,
                audit.Actor(who.username, who.role.value, client),
                f"{action}.reauth_failed",
                target_kind="user",
                target_id=who.user_id,
            )
        raise WrongPassword("the password or PIN is wrong")
