"""The web console in-process over a real SQLite file: sessions, CSRF, scope, tables, exports.

The browser tests (tests/integration/test_console_browser.py) cover what only a browser shows;
these cover the rules, each with the exact answer.
"""

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from factories import SHANGHAI, Region, console_region, new_db
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from web_client import add_users, console_client, csrf_of, sign_in

from central import audit
from central.api.app import create_app
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from conftest import TEST_PASSWORD, api_headers

USERS = {
    "root": {"role": "admin"},
    "nn-inspector": {"role": "supervisor", "division_code": "450100"},  # Nanning city
    "lz-inspector": {"role": "supervisor", "division_code": "450200"},  # Liuzhou city
    "boss": {"role": "contractor_admin", "enterprise_id": 1},
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Region, str]]:
    tmp = tmp_path_factory.mktemp("console")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    add_users(db, USERS)
    db.close()
    url = str(tmp / "central.db")
    with console_client(url) as client:
        yield client, region, url


def figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html))


def test_login_sets_a_hardened_session_cookie_and_logout_revokes_it(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url = world
    client.cookies.clear()
    token = csrf_of(client.get("/console/login").text)
    answer = client.post(
        "/console/login",
        data={"username": "root", "password": TEST_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console/overview"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if "sitegate_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP here; see the TLS test below
    session = client.cookies["sitegate_session"]
    db = Database(url)
    with db.engine.connect() as conn:
        actions = [e["action"] for e in audit.entries(conn, limit=5)]
        stored = conn.execute(select(func.count()).select_from(schema.api_tokens)).scalar_one()
    assert "login.succeeded" in actions and stored >= 1
    assert client.get("/console/overview").status_code == 200

    page = client.get("/console/overview").text
    out = client.post("/console/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/console/login"
    with db.engine.connect() as conn:
        assert audit.entries(conn, limit=1)[0]["action"] == "logout"
    db.close()
    # the old cookie is now refused, exactly like a revoked API token
    client.cookies.clear()
    client.cookies.set("sitegate_session", session)
    again = client.get("/console/overview", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/console/login")


def test_session_cookie_is_secure_over_tls(world) -> None:  # type: ignore[no-untyped-def]
    _client, _region, _url = world
    app = _client.app
    with TestClient(app, base_url="https://console.example") as tls:
        token = csrf_of(tls.get("/console/login").text)
        answer = tls.post(
            "/console/login",
            data={"username": "root", "password": TEST_PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "sitegate_session=" in c)
        assert "Secure" in cookie


def test_secure_cookies_setting_marks_plain_http_cookies_secure(world) -> None:  # type: ignore[no-untyped-def]
    _client, _region, url = world
    service = CentralService(CentralSettings(db=url, secure_cookies=True))
    with TestClient(create_app(service, manage_service=False)) as behind_proxy:
        login = behind_proxy.get("/console/login")
        assert "Secure" in login.headers["set-cookie"]  # the pre-session cookie too
        # the proxy speaks HTTPS to the browser, which sends the Secure cookie back
        presession = re.search(r"sitegate_presession=([^;]+)", login.headers["set-cookie"])
        assert presession
        answer = behind_proxy.post(
            "/console/login",
            data={"username": "root", "password": TEST_PASSWORD, "csrf_token": csrf_of(login.text)},
            headers={"Cookie": f"sitegate_presession={presession.group(1)}"},
            follow_redirects=False,
        )
        cookie = next(c for c in answer.headers.get_list("set-cookie") if "sitegate_session=" in c)
        assert "Secure" in cookie
    service.db.close()


def test_every_form_is_refused_without_the_sessions_csrf_token(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, _url = world
    client.cookies.clear()
    login_page = client.get("/console/login").text
    creds = {"username": "root", "password": TEST_PASSWORD}
    assert client.post("/console/login", data=creds, follow_redirects=False).status_code == 403
    forged = {**creds, "csrf_token": "0" * 64}
    assert client.post("/console/login", data=forged, follow_redirects=False).status_code == 403
    # a token from another browser (another pre-session) does not pass either
    other = TestClient(client.app)
    other_token = csrf_of(other.get("/console/login").text)
    assert other_token != csrf_of(login_page)
    stolen = {**creds, "csrf_token": other_token}
    assert client.post("/console/login", data=stolen, follow_redirects=False).status_code == 403

    sign_in(client, "root")
    refused = client.post("/console/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403 and "sitegate_session" in client.cookies
    assert client.get("/console/overview").status_code == 200  # still signed in
    lang = client.post("/console/lang", data={"lang": "en"}, follow_redirects=False)
    assert lang.status_code == 403


def test_login_is_throttled_and_audited_like_the_api(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url = world
    client.cookies.clear()
    statuses = []
    for _ in range(7):
        token = csrf_of(client.get("/console/login").text)
        answer = client.post(
            "/console/login",
            data={"username": "nobody-here", "password": "wrong", "csrf_token": token},
        )
        statuses.append(answer.status_code)
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429
    assert "sitegate_session" not in client.cookies
    db = Database(url)
    with db.engine.connect() as conn:
        actions = [e["action"] for e in audit.entries(conn, limit=20)]
    db.close()
    assert actions.count("login.failed") >= 5 and "login.throttled" in actions


def test_overview_page_equals_the_api_and_a_direct_count(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "nn-inspector")
    shown = figures(client.get("/console/overview").text)
    token = api_headers(url, "nn-inspector-api", "supervisor", division_code="450100")
    api = client.get("/api/v1/overview", headers=token).json()
    for key in ("registered_workers", "payroll_cards", "projects", "on_site_today"):
        assert shown[key] == str(api[key]), key
    assert shown["open_warnings"] == str(api["open_warnings"])
    twin = client.get("/console/overview.json").json()
    assert twin["overview"] == api and len(twin["daily"]) == 30
    assert twin["daily"] == client.get("/api/v1/overview/daily-on-site", headers=token).json()
    db = Database(url)
    with db.engine.connect() as conn:
        e, a = schema.employments.c, schema.attendance.c
        workers = conn.execute(
            select(func.count(func.distinct(e.worker_id))).where(e.project_id.like("nn-%"))
        ).scalar_one()
        today = datetime.now(SHANGHAI).date().isoformat()
        on_site = conn.execute(
            select(func.count(func.distinct(a.worker_id))).where(
                a.local_date == today, a.site == region.nanning
            )
        ).scalar_one()
        paid = conn.execute(select(func.sum(schema.payroll_lines.c.paid_fen))).scalar_one()
    db.close()
    assert (api["registered_workers"], api["projects"], api["on_site_today"]) == (
        workers,
        1,
        on_site,
    )
    assert workers == 3 and on_site == 1
    assert api["wages_paid_total_fen"] == paid and paid > 0
    # gates: the overview, its list behind the figure, and the statuses read independently
    db = Database(url)
    with db.engine.connect() as conn:
        d = schema.devices.c
        states = [
            json.loads(s)["state"] if s else "offline"
            for s in conn.execute(select(d.status).where(d.site.like("nn-%"))).scalars()
        ]
    db.close()
    online = client.get("/console/gates.json?state=online").json()["rows"]
    assert api["gates_online"] == len(online) == states.count("online") == 1
    assert api["gates_offline"] == states.count("offline")
    assert [g["gate"] for g in online] == [f"{region.nanning}/gate-1"]
    assert shown["wages_paid_total_fen"] == f"{paid // 100:,}.{paid % 100:02d}"


def test_a_city_supervisor_sees_nothing_of_another_city(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "nn-inspector")
    projects = client.get("/console/projects").text
    assert region.nanning in projects and region.liuzhou not in projects
    rows = client.get("/console/workers.json").json()["rows"]
    assert {r["id"] for r in rows} == set(region.nanning_workers)
    book = load_workbook(io.BytesIO(client.get("/console/projects.xlsx").content))
    cells = [c.value for row in book.active.iter_rows() for c in row]
    assert region.nanning in cells and region.liuzhou not in cells
    # a filter naming the other city's project finds nothing rather than confirming it
    probe = client.get(f"/console/workers.json?project={region.liuzhou}").json()
    assert probe == {"rows": [], "total": 0}
    nn_warnings = client.get("/console/warnings.json").json()["rows"]
    assert all(w["project_id"] == region.nanning for w in nn_warnings)
    sign_in(client, "lz-inspector")
    shown = figures(client.get("/console/overview").text)
    assert shown["projects"] == "1"
    assert region.nanning not in client.get("/console/projects").text
    lz_open = client.get("/console/warnings.json?state=open").json()["rows"]
    assert lz_open and {w["project_id"] for w in lz_open} == {region.liuzhou}
    db = Database(url)
    with db.engine.connect() as conn:
        w = schema.wage_warnings.c
        direct = conn.execute(
            select(func.count()).where(w.state == "open", w.project_id == region.liuzhou)
        ).scalar_one()
    db.close()
    assert shown["open_warnings"] == str(direct) == str(len(lz_open))


def test_tables_page_sort_by_whitelisted_columns_and_export_the_same_rows(world) -> None:  # type: ignore[no-untyped-def]
    client, region, _url = world
    sign_in(client, "root")
    page = client.get("/console/workers?sort=name&desc=1&size=20").text
    ids = re.findall(r'data-column="id">([^<]+)<', page)
    json_rows = client.get("/console/workers.json?sort=name&desc=1").json()["rows"]
    assert ids == [r["id"] for r in json_rows] and len(ids) == 5
    book = load_workbook(io.BytesIO(client.get("/console/workers.xlsx?sort=name&desc=1").content))
    sheet = [[c.value for c in row] for row in book.active.iter_rows()]
    assert [r[0] for r in sheet[1:]] == ids
    assert all(c.data_type == "s" for row in book.active.iter_rows() for c in row if c.value)
    # masked numbers only, on the page and in the export
    assert all("*" in r["id_number"] for r in json_rows)
    for bad in ("sort=password_hash", "size=7", "page=0", "desc=yes", "status=razed"):
        assert client.get(f"/console/projects?{bad}").status_code == 422, bad
    missing = client.get("/console/no-such-page")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert client.get("/api/v1/no-such-route").headers["content-type"] == "application/json"
    filtered = client.get("/console/projects.json?status=under_construction&q=nn").json()
    assert [r["id"] for r in filtered["rows"]] == [region.nanning]


def test_roles_outside_supervision_get_no_supervision_pages(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, _url = world
    sign_in(client, "boss")
    # a contractor lands on the enterprise console (tests/central/test_enterprise_setup.py)
    landing = client.get("/console", follow_redirects=False).headers["location"]
    assert landing == "/console/enterprise/today"
    assert client.get("/console/overview").status_code == 403
    assert client.get("/console/workers.json").status_code == 403
    client.cookies.clear()
    anonymous = client.get("/console/workers.xlsx", follow_redirects=False)
    assert anonymous.status_code == 303


def test_language_switch_is_remembered(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, _url = world
    sign_in(client, "root")
    page = client.get("/console/overview").text
    assert '<html lang="zh-CN">' in page and "概览分析" in page
    switched = client.post(
        "/console/lang",
        data={"lang": "en", "next": "/console/projects", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert switched.headers["location"] == "/console/projects"
    english = client.get("/console/overview").text
    assert '<html lang="en">' in english and "Registered workers" in english
    assert "概览分析" not in english
    away = client.post(
        "/console/lang",
        data={"lang": "zh_CN", "next": "https://evil.example/", "csrf_token": csrf_of(english)},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/console"  # never a redirect off the console


def test_docs_load_only_central_s_own_assets(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, _region, _url = world
    html = client.get("/docs").text
    urls = re.findall(r'(?:href|src)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert urls and all(u.startswith("/") for u in urls), urls
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        assert client.get(asset).status_code == 200, asset


def test_the_overview_names_divisions_in_the_readers_language(world) -> None:  # type: ignore[no-untyped-def]
    """The rankings and the arrears register name cities and counties from the divisions
    table: Chinese for zh-CN readers, the English name for English readers."""
    client, _region, _url = world
    sign_in(client, "root")
    chinese = client.get("/console/overview").text
    assert "南宁市" in chinese and "兴宁区" in chinese
    client.cookies.set("sitegate_lang", "en")
    english = client.get("/console/overview").text
    client.cookies.delete("sitegate_lang")
    assert "Nanning City" in english and "Xingning District" in english
    assert "南宁市" not in english and "兴宁区" not in english
