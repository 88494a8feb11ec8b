"""Accounts, tokens, login throttling, the password rule and the audit log, tried as attacks.

In-process (FastAPI TestClient) over a real SQLite file with two enterprises: A, general
contractor of site-a (Nanning, 450102) employing W1 and W2, and B, of site-b (Liuzhou, 450203)
employing W3; a Nanning city supervisor (450100). The throttle's arithmetic also runs on
PostgreSQL, which several central instances would share.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from db_fixtures import fresh_database
from factories import SUB_USCC, new_db, registered_project
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from central.api.app import create_app
from central.auth import tokens
from central.auth.throttle import LoginThrottle, Throttled
from central.auth.users import UserIn, add_user
from central.cli.app import app as cli_app
from central.registry.sealing import KEY_FILE_ENV, Sealer
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.wages.rules import PayTerms
from conftest import TEST_PASSWORD, Central

DAILY = PayTerms(pay_kind="daily", rate_fen=36000)
NEW_PASSWORD = "amber kettle pivot lantern"
OTHER_PASSWORD = "quiet walnut ferry 1987"


@dataclass
class World:
    client: TestClient
    db: Database
    ids: dict[str, int]

    def login(self, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
        resp = self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def try_login(self, username: str, password: str) -> int:
        return self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        ).status_code

    def audit(self, action: str | None = None) -> list[dict[str, object]]:
        with self.db.engine.connect() as conn:
            q = select(schema.audit_log).order_by(schema.audit_log.c.id)
            if action:
                q = q.where(schema.audit_log.c.action == action)
            return [dict(r._mapping) for r in conn.execute(q)]


@pytest.fixture
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    """On SQLite; ``@pytest.mark.parametrize("world", [...], indirect=True)`` for PostgreSQL."""
    engine = getattr(request, "param", "sqlite")
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "central.key"))
    db_file = tmp_path / "central.db"
    db = fresh_database(engine, request, tmp_path) if engine != "sqlite" else new_db(tmp_path)[0]
    sealer = Sealer.from_file(tmp_path / "central.key")
    a = registered_project(db, sealer, "site-a", {"W1": DAILY, "W2": DAILY})
    b = registered_project(
        db, sealer, "site-b", {"W3": DAILY}, uscc=SUB_USCC, offset=10, division="450203"
    )
    ids = {"a": int(a["id"]), "b": int(b["id"])}  # type: ignore[call-overload]
    for name, role, scope in (
        ("root", "admin", {}),
        ("boss-a", "contractor_admin", {"enterprise_id": ids["a"]}),
        ("boss-b", "contractor_admin", {"enterprise_id": ids["b"]}),
        ("manager-b", "site_manager", {"project_id": "site-b"}),
        ("manager-a", "site_manager", {"project_id": "site-a"}),
        ("nanning", "supervisor", {"division_code": "450100"}),
    ):
        user = add_user(db, UserIn(username=name, password=TEST_PASSWORD, role=role, **scope))  # type: ignore[arg-type]
        ids[name] = user.user_id
    url = request.getfixturevalue("postgres_url") if engine != "sqlite" else str(db_file)
    service = CentralService(CentralSettings(db=url))
    with TestClient(create_app(service, manage_service=False)) as client:
        yield World(client, db, ids)
    db.close()


# --- throttling -------------------------------------------------------------------------


def test_100_wrong_passwords_in_a_minute_test_at_most_5(world: World) -> None:
    started = datetime.now(UTC)
    answers = [
        world.client.post(
            "/api/v1/auth/login", json={"username": "boss-a", "password": f"guess-{n:04d}xx"}
        )
        for n in range(100)
    ]
    elapsed = datetime.now(UTC) - started
    assert elapsed < timedelta(minutes=1)
    statuses = [r.status_code for r in answers]
    print(f"\n100 guesses in {elapsed.total_seconds():.1f} s: {statuses.count(401)} tested")
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 95
    for refused in answers[5:]:
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["code"] == "too_many_requests"
    # During the lock even the right password is not checked.
    assert world.try_login("boss-a", TEST_PASSWORD) == 429
    assert len(world.audit("login.failed")) == 5
    assert len(world.audit("login.throttled")) == 1  # one row per lock, not one per refusal
    with world.db.engine.connect() as conn:
        rows = conn.execute(select(schema.login_attempts)).all()
    assert len(rows) == 6  # 5 checks + 1 marker: a flood of refusals adds nothing


def test_the_lock_doubles_to_15_minutes_and_a_success_resets_it(database: Database) -> None:
    """The figures: per account 11 guesses in the first hour, 4 an hour after that."""
    throttle = LoginThrottle(database)
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

    def attack(username: str, client: str, until: timedelta) -> tuple[int, list[int]]:
        """Guess as fast as allowed (waiting out each Retry-After) until ``until``."""
        now, tried, waits = t0, 0, []
        while now < t0 + until:
            try:
                attempt = throttle.begin(username, client, now)
            except Throttled as exc:
                waits.append(exc.retry_after)
                now += timedelta(seconds=exc.retry_after)
                continue
            throttle.finish(attempt, ok=False)
            tried += 1
        return tried, waits

    tried, waits = attack("boss-a", "10.0.0.1", timedelta(hours=1))
    assert waits[:5] == [60, 120, 240, 480, 900]
    assert set(waits[5:]) == {900}
    assert tried == 11  # 5 at once, then after 1, 2, 4, 8, 15 and 15 minutes
    day, _ = attack("root", "10.0.0.2", timedelta(hours=24))
    assert day == 11 + 23 * 4  # then one every 15 minutes
    print(f"\nper account: {tried} guesses in the first hour, {day} in 24 hours")

    # A success after the lock resets the account's count: the next failure is free again.
    later = t0 + timedelta(days=3)
    for n in range(5):
        throttle.finish(throttle.begin("manager", None, later + timedelta(seconds=n)), ok=False)
    with pytest.raises(Throttled):
        throttle.begin("manager", None, later + timedelta(seconds=6))
    ok = throttle.begin("manager", None, later + timedelta(seconds=70))
    throttle.finish(ok, ok=True)
    throttle.finish(throttle.begin("manager", None, later + timedelta(seconds=71)), ok=False)
    throttle.begin("manager", None, later + timedelta(seconds=72))  # not locked


def test_one_address_is_locked_across_usernames(world: World) -> None:
    # Password spraying: one guess per account, many accounts, one address.
    statuses = [world.try_login(f"user-{n}", "Spring2026!!") for n in range(25)]
    assert statuses[:20] == [401] * 20
    assert statuses[20:] == [429] * 5
    # The lock is the address's: a real account's right password waits too.
    assert world.try_login("root", TEST_PASSWORD) == 429


def test_one_address_gets_about_23_guesses_an_hour(database: Database) -> None:
    """The figures from one address, spraying distinct usernames (service level)."""
    throttle = LoginThrottle(database)
    t0, now, tried = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), 0
    first_hour = 0
    while now < t0 + timedelta(hours=6):
        try:
            throttle.finish(throttle.begin(f"u{tried}", "203.0.113.9", now), ok=False)
            tried += 1
        except Throttled as exc:
            now += timedelta(seconds=exc.retry_after)
        if now < t0 + timedelta(hours=1):
            first_hour = tried
    assert first_hour == 20 + 6  # 20 free, then after 1, 2, 4, 8, 15 and 15 minutes
    assert tried == 140  # then bursts as old failures leave the hour's window: ~23 an hour
    print(f"\nfrom one address: {first_hour} guesses in the first hour, {tried} in 6 hours")


# --- tokens -----------------------------------------------------------------------------


def test_logout_revokes_the_token(world: World) -> None:
    headers = world.login("boss-a")
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert world.client.post("/api/v1/auth/logout", headers=headers).json() == {"revoked_tokens": 1}
    assert world.client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_password_change_revokes_the_other_tokens(world: World) -> None:
    laptop, stolen = world.login("boss-a"), world.login("boss-a")
    wrong = world.client.post(
        "/api/v1/auth/password",
        headers=stolen,
        json={"current_password": "not the password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_password"
    changed = world.client.post(
        "/api/v1/auth/password",
        headers=laptop,
        json={"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.status_code == 200 and changed.json() == {"revoked_tokens": 1}
    assert world.client.get("/api/v1/auth/me", headers=stolen).status_code == 401
    assert world.client.get("/api/v1/auth/me", headers=laptop).status_code == 200
    assert world.try_login("boss-a", TEST_PASSWORD) == 401
    world.login("boss-a", NEW_PASSWORD)


def test_expired_and_idle_tokens_are_refused(world: World) -> None:
    now = datetime.now(UTC)
    with world.db.begin() as conn:
        expired, _ = tokens.issue(conn, world.ids["boss-a"], now - timedelta(hours=12, seconds=1))
        idle, _ = tokens.issue(conn, world.ids["boss-a"], now - timedelta(hours=2, seconds=1))
        fresh, _ = tokens.issue(conn, world.ids["boss-a"], now - timedelta(hours=1, minutes=59))
    for token, status in ((expired, 401), (idle, 401), (fresh, 200)):
        resp = world.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == status


# --- accounts ---------------------------------------------------------------------------


@pytest.mark.parametrize("world", ["sqlite", "postgresql"], indirect=True)
def test_a_disabled_accounts_token_stops_working_at_once(world: World) -> None:
    admin, manager = world.login("root"), world.login("manager-b")
    assert world.client.get("/api/v1/projects/site-b", headers=manager).status_code == 200
    resp = world.client.post(f"/api/v1/accounts/{world.ids['manager-b']}/disable", headers=admin)
    assert resp.status_code == 200 and resp.json()["disabled"] is True
    assert world.client.get("/api/v1/projects/site-b", headers=manager).status_code == 401
    assert world.try_login("manager-b", TEST_PASSWORD) == 401  # refused like a wrong password
    own = world.client.post(f"/api/v1/accounts/{world.ids['root']}/disable", headers=admin)
    assert own.status_code == 409
    world.client.post(f"/api/v1/accounts/{world.ids['manager-b']}/enable", headers=admin)
    world.login("manager-b")
    (failed,) = [r for r in world.audit("login.failed") if r["actor"] == "manager-b"]
    assert json.loads(str(failed["detail"])) == {"reason": "disabled"}


def test_a_contractor_admin_makes_a_workers_account_without_a_shell(world: World) -> None:
    boss = world.login("boss-a")
    made = world.client.post(
        "/api/v1/accounts",
        headers=boss,
        json={"username": "w1-phone", "role": "worker", "worker_id": "W1"},
    )
    assert made.status_code == 201, made.text
    temporary = made.json()["temporary_password"]
    assert made.json()["account"]["must_change_password"] is True
    # The temporary password works once, for a password change only.
    resp = world.client.post(
        "/api/v1/auth/login", json={"username": "w1-phone", "password": temporary}
    )
    assert resp.json()["must_change_password"] is True
    worker = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    blocked = world.client.get("/api/v1/me/payroll-lines", headers=worker)
    assert blocked.status_code == 403 and blocked.json()["code"] == "password_change_required"
    world.client.post(
        "/api/v1/auth/password",
        headers=worker,
        json={"current_password": temporary, "new_password": OTHER_PASSWORD},
    ).raise_for_status()
    assert world.client.get("/api/v1/me/payroll-lines", headers=worker).status_code == 200
    # One account per worker.
    again = world.client.post(
        "/api/v1/accounts",
        headers=boss,
        json={"username": "w1-again", "role": "worker", "worker_id": "W1"},
    )
    assert again.status_code == 409
    # A reset hands out a new temporary password and revokes the worker's tokens.
    reset = world.client.post(
        f"/api/v1/accounts/{made.json()['account']['id']}/password-reset", headers=boss, json={}
    )
    assert reset.status_code == 200 and reset.json()["temporary_password"]
    assert world.client.get("/api/v1/auth/me", headers=worker).status_code == 401
    listed = world.client.get("/api/v1/accounts", headers=boss).json()["items"]
    assert [a["username"] for a in listed] == ["manager-a", "w1-phone"]


BEYOND_A_CONTRACTOR = [
    ({"username": "evil-root", "role": "admin"}, 403),
    ({"username": "evil-sup", "role": "supervisor", "division_code": "450000"}, 403),
    ({"username": "evil-boss", "role": "contractor_admin", "enterprise_id": 2}, 403),
    ({"username": "evil-mgr", "role": "site_manager", "project_id": "site-b"}, 404),
    ({"username": "evil-w3", "role": "worker", "worker_id": "W3"}, 404),
    ({"username": "evil-w9", "role": "worker", "worker_id": "W9"}, 404),
]


def test_a_contractor_admin_cannot_create_beyond_its_own(world: World) -> None:
    boss = world.login("boss-a")
    for body, status in BEYOND_A_CONTRACTOR:
        resp = world.client.post("/api/v1/accounts", headers=boss, json=body)
        assert resp.status_code == status, resp.text
        assert "site-b" not in resp.text and "W3" not in resp.text
    with world.db.engine.connect() as conn:
        names = set(conn.execute(select(schema.users.c.username)).scalars())
    assert not {n for n in names if n.startswith("evil")}


def test_a_contractor_admin_cannot_touch_another_enterprises_accounts(world: World) -> None:
    boss = world.login("boss-a")
    target = world.ids["manager-b"]
    for method, path, body in (
        ("GET", f"/api/v1/accounts/{target}", None),
        ("POST", f"/api/v1/accounts/{target}/disable", None),
        ("POST", f"/api/v1/accounts/{target}/enable", None),
        ("POST", f"/api/v1/accounts/{target}/password-reset", {"password": NEW_PASSWORD}),
        ("GET", f"/api/v1/accounts/{world.ids['root']}", None),
        ("POST", f"/api/v1/accounts/{world.ids['boss-b']}/disable", None),
    ):
        resp = world.client.request(method, path, headers=boss, json=body)
        assert resp.status_code == 404, (path, resp.text)
    listed = world.client.get("/api/v1/accounts", headers=boss).json()["items"]
    assert [a["username"] for a in listed] == ["manager-a"]  # its own project's manager only
    world.login("manager-b")  # untouched
    manager = world.login("manager-b")
    assert world.client.get("/api/v1/accounts", headers=manager).status_code == 403


# --- password rule ----------------------------------------------------------------------

WEAK = [
    "short pw",  # under 10 characters
    "password123456",  # common password
    "qwertyuiop12",  # keyboard pattern
    "aaaaaaaaaaaaaa",  # one character
    "1234567890123",  # a run
    "mnopqrstuvwx",  # a run of letters
    "woaini1314520",  # the most common Chinese password idiom
    "x-new-staff-2026",  # contains the username
]


def test_weak_passwords_are_refused_for_staff(world: World) -> None:
    admin = world.login("root")
    for password in WEAK:
        resp = world.client.post(
            "/api/v1/accounts",
            headers=admin,
            json={"username": "new-staff", "role": "site_manager", "project_id": "site-a",
                  "password": password},
        )  # fmt: skip
        assert resp.status_code == 422, (password, resp.text)
        assert resp.json()["code"] == "weak_password" and password not in resp.text


def test_weak_passwords_are_refused_by_the_cli_and_by_a_change(
    world: World, tmp_path: Path
) -> None:
    runner = CliRunner()
    db = str(tmp_path / "central.db")
    args = ["users", "add", "--username", "root2", "--role", "admin", "--db", db]
    weak = runner.invoke(cli_app, [*args, "--password-file", "-"], input="password123456\n")
    assert weak.exit_code == 1 and "too easy to guess" in weak.output
    # A password on the command line is not an option at all.
    argv = runner.invoke(cli_app, [*args, "--password", NEW_PASSWORD])
    assert argv.exit_code == 2 and "No such option" in argv.output
    secret = tmp_path / "pw"
    secret.write_text(NEW_PASSWORD + "\n")
    made = runner.invoke(cli_app, [*args, "--password-file", str(secret)])
    assert made.exit_code == 0, made.output
    world.login("root2", NEW_PASSWORD)
    change = world.client.post(
        "/api/v1/auth/password",
        headers=world.login("boss-a"),
        json={"current_password": TEST_PASSWORD, "new_password": "boss-a-2026-01"},
    )
    assert change.status_code == 422 and change.json()["code"] == "weak_password"


def test_the_worker_rule_is_separate(world: World) -> None:
    """A worker's password is not held to the staff dictionary check (the PIN comes later)."""
    body = {"username": "w2-phone", "role": "worker", "worker_id": "W2"}
    boss = world.login("boss-a")
    weak_for_staff = world.client.post(
        "/api/v1/accounts", headers=boss, json={**body, "password": "iloveyou2024"}
    )
    assert weak_for_staff.status_code == 201, weak_for_staff.text
    trivial = world.client.post(
        "/api/v1/accounts",
        headers=world.login("root"),
        json={"username": "w3-phone", "role": "worker", "worker_id": "W3", "password": "1" * 12},
    )
    assert trivial.status_code == 422


