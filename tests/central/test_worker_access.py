"""Worker access and the worker pages, in-process on a real SQLite file (the console region):
activation codes (who may issue them, hashed, single use, expiry, replaced by a newer one,
audited), PIN rules (trivial PINs, the birth date and ID/phone digits refused, the code kept
unused after a refusal), sign-in by phone number and by ID number (through the API and the
page), the login throttle and its audit rows (never an ID number in them), a forgotten PIN
reset by a new code, and scope: a worker's pages and actions show only their own records,
another worker's line or project is 404.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from factories import Region, console_region, new_db, valid_ric
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.auth import activation
from central.auth.passwords import WeakPassword
from central.auth.pins import WeakPin, check_pin_for, check_pin_shape
from central.auth.users import UserIn, add_user
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.web.worker_layout import asset_url
from conftest import api_headers

NN1_ID = valid_ric(0)  # console_region's first Nanning worker: born 1970-01-01
NN1_PHONE = "138 0013 8000"
GOOD_PIN = "384917"
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class World:
    client: TestClient
    db: Database
    region: Region
    headers: dict[str, dict[str, str]]

    def issue(self, role: str, worker_id: str) -> tuple[int, dict[str, object]]:
        r = self.client.post(
            f"/api/v1/workers/{worker_id}/activation-code", headers=self.headers[role]
        )
        return r.status_code, r.json()

    def activate(self, code: str, pin: str) -> tuple[int, dict[str, object]]:
        r = self.client.post("/api/v1/auth/activate", json={"code": code, "pin": pin})
        return r.status_code, r.json()

    def login(self, identifier: str, pin: str) -> tuple[int, dict[str, object]]:
        r = self.client.post(
            "/api/v1/auth/worker-login", json={"identifier": identifier, "pin": pin}
        )
        return r.status_code, r.json()

    def audit(self, action: str) -> list[dict[str, object]]:
        a = schema.audit_log.c
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(schema.audit_log).where(a.action == action))
            return [dict(r._mapping) for r in rows]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("worker-access")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    w = schema.workers
    with db.begin() as conn:
        conn.execute(w.update().where(w.c.id == "NN1").values(phone=NN1_PHONE))
        conn.execute(w.update().where(w.c.id == "NN2").values(phone="+8613900139000"))
        lz_boss = conn.execute(
            select(schema.projects.c.contractor_id).where(schema.projects.c.id == region.liuzhou)
        ).scalar_one()
    url = str(tmp / "central.db")
    headers = {
        "manager": api_headers(url, "mgr-nn", "site_manager", project_id=region.nanning),
        "lz-boss": api_headers(url, "boss-lz", "contractor_admin", enterprise_id=lz_boss),
        "supervisor": api_headers(url, "insp", "supervisor", division_code="450000"),
    }
    service = CentralService(CentralSettings(db=url))
    with TestClient(create_app(service, manage_service=False)) as client:
        yield World(client, db, region, headers)
    service.db.close()
    db.close()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form token"
    return found[1]


# --- PIN rules, pure ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("123456", "trivial"),
        ("000000", "trivial"),
        ("654321", "trivial"),
        ("890123", "trivial"),
        ("121212", "trivial"),
        ("112233", "trivial"),
        ("123123", "trivial"),
        ("147258", "common"),
        ("520131", "common"),
        ("12345", "shape"),
        ("12345a", "shape"),
        ("１２３４５６", "shape"),  # full-width digits are not the PIN pad's
    ],
)
def test_trivial_pins_are_refused(pin: str, reason: str) -> None:
    with pytest.raises(WeakPin) as refused:
        check_pin_shape(pin)
    assert refused.value.reason == reason
    assert pin not in str(refused.value)  # never repeated back


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("700101", "birth_date"),  # YYMMDD
        ("010170", "birth_date"),  # DDMMYY / MMDDYY
        ("197001", "birth_date"),  # YYYYMM
        (NN1_ID[-6:], "id_number"),
        ("013800", "phone"),  # the phone's first six digits
        ("138000", "phone"),
    ],
)
def test_pins_from_the_workers_papers_are_refused(pin: str, reason: str) -> None:
    phone = "013800138000" if reason == "phone" and pin == "013800" else "13800138000"
    with pytest.raises(WeakPin) as refused:
        check_pin_for(pin, NN1_ID, phone)
    assert refused.value.reason == reason
    check_pin_for(GOOD_PIN, NN1_ID, phone)  # an unrelated PIN passes


# --- activation ---------------------------------------------------------------------------


def test_who_may_issue_a_code(world: World) -> None:
    assert world.issue("supervisor", "NN1")[0] == 403  # supervisors watch, they do not issue
    # another enterprise's worker: as if it did not exist
    status, body = world.issue("lz-boss", "NN1")
    assert status == 404
    assert world.issue("lz-boss", "NO-SUCH")[0] == 404
    status, body = world.issue("manager", "NN3")
    assert status == 201
    code = str(body["code"])
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert body["activation_path"] == f"/worker/activate?code={code}"
    # stored hashed only, and audited without the code
    with world.db.engine.connect() as conn:
        stored = conn.execute(select(schema.worker_activation_codes)).all()
    assert code.replace("-", "") not in repr(stored)
    issued = [r for r in world.audit("worker.activation_code_issued") if r["target_id"] == "NN3"]
    assert issued and issued[-1]["actor"] == "mgr-nn"
    assert code.replace("-", "") not in str(issued[-1]["detail"])


def test_activation_refuses_weak_pins_keeps_the_code_then_creates_the_account(
    world: World,
) -> None:
    _, body = world.issue("manager", "NN1")
    code = str(body["code"])
    for pin in ("123456", "000000", "700101", NN1_ID[-6:], "138000"):
        status, refused = world.activate(code, pin)
        assert status == 422 and refused["code"] == "weak_pin", pin
    status, done = world.activate(code.lower().replace("-", " "), GOOD_PIN)  # as typed
    assert status == 200 and done["worker_id"] == "NN1" and done["created"] is True
    # single use
    status, again = world.activate(code, "629417")
    assert status == 422 and again["code"] == "activation_refused"
    u = schema.users.c
    with world.db.engine.connect() as conn:
        account = conn.execute(select(schema.users).where(u.worker_id == "NN1")).one()
    assert account.role == "worker" and GOOD_PIN not in account.password_hash
    activated = world.audit("worker.activated")
    assert activated and activated[-1]["target_id"] == str(account.id)


def test_codes_expire_are_replaced_and_wrong_ones_are_audited(world: World) -> None:
    _, first = world.issue("manager", "NN2")
    _, second = world.issue("manager", "NN2")  # the first stops working
    assert world.activate(str(first["code"]), GOOD_PIN)[0] == 422
    c = schema.worker_activation_codes
    with world.db.begin() as conn:  # the second one's time runs out
        conn.execute(
            c.update()
            .where(c.c.code_sha256 == activation.digest(str(second["code"]).replace("-", "")))
            .values(expires_utc_us=0)
        )
    assert world.activate(str(second["code"]), GOOD_PIN)[0] == 422
    assert world.activate("ABCD-EFGH-JKMN", GOOD_PIN)[0] == 422
    failed = world.audit("worker.activation_failed")
    assert len(failed) >= 3 and all("ABCD" not in str(r["detail"]) for r in failed)


# --- signing in ---------------------------------------------------------------------------


def test_login_by_phone_and_by_id_number(world: World) -> None:
    _, body = world.issue("manager", "NN1")  # re-arm NN1 with a known PIN
    assert world.activate(str(body["code"]), "592604")[0] == 200
    for identifier in ("13800138000", "+86 138 0013 8000", "138-0013-8000", NN1_ID, NN1_ID.lower()):
        status, token = world.login(identifier, "592604")
        assert status == 200 and token["role"] == "worker", identifier
    assert world.login("13800138000", GOOD_PIN)[0] == 401  # the old PIN is gone
    assert world.login("13911112222", "592604")[0] == 401  # nobody's phone
    assert world.login(valid_ric(999), "592604")[0] == 401  # nobody's ID number
    # a worker's own view works with the token
    _, token = world.login(NN1_ID, "592604")
    me = world.client.get(
        "/api/v1/me/today", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert me.status_code == 200 and me.json()["status"] == "on_site"
    # ID numbers never reach the audit log or the throttle's table
    with world.db.engine.connect() as conn:
        logged = repr(conn.execute(select(schema.audit_log)).all())
        attempts = repr(conn.execute(select(schema.login_attempts)).all())
    assert NN1_ID not in logged and NN1_ID not in attempts and valid_ric(999) not in logged


def test_login_is_throttled_like_the_console(world: World) -> None:
    _, body = world.issue("manager", "NN2")
    assert world.activate(str(body["code"]), "740318")[0] == 200
    statuses = [world.login("13900139000", "111111")[0] for _ in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # locked: even the right PIN waits (it is not even checked)
    assert world.login("13900139000", "740318")[0] == 429
    assert [r for r in world.audit("login.throttled") if r["actor"].startswith("worker.NN2")]
    failed = [r for r in world.audit("login.failed") if r["actor"] == "worker.NN2"]
    assert len(failed) >= 5


def test_a_forgotten_pin_is_reset_by_a_new_code(world: World) -> None:
    _, body = world.issue("manager", "NN3")
    assert world.activate(str(body["code"]), "815062")[0] == 200
    ric = valid_ric(2)
    _, token = world.login(ric, "815062")
    old = {"Authorization": f"Bearer {token['access_token']}"}
    assert world.client.get("/api/v1/me/wages", headers=old).status_code == 200
    _, body = world.issue("manager", "NN3")
    status, done = world.activate(str(body["code"]), "926173")
    assert status == 200 and done["created"] is False
    assert world.client.get("/api/v1/me/wages", headers=old).status_code == 401  # revoked
    assert world.login(ric, "815062")[0] == 401
    assert world.login(ric, "926173")[0] == 200


# --- the pages ------------------------------------------------------------------------------


def signed_in_client(world: World, identifier: str, pin: str, lang: str = "zh_CN") -> TestClient:
    client = TestClient(world.client.app)
    client.cookies.set("sitegate_lang", lang)
    page = client.get("/worker/login")
    assert page.status_code == 200
    answer = client.post(
        "/worker/login",
        data={"identifier": identifier, "pin": pin, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/worker/today"
    return client


def lz1_token(world: World) -> dict[str, str]:
    status, token = world.login(valid_ric(10), "306185")
    assert status == 200
    return {"Authorization": f"Bearer {token['access_token']}"}


def lz1_client(world: World, lang: str = "zh_CN") -> TestClient:
    _, body = world.issue("lz-boss", "LZ1")
    assert world.activate(str(body["code"]), "306185")[0] == 200
    return signed_in_client(world, valid_ric(10), "306185", lang)


def test_page_activation_and_sign_in_keep_what_was_typed(world: World) -> None:
    _, body = world.issue("manager", "NN3")
    code = str(body["code"])
    client = TestClient(world.client.app)
    page = client.get(f"/worker/activate?code={code}")
    assert page.status_code == 200 and code in page.text
    token = csrf_of(page.text)
    refused = client.post(
        "/worker/activate",
        data={"code": code, "pin": "123456", "pin_again": "123456", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert code in refused.text and 'aria-invalid="true"' in refused.text
    assert 'value="123456"' not in refused.text  # the PIN is never sent back
    mismatch = client.post(
        "/worker/activate",
        data={"code": code, "pin": "602481", "pin_again": "602418", "csrf_token": token},
    )
    assert mismatch.status_code == 422 and "两次输入的 PIN 不一致" in mismatch.text
    done = client.post(
        "/worker/activate",
        data={"code": code, "pin": "602481", "pin_again": "602481", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/worker/today")
    assert client.get("/worker/today").status_code == 200  # signed in straight away
    # a wrong PIN on the sign-in page: 401, the identifier kept
    other = TestClient(world.client.app)
    login = other.get("/worker/login")
    wrong = other.post(
        "/worker/login",
        data={"identifier": "13800138000", "pin": "000001", "csrf_token": csrf_of(login.text)},
    )
    assert wrong.status_code == 401 and 'value="13800138000"' in wrong.text
    # no form token: refused before anything is checked
    assert other.post("/worker/login", data={"identifier": "x", "pin": "y"}).status_code == 403


def test_pages_need_a_worker_session(world: World) -> None:
    client = TestClient(world.client.app)
    first = client.get("/worker/wages", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/worker/login?next=/worker/wages"
    # a staff session is not a worker's
    client.cookies.set("sitegate_session", world.headers["manager"]["Authorization"][7:])
    assert client.get("/worker/today").status_code == 403


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_each_page_shows_only_the_workers_own_records(world: World, lang: str) -> None:
    client = lz1_client(world, lang)
    words = {"zh_CN": ("今日", "我的考勤", "我的工资"), "en": ("Today", "My days", "My wages")}
    for path, word in zip(
        ("/worker/today", "/worker/days", "/worker/wages"), words[lang], strict=True
    ):
        page = client.get(path)
        assert page.status_code == 200 and word in page.text, path
        assert "NN1" not in page.text and "工人0" not in page.text  # nobody else's record
    assert client.get("/api/v1/me/wages").status_code == 401  # the cookie is not an API token
    with world.db.engine.connect() as conn:
        p = schema.payroll_lines.c
        mine = conn.execute(select(p.id).where(p.worker_id == "LZ1")).scalar_one()
        theirs = conn.execute(select(p.id).where(p.worker_id == "NN1")).scalar_one()
    assert client.get(f"/worker/wages/{mine}").status_code == 200
    for path in (f"/worker/wages/{theirs}", "/worker/wages/999999"):
        page = client.get(path)
        assert page.status_code == 404 and "NN1" not in page.text
    token = csrf_of(client.get("/worker/wages").text)
    for action in ("confirm", "dispute"):
        answer = client.post(
            f"/worker/wages/{theirs}/{action}", data={"csrf_token": token, "reason": "不对的"}
        )
        assert answer.status_code == 404
    # the check-in QR code: my project only
    assert (
        client.get(f"/worker/today/checkin-qr.svg?project={world.region.liuzhou}").status_code
        == 200
    )
    nanning = client.get(f"/worker/today/checkin-qr.svg?project={world.region.nanning}")
    assert nanning.status_code == 404


def test_a_dispute_from_the_page_reaches_the_line_and_the_api(world: World) -> None:
    client = lz1_client(world, "en")
    with world.db.engine.connect() as conn:
        p = schema.payroll_lines.c
        line_id = conn.execute(select(p.id).where(p.worker_id == "LZ1")).scalar_one()
    page = client.get(f"/worker/wages/{line_id}")
    token = csrf_of(page.text)
    short = client.post(
        f"/worker/wages/{line_id}/dispute", data={"csrf_token": token, "reason": "x"}
    )
    assert (
        short.status_code == 422
        and 'aria-invalid="true"' in short.text
        and ">x</textarea>" in short.text
    )
    done = client.post(
        f"/worker/wages/{line_id}/dispute",
        data={"csrf_token": token, "reason": "6月10日加班两小时没算"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert "You disputed it" in shown.text and "Waiting for your employer" in shown.text
    # the employer's side sees the dispute with the reason (the wage sheet's API)
    boss = world.headers["lz-boss"]
    sheet = world.client.get(f"/api/v1/payroll/lines/{line_id}/days", headers=boss)
    assert sheet.status_code == 200
    assert sheet.json()["line"]["confirmation"] == "disputed"
    assert sheet.json()["line"]["confirmation_note"] == "6月10日加班两小时没算"
    mine = world.client.get(f"/api/v1/me/wages/{line_id}", headers=lz1_token(world))
    assert mine.json()["line"]["dispute"]["state"] == "open"


def test_activation_page_in_the_enterprise_console(world: World) -> None:
    client = TestClient(world.client.app)
    client.cookies.set("sitegate_session", world.headers["manager"]["Authorization"][7:])
    record = client.get("/console/enterprise/workers/NN2")  # the worker record links to it
    assert 'href="/console/enterprise/workers/NN2/activation"' in record.text
    page = client.get("/console/enterprise/workers/NN2/activation")
    assert page.status_code == 200
    issued = client.post(
        "/console/enterprise/workers/NN2/activation", data={"csrf_token": csrf_of(page.text)}
    )
    assert issued.status_code == 200
    code = re.search(r'id="activation-code">([A-Z2-9-]{14})<', issued.text)
    assert code is not None
    assert 'src="data:image/svg+xml' in issued.text
    assert f"/worker/activate?code={code[1]}" in issued.text
    # the moments on the deployment's clock: the last code's issue and expiry, the validity
    on_site = re.compile(r'<time datetime="[^"]+\+08:00" title="\+08:00">')
    assert len(on_site.findall(issued.text)) == 3
    # shown once: the page afterwards only says a code is waiting
    again = client.get("/console/enterprise/workers/NN2/activation")
    assert code[1] not in again.text
    assert len(on_site.findall(again.text)) == 2
    # another enterprise's worker, a supervisor: nothing
    assert client.get("/console/enterprise/workers/LZ1/activation").status_code == 404
    sup = TestClient(world.client.app)
    sup.cookies.set("sitegate_session", world.headers["supervisor"]["Authorization"][7:])
    assert sup.get("/console/enterprise/workers/NN2/activation").status_code == 403


def test_a_worker_password_instead_of_a_pin_keeps_the_length_rule(world: World) -> None:
    """A worker may choose a password instead of a PIN; it keeps the 10-character rule."""
    _, body = world.issue("manager", "NN3")
    status, refused = world.activate(str(body["code"]), "abc")
    assert status == 422 and refused["code"] == "weak_password"
    with pytest.raises(WeakPassword):
        add_user(
            world.db, UserIn(username="w-short", password="12345", role="worker", worker_id="LZ2")
        )  # type: ignore[arg-type]
    status, done = world.activate(str(body["code"]), "long enough passphrase")
    assert status == 200 and done["created"] is False


def test_hostile_identifiers_and_codes_are_plain_refusals(world: World) -> None:
    for identifier in ("13800138000\x00", "' OR 1=1 --", "１３８００１３８０００", "x" * 64):
        assert world.login(identifier, "592604")[0] in (401, 429), identifier
    for code in ("\x00" * 12, "ABCD-EFGH-JKMN\x00", "<script>", "I0O1-L0O1-I0O1"):
        assert world.activate(code, GOOD_PIN)[0] in (422, 429), code


def test_the_layouts_assets_are_cached_under_their_content_hash(world: World) -> None:
    # the stylesheet travels inside the page (tests/central/test_worker_inline_style.py)
    assert "/worker/assets/" not in world.client.get("/worker/login").text
    script = asset_url("worker-today.js")
    assert re.fullmatch(r"/worker/assets/[0-9a-f]{12}/worker-today\.js", script)
    answer = world.client.get(script)
    assert answer.status_code == 200 and "immutable" in answer.headers["cache-control"]
    assert answer.headers["content-type"].startswith("text/javascript")
    stale = world.client.get("/worker/assets/000000000000/worker-today.js")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert world.client.get("/worker/assets/000000000000/central.db").status_code == 404
    assert world.client.get("/worker/assets/x/..%2f..%2fsettings.py").status_code == 404


def test_the_admin_gets_404_for_a_worker_that_does_not_exist(world: World) -> None:
    admin = api_headers(str(world.db.engine.url.database), "root-admin", "admin")
    answer = world.client.post("/api/v1/workers/NO-SUCH/activation-code", headers=admin)
    assert answer.status_code == 404
