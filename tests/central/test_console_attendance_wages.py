"""考勤管理 and 工资发放管理 in-process over a real SQLite file: every figure against an
independent SQL count and against the API, drill-downs, exports, and a city supervisor's scope
on every page, twin and export.
"""

import contextlib
import io
import os
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from db_fixtures import PG_ADMIN_URL, PostgresUnavailable, postgres_database
from factories import SHANGHAI, Region, console_region
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from web_client import sign_in

from central.api.app import create_app
from central.attendance.closing import gate_horizon
from central.auth.users import UserIn, add_user
from central.registry.sealing import KEY_FILE_ENV, Sealer
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
PAGES = (
    "/console/attendance",
    "/console/attendance/days",
    "/console/payroll",
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Region, str]]:
    """The console over a seeded region, on a SQLite file and on PostgreSQL (the same
    SELECTs must give the same figures on both engines)."""
    tmp = tmp_path_factory.mktemp("console-k")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = str(tmp / "central.db")
        else:
            try:
                url = stack.enter_context(
                    postgres_database(PG_ADMIN_URL, f"sitegate_console_k_{os.getpid()}")
                )
            except PostgresUnavailable as exc:
                pytest.skip(f"PostgreSQL not reachable ({exc})")
        env = stack.enter_context(pytest.MonkeyPatch.context())
        env.setenv(KEY_FILE_ENV, str(tmp / "central.key"))
        db = Database(url)
        db.upgrade()
        region = console_region(db, Sealer.from_file(tmp / "central.key"), tmp)
        for name, scope in USERS.items():
            add_user(db, UserIn(username=name, password=TEST_PASSWORD, **scope))  # type: ignore[arg-type]
        db.close()
        service = CentralService(CentralSettings(db=url))
        app = create_app(service, manage_service=False)
        with TestClient(app) as client:
            yield client, region, url
        service.db.close()


def cells(html: str, column: str) -> list[str]:
    """The text of one column's cells, links unwrapped."""
    raw = re.findall(rf'data-column="{column}">(.*?)</td>', html)
    return [re.sub(r"<[^>]+>", "", c) for c in raw]


def sheet(content: bytes) -> list[list[object]]:
    book = load_workbook(io.BytesIO(content))
    return [[c.value for c in row] for row in book.active.iter_rows()]


def sql(url: str, query):  # type: ignore[no-untyped-def]
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            return conn.execute(query).all()
    finally:
        db.close()


def test_project_days_equal_a_direct_count_and_the_api(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "root")
    twin = client.get("/console/attendance.json").json()["rows"]
    d = schema.attendance_days.c
    group = (d.project_id, d.local_date)
    direct = sql(url, select(*group, func.count(), func.sum(d.worked_minutes)).group_by(*group))
    flagged = dict(
        ((p, day), n)
        for p, day, n in sql(
            url, select(*group, func.count()).where(d.flags != "").group_by(*group)
        )
    )
    expected = {
        (p, day): (n, round(m / 60, 2), flagged.get((p, day), 0)) for p, day, n, m in direct
    }
    got = {
        (r["project_id"], r["local_date"]): (r["workers"], r["hours"], r["flagged"]) for r in twin
    }
    assert got == expected
    assert got[(region.nanning, "2025-06-10")] == (2, 16.0, 0)  # two workers, 8 h each
    today = datetime.now(SHANGHAI).date().isoformat()
    assert got[(region.nanning, today)][2] == 1  # checked in, not yet out: flagged
    # newest first, as the API answers
    assert [r["local_date"] for r in twin] == sorted((r["local_date"] for r in twin), reverse=True)
    api = client.get(
        "/api/v1/attendance/project-days", headers=api_headers(url, "k-root-api", "admin")
    ).json()
    assert api["rows"] == twin and api["total"] == len(twin)
    # the page shows the same rows, each date a link to who was on site
    page = client.get("/console/attendance?size=100").text
    assert cells(page, "local_date") == [r["local_date"] for r in twin]
    assert f'href="/console/attendance/days?project={region.nanning}&amp;date=2025-06-10"' in page


def test_silent_gates_are_those_not_heard_past_the_day(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "root")
    rows = client.get("/console/attendance.json").json()["rows"]
    db = Database(url)
    with db.engine.connect() as conn:
        horizons = {p: gate_horizon(conn, p, "gate-1") for p in (region.nanning, region.liuzhou)}
    db.close()
    now = datetime.now(SHANGHAI)
    for row in rows:
        end = datetime.fromisoformat(row["local_date"]).replace(tzinfo=SHANGHAI) + timedelta(1)
        cutoff = min(end, now - timedelta(minutes=30))
        heard = horizons[row["project_id"]]
        silent = heard is None or heard < cutoff
        assert row["silent_gates"].startswith("gate-1") is silent, row
    # the online gate of Nanning reported past every day; Liuzhou's never has
    assert all(r["silent_gates"] == "" for r in rows if r["project_id"] == region.nanning)
    assert horizons[region.liuzhou] is None
    assert all(r["silent_gates"] == "gate-1 (–)" for r in rows if r["project_id"] == region.liuzhou)


