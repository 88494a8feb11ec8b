"""Payroll on a real SQLite file: days from stored events, late events, corrections, batch
states, bank files and the warnings they raise. Events go in through the ingest path.
"""

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import SHANGHAI, local, new_db, registered_project, store_punches
from openpyxl import load_workbook
from sqlalchemy import func, select

from central.attendance import closing
from central.attendance import days as attendance_days
from central.errors import Conflict
from central.payroll import bankfiles, batches
from central.payroll.confirmation import respond, wage_sheet
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.wages.rules import PayTerms
from central.warnings.indicators import scan
from conftest import wait_until

SITE = "site-a"
DAILY = PayTerms(pay_kind="daily", rate_fen=36000)
HOURLY = PayTerms(pay_kind="hourly", rate_fen=3000)


@pytest.fixture
def setup(database: Database, tmp_path: Path) -> tuple[Database, Sealer]:
    """A registered project on SQLite and on PostgreSQL (tests/db_fixtures.py)."""
    sealer = Sealer.from_file(tmp_path / "central.key")
    registered_project(database, sealer, SITE, {"W1": DAILY, "W2": HOURLY})
    return database, sealer


def day_in_out(worker: str, day: str, start: str = "08:00", end: str = "17:00") -> list:
    return [(worker, "in", local(f"{day} {start}")), (worker, "out", local(f"{day} {end}"))]


