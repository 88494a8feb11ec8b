"""A worker signs in with their phone number or ID number and their PIN.

The identifier is turned into the worker's account name, then the one login of
central/auth/users.py checks the PIN: the same throttle (per name and per client address),
the same audit rows, the same token. The ID number is looked up by the registry's keyed hash
(never by opening sealed numbers); the phone number by the indexed ``workers.phone`` in the
forms it is commonly stored in. An identifier that names no worker account (or more than one:
a phone shared by two workers with accounts) is checked as a name no account can have, so the
answer and its timing are those of a wrong PIN, and the throttle still counts it; the name is
the identifier's SHA-256, so neither the throttle nor the audit log ever holds it.
"""

import hashlib
import re
from datetime import datetime

from sqlalchemy import Connection, select

from central.auth.users import Principal, Role, login
from central.errors import InvalidInput
from central.registry import validation
from central.registry.sealing import Sealer
from central.registry.workers import ID_CONTEXT
from central.storage import Database, schema

_PHONE = re.compile(r"^(?:\+?86)?(1[0-9]{10})$")


def phone_forms(digits: str) -> list[str]:
    """How an 11-digit mobile number may be stored (as typed at registration)."""
    a, b, c = digits[:3], digits[3:7], digits[7:]
    return [
        digits, "+86" + digits, "86" + digits, "+86 " + digits, "+86-" + digits,
        f"{a} {b} {c}", f"{a}-{b}-{c}", f"+86 {a} {b} {c}", f"+86-{a}-{b}-{c}",
    ]  # fmt: skip


def _worker_ids(conn: Connection, sealer: Sealer, identifier: str) -> list[str]:
    compact = re.sub(r"[\s-]", "", identifier).upper()
    phone = _PHONE.match(compact)
    w = schema.workers.c
    if phone is not None:
        q = select(w.id).where(w.phone.in_(phone_forms(phone.group(1))))
        return list(conn.execute(q).scalars())
    try:
        number = validation.resident_id(compact)
    except InvalidInput:
        return []
    wanted = sealer.lookup_hash(number, ID_CONTEXT)
    return list(conn.execute(select(w.id).where(w.id_number_hash == wanted)).scalars())


def account_name(db: Database, sealer: Sealer, identifier: str) -> str:
    """The username of the worker account this phone or ID number names, or a name no account
    can have (``:`` is not allowed in usernames) derived from the identifier."""
    u = schema.users.c
    if not identifier.isprintable():  # a NUL would not even reach PostgreSQL's comparison
        identifier = ""
    with db.engine.connect() as conn:
        ids = _worker_ids(conn, sealer, identifier) if identifier else []
        names = (
            list(
                conn.execute(
                    select(u.username).where(u.worker_id.in_(ids), u.role == Role.WORKER.value)
                ).scalars()
            )
            if ids
            else []
        )
    if len(names) == 1:
        return str(names[0])
    typed = re.sub(r"[\s-]", "", identifier).upper()
    return "worker-login:" + hashlib.sha256(typed.encode()).hexdigest()[:40]


def worker_login(
    db: Database, sealer: Sealer, identifier: str, secret: str, client: str | None = None
) -> tuple[str, datetime, Principal]:
    """A token for a worker's phone or ID number and PIN: ``users.login`` after the lookup
    (``BadCredentials`` 401, ``Throttled`` 429)."""
    return login(db, account_name(db, sealer, identifier), secret, client)