def test_a_day_drills_down_to_its_workers_and_a_worker_s_month(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "nn-inspector")
    day = client.get(f"/console/attendance/days.json?project={region.nanning}&date=2025-06-10")
    rows = day.json()["rows"]
    d = schema.attendance_days.c
    direct = sql(
        url,
        select(d.worker_id, d.worked_minutes).where(
            d.project_id == region.nanning, d.local_date == "2025-06-10"
        ),
    )
    assert sorted((r["worker_id"], r["hours"] * 60) for r in rows) == sorted(direct)
    page = client.get(f"/console/attendance/days?project={region.nanning}&date=2025-06-10").text
    link = f"/console/attendance/worker?project={region.nanning}&amp;worker=NN1&amp;month=2025-06"
    assert link in page
    month = client.get(link.replace("&amp;", "&"))
    assert month.status_code == 200
    facts = dict(re.findall(r'data-fact="([a-z_]+)">([^<]*)<', month.text))
    w = schema.workers.c
    ((masked_id, masked_card),) = sql(
        url, select(w.id_number_masked, w.card_masked).where(w.id == "NN1")
    )
    assert facts["id_number"] == masked_id and "*" in masked_id
    assert facts["card"] == masked_card and "*" in masked_card
    ((days, minutes),) = sql(
        url,
        select(func.count(), func.sum(d.worked_minutes)).where(
            d.project_id == region.nanning, d.worker_id == "NN1", d.local_date.like("2025-06-%")
        ),
    )
    assert (facts["days"], facts["hours"]) == (str(days), str(round(minutes / 60, 2)))
    assert days == 5
    assert cells(month.text, "local_date") == [f"2025-06-{n:02d}" for n in range(9, 14)]
    export = sheet(
        client.get(link.replace("&amp;", "&").replace("worker?", "worker.xlsx?")).content
    )
    assert export[0][0] == "日期" and [r[0] for r in export[1:]] == cells(month.text, "local_date")
    api = client.get(
        f"/api/v1/attendance/worker-days?project_id={region.nanning}&worker_id=NN1&month=2025-06",
        headers=api_headers(url, "k-nn-api", "supervisor", division_code="450100"),
    ).json()
    assert sorted(r["local_date"] for r in api["rows"]) == cells(month.text, "local_date")


def test_wage_payments_status_amounts_and_days_overdue(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "root")
    rows = {r["project_id"]: r for r in client.get("/console/payroll.json").json()["rows"]}
    b, ln = schema.payroll_batches.c, schema.payroll_lines.c
    direct = sql(
        url,
        select(b.project_id, b.state, b.due_date, func.sum(ln.net_fen), func.sum(ln.paid_fen))
        .join(schema.payroll_lines, ln.batch_id == b.id)
        .group_by(b.id),
    )
    today = datetime.now(SHANGHAI).date()
    for project, state, due, net, paid in direct:
        row = rows[project]
        assert (row["state"], row["due_date"], row["due_fen"], row["paid_fen"]) == (
            state,
            due,
            net,
            paid,
        )
        late = (today - datetime.fromisoformat(due).date()).days
        assert row["status"] == ("paid" if state == "paid" else "overdue")
        assert row["days_overdue"] == (0 if state == "paid" else late)
    assert rows[region.nanning]["paid_fen"] == rows[region.nanning]["due_fen"] > 0
    assert rows[region.liuzhou]["paid_fen"] == 0 and rows[region.liuzhou]["days_overdue"] > 0
    api = client.get(
        "/api/v1/wage-payments?status=overdue", headers=api_headers(url, "k-root-api", "admin")
    ).json()
    assert [r["project_id"] for r in api["rows"]] == [region.liuzhou]
    overdue = client.get("/console/payroll.json?status=overdue").json()["rows"]
    assert overdue == api["rows"]
    # the page: status in the reader's language, money in yuan, each batch a link
    page = client.get("/console/payroll").text
    assert "已逾期" in page and "已发放" in page
    paid_yuan = rows[region.nanning]["paid_fen"]
    assert f"{paid_yuan // 100:,}.{paid_yuan % 100:02d}" in cells(page, "paid_fen")
    # the export: headers translated, fen as exact yuan numbers, text as text
    export = sheet(client.get("/console/payroll.xlsx").content)
    assert export[0][:2] == ["批次", "项目编号"]
    amounts = {r[1]: r[9] for r in export[1:]}
    assert amounts[region.nanning] == Decimal(rows[region.nanning]["paid_fen"]) / 100
    book = load_workbook(io.BytesIO(client.get("/console/payroll.xlsx").content))
    assert all(c.data_type == "s" for row in book.active.iter_rows() for c in row[1:6] if c.value)


