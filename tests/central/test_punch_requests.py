"""Supplementary punches (补卡) over HTTP, in-process on a real SQLite file: the rules a
request must pass (each refusal names its field), the site's queue and its decisions (an
approval is a correction of the day, a refusal carries its reason to the worker), the audit
rows, and scope: a worker sees only their own, a subcontractor only its own workers', another
contractor nothing (404).
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from factories import (
    SHANGHAI,
    new_db,
    two_sites,
    two_sites_headers,
)
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_client import console_client

from central.attendance import closing
from central.storage import Database, schema
from central.wages.rules import PayTerms

DAILY = PayTerms(pay_kind="daily", rate_fen=36000)
TODAY = datetime.now(SHANGHAI).date()
PAST = TODAY - timedelta(days=3)  # the days asked for: recent, inside every employment
MINE = "/api/v1/me/punch-requests"
QUEUE = "/api/v1/projects/site-a/punch-requests"


class World:
    def __init__(self, client: TestClient, db: Database, headers: dict[str, dict[str, str]]):
        self.client, self.db, self.headers = client, db, headers

    def file(self, role: str, day: date, **over: object) -> tuple[int, dict[str, object]]:
        body = {
            "project_id": "site-a",
            "day": day.isoformat(),
            "first_in": "08:00",
            "last_out": "17:00",
            "reason": "闸机排队太长，没刷上脸",
            **over,
        }
        answer = self.client.post(MINE, json=body, headers=self.headers[role])
        return answer.status_code, answer.json()

    def get(self, role: str, path: str) -> tuple[int, object]:
        answer = self.client.get(path, headers=self.headers[role])
        return answer.status_code, answer.json()

    def post(self, role: str, path: str, body: object = None) -> tuple[int, dict[str, object]]:
        answer = self.client.post(path, json=body, headers=self.headers[role])
        return answer.status_code, answer.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("punches")
    db, sealer = new_db(tmp)
    sites = two_sites(db, sealer, DAILY, "分包工人", TODAY - timedelta(days=10), team="二班")
    url = str(tmp / "central.db")
    headers = two_sites_headers(
        url, sites, "w1", "w2", "w4", "manager", "boss", "sub", "other", "supervisor"
    )
    with console_client(url) as client:
        yield World(client, db, headers)
    db.close()


def test_each_refusal_names_its_field(world: World) -> None:
    status, body = world.file("w1", TODAY + timedelta(days=1))
    assert (status, body["field"]) == (422, "day") and "future" in str(body["detail"])
    status, body = world.file("w4", TODAY - timedelta(days=20))  # before W4 was employed
    assert (status, body["field"]) == (422, "day") and "outside the employment" in str(
        body["detail"]
    )
    status, body = world.file("w1", PAST, first_in="17:00", last_out="08:00")
    assert (status, body["field"]) == (422, "last_out")
    status, body = world.file("w1", PAST, reason="  ")
    assert status == 422 and body["errors"][0]["loc"][-1] == "reason"
    status, body = world.file("w1", PAST, first_in="8 o'clock")
    assert status == 422 and body["errors"][0]["loc"][-1] == "first_in"
    status, _ = world.file("w1", PAST, project_id="site-b")  # not W1's project: invisible
    assert status == 404
    status, _ = world.file("manager", PAST)  # staff have no personal requests
    assert status == 403
    with world.db.engine.connect() as conn:  # nothing of the above was stored
        assert conn.execute(select(schema.punch_requests)).first() is None


def test_duplicate_and_closed_period_conflict(world: World) -> None:
    day = PAST - timedelta(days=1)
    status, first = world.file("w2", day)
    assert status == 201 and first["state"] == "open"
    status, body = world.file("w2", day, first_in="07:00")
    assert status == 409 and f"request {first['id']}" in str(body["detail"])
    # a closed day takes no request (its gate reported past it)
    closed = PAST - timedelta(days=2)
    end = datetime.combine(closed + timedelta(days=2), datetime.min.time(), SHANGHAI)
    world.db.set_device_status(
        "site-a",
        "gate-1",
        f'{{"state": "online", "outbox_depth": 0, "at": "{end.isoformat()}"}}',
        end.isoformat(),
    )
    closing.close(world.db, "site-a", "day", closed.isoformat(), "manager-a")
    status, body = world.file("w2", closed)
    assert status == 409 and "closed period" in str(body["detail"])


def test_approve_corrects_the_day_and_refuse_tells_the_worker(world: World) -> None:
    status, filed = world.file("w1", PAST)
    assert status == 201
    rid = filed["id"]
    status, queue = world.get("manager", QUEUE + "?state=open")
    assert status == 200 and rid in [r["id"] for r in queue]  # type: ignore[union-attr]
    # refusing needs a reason; approving twice is a conflict
    status, _ = world.post("manager", f"{QUEUE}/{rid}/refuse", {"reason": ""})
    assert status == 422
    status, approved = world.post("manager", f"{QUEUE}/{rid}/approve")
    assert status == 200 and approved["state"] == "approved"
    assert approved["decided_by"] == "manager-a" and approved["correction_id"]
    assert world.post("manager", f"{QUEUE}/{rid}/approve")[0] == 409
    d, c = schema.attendance_days.c, schema.attendance_corrections.c
    with world.db.engine.connect() as conn:
        day = conn.execute(
            select(schema.attendance_days).where(
                d.project_id == "site-a", d.worker_id == "W1", d.local_date == PAST.isoformat()
            )
        ).one()
        correction = conn.execute(
            select(schema.attendance_corrections).where(c.id == approved["correction_id"])
        ).one()
        actions = [
            (r.action, r.actor)
            for r in conn.execute(
                select(schema.audit_log).where(
                    schema.audit_log.c.target_kind == "punch_request",
                    schema.audit_log.c.target_id == str(rid),
                )
            )
        ]
    assert (day.worked_minutes, day.status) == (9 * 60, "corrected")
    assert day.first_in.startswith(f"{PAST.isoformat()}T08:00:00+08:00")
    assert correction.reason.startswith(f"补卡 #{rid}:") and correction.by_user == "manager-a"
    assert actions == [
        ("punch_request.filed", "worker-w1"),
        ("punch_request.approved", "manager-a"),
    ]

    day2 = PAST - timedelta(days=4)
    _, filed2 = world.file("w1", day2)
    status, refused = world.post(
        "boss", f"{QUEUE}/{filed2['id']}/refuse", {"reason": "那天工地停工"}
    )
    assert status == 200 and refused["state"] == "refused"
    status, mine = world.get("w1", MINE)
    assert status == 200
    by_id = {r["id"]: r for r in mine}  # type: ignore[union-attr]
    assert by_id[filed2["id"]]["decision_note"] == "那天工地停工"
    assert by_id[rid]["state"] == "approved"
    assert {r["worker_id"] for r in mine} == {"W1"}  # type: ignore[union-attr]
    # the month filter narrows to that month
    status, none = world.get("w1", MINE + "?month=2030-01")
    assert (status, none) == (200, [])


def test_scope_of_the_queue_and_decisions(world: World) -> None:
    status, w4 = world.file("w4", PAST)
    assert status == 201
    _, w2 = world.file("w2", PAST)
    # a worker sees only their own requests
    status, w2_view = world.get("w2", MINE)
    assert {r["worker_id"] for r in w2_view} == {"W2"}  # type: ignore[union-attr]
    # the subcontractor sees and decides its own workers' requests only
    status, sub_queue = world.get("sub", QUEUE)
    assert status == 200 and {r["worker_id"] for r in sub_queue} == {"W4"}  # type: ignore[union-attr]
    assert world.post("sub", f"{QUEUE}/{w2['id']}/approve")[0] == 404
    assert world.post("sub", f"{QUEUE}/{w4['id']}/refuse", {"reason": "nope"})[0] == 200
    # the whole project's staff see everyone's
    status, boss_queue = world.get("boss", QUEUE)
    assert {"W1", "W2", "W4"} <= {r["worker_id"] for r in boss_queue}  # type: ignore[union-attr]
    # another contractor, a worker and a request id through another project: 404
    assert world.get("other", QUEUE)[0] == 404
    assert world.post("other", f"{QUEUE}/{w2['id']}/approve")[0] == 404
    assert world.post("w2", f"{QUEUE}/{w2['id']}/approve")[0] == 404
    assert (
        world.post("boss", f"/api/v1/projects/site-b/punch-requests/{w2['id']}/approve")[0] == 404
    )
    assert world.post("boss", f"{QUEUE}/99999/approve")[0] == 404
    # a supervisor reads the project but does not decide 补卡
    assert world.get("supervisor", QUEUE)[0] == 403
    assert world.post("supervisor", f"{QUEUE}/{w2['id']}/approve")[0] == 403
    assert world.get("boss", MINE)[0] == 403
