"""Getting a worker onto their phone: one-time activation codes, then a PIN of their own.

No shell and no admin: the site manager (or the contractor admin, or the deployment admin)
issues a code for a worker they may see (the API's scope, central/auth/scope.py). The code
is shown once, as text and as a link/QR code, is valid for a limited time (the
``activation_code_hours`` setting, 72 h by default), works once, and only its SHA-256 is
stored. A newer code for the same worker revokes any older unused one.

The worker redeems it with a new PIN (or password): that creates their worker account, or
re-arms the existing one (new secret, every old session revoked), so a forgotten PIN is
reset the same way. Redeeming goes through the login throttle (per code and per client
address), so codes cannot be guessed faster than passwords; every issue, redemption and
failure is audited, never with the code or the PIN.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, select

from central import audit
from central.auth import tokens
from central.auth.passwords import check_new_password
from central.auth.pins import check_pin_for, is_pin
from central.auth.scope import require_worker
from central.auth.throttle import LoginThrottle
from central.auth.users import Principal, Role, hash_password
from central.clock import now_iso, utc_us
from central.errors import Forbidden, InvalidInput, NotFound
from central.registry.sealing import Sealer
from central.registry.workers import ID_CONTEXT
from central.storage import Database, schema

#: 31 letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12  # 31**12 ≈ 2**59: not guessable through the throttle in any lifetime
GROUP = 4
DEFAULT_TTL = timedelta(hours=72)
ISSUERS = frozenset({Role.SITE_MANAGER, Role.CONTRACTOR_ADMIN, Role.ADMIN})


class ActivationRefused(InvalidInput):
    """The code is wrong, used, replaced or expired (deliberately not saying which)."""

    code = "activation_refused"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str  # grouped for reading aloud: ABCD-EFGH-JKMN
    worker_id: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class Activated:
    username: str
    worker_id: str
    created: bool  # a new account (else an existing one re-armed)


def normalise(code: str) -> str | None:
    """The code as stored (upper case, no spaces or dashes), or None if it cannot be one."""
    compact = re.sub(r"[\s-]", "", code).upper()
    if len(compact) != CODE_LENGTH or any(ch not in ALPHABET for ch in compact):
        return None
    return compact


def grouped(compact: str) -> str:
    return "-".join(compact[i : i + GROUP] for i in range(0, len(compact), GROUP))


def digest(compact: str) -> str:
    return hashlib.sha256(compact.encode()).hexdigest()


def issue_code(
    db: Database,
    who: Principal,
    worker_id: str,
    ttl: timedelta = DEFAULT_TTL,
    client: str | None = None,
) -> IssuedCode:
    """A new code for a worker the caller may see (404 otherwise); audited."""
    if who.role not in ISSUERS:
        raise Forbidden("activation codes are issued by site managers and contractor admins")
    compact = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    now = datetime.now(UTC)
    expires = now + ttl
    c = schema.worker_activation_codes
    with db.begin() as conn:
        require_worker(conn, who, worker_id)  # outside the caller's reach: 404
        w = schema.workers.c
        if conn.execute(select(w.id).where(w.id == worker_id)).first() is None:
            raise NotFound(f"worker {worker_id}")  # (the admin reaches every id, even unknown)
        revoked = conn.execute(
            c.update()
            .where(
                c.c.worker_id == worker_id, c.c.used_utc_us.is_(None), c.c.revoked_utc_us.is_(None)
            )
            .values(revoked_utc_us=utc_us(now))
        ).rowcount
        made = conn.execute(
            c.insert().values(
                code_sha256=digest(compact),
                worker_id=worker_id,
                issued_by=who.username,
                created_utc_us=utc_us(now),
                expires_utc_us=utc_us(expires),
            )
        ).inserted_primary_key
        assert made is not None
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client),
            "worker.activation_code_issued",
            target_kind="worker",
            target_id=worker_id,
            project_id=who.project_id if who.role is Role.SITE_MANAGER else None,
            detail={
                "code_id": int(made[0]),
                "expires": expires.isoformat(timespec="seconds"),
                "replaced": revoked,
            },
        )
    return IssuedCode(grouped(compact), worker_id, expires)


def _live_code(conn: Connection, compact: str, now_us: int) -> tuple[int, str] | None:
    c = schema.worker_activation_codes.c
    row = conn.execute(
        select(c.id, c.worker_id).where(
            c.code_sha256 == digest(compact),
            c.used_utc_us.is_(None),
            c.revoked_utc_us.is_(None),
            c.expires_utc_us > now_us,
        )
    ).first()
    return (int(row.id), str(row.worker_id)) if row is not None else None


def _username_for(conn: Connection, worker_id: str) -> str:
    """A free username for a new worker account (workers never type it: they use their phone
    or ID number)."""
    u = schema.users.c
    plain = "worker." + re.sub(r"[^A-Za-z0-9_.-]", "-", worker_id)
    candidates = [plain[:64], "worker." + hashlib.sha256(worker_id.encode()).hexdigest()[:24]]
    for name in candidates:
        if conn.execute(select(u.id).where(u.username == name)).first() is None:
            return name
    return "worker." + secrets.token_hex(12)


def check_secret(sealer: Sealer, db: Database, worker_id: str, secret: str, username: str) -> None:
    """A PIN against the worker's own papers (birth date, ID number, phone); a password
    against the worker rule. Raises ``WeakPassword``/``WeakPin`` naming the reason."""
    if not is_pin(secret):
        check_new_password(secret, username, Role.WORKER.value)
        return
    w = schema.workers.c
    with db.engine.connect() as conn:
        row = conn.execute(select(w.id_number_sealed, w.phone).where(w.id == worker_id)).first()
    id_number = sealer.open(row.id_number_sealed, ID_CONTEXT).decode() if row else None
    check_pin_for(secret, id_number, row.phone if row else None)


def code_is_live(db: Database, code: str) -> bool:
    """Whether ``code`` could be redeemed now (for the page's first answer; no side effect)."""
    compact = normalise(code)
    if compact is None:
        return False
    with db.engine.connect() as conn:
        return _live_code(conn, compact, utc_us(datetime.now(UTC))) is not None


def activate(
    db: Database, sealer: Sealer, code: str, secret: str, client: str | None = None
) -> Activated:
    """Redeem ``code`` with the worker's new PIN or password: create or re-arm the account.

    Throttled per code and per client address like a login; a wrong, used or expired code is
    :class:`ActivationRefused` (audited ``worker.activation_failed``); a weak secret is
    ``WeakPin``/``WeakPassword`` and leaves the code unused.
    """
    compact = normalise(code) or ""
    throttle = LoginThrottle(db)
    attempt = throttle.begin("activation:" + (compact or code[:40]), client)
    now = datetime.now(UTC)
    with db.engine.connect() as conn:
        live = _live_code(conn, compact, utc_us(now)) if compact else None
    throttle.finish(attempt, live is not None)
    if live is None:
        with db.begin() as conn:
            audit.record(
                conn, audit.Actor("-", None, client), "worker.activation_failed",
                target_kind="activation_code",
            )  # fmt: skip
        raise ActivationRefused(
            "this activation code is not valid (wrong, already used or expired): "
            "ask your site manager for a new one"
        )
    code_id, worker_id = live
    u = schema.users
    with db.engine.connect() as conn:
        existing = conn.execute(select(u).where(u.c.worker_id == worker_id)).first()
        username = existing.username if existing is not None else _username_for(conn, worker_id)
    check_secret(sealer, db, worker_id, secret, username)
    c = schema.worker_activation_codes
    with db.begin() as conn:
        used = conn.execute(
            c.update()
            .where(and_(c.c.id == code_id, c.c.used_utc_us.is_(None), c.c.revoked_utc_us.is_(None)))
            .values(used_utc_us=utc_us(now))
        ).rowcount
        if used != 1:  # redeemed by a parallel request a moment ago
            raise ActivationRefused("this activation code has just been used")
        actor = audit.Actor(username, Role.WORKER.value, client)
        if existing is not None:
            conn.execute(
                u.update()
                .where(u.c.id == existing.id)
                .values(password_hash=hash_password(secret), must_change_password=0)
            )
            revoked = tokens.revoke_all(conn, existing.id)
            user_id = int(existing.id)
        else:
            made = conn.execute(
                u.insert().values(
                    username=username,
                    password_hash=hash_password(secret),
                    role=Role.WORKER.value,
                    worker_id=worker_id,
                    created_at=now_iso(),
                    disabled=0,
                    must_change_password=0,
                )
            ).inserted_primary_key
            assert made is not None
            user_id, revoked = int(made[0]), 0
            audit.record(
                conn, actor, "account.created", target_kind="user", target_id=user_id,
                detail={"username": username, "role": Role.WORKER.value, "worker_id": worker_id},
            )  # fmt: skip
        audit.record(
            conn,
            actor,
            "worker.activated",
            target_kind="user",
            target_id=user_id,
            detail={
                "code_id": code_id,
                "worker_id": worker_id,
                "account": "rearmed" if existing is not None else "created",
                "secret": "pin" if is_pin(secret) else "password",
                "revoked_tokens": revoked,
            },
        )
    return Activated(username, worker_id, existing is None)


def access_state(db: Database, worker_id: str) -> dict[str, object]:
    """Whether the worker has an account, and the last code issued (never the code itself),
    for the issuer's page; the caller has checked that the worker is within their reach."""
    u, c = schema.users.c, schema.worker_activation_codes.c
    with db.engine.connect() as conn:
        account = conn.execute(
            select(u.username, u.disabled).where(u.worker_id == worker_id)
        ).first()
        last = conn.execute(
            select(c.issued_by, c.created_utc_us, c.expires_utc_us, c.used_utc_us, c.revoked_utc_us)
            .where(c.worker_id == worker_id)
            .order_by(c.id.desc())
            .limit(1)
        ).first()
    now_us = utc_us(datetime.now(UTC))
    code: dict[str, object] | None = None
    if last is not None:
        state = (
            "used"
            if last.used_utc_us is not None
            else "replaced"
            if last.revoked_utc_us is not None
            else "expired"
            if last.expires_utc_us <= now_us
            else "waiting"
        )
        code = {
            "issued_by": last.issued_by,
            "issued_at": _moment(last.created_utc_us),
            "expires_at": _moment(last.expires_utc_us),
            "state": state,
        }
    return {
        "account": None
        if account is None
        else {"username": account.username, "disabled": bool(account.disabled)},
        "last_code": code,
    }


def _moment(us: int) -> str:
    """A stored microsecond count as ISO 8601 text in UTC, as pages show stored moments
    (the web ``local`` filter puts it on the deployment's clock)."""
    return datetime.fromtimestamp(us / 1_000_000, UTC).isoformat()
