"""The enterprise console's attendance and payroll pages in-process, on a real SQLite file:
the month grid against the API and an independent count, corrections and the 补卡 queue with
their refusals, and the payroll flow over HTTP (compute → close → a dispute blocks approval,
naming the line → approve holding it back → bank file → result with one failure → card
replaced → retry → paid), each step's scope: a subcontractor sees its own workers' lines and
may not approve or download, another contractor gets 404, a site manager may not approve.
"""

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

import pytest
from factories import (
    local,
    new_db,
    store_punches,
    two_sites,
    valid_card,
)
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from web_client import console_client, csrf, sign_in

from central.storage import Database, schema
from central.wages.rules import PayTerms
from conftest import api_headers

DAILY = PayTerms(pay_kind="daily", rate_fen=36000)
MONTH = "2025-06"
PAYROLL = "/console/enterprise/payroll"
ATTENDANCE = "/console/enterprise/attendance"


class World:
    def __init__(self, client: TestClient, db: Database, url: str) -> None:
        self.client, self.db, self.url = client, db, url
        self.token = ""

    def sign_in(self, username: str) -> None:
        self.token = csrf(sign_in(self.client, username), "/console/enterprise/attendance")

    def get(self, path: str, **params: str):  # type: ignore[no-untyped-def]
        return self.client.get(path, params=params)

    def post(self, path: str, data: dict[str, str] | None = None, **kw):  # type: ignore[no-untyped-def]
        body = {"csrf_token": self.token, **(data or {})}
        return self.client.post(path, data=body, follow_redirects=False, **kw)

    def count(self, query) -> int:  # type: ignore[no-untyped-def]
        with self.db.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("ent-payroll")
    db, sealer = new_db(tmp)
    sites = two_sites(
        db, sealer, DAILY, "分包工人", date(2025, 1, 1), sub_bank="中国银行", team="二班"
    )
    punches = []
    for d in (9, 10, 11):
        for worker in ("W1", "W2", "W4"):
            punches += [
                (worker, "in", local(f"{MONTH}-{d:02d} 08:00")),
                (worker, "out", local(f"{MONTH}-{d:02d} 16:00")),
            ]
    punches.append(("W2", "in", local(f"{MONTH}-12 08:00")))  # the exit was never recorded
    store_punches(db, "site-a", punches)
    store_punches(db, "site-b", [("W3", "in", local(f"{MONTH}-10 08:00"))])
    url = str(tmp / "central.db")
    for name, scope in {
        "boss": {"role": "contractor_admin", "enterprise_id": sites.boss},
        "sub": {"role": "contractor_admin", "enterprise_id": sites.sub},
        "other": {"role": "contractor_admin", "enterprise_id": sites.other},
        "manager": {"role": "site_manager", "project_id": "site-a"},
    }.items():
        api_headers(url, name, **scope)  # type: ignore[arg-type]
    with console_client(url) as client:
        yield World(client, db, url)
    db.close()


def test_month_grid_matches_the_api_and_the_days(world: World) -> None:
    world.sign_in("boss")
    page = world.get(ATTENDANCE, project="site-a", month=MONTH)
    assert page.status_code == 200
    rows = re.findall(r'<tr data-worker="([^"]+)">', page.text)
    assert sorted(rows) == ["W1", "W2", "W4"]
    twin = world.get(ATTENDANCE + ".json", project="site-a", month=MONTH).json()
    api = world.client.get(
        "/api/v1/projects/site-a/attendance-grid",
        params={"month": MONTH},
        headers=api_headers(world.url, "boss"),
    ).json()
    assert twin == api
    d = schema.attendance_days.c
    minutes = world.count(
        select(func.sum(d.worked_minutes)).where(
            d.project_id == "site-a", d.local_date.like(f"{MONTH}-%")
        )
    )
    assert twin["hours"] == round(minutes / 60, 2) == 72.0
    w2 = next(r for r in twin["rows"] if r["worker_id"] == "W2")
    assert w2["cells"][f"{MONTH}-12"]["flags"] == ["missing_out"] and w2["flagged"] == 1
    assert next(x for x in twin["days"] if x["date"] == f"{MONTH}-10")["workers"] == 3
    # one team only; an unknown team is a clear 422
    team = world.get(ATTENDANCE + ".json", project="site-a", month=MONTH, team="二班").json()
    assert [r["worker_id"] for r in team["rows"]] == ["W4"]
    assert world.get(ATTENDANCE, project="site-a", month=MONTH, team="nope").status_code == 422
    book = load_workbook(
        io.BytesIO(world.get(ATTENDANCE + ".xlsx", project="site-a", month=MONTH).content)
    )
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert sorted(r[0] for r in values[1:]) == ["W1", "W2", "W4"]
    assert all(isinstance(r[0], str) for r in values)
    # the subcontractor: its own worker only; another contractor: the project is not there
    world.sign_in("sub")
    twin = world.get(ATTENDANCE + ".json", project="site-a", month=MONTH).json()
    assert [r["worker_id"] for r in twin["rows"]] == ["W4"] and twin["hours"] == 24.0
    world.sign_in("other")
    assert world.get(ATTENDANCE, project="site-a", month=MONTH).status_code == 404
    assert "W1" not in world.get(ATTENDANCE, month=MONTH).text


