"""The warnings queue and its handling, in-process over a real SQLite file: scope (a city's
supervisor neither sees nor handles another city's warnings), every action a history row and
an audit row, escalation up the GB/T 2260 levels, silent gates and dust alarms as warnings
that resolve themselves.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from factories import Region, console_region, new_db
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_client import add_users, console_client, csrf_of

from central import audit
from central.ingest.projections import project
from central.storage import Database, schema
from central.storage.database import StoredEvent
from central.warnings import devices
from conftest import TEST_PASSWORD, api_headers
from wireproto import Envelope, new_event_id
from wireproto.messages import DeviceStatusBody, DustAlarmBody

USERS = {
    "root": {"role": "admin"},
    "gx-inspector": {"role": "supervisor", "division_code": "450000"},  # Guangxi
    "nn-inspector": {"role": "supervisor", "division_code": "450100"},  # Nanning city
    "xn-inspector": {"role": "supervisor", "division_code": "450102"},  # Xingning county
    "lz-inspector": {"role": "supervisor", "division_code": "450200"},  # Liuzhou city
    "boss": {"role": "contractor_admin", "enterprise_id": 1},  # Nanning's general contractor
}


@pytest.fixture()
def world(tmp_path) -> Iterator[tuple[TestClient, Region, str]]:  # type: ignore[no-untyped-def]
    db, sealer = new_db(tmp_path)
    region = console_region(db, sealer, tmp_path)
    add_users(db, USERS)
    db.close()
    url = str(tmp_path / "central.db")
    with console_client(url) as client:
        yield client, region, url


def token(url: str, name: str) -> dict[str, str]:
    return api_headers(url, name, **USERS[name])  # type: ignore[arg-type]


def silence_gates(url: str) -> None:
    """Two hours on, neither gate has been heard from: a device_offline warning on each
    project (console_region's only other warning is Liuzhou's overdue batch)."""
    db = Database(url)
    assert devices.watch(db, datetime.now(UTC) + timedelta(hours=2), timedelta(minutes=30)).opened
    db.close()


def first_open(url: str, project_id: str) -> int:
    silence_gates(url)
    db = Database(url)
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        found = conn.execute(
            select(w.id).where(w.project_id == project_id, w.state == "open").order_by(w.id)
        ).first()
    db.close()
    assert found is not None, f"console_region opens a warning on {project_id}"
    return int(found.id)


def history_of(url: str, warning_id: int) -> list[tuple[str, str, str | None]]:
    db = Database(url)
    h = schema.warning_history.c
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(h.actor, h.action, h.note).where(h.warning_id == warning_id).order_by(h.id)
        ).all()
    db.close()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def audited(url: str, warning_id: int) -> list[tuple[str, str]]:
    db = Database(url)
    with db.engine.connect() as conn:
        rows = audit.entries(conn, limit=1000)
    db.close()
    return [
        (str(r["actor"]), str(r["action"]))
        for r in reversed(rows)
        if r["target_kind"] == "warning" and r["target_id"] == str(warning_id)
    ]


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = csrf_of(client.get("/console/login").text)
    answer = client.post(
        "/console/login",
        data={"username": username, "password": TEST_PASSWORD, "csrf_token": form},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def test_a_city_supervisor_neither_sees_nor_handles_another_citys_warnings(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    theirs = first_open(url, region.liuzhou)
    nn = token(url, "nn-inspector")
    note = {"note": "paid in cash, receipts filed"}
    assert client.get(f"/api/v1/warnings/{theirs}", headers=nn).status_code == 404
    for action, body in (
        ("resolve", note),
        ("handle", note),
        ("note", note),
        ("escalate", note),
        ("assign", {"assignee": "nn-inspector"}),
    ):
        answer = client.post(f"/api/v1/warnings/{theirs}/{action}", json=body, headers=nn)
        assert answer.status_code == 404, (action, answer.text)
        assert region.liuzhou not in answer.text
    # the same answer as for a warning that does not exist: no oracle
    missing = client.get("/api/v1/warnings/999999", headers=nn)
    assert missing.status_code == 404
    listed = client.get("/api/v1/warnings", headers=nn).json()
    assert listed and {w["project_id"] for w in listed} == {region.nanning}

    sign_in(client, "nn-inspector")
    rows = client.get("/console/warnings.json").json()["rows"]
    assert rows and {r["project_id"] for r in rows} == {region.nanning}
    assert {r["city"] for r in rows} == {"450100"}
    page = client.get(f"/console/warnings/{theirs}")
    assert page.status_code == 404 and region.liuzhou not in page.text
    form = csrf_of(client.get("/console/warnings").text)
    forged = client.post(
        f"/console/warnings/{theirs}/resolve",
        data={"note": "closing someone else's case", "csrf_token": form},
        follow_redirects=False,
    )
    assert forged.status_code == 404
    # nothing happened to it: still open, its history only the raising, no audit row
    assert history_of(url, theirs) == [("system", "raised", None)]
    assert audited(url, theirs) == []
    lz = token(url, "lz-inspector")
    assert client.get(f"/api/v1/warnings/{theirs}", headers=lz).json()["state"] == "open"


def test_handling_writes_history_and_audit_and_escalates_level_by_level(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    wid = first_open(url, region.nanning)
    county, city, province = (
        token(url, n) for n in ("xn-inspector", "nn-inspector", "gx-inspector")
    )

    def post(who: dict[str, str], action: str, body: dict[str, object]) -> dict[str, object]:
        answer = client.post(f"/api/v1/warnings/{wid}/{action}", json=body, headers=who)
        assert answer.status_code == 200, (action, answer.text)
        return answer.json()  # type: ignore[no-any-return]

    assert post(county, "assign", {"assignee": "nn-inspector"})["assignee"] == "nn-inspector"
    # a name outside the warning's reach and a name nobody has get the same 422
    outside = client.post(
        f"/api/v1/warnings/{wid}/assign", json={"assignee": "lz-inspector"}, headers=county
    )
    nobody = client.post(
        f"/api/v1/warnings/{wid}/assign", json={"assignee": "no-such-user"}, headers=county
    )
    assert outside.status_code == nobody.status_code == 422
    assert outside.json()["detail"].replace("lz-inspector", "X") == nobody.json()["detail"].replace(
        "no-such-user", "X"
    )
    post(city, "note", {"note": "called the contractor, payment promised Friday"})
    assert post(county, "escalate", {"note": "contractor does not answer"})["escalated_to"] == (
        "450100"
    )
    again = client.post(f"/api/v1/warnings/{wid}/escalate", json={"note": "again!"}, headers=county)
    assert again.status_code == 409  # already at the county's city
    assert post(city, "escalate", {"note": "needs the province"})["escalated_to"] == "450000"
    top = client.post(f"/api/v1/warnings/{wid}/escalate", json={"note": "higher"}, headers=province)
    assert top.status_code == 409  # nothing above a province
    # the contractor may note and resolve its project's warnings; its "level above" is the
    # labour inspection, which has this warning already (409; a fresh one it refers once:
    # tests/central/test_enterprise_setup.py)
    boss = token(url, "boss")
    refused = client.post(f"/api/v1/warnings/{wid}/escalate", json={"note": "please"}, headers=boss)
    assert refused.status_code == 409
    post(boss, "note", {"note": "site manager on leave, back Monday"})
    assert post(city, "resolve", {"note": "wages paid on 2025-07-20"})["state"] == "handled"
    twice = client.post(f"/api/v1/warnings/{wid}/resolve", json={"note": "again"}, headers=city)
    assert twice.status_code == 409
    reopened = post(province, "reopen", {"note": "bank returned the payment"})
    assert (reopened["state"], reopened["handled_by"]) == ("open", None)

    detail = client.get(f"/api/v1/warnings/{wid}", headers=city).json()
    assert [(h["actor"], h["action"]) for h in detail["history"]] == [
        ("system", "raised"),
        ("xn-inspector", "assigned"),
        ("nn-inspector", "noted"),
        ("xn-inspector", "escalated"),
        ("nn-inspector", "escalated"),
        ("boss", "noted"),
        ("nn-inspector", "resolved"),
        ("gx-inspector", "reopened"),
    ]
    assert detail["history"][3]["detail"] == {"to": "450100"}
    assert detail["history"][6]["note"] == "wages paid on 2025-07-20"
    assert audited(url, wid) == [
        ("xn-inspector", "warning.assigned"),
        ("nn-inspector", "warning.noted"),
        ("xn-inspector", "warning.escalated"),
        ("nn-inspector", "warning.escalated"),
        ("boss", "warning.noted"),
        ("nn-inspector", "warning.resolved"),
        ("gx-inspector", "warning.reopened"),
    ]
    # a note is required, and refused blank
    blank = client.post(f"/api/v1/warnings/{wid}/resolve", json={"note": "   "}, headers=city)
    assert blank.status_code == 422


def test_the_console_form_resolves_and_the_queue_follows(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    wid = first_open(url, region.nanning)
    sign_in(client, "nn-inspector")
    page = client.get(f"/console/warnings/{wid}")
    assert page.status_code == 200 and 'id="resolve-form"' in page.text
    no_csrf = client.post(f"/console/warnings/{wid}/resolve", data={"note": "done"})
    assert no_csrf.status_code == 403
    done = client.post(
        f"/console/warnings/{wid}/resolve",
        data={"note": "wages paid", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/console/warnings/{wid}"
    open_ids = [r["id"] for r in client.get("/console/warnings.json?state=open").json()["rows"]]
    handled = client.get("/console/warnings.json?state=handled").json()["rows"]
    assert wid not in open_ids and [r["id"] for r in handled] == [wid]
    assert handled[0]["updated_at"] >= handled[0]["created_at"]
    assert history_of(url, wid)[-1] == ("nn-inspector", "resolved", "wages paid")
    # resolving it again is refused with the page and the reason, not a 500
    again = client.post(
        f"/console/warnings/{wid}/resolve",
        data={"note": "wages paid", "csrf_token": csrf_of(page.text)},
    )
    assert again.status_code == 409 and 'role="alert"' in again.text
    # filters are checked: an unknown kind or a malformed city is a 422, never SQL
    assert client.get("/console/warnings?kind=nonsense").status_code == 422
    assert client.get("/console/warnings?city=45'--").status_code == 422
    assert client.get("/console/warnings?city=450100").status_code == 200


def dust_alarm(site: str, seq: int, state: str, at: datetime) -> StoredEvent:
    body = DustAlarmBody(
        state=state,  # type: ignore[arg-type]
        pollutant="pm10",
        value=180.0 if state == "raised" else 60.0,
        limit=150.0,
        profile="guangxi",
        window="1h",
        at=at,
        exceedances_today=3,
        allowed_per_day=2,
    )
    env = Envelope(id=new_event_id(), site=site, device="gate-1", seq=seq, created_at=at, body=body)
    return StoredEvent(
        env.id, env.site, env.device, seq, env.kind, at.isoformat(), "{}", project(env)
    )


def test_a_silent_gate_and_a_dust_alarm_become_warnings_and_resolve_themselves(world) -> None:  # type: ignore[no-untyped-def]
    _client, region, url = world
    db = Database(url)
    w = schema.wage_warnings.c
    now = datetime.now(UTC)

    def kinds(kind: str, site: str) -> list[tuple[str, str, str | None]]:
        q = select(w.project_id, w.state, w.handled_by).where(w.kind == kind, w.project_id == site)
        with db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(q.order_by(w.id))]  # type: ignore[misc]

    # the Nanning gate sent its status just now: not silent after 30 minutes
    assert devices.watch(db, now, timedelta(minutes=30)).opened == 0
    assert kinds(devices.OFFLINE, region.nanning) == []
    # an hour later nothing more has come: a warning on its project, and one on Liuzhou's
    # gate, never heard from since it was registered; watching again adds none
    later = now + timedelta(hours=1)
    assert devices.watch(db, later, timedelta(minutes=30)).opened == 2
    assert devices.watch(db, later, timedelta(minutes=30)).opened == 0
    assert kinds(devices.OFFLINE, region.nanning) == [(region.nanning, "open", None)]
    assert kinds(devices.OFFLINE, region.liuzhou) == [(region.liuzhou, "open", None)]
    # the gate is heard from again (a signed status, as ingest stores it): resolved by system
    back = DeviceStatusBody(state="online", outbox_depth=0, camera_ok=True, at=later)
    db.set_device_status(
        region.nanning, "gate-1", back.model_dump_json(exclude={"kind"}), later.isoformat()
    )
    assert devices.watch(db, later, timedelta(minutes=30)).resolved == 1
    assert kinds(devices.OFFLINE, region.nanning) == [(region.nanning, "handled", "system")]
    # silent again much later: a new outage, a new warning with its own history
    assert devices.watch(db, later + timedelta(hours=2), timedelta(minutes=30)).opened == 1
    assert [s for _p, s, _h in kinds(devices.OFFLINE, region.nanning)] == ["handled", "open"]

    # a dust alarm stored by the write path enters the queue as ingest stores it
    raised = dust_alarm(region.liuzhou, 1, "raised", now - timedelta(minutes=5))
    db.store([raised], [], now)
    devices.after_ingest(db, [raised])
    assert kinds(devices.DUST, region.liuzhou) == [(region.liuzhou, "open", None)]
    with db.engine.connect() as conn:
        severity = conn.execute(select(w.severity).where(w.kind == devices.DUST)).scalar_one()
    assert severity == "high"  # three exceedances where two a day are allowed
    cleared = dust_alarm(region.liuzhou, 2, "cleared", now)
    db.store([cleared], [], now)
    devices.after_ingest(db, [cleared])
    assert kinds(devices.DUST, region.liuzhou) == [(region.liuzhou, "handled", "system")]
    with db.engine.connect() as conn:
        dust_id = conn.execute(select(w.id).where(w.kind == devices.DUST)).scalar_one()
    db.close()
    assert [a for _who, a, _n in history_of(url, dust_id)] == ["raised", "resolved"]