# --- audit ------------------------------------------------------------------------------


@pytest.mark.parametrize("world", ["sqlite", "postgresql"], indirect=True)
def test_every_account_event_is_audited_and_no_row_holds_a_password(world: World) -> None:
    admin = world.login("root")
    assert world.try_login("boss-a", "wrong password 1") == 401
    assert world.try_login("no-such-user", OTHER_PASSWORD) == 401
    boss = world.login("boss-a")
    made = world.client.post(
        "/api/v1/accounts",
        headers=admin,
        json={"username": "manager-a2", "role": "site_manager", "project_id": "site-a",
              "password": NEW_PASSWORD},
    ).json()  # fmt: skip
    user_id = made["account"]["id"]
    world.client.post(f"/api/v1/accounts/{user_id}/disable", headers=admin)
    world.client.post(f"/api/v1/accounts/{user_id}/enable", headers=admin)
    temporary = world.client.post(
        f"/api/v1/accounts/{user_id}/password-reset", headers=admin, json={}
    ).json()["temporary_password"]
    manager = world.login("manager-a2", temporary)
    world.client.post(
        "/api/v1/auth/password",
        headers=manager,
        json={"current_password": temporary, "new_password": OTHER_PASSWORD},
    )
    world.client.post("/api/v1/auth/logout", headers=boss)
    rows = world.audit()
    actions = {r["action"] for r in rows}
    assert actions >= {
        "login.succeeded",
        "login.failed",
        "logout",
        "account.created",
        "account.disabled",
        "account.enabled",
        "password.reset",
        "password.changed",
    }
    (unknown,) = [r for r in world.audit("login.failed") if r["actor"] == "-"]
    assert unknown["client"] == "testclient"
    text = json.dumps(rows, default=str)
    for secret in (TEST_PASSWORD, NEW_PASSWORD, OTHER_PASSWORD, temporary, "wrong password 1"):
        assert secret not in text
    assert "no-such-user" not in text  # an unknown name may be a mistyped password

    # The admin reads it all through the API, filtered and paged.
    page = world.client.get(
        "/api/v1/audit", headers=admin, params={"action": "login.failed", "limit": 1}
    ).json()
    assert len(page["items"]) == 1 and page["next_before_id"] == page["items"][0]["id"]
    rest = world.client.get(
        "/api/v1/audit",
        headers=admin,
        params={"action": "login.failed", "before_id": page["next_before_id"]},
    ).json()
    assert len(rest["items"]) == 1 and rest["next_before_id"] is None
    by_boss = world.client.get("/api/v1/audit", headers=admin, params={"actor": "boss-a"}).json()
    assert {r["action"] for r in by_boss["items"]} == {"login.failed", "login.succeeded", "logout"}
    # Neither a contractor admin nor a site manager reads it.
    assert world.client.get("/api/v1/audit", headers=world.login("boss-b")).status_code == 403


