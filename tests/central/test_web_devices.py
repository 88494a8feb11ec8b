"""The console's gate fleet and dust pages in-process over a real SQLite file: every figure
against the API and an independent reading of the tables, scope, exports, bad input.

The browser test (tests/integration/test_console_devices_browser.py) covers what only a
browser shows.
"""

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from factories import (
    SECRET,
    SHANGHAI,
    DustDay,
    Region,
    console_fleet_and_dust,
    console_region,
    new_db,
)
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from web_client import add_users, console_client, sign_in

from central.storage import Database, schema
from conftest import api_headers
from wireproto import DeviceStatusBody

USERS = {
    "root": {"role": "admin"},
    "nn-inspector": {"role": "supervisor", "division_code": "450100"},  # Nanning city
    "lz-inspector": {"role": "supervisor", "division_code": "450200"},  # Liuzhou city
    "gx-inspector": {"role": "supervisor", "division_code": "450000"},  # Guangxi
    "boss": {"role": "contractor_admin", "enterprise_id": 1},
}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Region, str, DustDay]]:
    tmp = tmp_path_factory.mktemp("devices")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    day = console_fleet_and_dust(db, region)
    # a gate whose power failed: its last status says online, three hours ago; the warnings
    # queue's gate watch (central/warnings/devices.py) holds it silent
    from central.warnings.devices import scan_gates

    db.add_device(region.liuzhou, "gate-2", SECRET.hex())
    gone = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=3)
    db.set_device_status(
        region.liuzhou,
        "gate-2",
        DeviceStatusBody(state="online", at=gone).model_dump_json(exclude={"kind"}),
        gone.isoformat(),
    )
    with db.begin() as conn:
        scan_gates(conn, datetime.now(UTC), timedelta(minutes=30))
    add_users(db, USERS)
    db.close()
    url = str(tmp / "central.db")
    with console_client(url) as client:
        yield client, region, url, day


def _direct_fleet(url: str) -> dict[str, dict[str, object]]:
    """Each gate read straight from the tables, parsed in Python: the independent answer."""
    db = Database(url)
    with db.engine.connect() as conn:
        devices = conn.execute(select(schema.devices)).all()
        c, s = schema.device_configs.c, schema.device_sync.c
        wanted = dict(
            conn.execute(
                select(c.site + "/" + c.device, func.max(c.version)).group_by(c.site, c.device)
            ).all()
        )
        applied = dict(conn.execute(select(s.site + "/" + s.device, s.config_version)).all())
        w = schema.wage_warnings.c
        silent = {
            f"{e['site']}/{e['device']}": e["last_heard"]
            for e in map(
                json.loads,
                conn.execute(
                    select(w.evidence).where(w.kind == "device_offline", w.state == "open")
                ).scalars(),
            )
        }
    db.close()
    out: dict[str, dict[str, object]] = {}
    for d in devices:
        status = json.loads(d.status) if d.status else {}
        gate = f"{d.site}/{d.device}"
        want, have = wanted.get(gate), applied.get(gate)
        out[gate] = {
            "state": "online" if status.get("state") == "online" else "offline",
            "status_at": d.status_at,
            "silent_since": silent.get(gate),
            "outbox_depth": status.get("outbox_depth"),
            "clock_offset_ms": status.get("clock_offset_ms"),
            "camera": {True: "ok", False: "failed"}.get(status.get("camera_ok")),  # type: ignore[arg-type]
            "software": status.get("software_version"),
            "config_version": want,
            "config_applied": have,
            "config_state": "none"
            if want is None
            else ("applied" if have is not None and have >= want else "pending"),
        }
    return out


