"""The wage sheet a clerk can check (per-day breakdown over HTTP and in the workbook), card
replacement and record edits with their trail, and bank files in configurable layouts.

Rates: W1 hourly 3000 fen/h (50 fen a minute), W2 daily 36000 fen (75 fen a minute).
"""

import csv
import json
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from factories import local, new_db, registered_project, store_punches, valid_card
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from central.api.app import create_app
from central.attendance import closing
from central.errors import InvalidInput
from central.payroll import bankfiles, batches
from central.payroll.adjustments import add_adjustment
from central.payroll.bank_layouts import CN_BANK, load_layout
from central.registry.sealing import Sealer
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database, schema
from central.wages.rules import PayTerms
from conftest import api_headers

SITE = "site-a"
HOURLY = PayTerms(pay_kind="hourly", rate_fen=3000)
DAILY = PayTerms(pay_kind="daily", rate_fen=36000)


@pytest.fixture
def month(tmp_path: Path) -> tuple[Database, Sealer, int]:
    """June 2025 computed: W1 works Mon 9 June 08:00–17:00 (540 min) and only enters on
    Tue 10 June (missing_out); W2 works 9 June 08:00–16:00 (480 min)."""
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, SITE, {"W1": HOURLY, "W2": DAILY})
    store_punches(db, SITE, [(w, "in", local("2025-06-09 08:00")) for w in ("W1", "W2")])
    store_punches(db, SITE, [("W1", "out", local("2025-06-09 17:00"))])
    store_punches(db, SITE, [("W2", "out", local("2025-06-09 16:00"))])
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    add_adjustment(db, SITE, "W1", "2025-06", "piece_rate", 1000, "rebar tying", "boss")
    add_adjustment(db, SITE, "W1", "2025-06", "deduction", 500, "advance 5 June", "boss")
    batch = batches.compute(db, SITE, "2025-06", "boss")
    return db, sealer, int(batch["id"])  # type: ignore[call-overload]


@pytest.fixture
def client(month: tuple[Database, Sealer, int]) -> Iterator[TestClient]:
    db = month[0]
    service = CentralService(CentralSettings(db=db.url))
    yield TestClient(create_app(service, manage_service=False))


def line_id(db: Database, batch_id: int, worker: str) -> int:
    with db.engine.connect() as conn:
        return next(
            int(x["id"])  # type: ignore[call-overload]
            for x in batches.lines(conn, batch_id)
            if x["worker_id"] == worker
        )


