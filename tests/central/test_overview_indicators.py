"""The overview's key indicators, wages-paid trend and arrears register, in-process.

Every figure is checked against SQL written independently of central/reports/indicators.py
(raw text, over the base tables), and every answer is checked to stop at the city's border.
"""

import io
import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from factories import SHANGHAI, Region, console_region, new_db
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, text
from web_client import console_client

from central import audit
from central.auth.users import UserIn, add_user
from central.payroll import paid_summaries
from central.storage import Database, presence, schema
from conftest import TEST_PASSWORD, api_headers

ACCOUNT = "6222020200112233445"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Region, str]]:
    tmp = tmp_path_factory.mktemp("indicators")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    add_user(
        db,
        UserIn(
            username="nn-web", password=TEST_PASSWORD, role="supervisor", division_code="450100"
        ),
    )  # type: ignore[arg-type]
    db.close()
    url = str(tmp / "central.db")
    with console_client(url) as client:
        boss = api_headers(url, "boss", "contractor_admin", enterprise_id=1)
        answer = client.put(
            f"/api/v1/projects/{region.nanning}/wage-account",
            json={
                "bank": "中国工商银行南宁分行",
                "account_number": ACCOUNT,
                "opened_on": "2025-01-02",
            },
            headers=boss,
        )
        assert answer.status_code == 200, answer.text
        nn = api_headers(url, "nn-insp", "supervisor", division_code="450100")
        lz = api_headers(url, "lz-insp", "supervisor", division_code="450200")
        for body, who in (
            (
                {
                    "project_id": region.nanning,
                    "source": "complaint",
                    "amount_fen": 1_234_500,
                    "workers": 2,
                    "summary": "六月工资未发",
                },
                nn,
            ),
            (
                {
                    "project_id": region.nanning,
                    "source": "inspector",
                    "amount_fen": 500_000,
                    "workers": 1,
                    "summary": "巡查发现",
                },
                nn,
            ),
            (
                {
                    "project_id": region.liuzhou,
                    "source": "warning",
                    "source_ref": "7",
                    "amount_fen": 720_000,
                    "workers": 1,
                    "summary": "逾期未发",
                },
                lz,
            ),
        ):
            answer = client.post("/api/v1/arrears-cases", json=body, headers=who)
            assert answer.status_code == 201, answer.text
        yield client, region, url


def _sql(url: str, query: str, **params: object) -> list[tuple[object, ...]]:
    db = Database(url)
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(query), params)]
    db.close()
    return rows


def _expected(url: str, project: str) -> dict[str, tuple[int, int]]:
    """Each indicator's (numerator, denominator) for one project, by hand-written SQL."""
    today = datetime.now(SHANGHAI).date()
    first = today.toordinal() - 29
    day, since = today.isoformat(), datetime.fromordinal(first).date().isoformat()
    attended = _sql(
        url,
        "SELECT DISTINCT worker_id, local_date FROM attendance"
        " WHERE site = :p AND local_date BETWEEN :a AND :b",
        p=project,
        a=since,
        b=day,
    )
    employed_all = {
        r[0]
        for r in _sql(url, "SELECT worker_id FROM employments WHERE project_id = :p", p=project)
    }
    employed = {
        r[0]
        for r in _sql(
            url,
            "SELECT worker_id FROM employments WHERE project_id = :p AND start_date <= :d"
            " AND (end_date IS NULL OR end_date >= :d)",
            p=project,
            d=day,
        )
    }
    carded = {
        r[0]
        for r in _sql(url, "SELECT id FROM workers WHERE card_hash IS NOT NULL AND card_valid = 1")
    }
    paid = {
        r[0]
        for r in _sql(
            url,
            "SELECT l.worker_id FROM payroll_lines l JOIN payroll_batches b ON b.id = l.batch_id"
            " WHERE b.project_id = :p AND l.paid_fen > 0",
            p=project,
        )
    }
    account = _sql(
        url, "SELECT count(*) FROM project_wage_accounts WHERE project_id = :p", p=project
    )[0][0]
    building = (
        _sql(url, "SELECT status FROM projects WHERE id = :p", p=project)[0][0]
        == "under_construction"
    )
    uploaded = _sql(
        url, "SELECT count(*) FROM attendance WHERE site = :p AND local_date = :d", p=project, d=day
    )[0][0]
    return {
        "real_name": (sum(1 for w, _d in attended if w in employed_all), len(attended)),
        "card_issuance": (len(employed & carded), len(employed)),
        "wage_account": (int(account), 1),
        "online_payroll": (len(employed & paid), len(employed)),
        "attendance_upload": (int(building and uploaded > 0), int(building)),
    }