def test_fleet_api_and_page_equal_the_tables(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url, _day = world
    direct = _direct_fleet(url)
    api = client.get("/api/v1/fleet/gates", headers=api_headers(url)).json()
    assert {g["gate"]: {k: g[k] for k in direct[g["gate"]]} for g in api} == direct
    nanning = direct[f"{region.nanning}/gate-1"]
    assert (nanning["outbox_depth"], nanning["clock_offset_ms"], nanning["camera"]) == (
        3,
        -42,
        "ok",
    )
    assert (nanning["config_version"], nanning["config_applied"]) == (2, 1)
    assert nanning["config_state"] == "pending"
    # silent: said online three hours ago and never since; the list says since when
    silent = direct[f"{region.liuzhou}/gate-2"]
    assert (silent["state"], silent["silent_since"]) == ("online", silent["status_at"])
    assert silent["silent_since"] is not None and nanning["silent_since"] is None
    liuzhou = direct[f"{region.liuzhou}/gate-1"]
    assert (liuzhou["state"], liuzhou["camera"], liuzhou["config_state"]) == (
        "offline",
        "failed",
        "none",
    )
    sign_in(client, "root")
    twin = client.get("/console/gates.json").json()["rows"]
    assert [{k: r[k] for k in api[0]} for r in twin] == api
    # the filters select in the database what the tables say
    failed = client.get("/console/gates.json?camera=failed").json()["rows"]
    assert [r["gate"] for r in failed] == [g for g, v in direct.items() if v["camera"] == "failed"]
    pending = client.get("/console/gates.json?config=pending").json()["rows"]
    assert [r["gate"] for r in pending] == [f"{region.nanning}/gate-1"]
    by_outbox = client.get("/console/gates.json?sort=outbox_depth&desc=1").json()["rows"]
    assert by_outbox[0]["outbox_depth"] == 3
    page = client.get("/console/gates").text
    assert re.findall(r'data-column="outbox_depth">([^<]*)<', page)[0] in ("3", "–")
    assert "-42" in page and "1.4.2" in page
    book = load_workbook(io.BytesIO(client.get("/console/gates.xlsx").content))
    sheet = [[c.value for c in row] for row in book.active.iter_rows()]
    assert sheet[0][:6] == ["闸机", "项目名称", "设备编号", "状态", "最近状态时间", "失联起始时间"]
    assert [r[0] for r in sheet[1:]] == [r["gate"] for r in twin]
    for bad in ("camera=broken", "config=maybe", "sort=secret_sealed"):
        assert client.get(f"/console/gates?{bad}").status_code == 422, bad


def test_dust_figures_equal_the_readings(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url, day = world
    api = client.get(f"/api/v1/fleet/dust/{region.nanning}", headers=api_headers(url)).json()
    db = Database(url)
    with db.engine.connect() as conn:
        r, a = schema.dust_readings.c, schema.dust_alarms.c
        hourly = conn.execute(
            select(func.avg(r.pm10), func.avg(r.pm2_5), func.count()).where(
                r.site == region.nanning, r.window == "1h"
            )
        ).one()
        quarters = conn.execute(
            select(func.count()).where(r.site == region.nanning, r.window == "15min")
        ).scalar_one()
        raised = conn.execute(
            select(func.count()).where(a.site == region.nanning, a.state == "raised")
        ).scalar_one()
        newest = conn.execute(
            select(r.pm10, r.pm2_5)
            .where(r.site == region.nanning, r.window == "15min")
            .order_by(r.start_utc_us.desc())
            .limit(1)
        ).one()
    db.close()
    limits = {c["pollutant"]: c for c in api["limits"]}
    assert api["profile"] == "gb3095-2012" and api["profile_known"] is True
    assert limits["pm10"]["value"] == round(hourly[0], 1) == round(sum(day.nanning_pm10) / 24, 1)
    assert limits["pm2_5"]["value"] == round(hourly[1], 1)
    assert limits["pm10"]["windows_used"] == hourly[2] == 24
    assert limits["pm10"]["limit"] == 150.0 and limits["pm2_5"]["limit"] == 75.0
    assert limits["pm10"]["exceeded"] is (hourly[0] > 150.0)
    assert limits["tsp"]["value"] is None and limits["tsp"]["exceeded"] is None
    assert api["chart_window"] == "15min" and len(api["readings"]) == quarters
    assert api["alarms_raised_24h"] == raised == 1
    assert api["alarms"][0]["value"] == day.alarm_value
    assert api["mist_cannons"] == [
        {"device": "gate-1", "state": "on", "reported_at": api["mist_cannons"][0]["reported_at"]}
    ]
    sign_in(client, "root")
    assert client.get(f"/console/dust/{region.nanning}.json").json() == api
    sites = client.get("/api/v1/fleet/dust", headers=api_headers(url)).json()
    listed = client.get("/console/dust.json").json()["rows"]
    assert [{k: r[k] for k in sites[0]} for r in listed] == sites
    nn = next(s for s in sites if s["site"] == region.nanning)
    assert (nn["pm10"], nn["pm2_5"]) == tuple(newest)
    assert (nn["alarms_24h"], nn["alarm"], nn["profile_source"]) == (1, "raised", "reported")
    lz = next(s for s in sites if s["site"] == region.liuzhou)
    assert (lz["alarm"], lz["profile"], lz["profile_source"]) == ("clear", "gb3095-2012", "default")
    # the site page: the limits, the chart's data beside its table, the default profile said
    page = client.get(f"/console/dust/{region.nanning}").text
    assert f'data-current="pm10">{limits["pm10"]["value"]}<' in page
    assert page.count("<tr><td>gate-1</td>") == quarters and "data-chart=" in page
    assert "data-profile-default" not in page
    assert "data-profile-default" in client.get(f"/console/dust/{region.liuzhou}").text
    book = load_workbook(io.BytesIO(client.get(f"/console/dust/{region.nanning}.xlsx").content))
    assert book.sheetnames == ["readings", "alarms"]
    assert book["readings"].max_row == quarters + 1 and book["alarms"].max_row == 2
    listed_book = load_workbook(io.BytesIO(client.get("/console/dust.xlsx").content))
    assert [row[0] for row in listed_book.active.iter_rows(min_row=2, values_only=True)] == [
        r["site"] for r in listed
    ]


def test_a_city_supervisor_sees_nothing_of_another_city(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url, _day = world
    token = api_headers(url, "nn-api", "supervisor", division_code="450100")
    gates = client.get("/api/v1/fleet/gates", headers=token).json()
    assert {g["project_id"] for g in gates} == {region.nanning}
    sites = client.get("/api/v1/fleet/dust", headers=token).json()
    assert [s["site"] for s in sites] == [region.nanning]
    hidden = client.get(f"/api/v1/fleet/dust/{region.liuzhou}", headers=token)
    unknown = client.get("/api/v1/fleet/dust/no-such-site", headers=token)
    assert hidden.status_code == unknown.status_code == 404
    assert region.liuzhou not in hidden.text.replace(f"project {region.liuzhou}", "")
    sign_in(client, "nn-inspector")
    for path in ("/console/gates", "/console/gates.json", "/console/dust", "/console/dust.json"):
        answer = client.get(path)
        assert answer.status_code == 200 and region.liuzhou not in answer.text, path
    for path in ("/console/gates.xlsx", "/console/dust.xlsx"):
        book = load_workbook(io.BytesIO(client.get(path).content))
        cells = [str(c.value) for row in book.active.iter_rows() for c in row]
        assert not any(region.liuzhou in c for c in cells), path
    for path in (
        f"/console/dust/{region.liuzhou}",
        f"/console/dust/{region.liuzhou}.json",
        f"/console/dust/{region.liuzhou}.xlsx",
    ):
        assert client.get(path).status_code == 404, path
    probe = client.get(f"/console/gates.json?project={region.liuzhou}").json()
    assert probe == {"rows": [], "total": 0}
    sign_in(client, "gx-inspector")  # the province sees both cities
    assert {r["project_id"] for r in client.get("/console/gates.json").json()["rows"]} == {
        region.nanning,
        region.liuzhou,
    }


def test_pages_in_both_languages_and_refusals(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url, _day = world
    sign_in(client, "root")
    zh = client.get(f"/console/dust/{region.nanning}").text
    assert '<html lang="zh-CN">' in zh and "扬尘" in zh and "雾炮" in zh
    client.cookies.set("sitegate_lang", "en")
    en = client.get(f"/console/dust/{region.nanning}").text
    assert '<html lang="en">' in en and "Against the limits" in en and "Mist cannon" in en
    assert "Outbox depth" in client.get("/console/gates").text
    client.cookies.delete("sitegate_lang")
    assert client.get("/console/dust/bad%20site").status_code in (404, 422)
    assert client.get("/console/dust?sort=flags").status_code == 422
    sign_in(client, "boss")
    assert client.get("/console/dust").status_code == 403
    contractor = api_headers(url, "boss-api", "contractor_admin", enterprise_id=1)
    assert client.get("/api/v1/fleet/gates", headers=contractor).status_code == 403


def test_the_fleet_and_dust_queries_agree_on_sqlite_and_postgresql(database: Database) -> None:
    """The JSON fields are read in the database (json_extract / ->>): both engines, one answer."""
    from central.clock import utc_us
    from central.reports.fleet import fleet_select
    from central.reports.site_dust import site_dust, sites_select

    region = Region()
    for site in (region.nanning, region.liuzhou):
        database.add_device(site, "gate-1", SECRET.hex())
    day = console_fleet_and_dust(database, region)
    from central.warnings.devices import scan_gates

    database.add_device(region.liuzhou, "gate-2", SECRET.hex())
    gone = datetime.now(SHANGHAI).replace(microsecond=0) - timedelta(hours=3)
    database.set_device_status(
        region.liuzhou,
        "gate-2",
        DeviceStatusBody(state="online", at=gone).model_dump_json(exclude={"kind"}),
        gone.isoformat(),
    )
    with database.begin() as conn:
        scan_gates(conn, datetime.now(UTC), timedelta(minutes=30))
    now = utc_us(datetime.now(UTC))
    with database.engine.connect() as conn:
        query = fleet_select(None).subquery()
        rows = {r.gate: r for r in conn.execute(select(query))}
        one = site_dust(conn, region.nanning, now)
        listed = conn.execute(select(sites_select([region.liuzhou], now).subquery())).all()
    nn, lz = rows[f"{region.nanning}/gate-1"], rows[f"{region.liuzhou}/gate-1"]
    assert (nn.state, nn.outbox_depth, nn.clock_offset_ms, nn.camera, nn.software) == (
        "online",
        3,
        -42,
        "ok",
        "1.4.2",
    )
    assert (nn.config_version, nn.config_applied, nn.config_state) == (2, 1, "pending")
    assert (lz.state, lz.outbox_depth, lz.camera, lz.config_state) == (
        "offline",
        None,
        "failed",
        "none",
    )
    assert rows[f"{region.liuzhou}/gate-2"].silent_since == gone.isoformat()
    assert nn.silent_since is None
    pm10 = next(c for c in one.limits if c.pollutant == "pm10")
    assert pm10.value == round(sum(day.nanning_pm10) / 24, 1) and pm10.windows_used == 24
    assert [m.state for m in one.mist_cannons] == ["on"]
    assert listed == []  # no project row for lz-1 here: only registered projects are listed