def _spray(central: Central, guesses: int) -> list[int]:
    """One wrong password per username, each claiming another address in X-Forwarded-For."""
    import httpx

    return [
        httpx.post(
            f"{central.base}/api/v1/auth/login",
            json={"username": f"user-{n}", "password": "Spring2026!!"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
            timeout=10,
        ).status_code
        for n in range(guesses)
    ]


def test_a_forged_forwarded_for_does_not_give_a_fresh_address(central: Central) -> None:
    """Against ``sitegate-central serve`` itself: the header is not believed by default."""
    central.start()
    assert _spray(central, 22) == [401] * 20 + [429] * 2


def test_a_named_proxys_forwarded_for_is_believed(tmp_path: Path, broker_url: str) -> None:
    """Behind a reverse proxy given with --trusted-proxy, each client counts on its own."""
    central = Central(tmp_path, broker_url, None, "--trusted-proxy", "127.0.0.1")
    try:
        central.start()
        assert _spray(central, 22) == [401] * 22
    finally:
        central.stop()


def test_a_supervisor_reads_the_audit_rows_of_its_jurisdiction_only(world: World) -> None:
    assert world.try_login("manager-a", "wrong password 2") == 401
    world.login("manager-a")
    assert world.try_login("manager-b", "wrong password 3") == 401
    world.login("manager-b")
    world.login("boss-a")
    rows = world.client.get("/api/v1/audit", headers=world.login("nanning")).json()["items"]
    assert {(r["actor"], r["action"]) for r in rows} == {
        ("manager-a", "login.failed"),
        ("manager-a", "login.succeeded"),
        ("system", "account.created"),  # the account itself, made in the fixture
    }
    assert {r["project_id"] for r in rows} == {"site-a"}


def test_a_scope_change_is_the_admins_revokes_tokens_and_is_audited(world: World) -> None:
    manager, target = world.login("manager-b"), world.ids["manager-b"]
    body = {"role": "site_manager", "project_id": "site-a"}
    path = f"/api/v1/accounts/{target}/scope"
    assert world.client.put(path, headers=world.login("boss-b"), json=body).status_code == 403
    bad = world.client.put(path, headers=world.login("root"), json={"role": "site_manager"})
    assert bad.status_code == 422
    moved = world.client.put(path, headers=world.login("root"), json=body)
    assert moved.status_code == 200 and moved.json()["project_id"] == "site-a"
    assert world.client.get("/api/v1/auth/me", headers=manager).status_code == 401
    (row,) = world.audit("account.scope_changed")
    assert json.loads(str(row["detail"]))["from"] == {
        "role": "site_manager",
        "project_id": "site-b",
    }
    assert row["actor"] == "root" and row["project_id"] == "site-a"
    # Its own account the admin changes only through the owner's routes.
    admin, own = world.login("root"), world.ids["root"]
    body = {"role": "supervisor", "division_code": "450000"}
    assert (
        world.client.put(f"/api/v1/accounts/{own}/scope", headers=admin, json=body).status_code
        == 409
    )
    reset = world.client.post(f"/api/v1/accounts/{own}/password-reset", headers=admin, json={})
    assert reset.status_code == 409
    assert world.client.get("/api/v1/auth/me", headers=admin).status_code == 200