def test_a_lines_days_are_served_scoped_like_the_line(month, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    db, _, batch_id = month
    w1 = line_id(db, batch_id, "W1")
    admin = api_headers(db.url)
    got = client.get(f"/api/v1/payroll/lines/{w1}/days", headers=admin)
    assert got.status_code == 200, got.text
    body = got.json()
    line = body["line"]
    # 480 × 50 = 24000 plain, 60 × 50 × 1.5 = 4500 extended; + 1000 piece rate = 29500 gross,
    # − 500 advance = 29000 net
    assert (line["plain_minutes"], line["plain_fen"]) == (480, 24000)
    assert (line["ot_workday_minutes"], line["extended_fen"]) == (60, 4500)
    assert (line["additions_fen"], line["gross_fen"], line["net_fen"]) == (1000, 29500, 29000)
    assert (line["pay_kind"], line["rate_fen"], line["attended_days"]) == ("hourly", 3000, 1)
    assert line["employer_name"] == f"总包 {SITE}" and line["worked_minutes"] == 540
    assert [(a["kind"], a["amount_fen"], a["reason"]) for a in body["adjustments"]] == [
        ("piece_rate", 1000, "rebar tying"),
        ("deduction", 500, "advance 5 June"),
    ]
    paid, flagged = body["days"]
    assert (paid["local_date"], paid["day_kind"], paid["money_fen"]) == (
        "2025-06-09",
        "workday",
        28500,
    )
    assert paid["first_in"].startswith("2025-06-09T08:00") and paid["note"] is None
    assert (flagged["local_date"], flagged["money_fen"], flagged["flags"]) == (
        "2025-06-10",
        0,
        "missing_out",
    )
    assert "not paid" in flagged["note"]
    # The worker sees their own line's days; another worker's line does not exist for them.
    own = api_headers(db.url, "worker-w1", "worker", worker_id="W1")
    other = api_headers(db.url, "worker-w2", "worker", worker_id="W2")
    assert client.get(f"/api/v1/payroll/lines/{w1}/days", headers=own).status_code == 200
    refused = client.get(f"/api/v1/payroll/lines/{w1}/days", headers=other)
    assert refused.status_code == 404 and "W1" not in refused.text
    assert client.get("/api/v1/payroll/lines/999999/days", headers=admin).status_code == 404


def test_the_wage_sheet_workbook_has_the_split_and_the_days(month, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    db, _, batch_id = month
    got = client.get(
        f"/api/v1/payroll/batches/{batch_id}/wage-sheet.xlsx", headers=api_headers(db.url)
    )
    assert got.status_code == 200, got.text
    book = load_workbook(BytesIO(got.content))
    lines = list(book["lines"].iter_rows(values_only=True))
    header = lines[0]
    rows = {r[header.index("worker_id")]: dict(zip(header, r, strict=True)) for r in lines[1:]}
    assert (rows["W1"]["plain_yuan"], rows["W1"]["extended_yuan"]) == ("240.00", "45.00")
    assert (rows["W1"]["gross_yuan"], rows["W1"]["net_yuan"]) == ("295.00", "290.00")
    assert (rows["W2"]["plain_minutes"], rows["W2"]["gross_yuan"]) == (480, "360.00")
    days = list(book["days"].iter_rows(values_only=True))
    w1_days = [r for r in days[1:] if r[1] == "W1"]
    assert [(r[2], r[-3]) for r in w1_days] == [("2025-06-09", "285.00"), ("2025-06-10", "0.00")]


def approved(db: Database, batch_id: int) -> None:
    closing.close(db, SITE, "month", "2025-06", "boss")
    batches.approve(db, batch_id, "boss")


def test_a_replaced_card_is_paid_when_the_batch_is_retried(month, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, sealer, batch_id = month
    approved(db, batch_id)
    out = tmp_path / "bank.csv"
    bankfiles.export(db, sealer, batch_id, out, "boss")
    rows = {r["line_id"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    w1 = str(line_id(db, batch_id, "W1"))
    old_card = rows[w1]["card_number"]
    result = tmp_path / "result.csv"
    result.write_text(
        f"line_id,card_number,amount_fen,status,bank_ref,message\n{w1},{old_card},29000,failed,,"
        "account closed\n"
    )
    assert bankfiles.import_results(db, sealer, batch_id, result, "boss").failed == 1

    admin = api_headers(db.url)
    bad = client.put(
        "/api/v1/workers/W1/card",
        json={"card_number": "6217000000000000001", "bank": "中国银行", "reason": "closed"},
        headers=admin,
    )
    assert bad.status_code == 422  # Luhn check digit wrong: nothing changed
    new_card = valid_card(4242)
    put = client.put(
        "/api/v1/workers/W1/card",
        json={"card_number": new_card, "bank": "中国银行", "reason": "old account closed"},
        headers=admin,
    )
    assert put.status_code == 200, put.text
    assert put.json()["card_masked"].endswith(new_card[-4:]) and put.json()["card_valid"] == 1
    history = client.get("/api/v1/workers/W1/card-changes", headers=admin).json()
    assert [(h["reason"], h["by_user"]) for h in history] == [("old account closed", "test-admin")]
    with db.engine.connect() as conn:
        audit = conn.execute(
            select(schema.audit_log).where(schema.audit_log.c.action == "card.replaced")
        ).one()
    assert audit.actor == "test-admin" and audit.target_id == "W1"
    assert new_card not in audit.detail and old_card not in audit.detail  # masked only
    assert json.loads(audit.detail)["new_card"].endswith(new_card[-4:])

    assert batches.retry_failed(db, batch_id, "boss") == 1
    bankfiles.export(db, sealer, batch_id, out, "boss")
    rows = {r["line_id"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert (rows[w1]["card_number"], rows[w1]["bank"]) == (new_card, "中国银行")
    result.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        f"{w1},{old_card},29000,paid,B-9,\n"  # the old card is no longer this worker's
        f"{w1},{new_card},29000,paid,B-10,\n"
    )
    done = bankfiles.import_results(db, sealer, batch_id, result, "boss")
    assert done.paid == 1 and "card does not match" in done.errors[0]


def test_worker_record_edits_leave_an_audit_trail(month, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    db = month[0]
    patched = client.patch(
        "/api/v1/workers/W2",
        json={"phone": "13800138000", "reason": "new phone"},
        headers=api_headers(db.url),
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "13800138000"
    with db.engine.connect() as conn:
        audit = conn.execute(
            select(schema.audit_log).where(schema.audit_log.c.action == "worker.updated")
        ).one()
    detail = json.loads(audit.detail)
    assert detail["changes"]["phone"] == {"before": None, "after": "13800138000"}
    assert detail["reason"] == "new phone"
    manager = api_headers(db.url, "mgr", "site_manager", project_id=SITE)
    refused = client.patch(
        "/api/v1/workers/W2", json={"phone": "13900139000", "reason": "x"}, headers=manager
    )
    assert refused.status_code == 403  # sees the worker, may not edit the record


def test_bank_files_in_the_chinese_bank_layout_both_ways(month, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, sealer, batch_id = month
    approved(db, batch_id)
    out = tmp_path / "代发.csv"
    assert bankfiles.export(db, sealer, batch_id, out, "boss", layout=CN_BANK) == 2
    text = out.read_bytes().decode("gb18030")  # GB18030, as Chinese bank portals read CSV
    rows = list(csv.DictReader(text.splitlines()))
    assert list(rows[0]) == [
        "业务参考号",
        "收款人账号",
        "收款人姓名",
        "证件号码",
        "开户行",
        "金额",
        "用途",
    ]
    w1 = str(line_id(db, batch_id, "W1"))
    mine = next(r for r in rows if r["业务参考号"] == w1)
    assert (mine["金额"], mine["收款人姓名"], mine["用途"]) == ("290.00", "工人0", "工资")
    w2 = next(r for r in rows if r["业务参考号"] != w1)
    # the bank's answer, in its own layout and encoding: amounts in yuan, 成功/失败
    answer = tmp_path / "回单.csv"
    answer.write_bytes(
        (
            "业务参考号,收款人账号,金额,处理状态,银行流水号,失败原因\n"
            f"{w1},{mine['收款人账号']},290.00,成功,HX001,\n"
            f"{w2['业务参考号']},{w2['收款人账号']},360.00,失败,,户名不符\n"
        ).encode("gb18030")
    )
    result = bankfiles.import_results(db, sealer, batch_id, answer, "boss", layout=CN_BANK)
    assert (result.paid, result.failed, result.errors) == (1, 1, [])
    with db.engine.connect() as conn:
        got = {x["worker_id"]: x for x in batches.lines(conn, batch_id)}
    assert (got["W1"]["paid_fen"], got["W1"]["bank_ref"]) == (29000, "HX001")
    assert got["W2"]["bank_message"] == "户名不符"


def test_a_layout_from_a_file_reads_an_xlsx_result_without_line_ids(month, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, sealer, batch_id = month
    approved(db, batch_id)
    spec = tmp_path / "bank.json"
    spec.write_text(
        json.dumps(
            {
                "name": "my-bank",
                "encoding": "utf-8-sig",
                "columns": [
                    {"header": "账号", "field": "card_number"},
                    {"header": "户名", "field": "name"},
                    {"header": "金额(分)", "field": "amount_fen"},
                ],
                "result": {
                    "card_number": "账号",
                    "amount": "金额(元)",
                    "amount_unit": "yuan",
                    "status": "结果",
                    "paid_values": ["S"],
                    "failed_values": ["F"],
                },
            },
            ensure_ascii=False,
        )
    )
    layout = load_layout(str(spec))
    out = tmp_path / "pay.xlsx"
    bankfiles.export(db, sealer, batch_id, out, "boss", layout=layout)
    sheet = load_workbook(out).active
    cards = {r[1]: r[0] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert all(isinstance(c, str) and len(c) == 19 for c in cards.values())  # text, not 6.2E+18
    book = Workbook()
    answer = book.active
    answer.append(["账号", "金额(元)", "结果"])
    answer.append([cards["工人0"], "290", "S"])
    answer.append([cards["工人1"], "360.5x", "S"])  # malformed amount: refused, not applied
    book.save(tmp_path / "answer.xlsx")
    result = bankfiles.import_results(
        db, sealer, batch_id, tmp_path / "answer.xlsx", "boss", layout
    )
    assert result.paid == 1 and len(result.errors) == 1 and "yuan" in result.errors[0]
    with pytest.raises(InvalidInput, match="missing column"):
        bad = tmp_path / "bad.csv"
        bad.write_text("账号,金额\n1,2\n", encoding="utf-8-sig")
        bankfiles.import_results(db, sealer, batch_id, bad, "boss", layout)


def test_the_evidence_report_shows_the_overtime_split_and_the_pay_of_each_day(month) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from central.reports.evidence import gather, render_html, render_xlsx

    db = month[0]
    with db.engine.connect() as conn:
        data = gather(conn, "W1", date(2025, 6, 1), date(2025, 6, 30))
    paid, flagged = data["days"]  # type: ignore[misc]
    # 9 June: 480 × 50 + 60 × 50 × 1.5 = 28500; 10 June: entry without exit, unpaid
    assert (paid["pay"]["money_fen"], paid["pay"]["extended_minutes"]) == (28500, 60)
    assert flagged["pay"]["money_fen"] == 0 and "missing_out" in flagged["pay"]["note"]
    html = render_html(data)
    assert "285.00" in html and "not paid until the day is corrected" in html
    assert "45.00" in html  # the extended part of the line: 60 × 50 × 1.5 = 4500 fen
    book = load_workbook(BytesIO(render_xlsx(data)))
    header = [c.value for c in book["days"][1]]
    first = dict(zip(header, [c.value for c in book["days"][2]], strict=True))
    assert (first["pay_yuan"], first["extended_minutes_x1.5"]) == ("285.00", 60)
    wages = [c.value for c in book["wages"][1]]
    line = dict(zip(wages, [c.value for c in book["wages"][2]], strict=True))
    assert (line["extended_yuan"], line["plain_yuan"], line["days"]) == ("45.00", "240.00", 1)


def test_compensatory_rest_and_minimum_wage_over_http(month, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    db = month[0]
    with db.engine.connect() as conn:
        contractor = conn.execute(select(schema.enterprises.c.id)).scalar_one()
    boss = api_headers(db.url, "boss-1", "contractor_admin", enterprise_id=contractor)
    worker = api_headers(db.url, "worker-w2", "worker", worker_id="W2")
    store_punches(db, SITE, [("W2", "in", local("2025-06-14 08:00"))])  # Saturday
    store_punches(db, SITE, [("W2", "out", local("2025-06-14 12:00"))])
    body = {"worker_id": "W2", "worked_date": "2025-06-14", "rest_date": "2025-06-16"}
    by_worker = client.post(f"/api/v1/projects/{SITE}/compensatory-rest", json=body, headers=worker)
    assert by_worker.status_code == 403  # the employer records it, the worker confirms it
    made = client.post(f"/api/v1/projects/{SITE}/compensatory-rest", json=body, headers=boss)
    assert made.status_code == 201, made.text
    assert made.json()["state"] == "proposed"
    workday = {**body, "worked_date": "2025-06-16"}  # a workday: nothing to compensate
    assert (
        client.post(
            f"/api/v1/projects/{SITE}/compensatory-rest", json=workday, headers=boss
        ).status_code
        == 422
    )
    mine = client.get("/api/v1/me/compensatory-rest", headers=worker).json()
    assert [r["id"] for r in mine] == [made.json()["id"]]
    confirmed = client.post(f"/api/v1/me/compensatory-rest/{mine[0]['id']}/confirm", headers=worker)
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    assert (
        client.post(f"/api/v1/me/compensatory-rest/{mine[0]['id']}/confirm", headers=boss)
    ).status_code == 403
    recomputed = client.post(f"/api/v1/projects/{SITE}/payroll/2025-06", headers=boss)
    assert recomputed.status_code == 201, recomputed.text
    # W2 daily 36000: 9 June 480 × 75 = 36000; Saturday 240 min with compensatory rest
    # paid plain: 240 × 75 = 18000 (instead of 240 × 75 × 2 = 36000)
    w2 = line_id(db, int(recomputed.json()["id"]), "W2")
    line = client.get(f"/api/v1/payroll/lines/{w2}/days", headers=boss).json()["line"]
    assert (line["gross_fen"], line["compensated_minutes"], line["restday_fen"]) == (54000, 240, 0)

    put = client.put(
        f"/api/v1/projects/{SITE}/minimum-wage", json={"hourly_fen": 4600}, headers=boss
    )
    assert put.status_code == 200 and put.json() == {"project_id": SITE, "hourly_fen": 4600}
    assert (
        client.put(
            f"/api/v1/projects/{SITE}/minimum-wage", json={"hourly_fen": 1}, headers=worker
        ).status_code
        == 403
    )


def test_the_export_command_takes_a_layout(month, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from central.cli.app import app

    db, _, batch_id = month
    approved(db, batch_id)
    out = tmp_path / "bank.csv"
    args = ["payroll", "export", str(batch_id), "--out", str(out), "--db", db.url, "--by", "boss"]
    unknown = CliRunner().invoke(app, [*args, "--layout", "no-such-bank"])
    assert unknown.exit_code == 1 and "no-such-bank" in unknown.output and not out.exists()
    done = CliRunner().invoke(app, [*args, "--layout", "cn-bank"])
    assert done.exit_code == 0, done.output
    header = out.read_bytes().decode("gb18030").splitlines()[0]
    assert header == "业务参考号,收款人账号,收款人姓名,证件号码,开户行,金额,用途"


def test_a_subcontractor_sees_only_its_own_workers_lines(month, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from factories import subcontractor_on, valid_ric

    from central.registry.employment import EmploymentIn, add_employment
    from central.registry.workers import WorkerIn, create_worker

    db, sealer, _ = month
    sub = subcontractor_on(db, SITE)
    create_worker(db, sealer, WorkerIn(id="W5", name="分包工人", id_number=valid_ric(55)))
    add_employment(
        db,
        EmploymentIn(
            worker_id="W5",
            project_id=SITE,
            employer_id=int(sub["id"]),  # type: ignore[call-overload]
            start_date=date(2025, 1, 1),
            terms=HOURLY,
        ),
    )
    store_punches(db, SITE, [("W5", "in", local("2025-06-11 08:00"))])
    store_punches(db, SITE, [("W5", "out", local("2025-06-11 12:00"))])
    batch_id = int(batches.compute(db, SITE, "2025-06", "boss")["id"])  # type: ignore[call-overload]
    theirs = api_headers(db.url, "sub-admin", "contractor_admin", enterprise_id=sub["id"])
    own = client.get(f"/api/v1/payroll/lines/{line_id(db, batch_id, 'W5')}/days", headers=theirs)
    assert own.status_code == 200 and own.json()["line"]["gross_fen"] == 12000  # 240 × 50
    other = client.get(f"/api/v1/payroll/lines/{line_id(db, batch_id, 'W1')}/days", headers=theirs)
    assert other.status_code == 404
    book = client.get(f"/api/v1/payroll/batches/{batch_id}/wage-sheet.xlsx", headers=theirs)
    rows = list(load_workbook(BytesIO(book.content))["lines"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["W5"]
