"""Tenancy, written as the attacks: general contractor vs subcontractor, a known person with a
new employer, consent that is the worker's, no oracles, supervisors by jurisdiction.

In-process (FastAPI TestClient) over a real SQLite file, real site galleries and, for the
face cases, the real encoder child process on real photos. The world:

- enterprise A, general contractor of ``site-a`` (Nanning, Xingning district 450102), employs
  WA1..WA4 (WA4 checked in without a labour contract);
- enterprise C, a subcontractor registered on ``site-a``, employs its own WC1 and WC2 there
  (WC2 without a contract);
- enterprise B, general contractor of ``site-b`` (Nanning, Qingxiu district 450103), WB1;
- enterprise L, general contractor of ``site-l`` (Liuzhou, 450202), WL1.
"""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from factories import (
    FOURTH_USCC,
    SUB_USCC,
    THIRD_USCC,
    local,
    new_db,
    registered_project,
    store_punches,
    subcontractor_on,
    valid_ric,
)
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.auth import scope
from central.auth.users import Principal, Role, UserIn
from central.payroll import batches
from central.registry.employment import EmploymentIn, add_employment
from central.registry.organisations import EnterpriseIn, create_enterprise
from central.registry.sealing import Sealer
from central.registry.workers import WorkerIn, create_worker
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.wages.rules import PayTerms
from central.warnings.indicators import scan
from conftest import FACES, TEST_PASSWORD, api_headers, run_cli

DAILY = {"pay_kind": "daily", "rate_fen": 36000}
MONTH, DAY = "2025-06", "2025-06-10"


