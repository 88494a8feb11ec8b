"""A worker's face data, wage complaints and jobs (招工宝), in-process on a real SQLite file.

Scope, written as the attack: a worker sees and files only their own complaints and
applications; a complaint reaches the supervisors of the project's city and no other; an
enterprise sees the applicants to its own posts only and a résumé only of those who applied
and shared it; the SLA scan raises a complaint left unhandled once. The worker pages and
the enterprise pages are checked on the same data as the API.
"""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from factories import SHANGHAI, Region, console_region, new_db, subcontractor_on
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_client import add_users, console_client, csrf_of

from central.auth.users import UserIn, add_user, login
from central.complaints import filing
from central.registry import enrollment
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.warnings.indicators import scan
from conftest import TEST_PASSWORD

USERS = {
    "nn-inspector": {"role": "supervisor", "division_code": "450100"},  # Nanning city
    "lz-inspector": {"role": "supervisor", "division_code": "450200"},  # Liuzhou city
    "nn-boss": {"role": "contractor_admin", "enterprise_id": 1},  # nn-1's general contractor
    "lz-boss": {"role": "contractor_admin", "enterprise_id": 2},  # lz-1's general contractor
    "nn-manager": {"role": "site_manager", "project_id": "nn-1"},
    "w-nn1": {"role": "worker", "worker_id": "NN1"},
    "w-nn2": {"role": "worker", "worker_id": "NN2"},
    "w-lz1": {"role": "worker", "worker_id": "LZ1"},
}


