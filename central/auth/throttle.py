"""Login throttling: a growing lock per username and per client address after failed checks.

Every password check (API login, password change, and the web console's login) goes through
:meth:`LoginThrottle.begin` before the password is verified and :meth:`LoginThrottle.finish`
after. The attempts live in the ``login_attempts`` table, so every central instance behind a
load balancer counts the same failures.

The rule (defaults in :class:`ThrottlePolicy`):

- **Per username** (as typed, known or not, so the answer never tells whether an account
  exists): after ``account_free_failures`` consecutive failures, each further check waits
  ``first_lock_s`` after the last failure, doubling with every further failure up to
  ``max_lock_s``. A success resets the count.
- **Per client address**: once ``address_free_failures`` failures from one address fall
  within ``address_window_s`` (across any usernames, so spraying one password over many
  accounts is slowed too), the same growing lock applies to that address. A success does
  not reset it (an attacker's own valid account must not clear it).

A refused check answers :class:`Throttled` (429 with ``Retry-After``) without verifying the
password, so a guess made during a lock is never tested. The attempt row is written before
the password is verified and is counted by every later check, so parallel requests cannot
slip extra guesses in between the check and the result.

The client address is the ASGI scope's peer address. ``sitegate-central serve`` trusts a
reverse proxy's ``X-Forwarded-For`` only from the addresses given with ``--trusted-proxy``
(none by default), so a client cannot pick a fresh address per guess by sending that header.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, and_, delete, func, select

from central.clock import utc_us
from central.errors import TooManyRequests
from central.storage import Database, schema

_FAILED = ("failed", "pending")  # a pending check whose result never came counts as failed
_SECOND_US = 1_000_000


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How many failures are free and how long the locks after them last."""

    account_free_failures: int = 5
    address_free_failures: int = 20
    address_window_s: int = 3600
    first_lock_s: int = 60
    max_lock_s: int = 900
    keep_s: int = 86400  # attempts older than this are deleted and forgotten

    def lock_s(self, failures: int, free: int) -> int:
        """Seconds locked after ``failures`` counted failures (0 while still free)."""
        if failures < free:
            return 0
        return min(self.first_lock_s * 2 ** min(failures - free, 20), self.max_lock_s)


class Throttled(TooManyRequests):
    """Too many failed sign-ins for this username or from this address: wait and retry."""

    def __init__(self, retry_after: int, scope: str, first_refusal: bool) -> None:
        super().__init__(
            f"too many failed sign-in attempts; try again in {retry_after} seconds", retry_after
        )
        self.scope = scope  # "account" or "address"
        self.first_refusal = first_refusal  # the first refusal since the lock began


def username_key(username: str) -> str:
    """The stored form of a typed username (its SHA-256), never the text itself."""
    return hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()


class LoginThrottle:
    """The throttle over one database; cheap to make, holds no state of its own."""

    def __init__(self, db: Database, policy: ThrottlePolicy | None = None) -> None:
        self.db = db
        self.policy = policy or ThrottlePolicy()

    def begin(self, username: str, client: str | None, now: datetime | None = None) -> int:
        """Record a check about to happen and return its id; :class:`Throttled` if locked."""
        now_us = utc_us(now or datetime.now(UTC))
        key = username_key(username)
        client = client[:64] if client else None
        a = schema.login_attempts
        with self.db.begin() as conn:
            made = conn.execute(
                a.insert().values(
                    at_utc_us=now_us, username_sha256=key, client=client, outcome="pending"
                )
            ).inserted_primary_key
            assert made is not None
            attempt = int(made[0])
            if attempt % 500 == 0:  # now and then, forget what is older than a day
                conn.execute(
                    delete(a).where(a.c.at_utc_us < now_us - self.policy.keep_s * _SECOND_US)
                )
        with self.db.engine.connect() as conn:
            wait, scope = self._account_wait(conn, key, attempt, now_us), "account"
            if not wait and client is not None:
                wait, scope = self._address_wait(conn, client, attempt, now_us), "address"
        if not wait:
            return int(attempt)
        first = self._mark_refused(attempt, scope, key, client)
        raise Throttled(max(1, math.ceil(wait / _SECOND_US)), scope, first)

    def finish(self, attempt: int, ok: bool) -> None:
        """The result of a check :meth:`begin` allowed."""
        a = schema.login_attempts
        with self.db.begin() as conn:
            conn.execute(
                a.update().where(a.c.id == attempt).values(outcome="ok" if ok else "failed")
            )

    def _account_wait(self, conn: Connection, key: str, attempt: int, now_us: int) -> int:
        """Microseconds until this username may be checked again (0: now)."""
        a = schema.login_attempts.c
        p = self.policy
        recent = conn.execute(
            select(a.at_utc_us, a.outcome)
            .where(
                a.username_sha256 == key,
                a.id < attempt,
                a.outcome != "throttled",
                a.at_utc_us > now_us - p.keep_s * _SECOND_US,
            )
            .order_by(a.id.desc())
            .limit(p.account_free_failures + 32)
        ).all()
        failures = 0
        for row in recent:
            if row.outcome not in _FAILED:
                break
            failures += 1
        if not failures:
            return 0
        lock = p.lock_s(failures, p.account_free_failures) * _SECOND_US
        return max(0, recent[0].at_utc_us + lock - now_us)

    def _address_wait(self, conn: Connection, client: str, attempt: int, now_us: int) -> int:
        """Microseconds until this address may try again (0: now)."""
        a = schema.login_attempts.c
        p = self.policy
        failures, last = conn.execute(
            select(func.count(), func.max(a.at_utc_us)).where(
                a.client == client,
                a.id < attempt,
                a.outcome.in_(_FAILED),
                a.at_utc_us > now_us - p.address_window_s * _SECOND_US,
            )
        ).one()
        if not failures:
            return 0
        lock = p.lock_s(int(failures), p.address_free_failures) * _SECOND_US
        return max(0, int(last) + lock - now_us)

    def _mark_refused(self, attempt: int, scope: str, key: str, client: str | None) -> bool:
        """Keep one ``throttled`` row per stretch of refusals (so a flood adds no rows)."""
        a = schema.login_attempts
        same = a.c.username_sha256 == key if scope == "account" else a.c.client == client
        with self.db.begin() as conn:
            previous = conn.execute(
                select(a.c.outcome)
                .where(and_(same, a.c.id < attempt))
                .order_by(a.c.id.desc())
                .limit(1)
            ).first()
            if previous is not None and previous.outcome == "throttled":
                conn.execute(delete(a).where(a.c.id == attempt))
                return False
            conn.execute(a.update().where(a.c.id == attempt).values(outcome="throttled"))
            return True