def test_late_event_from_an_offline_gate_changes_the_day_and_blocks_approval(setup) -> None:  # type: ignore[no-untyped-def]
    db, _ = setup
    # W1 entered on 10 June; the gate that saw the exit was offline for days.
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    batch = batches.compute(db, SITE, "2025-06", "boss")
    with db.engine.connect() as conn:
        day = attendance_days.day_row(conn, SITE, "W1", date(2025, 6, 10))
    assert day and (day["worked_minutes"], day["flags"], day["status"]) == (
        0,
        "missing_out",
        "missing_punch",
    )
    closing.close(db, SITE, "month", "2025-06", "boss")
    store_punches(db, SITE, [("W1", "out", local("2025-06-10 17:00"))], device="gate-1")
    with pytest.raises(Conflict, match=r"changed since the batch was computed.*1 line"):
        batches.approve(db, int(batch["id"]), "boss")
    with db.engine.connect() as conn:
        day = attendance_days.day_row(conn, SITE, "W1", date(2025, 6, 10))
        assert (day["worked_minutes"], day["status"]) == (540, "complete")  # type: ignore[index]
        (line,) = batches.lines(conn, int(batch["id"]))
        # one attended day: 480 min plain + 60 min extended = 36000 + 60 × 75 × 1.5
        assert (line["attended_days"], line["net_fen"]) == (1, 36000 + 75 * 60 * 3 // 2)
        # The late event reopened the closed month: it must be closed again, knowingly.
        assert not closing.is_closed(conn, SITE, "month", "2025-06")
    closing.close(db, SITE, "month", "2025-06", "boss")
    assert batches.approve(db, int(batch["id"]), "boss")["state"] == "approved"


def test_manual_correction_is_audited_and_leaves_events_alone(setup) -> None:  # type: ignore[no-untyped-def]
    db, _ = setup
    store_punches(db, SITE, [("W2", "in", local("2025-06-11 08:00"))])  # forgot to check out
    with db.engine.connect() as conn:
        events_before = conn.execute(select(func.count()).select_from(schema.events)).scalar()
    row = attendance_days.correct_day(
        db,
        SITE,
        SHANGHAI,
        "W2",
        date(2025, 6, 11),
        worked_minutes=480,
        last_out=local("2025-06-11 17:00"),
        reason="exit gate camera fogged; foreman confirms 8 h",
        by_user="manager",
    )
    assert (row["worked_minutes"], row["status"]) == (480, "corrected")
    assert row["flags"] == "corrected,missing_out"  # what the events said is still visible
    with db.engine.connect() as conn:
        (audit,) = conn.execute(select(schema.attendance_corrections)).mappings().all()
        assert json.loads(audit["before"])["worked_minutes"] == 0
        assert json.loads(audit["after"])["worked_minutes"] == 480
        assert audit["by_user"] == "manager" and audit["at"].endswith("+08:00")
        assert (
            conn.execute(select(func.count()).select_from(schema.events)).scalar() == events_before
        )
    # A recomputation from the events keeps the correction on top.
    assert attendance_days.refresh(db, SITE, SHANGHAI, date(2025, 6, 1), date(2025, 6, 30)) == []
    batch = batches.compute(db, SITE, "2025-06", "boss")
    with db.engine.connect() as conn:
        (line,) = batches.lines(conn, int(batch["id"]))
    assert (line["worker_id"], line["worked_minutes"], line["net_fen"]) == ("W2", 480, 24000)


def test_month_batch_export_bank_result_and_warnings(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db, sealer = setup
    punches = []
    for d in range(9, 14):  # Mon 9 – Fri 13 June 2025: five full days each
        punches += day_in_out("W1", f"2025-06-{d:02d}", "08:00", "16:00")
        punches += day_in_out("W2", f"2025-06-{d:02d}", "08:00", "16:00")
    punches += day_in_out("W2", "2025-06-14", "08:00", "12:00")  # Saturday half day ×2
    store_punches(db, SITE, punches)
    batches.add_adjustment(db, SITE, "W1", "2025-06", "deduction", 50000, "advance 5 June", "boss")
    batches.add_adjustment(db, SITE, "W2", "2025-06", "piece_rate", 12345, "rebar tying", "boss")
    batch = batches.compute(db, SITE, "2025-06", "boss")
    bid = int(batch["id"])
    with db.engine.connect() as conn:
        got = {r["worker_id"]: r for r in batches.lines(conn, bid)}
    assert (got["W1"]["attended_days"], got["W1"]["gross_fen"], got["W1"]["net_fen"]) == (
        5,
        180000,
        130000,
    )
    assert got["W2"]["ot_restday_minutes"] == 240
    assert got["W2"]["gross_fen"] == 5 * 24000 + 24000 + 12345
    assert batch["due_date"] == "2025-07-15"

    # Workers answer; W2 disputes, so W2's line is held back at submission.
    respond(db, int(got["W1"]["id"]), "W1", confirm=True)
    respond(db, int(got["W2"]["id"]), "W2", confirm=False, reason="Saturday was a full day")
    with pytest.raises(Conflict, match="close 2025-06"):
        batches.approve(db, bid, "boss")
    closing.close(db, SITE, "month", "2025-06", "boss")
    # W2's dispute blocks approval, naming the line, until the approver holds it back
    with pytest.raises(batches.DisputedLines, match=f"line {got['W2']['id']} \\(worker W2\\)"):
        batches.approve(db, bid, "boss")
    batches.approve(db, bid, "boss", hold_disputed=True)

    path = tmp_path / "bank.csv"
    ticks: list[int] = []
    assert bankfiles.export(db, sealer, bid, path, "boss", ticks.append) == 1
    assert path.stat().st_mode & 0o777 == 0o600
    # UTF-8 with a byte-order mark: Excel shows the Chinese names right (bank_layouts.py)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    (row,) = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert row["id_number"].startswith("110105") and len(row["id_number"]) == 18  # whole in file
    assert (row["amount_fen"], row["amount_yuan"]) == ("130000", "1300.00") and sum(ticks) == 1
    xlsx = tmp_path / "bank.xlsx"
    bankfiles.export(db, sealer, bid, xlsx, "boss")
    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[2]][2:4] == [row["id_number"], row["card_number"]]

    result_file = tmp_path / "result.csv"
    result_file.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        f"{row['line_id']},{row['card_number']},130000,failed,,account frozen\n"
        f"999,{row['card_number']},1,paid,,\n"
    )
    result = bankfiles.import_results(db, sealer, bid, result_file, "boss")
    assert (result.paid, result.failed, result.batch_state) == (0, 1, "submitted")
    assert result.errors == [f"result.csv line 3: line 999 is not in batch {bid}"]

    # bank failure, overdue batch, W1's refused card (the dispute was flagged when made)
    assert scan(db, date(2025, 7, 20)) == 3
    with db.engine.connect() as conn:
        sheet_rows = {r["worker_id"]: r for r in wage_sheet(conn, bid)}
        kinds = {
            (r.kind, r.subject.split()[0])
            for r in conn.execute(
                select(schema.wage_warnings).where(schema.wage_warnings.c.state == "open")
            )
        }
    assert sheet_rows["W2"]["state"] == "held" and sheet_rows["W2"]["confirmation"] == "disputed"
    assert (
        sheet_rows["W1"]["id_number_masked"].startswith("110")
        and "*" in sheet_rows["W1"]["id_number_masked"]
    )
    assert {
        ("bank_failed", "payment"),
        ("line_disputed", "worker"),
        ("batch_overdue", SITE),
    } <= kinds
    assert ("no_valid_payroll_card", "W1") in kinds  # the bank refused W1's card

    # Retried with a fixed card, paid in full: the batch is partially paid (W2 held).
    from factories import valid_card

    from central.registry.workers import set_card

    set_card(db, sealer, "W1", valid_card(4242), "中国建设银行")
    assert batches.retry_failed(db, bid, "boss") == 1
    bankfiles.export(db, sealer, bid, path, "boss")
    (row,) = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    result_file.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        f"{row['line_id']},{row['card_number']},120000,paid,B-1,\n"
    )
    assert (
        bankfiles.import_results(db, sealer, bid, result_file, "boss").batch_state
        == "partially_paid"
    )
    scan(db, date(2025, 7, 20))
    with db.engine.connect() as conn:
        underpaid = conn.execute(
            select(schema.wage_warnings.c.evidence).where(
                schema.wage_warnings.c.kind == "underpaid"
            )
        ).scalar_one()
    assert json.loads(underpaid)["short_fen"] == 10000