class World:
    def __init__(self, client: TestClient, db_url: str, ids: dict[str, object]) -> None:
        self.client, self.db_url, self.ids = client, db_url, ids
        self.headers: dict[str, dict[str, str]] = {}

    def as_(self, who: str, method: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.request(method, path, headers=self.headers[who], **kw)  # type: ignore[arg-type]

    def rows(self, query):  # type: ignore[no-untyped-def]
        from central.storage import Database

        db = Database(self.db_url)
        try:
            with db.engine.connect() as conn:
                return conn.execute(query).all()
        finally:
            db.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("tenancy")
    db, sealer = new_db(tmp)
    terms = PayTerms(pay_kind="daily", rate_fen=36000)
    a = registered_project(db, sealer, "site-a", {"WA1": terms, "WA2": terms, "WA3": terms})
    b = registered_project(
        db, sealer, "site-b", {"WB1": terms}, uscc=SUB_USCC, offset=10, division="450103"
    )
    registered_project(
        db, sealer, "site-l", {"WL1": terms}, uscc=FOURTH_USCC, offset=20, division="450202"
    )
    # WA4: on site A's payroll without a labour contract (a warning about A's worker).
    create_worker(
        db, sealer, WorkerIn(id="WA4", name="工人A4", id_number=valid_ric(4), card_number=None)
    )
    add_employment(
        db,
        EmploymentIn(
            worker_id="WA4",
            project_id="site-a",
            employer_id=a["id"],  # type: ignore[arg-type]
            start_date=date(2025, 1, 1),
            terms=terms,
        ),
    )
    c = create_enterprise(
        db, EnterpriseIn(name="劳务分包 C", uscc=THIRD_USCC, kind="subcontractor")
    )
    url = str(tmp / "central.db")
    service = CentralService(CentralSettings(db=url))
    app = create_app(service, manage_service=False)
    with TestClient(app) as client:
        w = World(client, url, {"a": a["id"], "b": b["id"], "c": c["id"]})
        w.headers = {
            "admin": api_headers(url, "root", "admin"),
            "a": api_headers(url, "boss-a", "contractor_admin", enterprise_id=a["id"]),
            "b": api_headers(url, "boss-b", "contractor_admin", enterprise_id=b["id"]),
            "c": api_headers(url, "boss-c", "contractor_admin", enterprise_id=c["id"]),
            "manager-a": api_headers(url, "manager-a", "site_manager", project_id="site-a"),
            "guangxi": api_headers(url, "sup-gx", "supervisor", division_code="450000"),
            "nanning": api_headers(url, "sup-nn", "supervisor", division_code="450100"),
            "xingning": api_headers(url, "sup-xn", "supervisor", division_code="450102"),
            "liuzhou": api_headers(url, "sup-lz", "supervisor", division_code="450200"),
        }
        # The general contractor registers C on its project; C registers and employs its own.
        got = w.as_(
            "a",
            "POST",
            "/api/v1/projects/site-a/enterprises",
            json={"enterprise_id": c["id"], "role": "labour_subcontractor"},
        )
        assert got.status_code == 201, got.text
        for n, worker in ((30, "WC1"), (31, "WC2")):
            new = {"id": worker, "name": f"分包工人{n}", "id_number": valid_ric(n)}
            assert w.as_("c", "POST", "/api/v1/workers", json=new).status_code == 201
            link = {
                "id_number": valid_ric(n),
                "project_id": "site-a",
                "employer_id": c["id"],
                "start_date": "2025-01-01",
                "terms": DAILY,
            }
            got = w.as_("c", "POST", "/api/v1/employments/by-id-number", json=link)
            assert got.status_code == 201, got.text
        contract = {
            "worker_id": "WC1",
            "project_id": "site-a",
            "employer_id": c["id"],
            "signed_on": "2025-01-01",
            "document_text": "劳动合同 WC1",
        }
        assert w.as_("c", "POST", "/api/v1/contracts", json=contract).status_code == 201
        for site, workers in (
            ("site-a", ("WA1", "WA2", "WA4", "WC1", "WC2")),
            ("site-b", ("WB1",)),
            ("site-l", ("WL1",)),
        ):
            store_punches(
                db,
                site,
                [
                    p
                    for worker in workers
                    for p in (
                        (worker, "in", local(f"{DAY} 08:00")),
                        (worker, "out", local(f"{DAY} 17:00")),
                    )
                ],
            )
        for site in ("site-a", "site-b", "site-l"):
            batches.compute(db, site, MONTH, "office")
        scan(db, date(2025, 7, 20))
        w.headers["worker-wa1"] = api_headers(url, "worker-wa1", "worker", worker_id="WA1")
        yield w
    db.close()


def _warning(world: World, kind: str, worker: str) -> int:
    t = schema.wage_warnings.c
    (row,) = world.rows(select(t.id).where(t.kind == kind, t.worker_id == worker))
    return int(row.id)


def _batch(world: World, site: str) -> int:
    b = schema.payroll_batches.c
    (row,) = world.rows(select(b.id).where(b.project_id == site, b.month == MONTH))
    return int(row.id)


# --- subcontractor scope: the four attacks of enterprise C on project A ---------------------


def test_subcontractor_cannot_read_whole_numbers_of_the_contractors_workers(world: World) -> None:
    listed = world.as_("c", "GET", "/api/v1/workers?reveal=true").json()
    assert {w["id"] for w in listed} == {"WC1", "WC2"}
    assert all(len(w["id_number"]) == 18 and "*" not in w["id_number"] for w in listed)
    for worker in ("WA1", "WA2"):
        assert world.as_("c", "GET", f"/api/v1/workers/{worker}?reveal=true").status_code == 404
        assert world.as_("c", "GET", f"/api/v1/workers/{worker}").status_code == 404
    # The general contractor keeps the project's records and may reveal C's worker (audited).
    whole = world.as_("a", "GET", "/api/v1/workers/WC1?reveal=true").json()
    assert whole["id_number"] == valid_ric(30)
    a = schema.audit_log.c
    revealed = world.rows(select(a.actor, a.target_id, a.detail).where(a.action == "worker.reveal"))
    assert ("boss-a", "WC1") in {(r.actor, r.target_id) for r in revealed}
    assert ("boss-c", "WC2") in {(r.actor, r.target_id) for r in revealed}
    assert all(valid_ric(30) not in (r.detail or "") for r in revealed)  # masked only


def test_subcontractor_cannot_deduct_from_the_contractors_worker(world: World) -> None:
    deduction = {
        "worker_id": "WA1",
        "month": "2025-07",
        "kind": "deduction",
        "amount_fen": 40000,
        "reason": "advance",
    }
    got = world.as_("c", "POST", "/api/v1/projects/site-a/adjustments", json=deduction)
    assert got.status_code == 404 and "WA1" not in got.text.replace("worker WA1", "")
    t = schema.wage_adjustments.c
    assert world.rows(select(t.id).where(t.worker_id == "WA1")) == []
    # Its own worker: allowed.
    own = {**deduction, "worker_id": "WC1"}
    got = world.as_("c", "POST", "/api/v1/projects/site-a/adjustments", json=own)
    assert got.status_code == 201, got.text
    listed = world.as_("c", "GET", "/api/v1/projects/site-a/adjustments").json()
    assert {r["worker_id"] for r in listed} == {"WC1"}


def test_subcontractor_cannot_close_a_warning_about_the_contractors_worker(world: World) -> None:
    theirs = _warning(world, "no_labour_contract", "WA4")
    got = world.as_("c", "POST", f"/api/v1/warnings/{theirs}/handle", json={"note": "done!"})
    assert got.status_code == 404
    t = schema.wage_warnings.c
    assert world.rows(select(t.state).where(t.id == theirs))[0].state == "open"
    listed = world.as_("c", "GET", "/api/v1/warnings").json()
    assert listed and {w["worker_id"] for w in listed} == {"WC1", "WC2"}  # its own only
    mine = _warning(world, "no_labour_contract", "WC2")
    got = world.as_("c", "POST", f"/api/v1/warnings/{mine}/handle", json={"note": "signed now"})
    assert got.status_code == 200, got.text
    # The general contractor answers for the whole project, C's workers included.
    assert theirs in {w["id"] for w in world.as_("a", "GET", "/api/v1/warnings").json()}


@pytest.mark.parametrize("step", ["approve", "submit", "retry-failed"])
def test_subcontractor_cannot_pass_approve_or_retry_of_the_projects_batch(
    world: World, step: str
) -> None:
    batch = _batch(world, "site-a")
    got = world.as_("c", "POST", f"/api/v1/payroll/batches/{batch}/{step}")
    assert got.status_code == 403, got.text
    assert world.as_("c", "POST", f"/api/v1/projects/site-a/payroll/{MONTH}").status_code == 403
    b = schema.payroll_batches.c
    assert world.rows(select(b.state).where(b.id == batch))[0].state == "draft"


def test_subcontractor_sees_its_own_workers_lines_and_days_only(world: World) -> None:
    batch = _batch(world, "site-a")
    sheet = world.as_("c", "GET", f"/api/v1/payroll/batches/{batch}/wage-sheet").json()
    assert {line["worker_id"] for line in sheet["lines"]} == {"WC1", "WC2"}
    days = world.as_("c", "GET", f"/api/v1/projects/site-a/attendance-days?month={MONTH}")
    assert {d["worker_id"] for d in days.json()} == {"WC1", "WC2"}
    events = world.as_("c", "GET", "/api/v1/attendance").json()
    assert events and {e["worker_id"] for e in events} == {"WC1", "WC2"}
    full = world.as_("a", "GET", f"/api/v1/payroll/batches/{batch}/wage-sheet").json()
    assert {line["worker_id"] for line in full["lines"]} >= {"WA1", "WA2", "WC1", "WC2"}


def test_only_the_general_contractor_registers_subcontractors(world: World) -> None:
    body = {"enterprise_id": world.ids["b"], "role": "subcontractor"}
    assert (
        world.as_("c", "POST", "/api/v1/projects/site-a/enterprises", json=body).status_code == 403
    )
    assert (
        world.as_("b", "POST", "/api/v1/projects/site-a/enterprises", json=body).status_code == 404
    )
    assert (
        world.as_("manager-a", "POST", "/api/v1/projects/site-a/enterprises", json=body).status_code
        == 403
    )
    on = world.as_("c", "GET", "/api/v1/projects/site-a/enterprises").json()
    assert [(e["enterprise_id"], e["role"]) for e in on] == [
        (world.ids["a"], "general_contractor"),
        (world.ids["c"], "labour_subcontractor"),
    ]
    # C employs for itself only, and an enterprise not on the project cannot be the employer.
    link = {
        "id_number": valid_ric(31),
        "project_id": "site-a",
        "employer_id": world.ids["a"],
        "start_date": "2025-02-01",
        "terms": DAILY,
    }
    assert world.as_("c", "POST", "/api/v1/employments/by-id-number", json=link).status_code == 403
    link["employer_id"] = world.ids["b"]
    assert world.as_("a", "POST", "/api/v1/employments/by-id-number", json=link).status_code == 422


# --- a known person, a new employer ----------------------------------------------------------


def test_a_known_person_is_linked_not_taken_over(world: World) -> None:
    # The old attack: B employs A's worker by a bare id, then reads everything about him.
    bare = {
        "worker_id": "WA2",
        "project_id": "site-b",
        "employer_id": world.ids["b"],
        "start_date": "2025-06-01",
        "terms": DAILY,
    }
    assert world.as_("b", "POST", "/api/v1/employments", json=bare).status_code == 404
    assert world.as_("b", "GET", "/api/v1/workers/WA2").status_code == 404
    # Registering the same person again is refused without naming the record...
    again = {"id": "B-77", "name": "工人A2", "id_number": valid_ric(1)}
    refused = world.as_("b", "POST", "/api/v1/workers", json=again)
    assert refused.status_code == 409 and "WA2" not in refused.text
    # ...which the admin is shown.
    assert "WA2" in world.as_("admin", "POST", "/api/v1/workers", json=again).text
    # Linking by ID number gives B its own employment and masked identity data.
    link = {**{k: v for k, v in bare.items() if k != "worker_id"}, "id_number": valid_ric(1)}
    linked = world.as_("b", "POST", "/api/v1/employments/by-id-number", json=link)
    assert linked.status_code == 201, linked.text
    assert linked.json()["worker"] == {
        "id": "WA2",
        "name": "工人1",
        "id_number_masked": valid_ric(1)[:3] + "*" * 11 + valid_ric(1)[-4:],
    }
    training = {
        "worker_id": "WA2",
        "project_id": "site-a",
        "course": "三级安全教育",
        "completed_on": "2025-01-02",
    }
    assert world.as_("a", "POST", "/api/v1/trainings", json=training).status_code == 201
    seen = world.as_("b", "GET", "/api/v1/workers/WA2").json()
    assert [e["employer_id"] for e in seen["employments"]] == [world.ids["b"]]
    assert seen["contracts"] == [] and seen["trainings"] == [] and "id_number" not in seen
    assert json.loads(seen["employments"][0]["terms"])["rate_fen"] == 36000  # B's own terms
    # B employs him now, so B may reveal (audited); A still sees its own records, not B's.
    whole = world.as_("b", "GET", "/api/v1/workers/WA2?reveal=true").json()
    assert whole["id_number"] == valid_ric(1)
    mine = world.as_("a", "GET", "/api/v1/workers/WA2").json()
    assert {e["employer_id"] for e in mine["employments"]} == {world.ids["a"]}
    assert [t["course"] for t in mine["trainings"]] == ["三级安全教育"]
    # A former-only or never employer does not: C cannot see him at all.
    assert world.as_("c", "GET", "/api/v1/workers/WA2?reveal=true").status_code == 404
    unknown = {**link, "id_number": valid_ric(999)}
    assert (
        world.as_("b", "POST", "/api/v1/employments/by-id-number", json=unknown).status_code == 404
    )


# --- consent is the worker's ----------------------------------------------------------------


def _photo(path: Path) -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", (path.name, path.read_bytes(), "image/jpeg"))


def _gallery(world: World, site: str) -> set[str]:
    g = schema.site_gallery.c
    rows = world.rows(select(g.worker_id).where(g.site == site, g.templates_sealed.is_not(None)))
    return {r.worker_id for r in rows}


def test_consent_is_the_workers_and_another_employer_cannot_use_or_withdraw_it(
    world: World,
) -> None:
    consent = {"method": "signed form"}
    assert (
        world.as_("a", "POST", "/api/v1/workers/WA1/face-consent", json=consent).status_code == 201
    )
    done = world.as_(
        "a", "POST", "/api/v1/workers/WA1/photos", files=[_photo(FACES / "obama/1.jpg")]
    )
    assert done.status_code == 201, done.text
    assert "WA1" in _gallery(world, "site-a")
    # B links WA1 to its own site: his face does not follow on A's consent.
    link = {
        "id_number": valid_ric(0),
        "project_id": "site-b",
        "employer_id": world.ids["b"],
        "start_date": "2025-06-01",
        "terms": DAILY,
    }
    assert world.as_("b", "POST", "/api/v1/employments/by-id-number", json=link).status_code == 201
    assert "WA1" not in _gallery(world, "site-b")
    # B cannot withdraw the consent A recorded (and lock him out of site A).
    assert world.as_("b", "DELETE", "/api/v1/workers/WA1/face-consent").status_code == 404
    assert "WA1" in _gallery(world, "site-a")
    # When he consents for B, his face reaches B's gates; B withdrawing its own leaves A's.
    assert (
        world.as_("b", "POST", "/api/v1/workers/WA1/face-consent", json=consent).status_code == 201
    )
    assert "WA1" in _gallery(world, "site-b")
    assert world.as_("b", "DELETE", "/api/v1/workers/WA1/face-consent").status_code == 200
    assert "WA1" not in _gallery(world, "site-b") and "WA1" in _gallery(world, "site-a")
    # The worker withdraws everything.
    out = world.as_("worker-wa1", "DELETE", "/api/v1/workers/WA1/face-consent").json()
    assert out["templates_deleted"] == 1 and "site-a" in out["removed_from_sites"]
    assert "WA1" not in _gallery(world, "site-a")


def test_a_duplicate_face_is_refused_without_naming_whom_it_matched(world: World) -> None:
    consent = {"method": "signed form"}
    for who, worker in (("a", "WA3"), ("c", "WC1")):
        got = world.as_(who, "POST", f"/api/v1/workers/{worker}/face-consent", json=consent)
        assert got.status_code == 201, got.text
    assert (
        world.as_(
            "a", "POST", "/api/v1/workers/WA3/photos", files=[_photo(FACES / "lisa/1.jpg")]
        ).status_code
        == 201
    )
    same_face = [_photo(FACES / "lisa/2.jpg")]
    refused = world.as_("c", "POST", "/api/v1/workers/WC1/photos", files=same_face)
    assert refused.status_code == 409 and "WA3" not in refused.text
    assert "another worker" in refused.json()["detail"]
    told = world.as_("admin", "POST", "/api/v1/workers/WC1/photos", files=same_face)
    assert told.status_code == 409 and "worker WA3" in told.json()["detail"]


# --- supervisors by jurisdiction --------------------------------------------------------------

LISTS = [
    "/api/v1/enterprises",  # named after their projects here: "总包 site-a"
    "/api/v1/projects",
    "/api/v1/workers",
    "/api/v1/attendance",
    "/api/v1/payroll/batches",
    "/api/v1/warnings",
    "/api/v1/devices",
]


@pytest.mark.parametrize(
    ("who", "sites"),
    [
        ("guangxi", {"site-a", "site-b", "site-l"}),
        ("nanning", {"site-a", "site-b"}),
        ("xingning", {"site-a"}),
        ("liuzhou", {"site-l"}),
    ],
)
def test_supervisors_see_their_division_only(world: World, who: str, sites: set[str]) -> None:
    projects = {p["id"] for p in world.as_(who, "GET", "/api/v1/projects").json()}
    assert projects == sites
    devices = {d["site"] for d in world.as_(who, "GET", "/api/v1/devices").json()}
    assert devices == sites
    batches_seen = {
        b["project_id"] for b in world.as_(who, "GET", "/api/v1/payroll/batches").json()
    }
    assert batches_seen == sites
    events = {e["site"] for e in world.as_(who, "GET", "/api/v1/attendance").json()}
    assert events == sites
    warned = {w["project_id"] for w in world.as_(who, "GET", "/api/v1/warnings").json()}
    assert warned <= sites
    workers = {w["id"][:2] for w in world.as_(who, "GET", "/api/v1/workers").json()}
    assert workers <= {"W" + s[-1].upper() for s in sites} | (
        {"WC"} if "site-a" in sites else set()
    )


def test_a_city_supervisor_sees_nothing_of_another_city(world: World) -> None:
    for path in LISTS:
        got = world.as_("liuzhou", "GET", path)
        assert got.status_code == 200, path
        text = got.text
        assert "site-a" not in text and "site-b" not in text and "WA1" not in text, path
    batch = _batch(world, "site-a")
    for path in (
        "/api/v1/projects/site-a",
        f"/api/v1/projects/site-a/attendance-days?month={MONTH}",
        "/api/v1/projects/site-a/closings",
        "/api/v1/projects/site-a/enterprises",
        f"/api/v1/payroll/batches/{batch}",
        f"/api/v1/payroll/batches/{batch}/wage-sheet",
        "/api/v1/dust?site=site-a",
        "/api/v1/workers/WA1",
        "/api/v1/workers/WA1/evidence?first=2025-06-01&last=2025-06-30",
    ):
        assert world.as_("liuzhou", "GET", path).status_code == 404, path
    assert world.as_("nanning", "GET", "/api/v1/projects/site-a").status_code == 200


def test_projects_carry_a_real_division_code_and_a_status(world: World) -> None:
    project = {"id": "site-x", "name": "x", "contractor_id": world.ids["a"]}
    for bad in ("459999", "45010", "991234"):
        got = world.as_("a", "POST", "/api/v1/projects", json={**project, "division_code": bad})
        assert got.status_code == 422, bad
    assert world.as_("a", "POST", "/api/v1/projects", json=project).status_code == 422
    got = world.as_("a", "PATCH", "/api/v1/projects/site-a", json={"status": "suspended"})
    assert got.status_code == 200 and got.json()["status"] == "suspended"
    assert got.json()["division_code"] == "450102"
    assert (
        world.as_("c", "PATCH", "/api/v1/projects/site-a", json={"status": "completed"}).status_code
        == 403
    )
    world.as_("a", "PATCH", "/api/v1/projects/site-a", json={"status": "under_construction"})
    with pytest.raises(ValueError, match="GB/T 2260"):
        UserIn(username="sup", password="x" * 12, role="supervisor", division_code="459999")  # type: ignore[arg-type]


# --- accounts scoped to records that exist ----------------------------------------------------


def test_users_add_refuses_ids_that_do_not_exist_and_a_second_worker_account(
    world: World, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text(TEST_PASSWORD + "\n")
    base = [
        "sitegate-central",
        "users",
        "add",
        "--db",
        world.db_url,
        "--password-file",
        str(secret),
    ]
    for args, expect in (
        (["--role", "contractor_admin", "--enterprise-id", "999"], "enterprise 999"),
        (["--role", "site_manager", "--project-id", "no-such-site"], "project no-such-site"),
        (["--role", "worker", "--worker-id", "NOBODY"], "worker NOBODY"),
        (["--role", "worker", "--worker-id", "WA1"], "one per worker"),
        (["--role", "supervisor", "--division", "459999"], "GB/T 2260"),
    ):
        done = run_cli(*base, "--username", f"u{len(expect)}x", *args, check=False)
        assert done.returncode == 1 and expect in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    done = run_cli(*base, "--username", "gl-city", "--role", "supervisor", "--division", "450300")
    assert "added with role supervisor" in done.stdout
    u = schema.users.c
    assert world.rows(select(u.division_code).where(u.username == "gl-city"))[0][0] == "450300"


# --- the scope queries on both engines ---------------------------------------------------------


def test_scope_queries_answer_the_same_on_sqlite_and_postgresql(
    database: Database, tmp_path: Path
) -> None:
    sealer = Sealer.from_file(tmp_path / "central.key")
    terms = PayTerms(pay_kind="daily", rate_fen=36000)
    a = registered_project(database, sealer, "site-a", {"WA1": terms, "WA2": terms})
    registered_project(
        database, sealer, "site-l", {"WL1": terms}, uscc=FOURTH_USCC, offset=20, division="450202"
    )
    c = subcontractor_on(database, "site-a")
    create_worker(database, sealer, WorkerIn(id="WC1", name="分包工人", id_number=valid_ric(30)))
    add_employment(
        database,
        EmploymentIn(
            worker_id="WC1",
            project_id="site-a",
            employer_id=c["id"],  # type: ignore[arg-type]
            start_date=date(2025, 1, 1),
            terms=terms,
        ),
    )
    store_punches(
        database,
        "site-a",
        [(w, "in", local(f"{DAY} 08:00")) for w in ("WA1", "WC1")],
    )

    def who(role: Role, **scope_of: object) -> Principal:
        fields = {"enterprise_id": None, "project_id": None, "worker_id": None, **scope_of}
        return Principal(1, "u", role, **fields)  # type: ignore[arg-type]

    sub = who(Role.CONTRACTOR_ADMIN, enterprise_id=c["id"])
    general = who(Role.CONTRACTOR_ADMIN, enterprise_id=a["id"])
    w, at = schema.workers.c, schema.attendance.c
    with database.engine.connect() as conn:

        def workers_of(p: Principal) -> set[str]:
            clause = scope.visible_workers_filter(conn, p)
            q = select(w.id) if clause is None else select(w.id).where(clause)
            return set(conn.execute(q).scalars())

        def events_of(p: Principal) -> set[str]:
            q = scope.restrict(conn, p, select(at.worker_id), at.site, at.worker_id)
            return set(conn.execute(q).scalars())

        assert workers_of(sub) == {"WC1"} and events_of(sub) == {"WC1"}
        assert workers_of(general) == {"WA1", "WA2", "WC1"} == events_of(general) | {"WA2"}
        assert scope.project_reach(conn, sub, "site-a") == scope.OWN_WORKERS
        assert scope.project_reach(conn, general, "site-a") == scope.WHOLE_PROJECT
        assert scope.revealable(conn, sub, ["WA1", "WC1"]) == {"WC1"}
        assert scope.revealable(conn, general, ["WA1", "WC1"]) == {"WA1", "WC1"}
        for code, seen in (("450000", {"site-a", "site-l"}), ("450100", {"site-a"})):
            supervisor = who(Role.SUPERVISOR, division_code=code)
            assert scope.visible_projects(conn, supervisor) == seen
        liuzhou = who(Role.SUPERVISOR, division_code="450200")
        assert workers_of(liuzhou) == {"WL1"} and events_of(liuzhou) == set()