def test_wage_sheet_and_a_line_s_days_equal_the_api(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "nn-inspector")
    token = api_headers(url, "k-nn-api", "supervisor", division_code="450100")
    batch = client.get(f"/console/payroll.json?project={region.nanning}").json()["rows"][0]
    sheet_rows = client.get(f"/console/payroll/{batch['id']}.json").json()["rows"]
    api = client.get(f"/api/v1/payroll/batches/{batch['id']}/wage-sheet", headers=token).json()
    keys = ("worker_id", "attended_days", "plain_fen", "extended_fen", "restday_fen")
    keys += ("holiday_fen", "gross_fen", "deductions_fen", "net_fen", "paid_fen", "card_masked")
    assert [[r[k] for k in keys] for r in sheet_rows] == [
        [r[k] for k in keys] for r in api["lines"]
    ]
    assert sum(r["net_fen"] for r in sheet_rows) == batch["due_fen"]
    page = client.get(f"/console/payroll/{batch['id']}").text
    facts = dict(re.findall(r'data-fact="([a-z_]+)">([^<]*)<', page))
    assert facts["month"] == region.paid_month and facts["days_overdue"] == "0"
    line_id = sheet_rows[0]["id"]
    assert f'href="/console/payroll/lines/{line_id}"' in page
    days = client.get(f"/console/payroll/lines/{line_id}.json").json()["rows"]
    api_days = client.get(f"/api/v1/payroll/lines/{line_id}/days", headers=token).json()
    assert [(r["local_date"], r["money_fen"]) for r in days] == [
        (r["local_date"], r["money_fen"]) for r in api_days["days"]
    ]
    pld = schema.payroll_line_days.c
    ((count, money),) = sql(
        url, select(func.count(), func.sum(pld.money_fen)).where(pld.line_id == line_id)
    )
    assert (len(days), sum(r["money_fen"] for r in days)) == (count, money)
    line_page = client.get(f"/console/payroll/lines/{line_id}").text
    assert cells(line_page, "local_date") == [r["local_date"] for r in days]
    assert "*" in dict(re.findall(r'data-fact="([a-z_]+)">([^<]*)<', line_page))["id_number"]


def test_a_city_supervisor_sees_nothing_of_another_city(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "root")
    lz_batch = client.get(f"/console/payroll.json?project={region.liuzhou}").json()["rows"][0]
    lz_line = client.get(f"/console/payroll/{lz_batch['id']}.json").json()["rows"][0]["id"]
    sign_in(client, "nn-inspector")
    for path in PAGES:
        for suffix in ("", ".json", ".xlsx"):
            answer = client.get(path + suffix)
            assert answer.status_code == 200, path + suffix
            text = answer.text if suffix != ".xlsx" else repr(sheet(answer.content))
            assert region.liuzhou not in text, path + suffix
            assert not any(w in text for w in region.liuzhou_workers), path + suffix
    # naming the other city's records finds nothing, exactly as a record that does not exist
    assert client.get(f"/console/attendance.json?project={region.liuzhou}").json()["rows"] == []
    assert client.get(f"/console/payroll.json?project={region.liuzhou}").json()["rows"] == []
    for path in (
        f"/console/payroll/{lz_batch['id']}",
        f"/console/payroll/{lz_batch['id']}.xlsx",
        f"/console/payroll/lines/{lz_line}",
        f"/console/payroll/lines/{lz_line}.json",
        f"/console/attendance/worker?project={region.liuzhou}&worker=LZ1&month=2025-06",
    ):
        hidden = client.get(path)
        absent = client.get(re.sub(r"/\d+", "/999999", path).replace("LZ1", "NOBODY"))
        assert hidden.status_code == absent.status_code == 404, path
        assert region.liuzhou not in hidden.text
    token = api_headers(url, "k-nn-api", "supervisor", division_code="450100")
    for route in ("attendance/project-days", "attendance/worker-days", "wage-payments"):
        rows = client.get(f"/api/v1/{route}", headers=token).json()["rows"]
        assert rows and {r["project_id"] for r in rows} == {region.nanning}, route
    sign_in(client, "lz-inspector")
    rows = client.get("/console/payroll.json").json()["rows"]
    assert [r["project_id"] for r in rows] == [region.liuzhou]


