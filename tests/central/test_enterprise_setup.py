"""The enterprise console's set-up pages in-process over a real SQLite file: projects,
subcontractors, the special wage account, gates (provisioning, the config file handed over
once, config pushes), today at the site, and the warnings queue under enterprise scope.

Each role is checked against what the API answers for it (the page and the API cannot
disagree), every out-of-scope id answers 404 on every page and export, and every refused form
names the field and the reason and keeps what was typed. The browser test
(tests/integration/test_enterprise_setup_browser.py) covers what only a browser shows.
"""

import io
from collections.abc import Iterator

import pytest
import yaml
from factories import EnterpriseWorld, enterprise_world, new_db
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from web_client import bearer, console_client, csrf, sign_in, without_csrf

from central.auth.users import UserIn, add_user
from central.storage import Database, schema
from conftest import TEST_PASSWORD


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, EnterpriseWorld, str]]:
    tmp = tmp_path_factory.mktemp("enterprise")
    db, sealer = new_db(tmp)
    ent = enterprise_world(db, sealer, TEST_PASSWORD)
    add_user(db, UserIn(username="root", password=TEST_PASSWORD, role="admin"))
    add_user(
        db,
        UserIn(
            username="gx-inspector",
            password=TEST_PASSWORD,
            role="supervisor",
            division_code="450000",
        ),
    )
    db.close()
    url = str(tmp / "central.db")
    with console_client(url) as client:
        yield client, ent, url


PAGES = (
    "/console/enterprise/today",
    "/console/enterprise/projects",
    "/console/enterprise/gates",
    "/console/warnings",
)


def page(client: TestClient, path: str, status: int = 200) -> str:
    answer = client.get(path)
    assert answer.status_code == status, (path, answer.status_code, answer.text[:300])
    return answer.text