def test_correction_form_names_the_field_and_keeps_the_values(world: World) -> None:
    world.sign_in("manager")
    day = {"project": "site-a", "worker": "W2", "date": f"{MONTH}-12"}
    page = world.get(ATTENDANCE + "/day", **day)
    assert page.status_code == 200 and 'id="correction-form"' in page.text
    bad = world.post(
        ATTENDANCE + "/day",
        {**day, "first_in": "17:00", "last_out": "08:00", "reason": "门禁漏刷"},
    )
    assert bad.status_code == 422
    assert 'data-error="last_out"' in bad.text and "必须晚于进场时间" in bad.text
    assert 'value="门禁漏刷"' in bad.text and 'value="17:00"' in bad.text
    no_reason = world.post(ATTENDANCE + "/day", {**day, "first_in": "08:00", "last_out": "16:00"})
    assert no_reason.status_code == 422 and 'data-error="reason"' in no_reason.text
    good = world.post(
        ATTENDANCE + "/day",
        {
            **day,
            "first_in": "08:00",
            "last_out": "16:30",
            "break_minutes": "30",
            "reason": "门禁漏刷",
        },
    )
    assert good.status_code == 303
    d = schema.attendance_days.c
    with world.db.engine.connect() as conn:
        row = conn.execute(
            select(d.worked_minutes, d.status).where(
                d.project_id == "site-a", d.worker_id == "W2", d.local_date == f"{MONTH}-12"
            )
        ).one()
    assert tuple(row) == (480, "corrected")
    # the contractor admin reads the day but corrections are the site manager's (as the API)
    world.sign_in("boss")
    assert 'id="correction-form"' not in world.get(ATTENDANCE + "/day", **day).text
    refused = world.post(
        ATTENDANCE + "/day", {**day, "first_in": "08:00", "last_out": "16:00", "reason": "xyz"}
    )
    assert refused.status_code == 403
    world.sign_in("sub")  # the subcontractor's reach does not include W2
    assert world.get(ATTENDANCE + "/day", **day).status_code == 404


def test_punch_request_queue(world: World) -> None:
    w4 = api_headers(world.url, "worker-w4", "worker", worker_id="W4")
    filed = world.client.post(
        "/api/v1/me/punch-requests",
        json={
            "project_id": "site-a",
            "day": f"{MONTH}-16",
            "first_in": "08:00",
            "last_out": "17:00",
            "reason": "闸机坏了",
        },
        headers=w4,
    )
    assert filed.status_code == 201, filed.text
    rid = filed.json()["id"]
    world.sign_in("manager")
    queue = world.get(ATTENDANCE + "/requests", project="site-a")
    assert queue.status_code == 200 and f'data-request="{rid}"' in queue.text
    empty = world.post(f"{ATTENDANCE}/requests/{rid}/refuse", {"project": "site-a", "reason": ""})
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text
    world.sign_in("other")
    assert (
        world.post(f"{ATTENDANCE}/requests/{rid}/approve", {"project": "site-a"}).status_code == 404
    )
    world.sign_in("sub")  # W4 is the subcontractor's: it sees and may decide the request
    assert f'data-request="{rid}"' in world.get(ATTENDANCE + "/requests", project="site-a").text
    done = world.post(f"{ATTENDANCE}/requests/{rid}/approve", {"project": "site-a"})
    assert done.status_code == 303 and "done=approved" in done.headers["location"]
    again = world.post(f"{ATTENDANCE}/requests/{rid}/approve", {"project": "site-a"})
    assert again.status_code == 409 and f"补卡申请 {rid} 已处理" in again.text  # zh-CN reader
    mine = world.client.get("/api/v1/me/punch-requests", headers=w4).json()
    assert [(r["id"], r["state"], r["decided_by"]) for r in mine] == [(rid, "approved", "sub")]
    export = world.get(ATTENDANCE + "/requests.xlsx", project="site-a")
    assert export.status_code == 200