def test_bad_input_and_other_roles_get_clear_refusals(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url = world
    sign_in(client, "root")
    for bad in (
        "/console/attendance?month=2025-6",
        "/console/attendance?date=yesterday",
        "/console/attendance?sort=silent_gates",
        "/console/attendance?flagged=maybe",
        "/console/payroll?status=lost",
        "/console/payroll?sort=days_overdue",
        "/console/attendance/worker?project=nn-1",
        "/console/payroll/0",
    ):
        assert client.get(bad).status_code == 422, bad
    token = api_headers(url, "k-root-api", "admin")
    assert client.get("/api/v1/wage-payments?status=lost", headers=token).status_code == 422
    assert client.get("/api/v1/attendance/worker-days?month=13", headers=token).status_code == 422
    boss = api_headers(url, "k-boss-api", "contractor_admin", enterprise_id=1)
    assert client.get("/api/v1/attendance/project-days", headers=boss).status_code == 403
    sign_in(client, "boss")
    assert client.get("/console/attendance").status_code == 403
    assert client.get("/console/payroll.xlsx").status_code == 403
    client.cookies.clear()
    assert client.get("/console/payroll", follow_redirects=False).status_code == 303


def test_sorting_paging_and_export_hold_the_rows_shown(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, _url = world
    sign_in(client, "root")
    page = client.get("/console/attendance/days?sort=name&desc=1&size=20").text
    keys = list(zip(cells(page, "local_date"), cells(page, "worker_id"), strict=True))
    rows = client.get("/console/attendance/days.json?sort=name&desc=1").json()["rows"]
    assert keys == [(r["local_date"], r["worker_id"]) for r in rows][:20]
    names = [r["name"] for r in rows]
    assert names == sorted(names, reverse=True)
    export = sheet(client.get("/console/attendance/days.xlsx?sort=name&desc=1").content)
    assert [(r[0], r[2]) for r in export[1:]] == [(r["local_date"], r["worker_id"]) for r in rows]
    second = client.get("/console/attendance/days.json?sort=name&desc=1&flagged=yes").json()
    assert second["rows"] and all(r["flags"] for r in second["rows"])


def test_payment_status_follows_the_bank_and_the_due_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A batch the bank refused one line of is ``failed`` until its due date, then
    ``overdue``, one day late on the day after; the one paid line counts as paid."""
    import csv
    from datetime import date

    from factories import local, new_db, registered_project, store_punches

    from central.attendance import closing
    from central.payroll import bankfiles, batches
    from central.reports.wage_payment import payments_select, with_days_overdue
    from central.wages.rules import PayTerms

    db, sealer = new_db(tmp_path)
    daily = PayTerms(pay_kind="daily", rate_fen=36000)
    registered_project(db, sealer, "nn-9", {"A1": daily, "A2": daily})
    punches = []
    for worker in ("A1", "A2"):
        punches += [
            (worker, "in", local("2025-06-10 08:00")),
            (worker, "out", local("2025-06-10 16:00")),
        ]
    store_punches(db, "nn-9", punches)
    batch_id = int(batches.compute(db, "nn-9", "2025-06", "boss")["id"])

    def status(today: date) -> dict[str, object]:
        with db.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(payments_select({"nn-9"}, today))]
        with_days_overdue(rows, today)
        (row,) = rows
        return row

    due = date.fromisoformat(str(status(date(2025, 7, 1))["due_date"]))
    assert status(due)["status"] == "draft"
    closing.close(db, "nn-9", "month", "2025-06", "boss")
    batches.approve(db, batch_id, "boss")
    assert status(due)["status"] == "approved"
    bank_file = tmp_path / "bank.csv"
    bankfiles.export(db, sealer, batch_id, bank_file, "boss")
    assert status(due)["status"] == "submitted"
    rows = list(csv.DictReader(bank_file.open(encoding="utf-8-sig")))
    result = tmp_path / "result.csv"
    result.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        + f"{rows[0]['line_id']},{rows[0]['card_number']},{rows[0]['amount_fen']},failed,,"
        + "account closed\n"
    )
    bankfiles.import_results(db, sealer, batch_id, result, "boss")
    on_due_day = status(due)
    assert (on_due_day["status"], on_due_day["failed_lines"], on_due_day["paid_fen"]) == (
        "failed",
        1,
        0,
    )
    late = status(due + timedelta(days=1))
    assert (late["status"], late["days_overdue"]) == ("overdue", 1)
    second = tmp_path / "second.csv"
    second.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        + f"{rows[1]['line_id']},{rows[1]['card_number']},{rows[1]['amount_fen']},paid,B-2,\n"
    )
    bankfiles.import_results(db, sealer, batch_id, second, "boss")
    partly = status(due)
    assert (partly["status"], partly["paid_fen"]) == ("partially_paid", int(rows[1]["amount_fen"]))
    assert status(due + timedelta(days=3))["days_overdue"] == 3
    db.close()