def test_closing_names_the_silent_gate(tmp_path: Path) -> None:
    db, sealer = new_db(tmp_path)
    registered_project(db, sealer, SITE, gates=("gate-1", "gate-2"))
    store_punches(db, SITE, day_in_out("W1", "2025-06-02"), device="gate-1")
    with pytest.raises(closing.ClosingRefused) as refused:
        closing.close(db, SITE, "day", "2025-06-02", "boss")
    assert set(refused.value.silent) == {"gate-2"} and "gate-2 (last heard never)" in str(
        refused.value
    )
    store_punches(db, SITE, [("W1", "in", local("2025-06-03 08:00"))], device="gate-2")
    assert closing.close(db, SITE, "day", "2025-06-02", "boss")["state"] == "closed"
    # A gate that reported only up to yesterday is silent for today.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    with pytest.raises(closing.ClosingRefused):
        closing.close(db, SITE, "day", tomorrow, "boss")


def test_attendance_without_employment_contract_or_card_raises_warnings(setup) -> None:  # type: ignore[no-untyped-def]
    db, _ = setup
    store_punches(db, SITE, day_in_out("W9", "2025-06-02"))  # never registered
    batch = batches.compute(db, SITE, "2025-06", "boss")
    closing.close(db, SITE, "month", "2025-06", "boss")
    batches.approve(db, int(batch["id"]), "boss")
    scan(db, date(2025, 6, 20))
    with db.engine.connect() as conn:
        kinds = {r.kind for r in conn.execute(select(schema.wage_warnings)) if "W9" in r.subject}
    assert kinds == {"no_labour_contract", "no_valid_payroll_card", "attendance_without_pay_line"}


def test_evidence_statement_lists_events_corrections_and_escapes_text(setup) -> None:  # type: ignore[no-untyped-def]
    from io import BytesIO

    from central.reports.evidence import gather, render_html, render_xlsx

    db, _ = setup
    store_punches(db, SITE, day_in_out("W1", "2025-06-12"))
    attendance_days.correct_day(
        db,
        SITE,
        SHANGHAI,
        "W1",
        date(2025, 6, 12),
        worked_minutes=600,
        reason="<script>overtime</script> signed by foreman",
        by_user="manager",
    )
    with db.engine.connect() as conn:
        data = gather(conn, "W1", date(2025, 6, 1), date(2025, 6, 30))
        event_ids = [r.event_id for r in conn.execute(select(schema.attendance.c.event_id))]
    html = render_html(data)
    assert all(e in html for e in event_ids) and "&lt;script&gt;" in html and "<script>" not in html
    assert "http" not in html.replace("http-equiv", "")  # no CDN, no external asset
    book = load_workbook(BytesIO(render_xlsx(data)))
    assert book.sheetnames == ["days", "events", "wages", "statement"]
    assert [c.value for c in book["days"][2]][:5] == [
        "2025-06-12",
        SITE,
        data["days"][0]["first_in"],  # type: ignore[index]
        data["days"][0]["last_out"],
        600,
    ]  # type: ignore[index]
    assert book["events"].max_row == 3


def test_serve_runs_the_arrears_indicators_on_its_own(tmp_path: Path) -> None:
    """No one has to ask: a check-in without contract or card is warned of by the timer."""
    from zoneinfo import ZoneInfo

    from central.warnings.scheduler import WarningScanner

    db, sealer = new_db(tmp_path)
    registered_project(db, sealer)
    store_punches(db, SITE, [("W9", "in", local("2025-06-09 08:00"))])  # not registered
    scanner = WarningScanner(db, 3600, ZoneInfo("Asia/Shanghai"))
    scanner.start()
    try:
        wait_until(lambda: scanner.scans >= 1, 30, "the first scan")
    finally:
        scanner.stop()
    with db.engine.connect() as conn:
        w = schema.wage_warnings.c
        kinds = sorted(conn.execute(select(w.kind).where(w.subject.like("W9 %"))).scalars())
    assert kinds == ["no_labour_contract", "no_valid_payroll_card"]