def xlsx_rows(client: TestClient, path: str) -> list[list[object]]:
    answer = client.get(path)
    assert answer.status_code == 200, (path, answer.text[:200])
    sheet = load_workbook(io.BytesIO(answer.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_enterprise_roles_land_on_today_and_see_their_navigation(world) -> None:
    client, ent, _url = world
    for user in ent.users:
        client.cookies.clear()
        sign_in(client, user)
        landing = client.get("/console", follow_redirects=False)
        assert landing.headers["location"] == "/console/enterprise/today", user
        html = page(client, "/console/enterprise/today")
        for path in PAGES:
            assert f'href="{path}"' in html, (user, path)
        assert 'href="/console/overview"' not in html  # the supervision console's
    # a supervisor's console is unchanged, and the enterprise pages are not theirs
    sign_in(client, "gx-inspector")
    page(client, "/console/enterprise/today", 403)


def test_projects_list_is_the_apis_per_role_in_page_json_and_export(world) -> None:
    client, _ent, _url = world
    expected = {
        "gc-admin": {("ent-a", "general_contractor")},
        "sub-admin": {("ent-a", "subcontractor")},
        "site-mgr": {("ent-a", "general_contractor")},
        "other-admin": {("ent-b", "general_contractor")},
    }
    for user, rows in expected.items():
        api_rows = client.get("/api/v1/enterprise/projects", headers=bearer(client, user)).json()
        assert {(r["id"], r["my_role"]) for r in api_rows} == rows
        sign_in(client, user)
        twin = client.get("/console/enterprise/projects.json").json()
        # the page names each division, showing the code where the names table has none
        shown = [{**r, "division_name": r["division_name"] or r["division_code"]} for r in api_rows]
        assert twin["rows"] == shown and twin["total"] == len(rows)
        sheet = xlsx_rows(client, "/console/enterprise/projects.xlsx")
        assert {r[0] for r in sheet[1:]} == {p for p, _ in rows}
        html = page(client, "/console/enterprise/projects")
        other = ({"ent-a", "ent-b"} - {p for p, _ in rows}).pop()
        assert other not in html and other not in str(sheet)


@pytest.mark.parametrize("user", ["sub-admin", "site-mgr", "gc-admin"])
def test_another_enterprises_project_is_404_on_every_page_and_export(world, user: str) -> None:
    """ent-b belongs to enterprise B: every page, twin and export answers as for a project
    that does not exist, and none names it."""
    client, ent, _url = world
    sign_in(client, user)
    for path in (
        f"/console/enterprise/projects/{ent.other}",
        f"/console/enterprise/today?project={ent.other}",
        f"/console/enterprise/today.json?project={ent.other}",
        f"/console/enterprise/today.xlsx?project={ent.other}",
        f"/console/enterprise/gates/{ent.other}/gate-1",
        "/console/enterprise/today?project=no-such-site",
        "/console/enterprise/today?project=../etc",
        f"/console/enterprise/gates/{ent.project}/no-such-gate",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, (path, answer.status_code)
        assert "项目 ent-b" not in answer.text and "EB1" not in answer.text
    # the same page as for a project nobody has (the typed id is echoed only in its own link)
    # (each page masks its CSRF token afresh, so the tokens are set aside)
    missing = without_csrf(client.get("/console/enterprise/today?project=no-such-site").text)
    other = without_csrf(client.get(f"/console/enterprise/today?project={ent.other}").text)
    assert other.replace(ent.other, "X") == missing.replace("no-such-site", "X")
    token = csrf(client, "/console/enterprise/projects")
    for path, data in (
        (f"/console/enterprise/projects/{ent.other}/enterprises", {"uscc": ent.spare_uscc}),
        (f"/console/enterprise/projects/{ent.other}/wage-account", {"bank": "x"}),
        (f"/console/enterprise/projects/{ent.other}/status", {"status": "completed"}),
        ("/console/enterprise/gates", {"project": ent.other, "device": "gate-x"}),
        (f"/console/enterprise/gates/{ent.other}/gate-1/config-file", {}),
        (f"/console/enterprise/gates/{ent.other}/gate-1/config", {"threshold": "0.4"}),
    ):
        answer = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 404, (path, answer.status_code)
    for path in ("/console/enterprise/gates.json", "/console/warnings.json"):
        body = client.get(path).text
        assert ent.other not in body and "EB1" not in body, path
    assert ent.other not in str(xlsx_rows(client, "/console/enterprise/gates.xlsx"))
    assert ent.other not in str(xlsx_rows(client, "/console/warnings.xlsx"))
    # the API agrees
    headers = bearer(client, user)
    assert client.get(f"/api/v1/projects/{ent.other}/today", headers=headers).status_code == 404


def test_a_subcontractor_sees_its_own_crew_and_nothing_of_the_contractors(world) -> None:
    client, ent, _url = world
    sign_in(client, "sub-admin")
    today = client.get("/console/enterprise/today.json").json()
    assert [w["worker_id"] for w in today["on_site"]] == ["ES1"]
    assert sum(h["arrivals"] for h in today["arrivals_by_hour"]) == 1
    assert (
        today
        == client.get(
            f"/api/v1/projects/{ent.project}/today", headers=bearer(client, "sub-admin")
        ).json()
    )
    sheet = xlsx_rows(client, "/console/enterprise/today.xlsx")
    assert [r[0] for r in sheet[1:]] == ["ES1"]
    html = page(client, "/console/enterprise/today")
    for worker in ("EA1", "EA2", "工人0"):
        assert worker not in html
    queue = client.get("/console/warnings.json").json()["rows"]
    assert {r["subject"] for r in queue} == {"worker ES1 has no labour contract"}
    assert "EA1" not in str(xlsx_rows(client, "/console/warnings.xlsx"))
    others = [
        r["id"]
        for r in client.get("/api/v1/warnings", headers=bearer(client, "gc-admin")).json()
        if "EA1" in r["subject"]
    ]
    assert others and client.get(f"/console/warnings/{others[0]}").status_code == 404
    project = page(client, f"/console/enterprise/projects/{ent.project}")
    # names and roles of the enterprises only; no credit codes, no wage account, no forms
    assert "总包 ent-a" in project and "91110000600037341L" not in project
    assert "account-form" not in project and "subcontractor-form" not in project
    assert "wage-account" not in project and "status-form" not in project
    gates = page(client, "/console/enterprise/gates")
    assert "provision-form" not in gates
    token = csrf(client, "/console/enterprise/projects")
    for path, data in (
        (f"/console/enterprise/projects/{ent.project}/enterprises", {"uscc": ent.spare_uscc}),
        (f"/console/enterprise/projects/{ent.project}/wage-account", {"bank": "x"}),
        ("/console/enterprise/gates", {"project": ent.project, "device": "gate-x"}),
        (f"/console/enterprise/gates/{ent.project}/gate-1/config", {"threshold": "0.4"}),
    ):
        answer = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 403, (path, answer.status_code)


def test_today_counts_the_tables(world) -> None:
    client, ent, url = world
    sign_in(client, "gc-admin")
    today = client.get("/console/enterprise/today.json").json()
    assert (
        today
        == client.get(
            f"/api/v1/projects/{ent.project}/today", headers=bearer(client, "gc-admin")
        ).json()
    )
    # independently: each worker's latest punch today on the project, from the table
    db = Database(url)
    with db.engine.connect() as conn:
        a = schema.attendance.c
        rows = conn.execute(
            select(a.worker_id, a.direction, a.captured_utc_us).where(
                a.site == ent.project, a.local_date == today["day"]
            )
        ).all()
    db.close()
    latest: dict[str, tuple[int, str]] = {}
    for worker, direction, at in rows:
        if worker not in latest or at > latest[worker][0]:
            latest[worker] = (at, direction)
    inside = sorted(w for w, (_at, d) in latest.items() if d == "in")
    assert sorted(w["worker_id"] for w in today["on_site"]) == inside == ["EA1", "ES1"]
    firsts = {w for w, d, _ in rows if d == "in"}
    assert sum(h["arrivals"] for h in today["arrivals_by_hour"]) == len(firsts) == 3
    assert len(today["arrivals_by_hour"]) == 24
    gates = {g["device"]: g for g in today["gates"]}
    assert gates["gate-1"]["turned_away"] == dict(ent.turned_away)
    assert gates["gate-1"]["turned_away_total"] == 5
    assert (gates["gate-1"]["behind"], gates["gate-1"]["clock_off"]) == (False, False)
    assert (gates["gate-2"]["behind"], gates["gate-2"]["clock_off"]) == (True, True)
    html = page(client, "/console/enterprise/today")
    assert 'data-figure="on_site">2<' in html and 'data-figure="turned_away">7<' in html
    assert 'id="arrivals-chart"' in html and 'id="arrivals-table"' in html


def test_registering_a_subcontractor_answers_bad_input_by_field(world) -> None:
    client, ent, _url = world
    sign_in(client, "gc-admin")
    path = f"/console/enterprise/projects/{ent.project}"
    token = csrf(client, path)

    def post(uscc: str) -> tuple[int, str]:
        answer = client.post(
            f"{path}/enterprises",
            data={"uscc": uscc, "role": "labour_subcontractor", "csrf_token": token},
            follow_redirects=False,
        )
        return answer.status_code, answer.text

    status, html = post("91-NOT-A-CODE")
    assert status == 422 and 'value="91-NOT-A-CODE"' in html
    assert 'data-error="uscc"' in html and "不是有效的统一社会信用代码" in html
    status, html = post("9144030071526726XG")  # valid, registered by nobody
    assert status == 422 and "没有以此代码登记的企业" in html
    status, _ = post(ent.spare_uscc)
    assert status == 303
    listed = client.get(
        f"/api/v1/projects/{ent.project}/enterprises", headers=bearer(client, "gc-admin")
    ).json()
    assert ("labour_subcontractor", "gc-admin") in {(e["role"], e["registered_by"]) for e in listed}
    status, html = post(ent.spare_uscc)
    assert status == 422 and "该企业已在本项目中" in html
    # the site manager sees the list, not the form
    sign_in(client, "site-mgr")
    html = page(client, path)
    assert "劳务分包 乙" in html and "subcontractor-form" not in html


def test_the_wage_account_is_masked_everywhere_and_bad_input_is_named(world) -> None:
    client, ent, url = world
    sign_in(client, "gc-admin")
    path = f"/console/enterprise/projects/{ent.project}"
    token = csrf(client, path)
    bad = client.post(
        f"{path}/wage-account",
        data={
            "bank": "中国农业银行",
            "account_number": "6228-48x",
            "opened_on": "2025-13-40",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert 'value="中国农业银行"' in bad.text and 'value="6228-48x"' in bad.text
    assert 'data-error="account_number"' in bad.text and 'data-error="opened_on"' in bad.text
    number = "6228480018012345678"
    good = client.post(
        f"{path}/wage-account",
        data={
            "bank": "中国农业银行",
            "account_number": number,
            "opened_on": "2025-03-01",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    shown = page(client, path)
    masked = client.get(
        f"/api/v1/projects/{ent.project}/wage-account", headers=bearer(client, "gc-admin")
    ).json()["account_masked"]
    assert masked in shown and number not in shown and "*" in masked
    sign_in(client, "site-mgr")
    seen = page(client, path)
    assert masked in seen and "account-form" not in seen
    db = Database(url)
    with db.engine.connect() as conn:
        audit = conn.execute(select(schema.audit_log)).all()
    db.close()
    assert number not in str(audit)


def test_creating_a_project_names_each_wrong_field(world) -> None:
    client, ent, _url = world
    sign_in(client, "gc-admin")
    token = csrf(client, "/console/enterprise/projects/new")
    bad = client.post(
        "/console/enterprise/projects",
        data={
            "id": "new site!",
            "name": "",
            "division_code": "999999",
            "pay_due_day": "40",
            "timezone": "Asia/Shanghai",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    for field in ("id", "name", "division_code", "pay_due_day"):
        assert f'data-error="{field}"' in bad.text, field
    assert 'value="new site!"' in bad.text and 'value="999999"' in bad.text
    taken = client.post(
        "/console/enterprise/projects",
        data={"id": ent.project, "name": "x", "division_code": "450102", "csrf_token": token},
    )
    assert taken.status_code == 422 and "已被其他项目使用" in taken.text
    made = client.post(
        "/console/enterprise/projects",
        data={
            "id": "ent-c",
            "name": "新项目 丙",
            "division_code": "450103",
            "pay_due_day": "10",
            "status": "under_construction",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303 and made.headers["location"].endswith("/ent-c")
    rows = client.get("/console/enterprise/projects.json").json()["rows"]
    assert ("ent-c", "general_contractor") in {(r["id"], r["my_role"]) for r in rows}
    sign_in(client, "site-mgr")
    page(client, "/console/enterprise/projects/new", 403)


def test_a_gate_is_provisioned_and_its_config_file_downloaded_once(world) -> None:
    client, ent, url = world
    sign_in(client, "site-mgr")  # the general contractor's office on the site
    token = csrf(client, "/console/enterprise/gates")
    bad = client.post(
        "/console/enterprise/gates",
        data={
            "project": ent.project,
            "device": "gate 9/x",
            "broker_url": "http://x",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert 'data-error="device"' in bad.text and 'data-error="broker_url"' in bad.text
    assert 'value="gate 9/x"' in bad.text and 'value="http://x"' in bad.text
    taken = client.post(
        "/console/enterprise/gates",
        data={
            "project": ent.project,
            "device": "gate-1",
            "broker_url": "mqtt://10.0.0.2:1883",
            "csrf_token": token,
        },
    )
    assert taken.status_code == 422 and "已在本项目开通" in taken.text
    made = client.post(
        "/console/enterprise/gates",
        data={
            "project": ent.project,
            "device": "gate-9",
            "broker_url": "mqtt://10.0.0.2:1883",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    gate_page = page(client, made.headers["location"])
    assert "config-file-form" in gate_page
    first = client.post(
        f"/console/enterprise/gates/{ent.project}/gate-9/config-file", data={"csrf_token": token}
    )
    assert first.status_code == 200
    assert first.headers["content-disposition"] == 'attachment; filename="ent-a-gate-9.yaml"'
    assert first.headers["cache-control"] == "no-store"
    config = yaml.safe_load(first.text)
    assert (config["site"], config["device"]) == (ent.project, "gate-9")
    assert config["broker"]["url"] == "mqtt://10.0.0.2:1883"
    # the secret in the file is the one central checks signatures with
    db = Database(url)
    from central.registry.sealing import sealer_for
    from central.storage.database import device_secret_context

    with db.engine.connect() as conn:
        d, h = schema.devices.c, schema.gate_handovers.c
        sealed = conn.execute(
            select(d.secret_sealed).where(d.site == ent.project, d.device == "gate-9")
        ).scalar_one()
        handover = conn.execute(select(schema.gate_handovers).where(h.device == "gate-9")).one()
        audit = [
            (r.action, r.detail)
            for r in conn.execute(select(schema.audit_log)).all()
            if r.action.startswith("gate.")
        ]
    db.close()
    secret = sealer_for(url).open(bytes(sealed), device_secret_context(ent.project, "gate-9"))
    assert secret.hex() == config["secret"]
    assert handover.config_sealed is None and handover.downloaded_by == "site-mgr"
    assert [a for a, _ in audit][:2] == ["gate.provisioned", "gate.config_downloaded"]
    assert config["secret"] not in str(audit) and config["broker"]["password"] not in str(audit)
    # a second download is refused and says why; the API refuses too
    second = client.post(
        f"/console/enterprise/gates/{ent.project}/gate-9/config-file", data={"csrf_token": token}
    )
    assert second.status_code == 409 and 'id="config-file-gone"' in second.text
    assert "site-mgr" in second.text and config["secret"] not in second.text
    again = client.post(
        f"/api/v1/projects/{ent.project}/gates/gate-9/config-file",
        headers=bearer(client, "gc-admin"),
    )
    assert again.status_code == 409 and "never shown again" in again.json()["detail"]
    assert config["secret"] not in page(client, f"/console/enterprise/gates/{ent.project}/gate-9")
    rows = client.get("/console/enterprise/gates.json").json()["rows"]
    assert f"{ent.project}/gate-9" in {r["gate"] for r in rows}


def test_a_config_push_is_validated_and_its_application_shown(world) -> None:
    client, ent, url = world
    sign_in(client, "gc-admin")
    path = f"/console/enterprise/gates/{ent.project}/gate-1"
    token = csrf(client, path)
    for data, field in (
        ({"threshold": "2"}, "threshold"),
        ({"threshold": "abc"}, "threshold"),
        ({"debounce_s": "-1"}, "debounce_s"),
        ({"liveness": "maybe"}, "liveness"),
        ({"dust_profile": "atlantis"}, "dust_profile"),  # not a profile the gates ship
        ({"dust_profile": "Bad Name!"}, "dust_profile"),
    ):
        bad = client.post(f"{path}/config", data={**data, "csrf_token": token})
        assert bad.status_code == 422, data
        assert f'data-error="{field}"' in bad.text, data
        assert f'value="{next(iter(data.values()))}"' in bad.text or field in (
            "liveness",
            "dust_profile",
        )
    good = client.post(
        f"{path}/config",
        data={
            "threshold": "0.45",
            "liveness": "strict",
            "dust_profile": "hebei-db13-2934-2019",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    shown = page(client, path + "?saved=1")
    assert 'data-field="applied">尚未<' in shown
    state = client.get(
        f"/api/v1/projects/{ent.project}/gates/gate-1/config", headers=bearer(client, "gc-admin")
    ).json()
    version = state["desired_version"]
    assert state["settings"]["recognition"]["threshold"] == 0.45 and not state["applied"]
    assert state["settings"]["dust_profile"] == "hebei-db13-2934-2019"
    unknown = client.put(
        f"/api/v1/projects/{ent.project}/gates/gate-1/config",
        json={"dust_profile": "atlantis"},
        headers=bearer(client, "gc-admin"),
    )
    assert unknown.status_code == 422 and "shipped" in unknown.json()["detail"]
    # the gate reports running it (what ingest records from its signed sync report)
    from datetime import UTC, datetime

    from central.gate_commands import reports
    from wireproto.commands import SyncReport

    db = Database(url)
    reports.record(
        db,
        SyncReport(
            site=ent.project,
            device="gate-1",
            config_version=version,
            gallery_version=0,
            at=datetime.now(UTC),
        ),
        datetime.now(UTC),
    )
    db.close()
    shown = page(client, path)
    assert 'data-field="applied">是<' in shown
    assert f'data-field="applied_version">{version}<' in shown
    assert client.get(
        f"/api/v1/projects/{ent.project}/gates/gate-1/config", headers=bearer(client, "gc-admin")
    ).json()["applied"]


def test_warnings_under_enterprise_scope_and_referral_to_the_inspectors(world) -> None:
    client, ent, _url = world
    sign_in(client, "site-mgr")
    rows = client.get("/console/warnings.json").json()["rows"]
    assert {r["project_id"] for r in rows} == {ent.project} and len(rows) == 2
    detail = page(client, f"/console/warnings/{rows[0]['id']}")
    assert "resolve-form" not in detail and "escalate-form" not in detail
    sign_in(client, "gc-admin")
    wid = next(r["id"] for r in rows if "EA1" in r["subject"])
    token = csrf(client, f"/console/warnings/{wid}")
    refer = client.post(
        f"/console/warnings/{wid}/escalate",
        data={"note": "subcontractor does not answer", "csrf_token": token},
        follow_redirects=False,
    )
    assert refer.status_code == 303
    got = client.get(f"/api/v1/warnings/{wid}", headers=bearer(client, "gc-admin")).json()
    assert got["escalated_to"] == "450102"  # the project's own division: its inspectors
    twice = client.post(
        f"/console/warnings/{wid}/escalate",
        data={"note": "once more please", "csrf_token": token},
    )
    assert twice.status_code == 409


def test_the_general_contractor_changes_the_projects_status(world) -> None:
    client, ent, _url = world
    path = f"/console/enterprise/projects/{ent.project}"
    sign_in(client, "site-mgr")
    token = csrf(client, path)
    refused = client.post(f"{path}/status", data={"status": "suspended", "csrf_token": token})
    assert refused.status_code == 403  # the site manager reads the project, its office changes it
    sign_in(client, "gc-admin")
    token = csrf(client, path)
    bad = client.post(f"{path}/status", data={"status": "razed", "csrf_token": token})
    assert bad.status_code == 422 and 'data-error="status"' in bad.text
    # a set division is the admin's to move: the form does not offer it, a forged field is ignored
    moved = client.post(
        f"{path}/status",
        data={"status": "suspended", "division_code": "450202", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    got = client.get(f"/api/v1/projects/{ent.project}", headers=bearer(client, "gc-admin")).json()
    assert (got["status"], got["division_code"]) == ("suspended", "450102")
    client.post(f"{path}/status", data={"status": "under_construction", "csrf_token": token})


def test_the_admin_opens_every_enterprise_page(world) -> None:
    client, ent, _url = world
    sign_in(client, "root")
    picked = page(client, f"/console/enterprise/today?project={ent.other}")
    assert "项目 ent-b" in picked
    rows = client.get("/console/enterprise/projects.json").json()["rows"]
    assert {ent.project, ent.other} <= {r["id"] for r in rows}
    assert "provision-form" in page(client, "/console/enterprise/gates")
    page(client, "/console/enterprise/projects/new", 403)  # the admin registers by the API
    # the admin reaches every id, but no gate is provisioned for a project that does not exist
    token = csrf(client, "/console/enterprise/gates")
    nowhere = client.post(
        "/console/enterprise/gates",
        data={
            "project": "no-such-site",
            "device": "gate-1",
            "broker_url": "mqtt://h:1883",
            "csrf_token": token,
        },
    )
    assert nowhere.status_code == 404
    by_api = client.post(
        "/api/v1/projects/no-such-site/gates",
        json={"device": "gate-1"},
        headers=bearer(client, "root"),
    )
    assert by_api.status_code == 404
    for path in (
        "/console/enterprise/projects/no-such-site",
        "/console/enterprise/gates/no-such-site/gate-1",
    ):
        page(client, path, 404)