class World:
    def __init__(self, client: TestClient, region: Region, url: str, sealer: Sealer) -> None:
        self.client, self.region, self.url, self.sealer = client, region, url, sealer
        self.tokens: dict[str, str] = {}
        db = Database(url)
        for name in USERS:
            token, _expires, _who = login(db, name, TEST_PASSWORD, "127.0.0.1")
            self.tokens[name] = token
        db.close()

    def h(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def get(self, name: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.h(name), **kw)  # type: ignore[arg-type]

    def post(self, name: str, path: str, **kw: object):  # type: ignore[no-untyped-def]
        return self.client.post(path, headers=self.h(name), **kw)  # type: ignore[arg-type]

    def page(self, name: str, path: str) -> str:
        """A console or worker page as ``name`` (the session cookie is the API token)."""
        self.client.cookies.clear()
        self.client.cookies.set("sitegate_session", self.tokens[name])
        answer = self.client.get(path)
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        return answer.text

    def form(self, name: str, path: str, page: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
        """POST a form of ``page`` with its CSRF token, as ``name``'s browser would."""
        self.client.cookies.clear()
        self.client.cookies.set("sitegate_session", self.tokens[name])
        token = csrf_of(self.page(name, page))
        return self.client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("worker-help")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    sub = subcontractor_on(db, region.nanning)  # a subcontractor registered on nn-1
    USERS["nn-sub"] = {"role": "contractor_admin", "enterprise_id": sub["id"]}
    add_users(db, USERS)
    db.close()
    url = str(tmp / "central.db")
    with console_client(url, complaint_sla_days=5) as client:
        yield World(client, region, url, sealer)


def this_month() -> str:
    return datetime.now(SHANGHAI).strftime("%Y-%m")


def complaint(project: str = "nn-1", months: list[str] | None = None, **kw: object) -> dict:  # type: ignore[type-arg]
    return {
        "project_id": project,
        "months": months or [this_month()],
        "amount_fen": 720000,
        "description": "六月工资一直没发，老板说等结算",
        **kw,
    }


# ---- complaints --------------------------------------------------------------------------


def test_a_complaint_reaches_the_supervisors_of_its_city_and_nobody_else(world: World) -> None:
    filed = world.post("w-nn1", "/api/v1/me/complaints", json=complaint())
    assert filed.status_code == 201, filed.text
    c = filed.json()
    assert c["status"] == "received" and [s["what"] for s in c["steps"]] == ["filed"]
    assert c["amount_fen"] == 720000 and c["project_id"] == "nn-1"

    queue = world.get("nn-inspector", "/api/v1/warnings", params={"kind": "complaint"}).json()
    mine = [w for w in queue if w["id"] == c["warning_id"]]
    assert len(mine) == 1 and mine[0]["project_id"] == "nn-1" and mine[0]["worker_id"] == "NN1"
    assert (
        mine[0]["severity"] == "high"
        and mine[0]["evidence"]["arrears_case"] == c["arrears_case_id"]
    )
    cases = world.get("nn-inspector", "/api/v1/arrears-cases").json()
    case = next(x for x in cases if x["id"] == c["arrears_case_id"])
    assert case["source"] == "complaint" and case["source_ref"] == f"complaint-{c['id']}"
    assert case["amount_fen"] == 720000 and case["status"] == "open" and case["workers"] == 1

    # Liuzhou's inspectors: nothing of it, not even its existence
    lz_warnings = world.get("lz-inspector", "/api/v1/warnings").json()
    assert c["warning_id"] not in [w["id"] for w in lz_warnings]
    assert world.get("lz-inspector", f"/api/v1/warnings/{c['warning_id']}").status_code == 404
    lz_cases = world.get("lz-inspector", "/api/v1/arrears-cases").json()
    assert c["arrears_case_id"] not in [x["id"] for x in lz_cases]
    patched = world.client.patch(
        f"/api/v1/arrears-cases/{c['arrears_case_id']}",
        json={"status": "resolved", "resolution": "x"},
        headers=world.h("lz-inspector"),
    )
    assert patched.status_code == 404

    # the employer (general contractor, subcontractor): not in its queue, 404 by id — the
    # inspectors tell it; its queue does not (scope.SUPERVISION_ONLY_KINDS)
    for employer in ("nn-boss", "nn-sub"):
        seen = world.get(employer, "/api/v1/warnings").json()
        assert c["warning_id"] not in [w["id"] for w in seen], employer
        assert world.get(employer, f"/api/v1/warnings/{c['warning_id']}").status_code == 404
    # another worker: not in their list, 404 by id (same as a missing one)
    assert c["id"] not in [x["id"] for x in world.get("w-nn2", "/api/v1/me/complaints").json()]
    assert world.get("w-nn2", f"/api/v1/me/complaints/{c['id']}").status_code == 404
    assert world.get("w-nn2", "/api/v1/me/complaints/999999").status_code == 404
    # staff have no personal complaint list
    assert world.get("nn-inspector", "/api/v1/me/complaints").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (complaint(project="lz-1"), "project_id"),  # a project the worker never worked on
        (complaint(months=["2099-01"]), "months"),  # not begun
        (complaint(months=["2001-01"]), "months"),  # older than 36 months
        (complaint(amount_fen=0), "amount_fen"),
        (complaint(amount_fen=100_000_001), "amount_fen"),
        (complaint(description="短"), "description"),
        (complaint(months=[f"2025-{m:02d}" for m in range(1, 13)] + ["2024-12"]), "months"),
        ({**complaint(), "worker_id": "NN2"}, "worker_id"),  # no naming someone else
    ],
)
def test_bad_complaints_are_refused_naming_the_field(
    world: World,
    body: dict,
    field: str,  # type: ignore[type-arg]
) -> None:
    answer = world.post("w-nn2", "/api/v1/me/complaints", json=body)
    assert answer.status_code == 422, answer.text
    assert field in answer.text
    assert world.get("w-nn2", "/api/v1/me/complaints").json() == []  # nothing half-filed


