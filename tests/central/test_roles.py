"""Every role against every route that takes an id it must not reach: 403 or 404, never data.

In-process (FastAPI TestClient) over a real SQLite file: two contractors, each with a project;
users of every role; the out-of-scope ids are the other contractor's project, batch, worker
and warning, and the other worker's line.
"""

import re
from collections.abc import Iterator
from datetime import date

import pytest
from factories import (
    SUB_USCC,
    local,
    new_db,
    registered_project,
    store_punches,
    subcontractor_on,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.api.limits import PUBLIC_PATHS
from central.payroll import batches
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import schema
from central.wages.rules import PayTerms
from central.warnings.indicators import scan
from conftest import api_headers

DAILY = PayTerms(pay_kind="daily", rate_fen=36000)


class World:
    """Ids the tests refer to, and a client per role."""

    def __init__(
        self, client: TestClient, headers: dict[str, dict[str, str]], ids: dict[str, object]
    ):
        self.client, self.headers, self.ids = client, headers, ids
        self.app: FastAPI | None = None

    def call(self, role: str | None, method: str, path: str, body: object = None) -> int:
        kw: dict[str, object] = {"headers": self.headers[role] if role else {}}
        if body is not None:
            kw["json"] = body
        return self.client.request(method, path.format(**self.ids), **kw).status_code  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("roles")
    db, sealer = new_db(tmp)
    a = registered_project(db, sealer, "site-a", {"W1": DAILY, "W2": DAILY})
    b = registered_project(db, sealer, "site-b", {"W3": DAILY}, uscc=SUB_USCC, offset=10)
    sub = subcontractor_on(db, "site-a")  # on site A, employing none of A's workers
    assert sub["id"] == SUBCONTRACTOR_ID
    punches = []
    for worker, site in (("W1", "site-a"), ("W2", "site-a"), ("W3", "site-b")):
        punches.append(
            (
                site,
                [
                    (worker, "in", local("2025-06-10 08:00")),
                    (worker, "out", local("2025-06-10 17:00")),
                ],
            )
        )
    for site, p in punches:
        store_punches(db, site, p)
    batch_a = batches.compute(db, "site-a", "2025-06", "boss")
    batch_b = batches.compute(db, "site-b", "2025-06", "boss")
    scan(db, date(2025, 7, 20))
    with db.engine.connect() as conn:
        lines = {r.worker_id: r.id for r in conn.execute(select(schema.payroll_lines))}
        warning_b = (
            conn.execute(
                select(schema.wage_warnings.c.id).where(
                    schema.wage_warnings.c.project_id == "site-b"
                )
            )
            .scalars()
            .first()
        )
    url = str(tmp / "central.db")
    headers = {
        "admin": api_headers(url, "root", "admin"),
        "supervisor": api_headers(url, "inspector", "supervisor", division_code="450102"),
        "contractor_admin": api_headers(url, "boss-a", "contractor_admin", enterprise_id=a["id"]),
        "subcontractor": api_headers(url, "sub-a", "contractor_admin", enterprise_id=sub["id"]),
        "site_manager": api_headers(url, "manager-a", "site_manager", project_id="site-a"),
        "worker": api_headers(url, "worker-w1", "worker", worker_id="W1"),
    }
    ids = {
        "own_project": "site-a",
        "other_project": "site-b",
        "other_enterprise": b["id"],
        "own_batch": batch_a["id"],
        "other_batch": batch_b["id"],
        "own_worker": "W1",
        "colleague": "W2",
        "other_worker": "W3",
        "own_line": lines["W1"],
        "colleague_line": lines["W2"],
        "other_warning": warning_b,
        "month": "2025-06",
        "day": "2025-06-10",
    }
    service = CentralService(CentralSettings(db=url))
    app = create_app(service, manage_service=False)
    with TestClient(app) as client:
        world = World(client, headers, ids)
        world.app = app
        yield world
    db.close()


# Routes with ids outside the contractor's (and site manager's) projects.
OTHER_PROJECT = [
    ("GET", "/api/v1/projects/{other_project}", None),
    ("PUT", "/api/v1/projects/{other_project}/calendar/{day}?kind=holiday", None),
    ("GET", "/api/v1/projects/{other_project}/attendance-days?month={month}", None),
    (
        "POST",
        "/api/v1/projects/{other_project}/attendance-days/{other_worker}/{day}/corrections",
        {"worked_minutes": 480, "reason": "trying"},
    ),
    ("GET", "/api/v1/projects/{other_project}/corrections", None),
    ("POST", "/api/v1/projects/{other_project}/payroll/{month}", None),
    (
        "POST",
        "/api/v1/projects/{other_project}/adjustments",
        {
            "worker_id": "W3",
            "month": "2025-06",
            "kind": "deduction",
            "amount_fen": 1,
            "reason": "x",
        },
    ),
    ("POST", "/api/v1/projects/{other_project}/closings", {"kind": "day", "period": "2025-06-10"}),
    ("GET", "/api/v1/projects/{other_project}/closings", None),
    ("GET", "/api/v1/projects/{other_project}/gates/horizon", None),
    ("GET", "/api/v1/payroll/batches/{other_batch}", None),
    ("GET", "/api/v1/payroll/batches/{other_batch}/wage-sheet", None),
    ("POST", "/api/v1/payroll/batches/{other_batch}/approve", None),
    ("POST", "/api/v1/payroll/batches/{other_batch}/submit", None),
    ("POST", "/api/v1/payroll/batches/{other_batch}/retry-failed", None),
    ("GET", "/api/v1/workers/{other_worker}", None),
    ("GET", "/api/v1/workers/{other_worker}/evidence?first=2025-06-01&last=2025-06-30", None),
    ("POST", "/api/v1/workers/{other_worker}/face-consent", {"method": "signed form"}),
    ("DELETE", "/api/v1/workers/{other_worker}/face-consent", None),
    ("POST", "/api/v1/warnings/{other_warning}/handle", {"note": "not mine"}),
    ("GET", "/api/v1/dust?site={other_project}", None),
    ("GET", "/api/v1/fleet/dust/{other_project}", None),
    (
        "POST",
        "/api/v1/employments",
        {
            "worker_id": "W1",
            "project_id": "site-b",
            "employer_id": 1,
            "start_date": "2025-06-01",
            "terms": {"pay_kind": "daily", "rate_fen": 1},
        },
    ),
    (
        "POST",
        "/api/v1/contracts",
        {
            "worker_id": "W1",
            "project_id": "site-b",
            "employer_id": 1,
            "signed_on": "2025-06-01",
            "document_text": "x",
        },
    ),
]
# Routes for one role only, or for supervision/administration.
ADMIN_ONLY = [
    (
        "POST",
        "/api/v1/enterprises",
        {"name": "x", "uscc": "91350100M000100Y43", "kind": "subcontractor"},
    ),
    ("GET", "/api/v1/dead-letters", None),
    ("GET", "/api/v1/face-data/stats", None),
    ("POST", "/api/v1/warnings/scan", None),
    ("GET", "/api/v1/sites/{own_project}/gallery", None),
    ("PUT", "/api/v1/sites/{own_project}/gallery/{own_worker}", {"encodings": [[0.0] * 128]}),
    ("GET", "/api/v1/devices/{own_project}/gate-1/config", None),
]
WORKER_OUT_OF_REACH = [
    ("GET", "/api/v1/workers/{colleague}", None),
    ("GET", "/api/v1/workers/{colleague}/evidence?first=2025-06-01&last=2025-06-30", None),
    ("DELETE", "/api/v1/workers/{colleague}/face-consent", None),
    ("POST", "/api/v1/me/payroll-lines/{colleague_line}/confirm", None),
    ("POST", "/api/v1/me/payroll-lines/{colleague_line}/dispute", {"reason": "not my line"}),
    ("GET", "/api/v1/me/checkin-qr?project_id={other_project}", None),
    ("GET", "/api/v1/payroll/batches/{own_batch}", None),
    ("POST", "/api/v1/payroll/batches/{own_batch}/approve", None),
    (
        "POST",
        "/api/v1/projects/{own_project}/attendance-days/{own_worker}/{day}/corrections",
        {"worked_minutes": 600, "reason": "I worked more"},
    ),
    ("POST", "/api/v1/projects/{own_project}/payroll/{month}", None),
    ("GET", "/api/v1/devices", None),
    ("GET", "/api/v1/warnings", None),
    ("GET", "/api/v1/qr/public-key", None),
    ("POST", "/api/v1/workers", {"id": "W9", "name": "x", "id_number": "11010519491231002X"}),
    *OTHER_PROJECT,
]
SUPERVISOR_WRITES = [
    ("POST", "/api/v1/payroll/batches/{own_batch}/approve", None),
    (
        "POST",
        "/api/v1/projects/{own_project}/attendance-days/{own_worker}/{day}/corrections",
        {"worked_minutes": 600, "reason": "inspector edit"},
    ),
    ("POST", "/api/v1/projects/{own_project}/payroll/{month}", None),
    (
        "POST",
        "/api/v1/projects",
        {"id": "site-x", "name": "x", "contractor_id": 1, "division_code": "450102"},
    ),
    ("POST", "/api/v1/workers", {"id": "W9", "name": "x", "id_number": "11010519491231002X"}),
    ("GET", "/api/v1/workers?reveal=true", None),
    ("GET", "/api/v1/me/payroll-lines", None),
]
# A subcontractor on site A against the general contractor's workers and the project's payroll.
SUBCONTRACTOR_ID = 3
SUBCONTRACTOR = [
    ("GET", "/api/v1/workers/{own_worker}", None),
    ("GET", "/api/v1/workers/{own_worker}?reveal=true", None),
    ("GET", "/api/v1/workers/{own_worker}/evidence?first=2025-06-01&last=2025-06-30", None),
    ("POST", "/api/v1/workers/{own_worker}/face-consent", {"method": "signed form"}),
    ("DELETE", "/api/v1/workers/{own_worker}/face-consent", None),
    (
        "POST",
        "/api/v1/projects/{own_project}/adjustments",
        {
            "worker_id": "W1",
            "month": "2025-06",
            "kind": "deduction",
            "amount_fen": 40000,
            "reason": "not my worker",
        },
    ),
    ("POST", "/api/v1/payroll/batches/{own_batch}/approve", None),
    ("POST", "/api/v1/payroll/batches/{own_batch}/submit", None),
    ("POST", "/api/v1/payroll/batches/{own_batch}/retry-failed", None),
    ("POST", "/api/v1/projects/{own_project}/payroll/{month}", None),
    ("POST", "/api/v1/projects/{own_project}/closings", {"kind": "day", "period": "2025-06-10"}),
    ("PUT", "/api/v1/projects/{own_project}/calendar/{day}?kind=holiday", None),
    ("PATCH", "/api/v1/projects/{own_project}", {"status": "completed"}),
    (
        "POST",
        "/api/v1/projects/{own_project}/enterprises",
        {"enterprise_id": 2, "role": "subcontractor"},
    ),
    (
        "POST",
        "/api/v1/employments",
        {
            "worker_id": "W1",
            "project_id": "site-a",
            "employer_id": SUBCONTRACTOR_ID,
            "start_date": "2025-06-01",
            "terms": {"pay_kind": "daily", "rate_fen": 1},
        },
    ),
    (
        "POST",
        "/api/v1/contracts",
        {
            "worker_id": "W1",
            "project_id": "site-a",
            "employer_id": SUBCONTRACTOR_ID,
            "signed_on": "2025-06-01",
            "document_text": "x",
        },
    ),
]
SITE_MANAGER_EXTRA = [
    ("POST", "/api/v1/payroll/batches/{own_batch}/approve", None),  # the contractor approves
    ("GET", "/api/v1/workers?reveal=true", None),
]

CASES = (
    [("contractor_admin", *r) for r in OTHER_PROJECT + ADMIN_ONLY]
    + [("site_manager", *r) for r in OTHER_PROJECT + ADMIN_ONLY + SITE_MANAGER_EXTRA]
    + [("subcontractor", *r) for r in OTHER_PROJECT + ADMIN_ONLY + SUBCONTRACTOR]
    + [("worker", *r) for r in WORKER_OUT_OF_REACH + ADMIN_ONLY]
    + [("supervisor", *r) for r in SUPERVISOR_WRITES + ADMIN_ONLY[4:]]
)


@pytest.mark.parametrize(
    ("role", "method", "path", "body"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_role_cannot_reach_what_is_not_theirs(
    world: World, role: str, method: str, path: str, body: object
) -> None:
    assert world.call(role, method, path, body) in (403, 404)


def test_every_api_route_needs_a_token(world: World) -> None:
    checked = 0
    assert world.app is not None
    for path, operations in world.app.openapi()["paths"].items():
        if not path.startswith("/api/v1") or path in PUBLIC_PATHS:  # the logins, activation
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in operations:
            status = world.client.request(method.upper(), concrete).status_code
            assert status == 401, f"{method} {path} answered {status} without a token"
            checked += 1
    assert checked >= 40


def test_each_role_sees_its_own(world: World) -> None:
    c, h = world.client, world.headers
    assert [p["id"] for p in c.get("/api/v1/projects", headers=h["contractor_admin"]).json()] == [
        "site-a"
    ]
    assert [p["id"] for p in c.get("/api/v1/projects", headers=h["supervisor"]).json()] == [
        "site-a",
        "site-b",
    ]
    assert {w["id"] for w in c.get("/api/v1/workers", headers=h["site_manager"]).json()} == {
        "W1",
        "W2",
    }
    rows = c.get("/api/v1/attendance", headers=h["worker"]).json()
    assert rows and {r["worker_id"] for r in rows} == {"W1"}
    (line,) = c.get("/api/v1/me/payroll-lines", headers=h["worker"]).json()
    assert (line["project_id"], line["month"], line["net_fen"]) == (
        "site-a",
        "2025-06",
        36000 + 75 * 60 * 3 // 2,
    )
    masked = c.get("/api/v1/workers/W1", headers=h["supervisor"]).json()
    assert "*" in masked["id_number_masked"] and "id_number" not in masked
    whole = c.get("/api/v1/workers?reveal=true", headers=h["contractor_admin"]).json()
    assert all(len(w["id_number"]) == 18 and "*" not in w["id_number"] for w in whole)
    assert (
        c.get(
            f"/api/v1/payroll/batches/{world.ids['own_batch']}",
            headers=h["contractor_admin"],
        ).status_code
        == 200
    )
    assert [
        b["project_id"] for b in c.get("/api/v1/payroll/batches", headers=h["site_manager"]).json()
    ] == ["site-a"]
    qr = c.get("/api/v1/me/checkin-qr?project_id=site-a", headers=h["worker"]).json()
    assert qr["token"].startswith("SGQ1.")
    # A gate holding central's public key admits that worker at that site, nowhere else.
    from wireproto.qr import QrTokenError, load_public_key, verify_token

    key = c.get("/api/v1/qr/public-key", headers=h["site_manager"]).json()["public_key"]
    assert verify_token(qr["token"], load_public_key(key), "site-a").worker_id == "W1"
    with pytest.raises(QrTokenError):
        verify_token(qr["token"], load_public_key(key), "site-b")
    assert c.get("/api/v1/auth/me", headers=h["worker"]).json()["worker_id"] == "W1"


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_the_ids_above_exist_for_those_who_may_read_them(world: World, role: str) -> None:
    """So a 404 above means "not yours", not "no such thing"."""
    reads = [r for r in OTHER_PROJECT if r[0] == "GET"]
    assert len(reads) >= 8
    for _method, path, _body in reads:
        assert world.call(role, "GET", path) == 200, path


def test_the_subcontractor_is_on_the_project_it_cannot_run(world: World) -> None:
    """So the 403s above are the general contractor's prerogative, not a missing project."""
    h = world.headers["subcontractor"]
    assert world.client.get("/api/v1/projects/site-a", headers=h).status_code == 200
    assert world.client.get("/api/v1/workers", headers=h).json() == []
    sheet = world.client.get(f"/api/v1/payroll/batches/{world.ids['own_batch']}", headers=h)
    assert sheet.status_code == 200 and sheet.json()["lines"] == []