def _pairs(indicators: dict[str, dict[str, int]]) -> dict[str, tuple[int, int]]:
    return {k: (v["numerator"], v["denominator"]) for k, v in indicators.items()}


def test_indicators_per_project_equal_sql_and_sum_to_cities(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    admin = api_headers(url, "root-api", "admin")
    got = client.get("/api/v1/overview/indicators", headers=admin).json()
    projects = {a["key"]: _pairs(a["indicators"]) for a in got["projects"]}
    for project in (region.nanning, region.liuzhou):
        assert projects[project] == _expected(url, project), project
    nn = _expected(url, region.nanning)
    assert nn["wage_account"] == (1, 1) and nn["card_issuance"] == (3, 3)
    assert nn["online_payroll"] == (2, 3) and nn["attendance_upload"] == (1, 1)
    assert _expected(url, region.liuzhou)["wage_account"] == (0, 1)
    cities = {a["key"]: _pairs(a["indicators"]) for a in got["cities"]}
    assert cities == {"450100": projects[region.nanning], "450200": projects[region.liuzhou]}
    total = _pairs(got["total"])
    for key in total:
        assert total[key] == tuple(sum(p[key][i] for p in projects.values()) for i in (0, 1))
    rate = got["total"]["online_payroll"]
    assert rate["pct"] == round(100 * rate["numerator"] / rate["denominator"], 1)


def test_page_twin_and_api_agree_and_the_page_shows_the_rates(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    from test_web_console import sign_in

    sign_in(client, "nn-web")
    token = api_headers(url, "nn-web-api", "supervisor", division_code="450100")
    twin = client.get("/console/overview.json").json()
    assert twin["indicators"] == client.get("/api/v1/overview/indicators", headers=token).json()
    assert twin["monthly_paid"] == client.get("/api/v1/overview/monthly-paid", headers=token).json()
    assert twin["arrears"] == client.get("/api/v1/overview/arrears", headers=token).json()
    html = client.get("/console/overview?rank_by=card_issuance").text
    shown = dict(re.findall(r'data-figure="([a-z_]+\.[a-z]+)">([^<]*)<', html))
    for key, (num, den) in _expected(url, region.nanning).items():
        assert shown[f"{key}.numerator"] == str(num) and shown[f"{key}.denominator"] == str(den)
    assert 'href="/console/arrears?status=open"' in html and region.liuzhou not in html
    assert client.get("/console/overview?rank_by=nonsense").status_code == 422
    client.post(
        "/console/lang",
        data={
            "lang": "en",
            "csrf_token": re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1),
        },
    )  # type: ignore[union-attr]
    english = client.get("/console/overview").text
    assert "Key indicators" in english and "Arrears cases" in english


def test_wages_paid_trend_and_summaries_equal_the_lines(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url = world
    admin = api_headers(url, "root-api", "admin")
    months = client.get("/api/v1/overview/monthly-paid", headers=admin).json()
    assert len(months) == 12
    direct = dict(
        _sql(
            url,
            "SELECT substr(paid_at, 1, 7), sum(paid_fen) FROM payroll_lines WHERE paid_fen > 0"
            " GROUP BY substr(paid_at, 1, 7)",
        )
    )
    assert direct and {m["month"]: m["paid_fen"] for m in months if m["paid_fen"]} == direct
    by_project = "SELECT project_id, month, paid_fen, lines FROM paid_months ORDER BY 1, 2"
    workers = (
        "SELECT project_id, worker_id, first_month, last_month FROM paid_workers ORDER BY 1, 2"
    )
    kept = (_sql(url, by_project), _sql(url, workers))
    lines = _sql(
        url,
        "SELECT b.project_id, substr(l.paid_at, 1, 7), sum(l.paid_fen), count(*)"
        " FROM payroll_lines l JOIN payroll_batches b ON b.id = l.batch_id"
        " WHERE l.paid_fen > 0 GROUP BY 1, 2 ORDER BY 1, 2",
    )
    assert kept[0] == lines and len(kept[1]) == 2
    db = Database(url)
    with db.begin() as conn:
        paid_summaries.rebuild(conn)
    db.close()
    assert (_sql(url, by_project), _sql(url, workers)) == kept


def test_arrears_register_is_scoped_audited_and_needs_a_resolution(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    nn = api_headers(url, "nn-insp", "supervisor", division_code="450100")
    lz = api_headers(url, "lz-insp", "supervisor", division_code="450200")
    mine = client.get("/api/v1/arrears-cases", headers=nn).json()
    assert {c["project_id"] for c in mine} == {region.nanning} and len(mine) == 2
    theirs = client.get("/api/v1/arrears-cases", headers=lz).json()
    assert [c["project_id"] for c in theirs] == [region.liuzhou]
    # another city's case and project: 404, as if they did not exist
    assert (
        client.patch(
            f"/api/v1/arrears-cases/{theirs[0]['id']}", json={"workers": 9}, headers=nn
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/arrears-cases?project_id={region.liuzhou}", headers=nn).json() == []
    intrusion = {
        "project_id": region.liuzhou,
        "source": "inspector",
        "amount_fen": 1,
        "workers": 1,
        "summary": "x",
    }
    assert client.post("/api/v1/arrears-cases", json=intrusion, headers=nn).status_code == 404
    bad = dict(intrusion, project_id=region.nanning, amount_fen=-1)
    assert client.post("/api/v1/arrears-cases", json=bad, headers=nn).status_code == 422
    summary = client.get("/api/v1/overview/arrears", headers=nn).json()
    direct = _sql(
        url,
        "SELECT count(*), sum(amount_fen), sum(workers) FROM arrears_cases WHERE status = 'open'"
        " AND project_id IN (SELECT id FROM projects WHERE division_code LIKE '4501%')",
    )[0]
    assert (
        (summary["open_cases"], summary["amount_fen"], summary["workers"])
        == direct
        == (2, 1_734_500, 3)
    )
    assert [g["key"] for g in summary["by_city"]] == ["450100"]
    case_id = mine[0]["id"]
    refused = client.patch(
        f"/api/v1/arrears-cases/{case_id}", json={"status": "resolved"}, headers=nn
    )
    assert refused.status_code == 422
    done = client.patch(
        f"/api/v1/arrears-cases/{case_id}",
        json={"status": "resolved", "resolution": "已足额补发"},
        headers=nn,
    ).json()
    assert done["status"] == "resolved" and done["resolution"] == "已足额补发"
    after = client.get("/api/v1/overview/arrears", headers=nn).json()
    assert after["open_cases"] == 1
    reopened = client.patch(
        f"/api/v1/arrears-cases/{case_id}", json={"status": "open"}, headers=nn
    ).json()
    assert reopened["status"] == "open" and reopened["resolution"] is None
    db = Database(url)
    with db.engine.connect() as conn:
        actions = [(e["action"], e["target_id"]) for e in audit.entries(conn, limit=50)]
    db.close()
    assert ("arrears.updated", str(case_id)) in actions and (
        "arrears.opened",
        str(case_id),
    ) in actions


def test_arrears_list_and_export_stop_at_the_city(world) -> None:  # type: ignore[no-untyped-def]
    client, region, _url = world
    from test_web_console import sign_in

    sign_in(client, "nn-web")
    rows = client.get("/console/arrears.json").json()["rows"]
    assert {r["project_id"] for r in rows} == {region.nanning} and len(rows) == 2
    assert client.get("/console/arrears.json?city=450200").json()["rows"] == []
    assert client.get(f"/console/arrears.json?project={region.liuzhou}").json()["rows"] == []
    sheet = load_workbook(io.BytesIO(client.get("/console/arrears.xlsx").content)).active
    assert sheet is not None
    cells = [[c for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(cells) == 2 and all(region.nanning in row for row in cells)
    page = client.get("/console/arrears?status=open")
    assert page.status_code == 200 and region.liuzhou not in page.text


def test_wage_account_is_sealed_masked_and_scoped(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    boss = api_headers(url, "boss", "contractor_admin", enterprise_id=1)
    shown = client.get(f"/api/v1/projects/{region.nanning}/wage-account", headers=boss).json()
    assert shown["account_masked"] == ACCOUNT[:4] + "*" * (len(ACCOUNT) - 8) + ACCOUNT[-4:]
    db = Database(url)
    with db.engine.connect() as conn:
        sealed = conn.execute(select(schema.project_wage_accounts.c.account_sealed)).scalar_one()
        logged = [e["detail"] for e in audit.entries(conn, limit=200)]
    db.close()
    assert ACCOUNT.encode() not in sealed and not any(ACCOUNT in str(d) for d in logged)
    lz = api_headers(url, "lz-insp", "supervisor", division_code="450200")
    assert (
        client.get(f"/api/v1/projects/{region.nanning}/wage-account", headers=lz).status_code == 404
    )
    other = client.put(
        f"/api/v1/projects/{region.liuzhou}/wage-account",
        json={"bank": "x", "account_number": "12345678", "opened_on": "2025-01-02"},
        headers=boss,
    )
    assert other.status_code == 404


def test_site_days_equal_a_direct_count_of_the_events(world) -> None:  # type: ignore[no-untyped-def]
    """The on-site summary kept at ingest equals the events counted now, and a rebuild."""
    client, region, url = world
    query = "SELECT site, local_date, workers, registered FROM site_days ORDER BY 1, 2"
    kept = _sql(url, query)
    direct = _sql(
        url,
        "SELECT a.site, a.local_date, count(DISTINCT a.worker_id),"
        " count(DISTINCT CASE WHEN e.worker_id IS NOT NULL THEN a.worker_id END)"
        " FROM attendance a LEFT JOIN (SELECT DISTINCT project_id, worker_id FROM employments) e"
        " ON e.project_id = a.site AND e.worker_id = a.worker_id"
        " GROUP BY a.site, a.local_date ORDER BY 1, 2",
    )
    assert kept == direct and len(kept) >= 7
    db = Database(url)
    with db.begin() as conn:
        presence.rebuild(conn)
    db.close()
    assert _sql(url, query) == kept
    admin = api_headers(url, "root-api", "admin")
    daily = client.get("/api/v1/overview/daily-on-site", headers=admin).json()
    today = datetime.now(SHANGHAI).date().isoformat()
    on_site_today = sum(int(r[2]) for r in direct if r[1] == today)  # type: ignore[call-overload]
    assert daily[-1] == {"day": today, "workers": on_site_today} and on_site_today == 2
    assert region.nanning in {r[0] for r in kept}


def test_headline_figures_read_from_summaries_equal_sql(world) -> None:  # type: ignore[no-untyped-def]
    """Registered, cards, active workers and wages paid, for a city and for everything."""
    client, _region, url = world
    today = datetime.now(SHANGHAI).date().isoformat()
    for who, like in (
        (api_headers(url, "root-api", "admin"), "%"),
        (api_headers(url, "nn-insp", "supervisor", division_code="450100"), "4501%"),
    ):
        got = client.get("/api/v1/overview", headers=who).json()
        scope = "SELECT id FROM projects WHERE division_code LIKE :like"
        registered, cards = _sql(
            url,
            "SELECT count(*), coalesce(sum(CASE WHEN card_hash IS NOT NULL AND card_valid = 1"
            f" THEN 1 ELSE 0 END), 0) FROM workers WHERE id IN (SELECT worker_id FROM"
            f" employments WHERE project_id IN ({scope}))",
            like=like,
        )[0]
        active = _sql(
            url,
            "SELECT count(DISTINCT worker_id) FROM employments WHERE start_date <= :d"
            f" AND (end_date IS NULL OR end_date >= :d) AND project_id IN ({scope})",
            d=today,
            like=like,
        )[0][0]
        fen, workers = _sql(
            url,
            "SELECT coalesce(sum(l.paid_fen), 0), count(DISTINCT l.worker_id) FROM payroll_lines l"
            " JOIN payroll_batches b ON b.id = l.batch_id WHERE l.paid_fen > 0"
            f" AND b.project_id IN ({scope})",
            like=like,
        )[0]
        assert (got["registered_workers"], got["payroll_cards"]) == (registered, cards)
        assert got["active_workers"] == active and active > 1
        assert (got["wages_paid_total_fen"], got["workers_paid_total"]) == (fen, workers)
        assert workers == 2 and fen > 0