def test_a_second_complaint_about_the_same_open_months_is_refused(world: World) -> None:
    month = (datetime.now(SHANGHAI).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    first = world.post("w-nn2", "/api/v1/me/complaints", json=complaint(months=[month]))
    assert first.status_code == 201
    again = world.post("w-nn2", "/api/v1/me/complaints", json=complaint(months=[month]))
    assert again.status_code == 409 and "months" in again.text


def test_the_worker_sees_each_status_change(world: World) -> None:
    month = (datetime.now(SHANGHAI).replace(day=1) - timedelta(days=40)).strftime("%Y-%m")
    c = world.post("w-nn1", "/api/v1/me/complaints", json=complaint(months=[month])).json()
    assigned = world.post(
        "nn-inspector",
        f"/api/v1/warnings/{c['warning_id']}/assign",
        json={"assignee": "nn-inspector", "note": "内部备注：先查考勤"},
    )
    assert assigned.status_code == 200, assigned.text
    seen = world.get("w-nn1", f"/api/v1/me/complaints/{c['id']}").json()
    assert seen["status"] == "in_progress"
    assert [s["what"] for s in seen["steps"]] == ["filed", "assigned"]
    assert "内部备注" not in str(seen)  # the inspectors' notes to each other stay theirs
    resolved = world.client.patch(
        f"/api/v1/arrears-cases/{c['arrears_case_id']}",
        json={"status": "resolved", "resolution": "已责令总包于12月5日前补发"},
        headers=world.h("nn-inspector"),
    )
    assert resolved.status_code == 200, resolved.text
    seen = world.get("w-nn1", f"/api/v1/me/complaints/{c['id']}").json()
    assert seen["status"] == "resolved" and seen["resolution"] == "已责令总包于12月5日前补发"
    assert [s["what"] for s in seen["steps"]] == ["filed", "assigned", "case_resolved"]
    page = world.page("w-nn1", "/worker/help")
    assert f'data-complaint="{c["id"]}"' in page and "已责令总包" in page


def test_an_unhandled_complaint_is_raised_again_after_its_sla_once(world: World) -> None:
    db = Database(world.url)
    today = datetime.now(SHANGHAI).date()
    filed_on = today - timedelta(days=8)
    # filed 8 days ago with a 5-day SLA: due 3 days ago
    month = (today.replace(day=1) - timedelta(days=70)).strftime("%Y-%m")
    late = filing.file_complaint(
        db, filing_actor(), "LZ1", filing.ComplaintIn(**complaint("lz-1", [month])), filed_on, 5
    )
    handled = filing.file_complaint(
        db, filing_actor(), "NN2", filing.ComplaintIn(**complaint("nn-1", [month])), filed_on, 5
    )
    assert (
        world.post(
            "nn-inspector",
            f"/api/v1/warnings/{handled.warning_id}/note",
            json={"note": "已联系总包"},
        ).status_code
        == 200
    )
    scan(db, today)
    overdue = world.get("lz-inspector", "/api/v1/warnings", params={"kind": "complaint_overdue"})
    keys = [w["evidence"]["complaint"] for w in overdue.json()]
    assert keys == [late.id]  # the handled one is not overdue
    nn = world.get("nn-inspector", "/api/v1/warnings", params={"kind": "complaint_overdue"})
    assert late.id not in [w["evidence"]["complaint"] for w in nn.json()]
    scan(db, today)  # once only
    again = world.get("lz-inspector", "/api/v1/warnings", params={"kind": "complaint_overdue"})
    assert len(again.json()) == 1
    seen = world.get("w-lz1", f"/api/v1/me/complaints/{late.id}").json()
    assert seen["overdue"] is True and "overdue" in [s["what"] for s in seen["steps"]]
    db.close()


def filing_actor():  # type: ignore[no-untyped-def]
    from central import audit

    return audit.Actor("worker-test", "worker")


def test_the_complaint_form_keeps_what_was_typed_and_names_the_field(world: World) -> None:
    answer = world.form(
        "w-nn1",
        "/worker/help/complaint",
        "/worker/help/complaint",
        {
            "project_id": "nn-1",
            "first_month": this_month(),
            "last_month": this_month(),
            "amount_yuan": "12.345",
            "description": "老板欠了三个月的工资没有给",
        },
    )
    assert answer.status_code == 422
    assert 'id="error-amount_yuan"' in answer.text and "老板欠了三个月的工资没有给" in answer.text
    foreign = world.form(
        "w-nn1",
        "/worker/help/complaint",
        "/worker/help/complaint",
        {
            "project_id": "lz-1",
            "first_month": this_month(),
            "amount_yuan": "100",
            "description": "老板欠了三个月的工资没有给",
        },
    )
    assert foreign.status_code == 422 and 'id="error-project_id"' in foreign.text
    # the choices are the worker's own projects only: another project is not offered or named
    assert "项目 nn-1" in foreign.text and "项目 lz-1" not in foreign.text


def test_the_evidence_statement_is_the_workers_own(world: World) -> None:
    world.client.cookies.clear()
    world.client.cookies.set("sitegate_session", world.tokens["w-nn1"])
    answer = world.client.get(
        "/worker/help/evidence", params={"first": "2025-06-01", "last": "2025-06-30"}
    )
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert "NN1" in answer.text and "NN2" not in answer.text
    xlsx = world.client.get(
        "/worker/help/evidence",
        params={"first": "2025-06-01", "last": "2025-06-30", "format": "xlsx"},
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = world.client.get("/worker/help/evidence", params={"first": "2025-06-30", "last": "x"})
    assert bad.status_code == 422
    api = world.get(
        "w-nn2", "/api/v1/me/evidence", params={"first": "2025-06-01", "last": "2025-06-30"}
    )
    assert api.status_code == 200 and "NN2" in api.text and "NN1" not in api.text


# ---- face data ---------------------------------------------------------------------------


def test_face_data_shows_what_is_held_and_withdrawal_deletes_it(world: World) -> None:
    db = Database(world.url)
    enrollment.record_consent(db, "NN3", "signed form", "nn-boss", enterprise_id=1)
    with db.begin() as conn:
        conn.execute(
            schema.face_templates.insert().values(
                worker_id="NN3",
                sealed=world.sealer.seal(b"\0" * 512, enrollment.TEMPLATE_CONTEXT),
                created_at="2026-11-01T08:00:00+08:00",
            )
        )
    add_user(db, UserIn(username="w-nn3", password=TEST_PASSWORD, role="worker", worker_id="NN3"))  # type: ignore[arg-type]
    token, _e, _w = login(db, "w-nn3", TEST_PASSWORD, "127.0.0.1")
    world.tokens["w-nn3"] = token
    held = world.get("w-nn3", "/api/v1/me/face-data").json()
    assert held["templates"] == 1 and held["active_consent"] is True
    assert held["consents"][0]["employer"] == "总包 nn-1" and held["deleted_at"] is None
    assert "sealed" not in str(held) and "encoding" not in str(held)
    # another worker's face data is never reachable: the route takes no id
    assert world.get("w-nn1", "/api/v1/me/face-data").json()["templates"] == 0
    assert (
        world.client.delete(
            "/api/v1/workers/NN3/face-consent", headers=world.h("w-nn1")
        ).status_code
        == 404
    )

    page = world.page("w-nn3", "/worker/face")
    assert 'data-field="templates">1<' in page and "withdraw-form" in page
    no_tick = world.form("w-nn3", "/worker/face/withdraw", "/worker/face", {})
    assert no_tick.status_code == 422 and 'id="confirm-error"' in no_tick.text
    with db.engine.connect() as conn:
        assert conn.execute(
            select(schema.face_templates.c.id).where(schema.face_templates.c.worker_id == "NN3")
        ).first()
    done = world.form("w-nn3", "/worker/face/withdraw", "/worker/face", {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/worker/face?withdrawn=1"
    after = world.get("w-nn3", "/api/v1/me/face-data").json()
    assert after["templates"] == 0 and after["active_consent"] is False and after["deleted_at"]
    page = world.page("w-nn3", "/worker/face?withdrawn=1")
    assert 'id="withdrawn-notice"' in page and 'data-field="deleted_at"' in page
    assert "withdraw-form" not in page
    db.close()


# ---- jobs --------------------------------------------------------------------------------


def post(world: World, who: str = "nn-boss", project: str = "nn-1", **kw: object):  # type: ignore[no-untyped-def]
    today = datetime.now(SHANGHAI).date()
    body = {
        "project_id": project,
        "trade": "rebar",
        "title": "钢筋工 10 名",
        "pay_fen": 38000,
        "headcount": 10,
        "starts_on": (today + timedelta(days=3)).isoformat(),
        "ends_on": (today + timedelta(days=90)).isoformat(),
        **kw,
    }
    return world.post(who, "/api/v1/job-posts", json=body)


def test_posting_is_an_enterprise_admins_on_its_own_projects(world: World) -> None:
    assert post(world, "lz-boss", "nn-1").status_code == 404  # another's project: unseen
    assert post(world, "nn-manager").status_code == 403
    assert post(world, "nn-inspector").status_code == 403
    assert post(world, "w-nn1").status_code == 403
    bad = post(world, ends_on="2020-01-01")
    assert bad.status_code == 422 and "ends_on" in bad.text
    assert post(world, trade="astronaut").status_code == 422
    assert post(world, pay_fen=0).status_code == 422


def test_applying_hiring_and_who_sees_the_resume(world: World) -> None:
    made = post(world)
    assert made.status_code == 201, made.text
    post_id = made.json()["id"]
    # near: the city of a worker's current project
    assert post_id in [p["id"] for p in world.get("w-nn1", "/api/v1/me/jobs").json()]
    assert post_id not in [p["id"] for p in world.get("w-lz1", "/api/v1/me/jobs").json()]
    anywhere = world.get("w-lz1", "/api/v1/me/jobs", params={"anywhere": "true"}).json()
    assert post_id in [p["id"] for p in anywhere]
    other_trade = world.get("w-nn1", "/api/v1/me/jobs", params={"trade": "welder"}).json()
    assert post_id not in [p["id"] for p in other_trade]

    shared = {"trade": "rebar", "years": 8, "certificates": "钢筋工证", "shared": True}
    private = {"trade": "mason", "years": 3, "certificates": "秘密证书", "shared": False}
    assert (
        world.client.put("/api/v1/me/resume", json=shared, headers=world.h("w-lz1")).status_code
        == 200
    )
    assert (
        world.client.put("/api/v1/me/resume", json=private, headers=world.h("w-nn2")).status_code
        == 200
    )
    world.client.put(
        "/api/v1/me/resume",
        json={**shared, "certificates": "未报名者的证"},
        headers=world.h("w-nn1"),
    )
    lz1 = world.post("w-lz1", f"/api/v1/me/jobs/{post_id}/apply")
    assert lz1.status_code == 201
    assert world.post("w-lz1", f"/api/v1/me/jobs/{post_id}/apply").status_code == 409
    assert world.post("w-nn2", f"/api/v1/me/jobs/{post_id}/apply").status_code == 201
    assert world.post("w-nn2", "/api/v1/me/jobs/999999/apply").status_code == 404

    people = world.get("nn-boss", f"/api/v1/job-posts/{post_id}/applicants").json()
    by = {p["worker_id"]: p for p in people}
    assert set(by) == {"LZ1", "NN2"}  # NN1 did not apply: neither listed nor their résumé
    assert by["LZ1"]["resume_certificates"] == "钢筋工证" and by["LZ1"]["resume_years"] == 8
    assert by["NN2"]["resume_trade"] is None and by["NN2"]["resume_certificates"] is None
    assert "未报名者的证" not in str(people) and "秘密证书" not in str(people)
    # another enterprise: the post and its applicants do not exist
    assert world.get("lz-boss", f"/api/v1/job-posts/{post_id}/applicants").status_code == 404
    assert post_id not in [p["id"] for p in world.get("lz-boss", "/api/v1/job-posts").json()]
    page = world.page("nn-boss", f"/console/enterprise/jobs/{post_id}")
    assert "钢筋工证" in page and "秘密证书" not in page and "未报名者的证" not in page
    offer_to = lz1.json()["id"]
    start = (datetime.now(SHANGHAI).date() + timedelta(days=3)).isoformat()
    assert (
        world.post(
            "lz-boss", f"/api/v1/job-applications/{offer_to}/offer", json={"start_on": start}
        ).status_code
        == 404
    )
    assert (
        world.post(
            "nn-boss", f"/api/v1/job-applications/{offer_to}/offer", json={"start_on": "2020-01-01"}
        ).status_code
        == 422
    )
    offered = world.post(
        "nn-boss", f"/api/v1/job-applications/{offer_to}/offer", json={"start_on": start}
    )
    assert offered.status_code == 200, offered.text

    # the offer is LZ1's to answer: another worker gets 404
    assert world.post("w-nn2", f"/api/v1/me/job-applications/{offer_to}/accept").status_code == 404
    mine = world.get("w-lz1", "/api/v1/me/job-applications").json()
    assert [(a["id"], a["status"]) for a in mine] == [(offer_to, "offered")]
    assert world.post("w-lz1", f"/api/v1/me/job-applications/{offer_to}/accept").status_code == 200
    assert world.post("w-lz1", f"/api/v1/me/job-applications/{offer_to}/accept").status_code == 409
    db = Database(world.url)
    e = schema.employments.c
    with db.engine.connect() as conn:
        jobs_made = conn.execute(
            select(e.employer_id, e.start_date, e.terms).where(
                e.worker_id == "LZ1", e.project_id == "nn-1"
            )
        ).all()
    db.close()
    assert len(jobs_made) == 1 and jobs_made[0].employer_id == 1
    assert jobs_made[0].start_date == start and '"rate_fen":38000' in jobs_made[0].terms
    # NN2 already works for nn-boss on nn-1: an offer would count their days twice
    nn2 = next(p["id"] for p in people if p["worker_id"] == "NN2")
    twice = world.post("nn-boss", f"/api/v1/job-applications/{nn2}/offer", json={"start_on": start})
    assert twice.status_code == 409 and "already employed" in twice.text
    people = world.get("nn-boss", f"/api/v1/job-posts/{post_id}/applicants").json()
    hired = next(p for p in people if p["id"] == offer_to)
    assert hired["status"] == "hired" and hired["employment_id"]


def test_the_enterprise_job_form_names_the_field_and_keeps_input(world: World) -> None:
    today = date.today()
    answer = world.form(
        "nn-boss",
        "/console/enterprise/jobs",
        "/console/enterprise/jobs/new",
        {
            "project_id": "nn-1",
            "trade": "welder",
            "title": "焊工两名",
            "pay_yuan": "三百",
            "headcount": "2",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
            "description": "包住",
        },
    )
    assert answer.status_code == 422 and 'id="error-pay_yuan"' in answer.text
    assert "焊工两名" in answer.text and "包住" in answer.text
    good = world.form(
        "nn-boss",
        "/console/enterprise/jobs",
        "/console/enterprise/jobs/new",
        {
            "project_id": "nn-1",
            "trade": "welder",
            "title": "焊工两名",
            "pay_yuan": "350.5",
            "headcount": "2",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert good.status_code == 303
    listed = world.page("nn-boss", "/console/enterprise/jobs.json")
    assert '"pay_fen":35050' in listed.replace(" ", "")
    assert "焊工两名" not in world.page("lz-boss", "/console/enterprise/jobs.json")


def test_a_subcontractor_posts_on_its_project_and_only_it_answers_its_applicants(
    world: World,
) -> None:
    made = post(world, "nn-sub", title="劳务分包 普工")
    assert made.status_code == 201, made.text
    post_id = made.json()["id"]
    assert world.post("w-nn1", f"/api/v1/me/jobs/{post_id}/apply").status_code == 201
    # the project's general contractor does not answer for the subcontractor's post
    assert world.get("nn-boss", f"/api/v1/job-posts/{post_id}/applicants").status_code == 404
    assert post_id not in [p["id"] for p in world.get("nn-boss", "/api/v1/job-posts").json()]
    people = world.get("nn-sub", f"/api/v1/job-posts/{post_id}/applicants").json()
    assert [p["worker_id"] for p in people] == ["NN1"]
    # and it posts nowhere else
    assert post(world, "nn-sub", "lz-1").status_code == 404