def test_payroll_flow_over_http(world: World) -> None:
    world.sign_in("boss")
    listing = world.get(PAYROLL, project="site-a")
    assert listing.status_code == 200 and 'id="compute-form"' in listing.text
    bad = world.post(PAYROLL + "/compute", {"project": "site-a", "month": "2025-13"})
    assert bad.status_code == 422 and 'value="2025-13"' in bad.text and "month" in bad.text
    computed = world.post(PAYROLL + "/compute", {"project": "site-a", "month": MONTH})
    assert computed.status_code == 303
    batch_url = computed.headers["location"].split("?")[0]
    batch_id = int(batch_url.rsplit("/", 1)[1])
    sheet = world.get(batch_url + ".json").json()
    lines = {r["worker_id"]: r for r in sheet["rows"]}
    assert sorted(lines) == ["W1", "W2", "W4"]
    # W2 disputes; approving is refused until the month is closed, then names the line
    w2 = api_headers(world.url, "worker-w2", "worker", worker_id="W2")
    disputed = world.client.post(
        f"/api/v1/me/payroll-lines/{lines['W2']['id']}/dispute",
        json={"reason": "12日我干了一整天"},
        headers=w2,
    )
    assert disputed.status_code == 200
    page = world.get(batch_url)
    assert "12日我干了一整天" in page.text and 'data-disputed="W2"' in page.text
    world.sign_in("manager")  # site staff close the month; approving is the contractor's
    assert world.post(f"{batch_url}/approve").status_code == 403
    # the gate's events are contiguous and sealed after June's end: it has reported past it
    assert world.post(f"{batch_url}/close-month").status_code == 303
    world.sign_in("boss")
    blocked = world.post(f"{batch_url}/approve")
    assert blocked.status_code == 409
    assert f"#{lines['W2']['id']} (W2)" in blocked.text
    approved = world.post(f"{batch_url}/approve", {"hold_disputed": "1"})
    assert approved.status_code == 303
    b = schema.payroll_batches.c
    with world.db.engine.connect() as conn:
        state, by = conn.execute(select(b.state, b.approved_by).where(b.id == batch_id)).one()
    assert (state, by) == ("approved", "boss")

    # the subcontractor: its own line only, no approval or bank file; another contractor: 404
    world.sign_in("sub")
    own = world.get(batch_url + ".json").json()
    assert [r["worker_id"] for r in own["rows"]] == ["W4"]
    assert (
        world.post(f"{batch_url}/bank-file", {"layout": "sitegate", "format": "csv"}).status_code
        == 403
    )
    assert world.get(f"{PAYROLL}/lines/{lines['W1']['id']}").status_code == 404
    world.sign_in("other")
    assert world.get(batch_url).status_code == 404
    assert (
        world.post(f"{batch_url}/bank-file", {"layout": "sitegate", "format": "csv"}).status_code
        == 404
    )

    world.sign_in("boss")
    download = world.post(f"{batch_url}/bank-file", {"layout": "sitegate", "format": "csv"})
    assert download.status_code == 200 and download.headers["cache-control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert sorted(r["line_id"] for r in rows) == sorted(
        str(lines[w]["id"]) for w in ("W1", "W4")
    )  # W2's disputed line is held back
    assert all(len(r["id_number"]) == 18 for r in rows)
    a = schema.audit_log.c
    assert world.count(select(func.count()).where(a.action == "bank_file.downloaded")) == 1
    result = "line_id,card_number,amount_fen,status,bank_ref,message\n" + "".join(
        f"{r['line_id']},{r['card_number']},{r['amount_fen']},"
        + (
            "failed,,账户冻结\n"
            if r["line_id"] == str(lines["W4"]["id"])
            else f"paid,B-{r['line_id']},\n"
        )
        for r in rows
    )
    result += "999,6222,1,paid,,\n"
    uploaded = world.client.post(
        f"{batch_url}/bank-result",
        data={"csrf_token": world.token, "layout": "sitegate"},
        files={"file": ("result.csv", result.encode(), "text/csv")},
    )
    assert uploaded.status_code == 200
    assert 'data-result="counts"' in uploaded.text and "line 999 is not in batch" in uploaded.text
    assert 'data-failed="W4"' in uploaded.text and "账户冻结" in uploaded.text
    # the log: the batch's steps named in the reader's language, the bank's answers counted
    steps = _log(uploaded.text)
    assert "已审批 · 1 行有异议，将暂缓发放" in dict(steps)["approved"]
    assert "已下载银行代发文件 · 2 行写入 bank-1.csv" in dict(steps)["exported"]
    assert "成功 1 行，失败 1 行，拒收 1 行" in dict(steps)["bank_result_imported"]
    assert "银行已代发 · 1 行" in dict(steps)["bank_paid"]
    assert "银行退回 · 1 行" in dict(steps)["bank_failed"]
    assert (
        "工人有异议" in dict(steps)["disputed"] and "已下载银行代发文件" in dict(steps)["exported"]
    )
    assert not any(code in text for code, text in steps)  # no action code shown as text
    world.sign_in("sub")  # the subcontractor's log counts its own worker's line only
    own_steps = dict(_log(world.get(batch_url).text))
    assert "bank_paid" not in own_steps and "银行退回 · 1 行" in own_steps["bank_failed"]
    world.sign_in("boss")
    not_csv = world.client.post(
        f"{batch_url}/bank-result",
        data={"csrf_token": world.token, "layout": "sitegate"},
        files={"file": ("result.txt", b"x", "text/plain")},
    )
    assert not_csv.status_code == 422 and "文件须为 .csv 或 .xlsx" in not_csv.text

    line_w4 = lines["W4"]["id"]
    wrong = world.post(
        f"{PAYROLL}/lines/{line_w4}/card",
        {"card_number": "6222020200112233441", "bank": "中国建设银行", "reason": "冻结换卡"},
    )
    assert wrong.status_code == 422 and 'value="冻结换卡"' in wrong.text
    assert 'data-error="card_number"' in wrong.text
    new_card = valid_card(77)
    replaced = world.post(
        f"{PAYROLL}/lines/{line_w4}/card",
        {"card_number": new_card, "bank": "中国建设银行", "reason": "冻结换卡"},
    )
    assert replaced.status_code == 303, replaced.text[:500]
    assert world.count(select(func.count()).where(a.action == "card.replaced")) == 1
    assert world.post(f"{batch_url}/retry").status_code == 303
    again = world.post(f"{batch_url}/bank-file", {"layout": "sitegate", "format": "csv"})
    (row,) = list(csv.DictReader(io.StringIO(again.content.decode("utf-8-sig"))))
    assert (row["line_id"], row["card_number"]) == (str(line_w4), new_card)
    paid = world.client.post(
        f"{batch_url}/bank-result",
        data={"csrf_token": world.token, "layout": "sitegate"},
        files={
            "file": (
                "result2.csv",
                (
                    "line_id,card_number,amount_fen,status,bank_ref,message\n"
                    f"{row['line_id']},{new_card},{row['amount_fen']},paid,B-9,\n"
                ).encode(),
                "text/csv",
            )
        },
    )
    assert paid.status_code == 200
    final = {r["worker_id"]: r for r in world.get(batch_url + ".json").json()["rows"]}
    assert {w: r["state"] for w, r in final.items()} == {"W1": "paid", "W2": "held", "W4": "paid"}
    days = world.get(f"{PAYROLL}/lines/{line_w4}.json").json()
    # one row per attended day (the 补卡 approved above counts when that test ran first)
    assert len(days["rows"]) == final["W4"]["attended_days"] >= 3


def _log(page: str) -> list[tuple[str, str]]:
    """The batch log's entries: (action code, the text shown)."""
    return [
        (code, re.sub(r"<[^>]+>", "", text))
        for code, text in re.findall(r'<li data-step="([^"]+)">(.*?)</li>', page, re.S)
    ]
