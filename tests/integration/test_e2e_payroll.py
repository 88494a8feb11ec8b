"""Attendance becomes wages, end to end, with every part real.

Workers are registered and enrolled from real photos through central's API (consent first;
the encoder runs as ``sitegate-edge template`` in a child process); a gate's outbox and uplink
(edge/outbox.py, edge/uplink.py) send a month of time-shifted check-ins through a private
Mosquitto to ``sitegate-central serve``; the month is closed, the payroll computed and
approved over the API, the bank file exported and a bank result with one failure imported
with the CLI; the failure raises the right warning, and the worker's own view shows exactly
their line. Expected amounts are worked out by hand in the comments.
"""

import csv
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from factories import SHANGHAI, SUB_USCC, valid_card, valid_ric

from conftest import FACES, TEST_PASSWORD, Central, api_headers, run_cli, wait_until
from edge.outbox import Outbox
from edge.uplink import Uplink
from firmware_config import load_config
from wireproto.messages import AttendanceBody

SITE = "site-e2e"
MONTH = "2025-09"  # 22 weekdays + Sunday 28 Sep, an adjusted working day (调休上班)
WORKDAYS = [date(2025, 9, d) for d in range(1, 31) if date(2025, 9, d).weekday() < 5 or d == 28]


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), SHANGHAI)


def month_of_punches() -> list[tuple[str, str, datetime, str]]:
    """(worker, direction, when, method) for September 2025."""
    out = []
    for day in WORKDAYS:
        out += [("W1", "in", at(day, "08:00"), "face"), ("W1", "out", at(day, "16:00"), "face")]
        if day == date(2025, 9, 10):
            out.append(("W2", "in", at(day, "08:00"), "face"))  # exit never recorded
        elif day == date(2025, 9, 19):  # night shift into Saturday
            out += [
                ("W2", "in", at(day, "20:00"), "face"),
                ("W2", "out", at(day + timedelta(days=1), "05:30"), "face"),
            ]
        else:
            out += [("W2", "in", at(day, "08:00"), "face"), ("W2", "out", at(day, "16:00"), "face")]
        if day.day <= 5:  # W3 has no face consent: checks in by QR code
            out += [("W3", "in", at(day, "08:00"), "qr"), ("W3", "out", at(day, "16:00"), "qr")]
    saturday = date(2025, 9, 6)
    out += [
        ("W1", "in", at(saturday, "08:00"), "face"),
        ("W1", "out", at(saturday, "12:00"), "face"),
    ]
    return out


# By hand (docs/wages.md): W1 daily 360 yuan = 75 fen a minute: 23 workdays × 36000 +
# Saturday 240 min × 75 × 2 = 36000: 864000. W2 hourly 30 yuan = 50 fen a minute: 21 normal
# days × 480 × 50 = 504000, 10 Sep missing exit = 0, the night shift from Friday 19 Sep 20:00
# to Saturday 05:30: 240 min on Friday plain (12000) and 330 min on the rest day × 2 (33000),
# since each minute's premium follows its calendar date: 549000. W3 daily 300 yuan:
# 5 × 30000 = 150000.
EXPECTED_NET = {"W1": 864000, "W2": 549000, "W3": 150000}


class Api:
    def __init__(self, central: Central, headers: dict[str, str]) -> None:
        self.base, self.headers = central.base, headers

    def __call__(self, method: str, path: str, expect: int = 200, **kw: object) -> object:
        resp = httpx.request(method, f"{self.base}{path}", headers=self.headers, timeout=120, **kw)  # type: ignore[arg-type]
        assert resp.status_code == expect, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if "json" in resp.headers.get("content-type", "") else resp.text


def login(central: Central, username: str) -> dict[str, str]:
    resp = httpx.post(
        f"{central.base}/api/v1/auth/login", json={"username": username, "password": TEST_PASSWORD}
    )
    resp.raise_for_status()
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def register(admin: Api, central: Central) -> Api:
    """Contractor, project, three workers with employment and contracts; returns the boss."""
    contractor = admin(
        "POST",
        "/api/v1/enterprises",
        201,
        json={"name": "桂建总包有限公司", "uscc": SUB_USCC, "kind": "general_contractor"},
    )
    admin(
        "POST",
        "/api/v1/projects",
        201,
        json={
            "id": SITE,
            "name": "南宁某住宅项目",
            "contractor_id": contractor["id"],  # type: ignore[index]
            "division_code": "450102",
        },
    )  # type: ignore[index]
    api_headers(central.db, "boss", "contractor_admin", enterprise_id=contractor["id"])  # type: ignore[index]
    boss = Api(central, login(central, "boss"))
    terms = {
        "W1": {"pay_kind": "daily", "rate_fen": 36000},
        "W2": {"pay_kind": "hourly", "rate_fen": 3000},
        "W3": {"pay_kind": "daily", "rate_fen": 30000},
    }
    for n, (worker, pay) in enumerate(terms.items()):
        boss(
            "POST",
            "/api/v1/workers",
            201,
            json={
                "id": worker,
                "name": f"工人{n}",
                "id_number": valid_ric(n),
                "card_number": valid_card(n),
                "bank": "中国农业银行",
            },
        )
        boss(  # the registered person is employed through their ID number (一人一档)
            "POST",
            "/api/v1/employments/by-id-number",
            201,
            json={
                "id_number": valid_ric(n),
                "project_id": SITE,
                "employer_id": contractor["id"],  # type: ignore[index]
                "team": "木工班",
                "trade": "木工",
                "start_date": "2025-08-01",
                "terms": pay,
            },
        )
        boss(
            "POST",
            "/api/v1/contracts",
            201,
            json={
                "worker_id": worker,
                "project_id": SITE,
                "employer_id": contractor["id"],  # type: ignore[index]
                "signed_on": "2025-08-01",
                "document_text": f"劳动合同 {worker}",
            },
        )
    return boss


def enroll(boss: Api) -> None:
    def photo(path: Path) -> tuple[str, tuple[str, bytes, str]]:
        return ("photos", (path.name, path.read_bytes(), "image/jpeg"))

    # No consent yet: refused, pointing to QR/card check-in.
    refused = boss(
        "POST", "/api/v1/workers/W3/photos", 409, files=[photo(FACES / "london_001/1.jpg")]
    )
    assert "QR code or card" in refused["detail"]  # type: ignore[index]
    for worker in ("W1", "W2"):
        boss("POST", f"/api/v1/workers/{worker}/face-consent", 201, json={"method": "signed form"})
    done = boss("POST", "/api/v1/workers/W1/photos", 201, files=[photo(FACES / "obama/1.jpg")])
    assert done["templates"] == 1 and done["sites"][SITE] >= 1  # type: ignore[index]
    # Obama again under W2's id: the same face under another ID is refused, naming W1.
    dup = boss("POST", "/api/v1/workers/W2/photos", 409, files=[photo(FACES / "obama/2.jpg")])
    assert "worker W1" in dup["detail"]  # type: ignore[index]
    bad = boss(
        "POST",
        "/api/v1/workers/W2/photos",
        422,
        files=[photo(FACES / "_probes/two_faces/obama_biden.jpg")],
    )
    assert "2 faces" in bad["detail"]  # type: ignore[index]
    boss("POST", "/api/v1/workers/W2/photos", 201, files=[photo(FACES / "lisa/1.jpg")])


def send_month(gate_yaml: Path, tmp_path: Path) -> None:
    """The gate's own outbox and uplink carry the month's check-ins to central."""
    config = load_config(gate_yaml).model_copy(update={"outbox": tmp_path / "outbox.db"})
    outbox = Outbox(config.outbox, config.site, config.device, config.secret_bytes, config.zone)
    for worker, direction, when, method in month_of_punches():
        outbox.append(
            AttendanceBody(
                worker_id=worker,
                direction=direction,
                method=method,  # type: ignore[arg-type]
                distance=0.31 if method == "face" else None,
                captured_at=when,
            )
        )
    uplink = Uplink(config, outbox, lambda: {"outbox_depth": outbox.depth()})
    uplink.start()
    try:
        wait_until(lambda: outbox.depth() == 0, 60, "central to ack the whole month")
    finally:
        uplink.stop()
        outbox.close()


@pytest.fixture
def central(tmp_path: Path, broker_url: str) -> Iterator[Central]:
    """Central told to count the hand-computed month's check-ins, however long ago it is now:
    by default attendance captured over 35 days before receipt is held, not counted."""
    age = (date.today() - date.fromisoformat(f"{MONTH}-01")).days + 40
    c = Central(tmp_path, broker_url, None, "--max-capture-age-days", str(age))
    yield c
    c.stop()


@pytest.mark.timeout(240)
def test_a_month_of_check_ins_becomes_paid_wages(
    central: Central, broker_url: str, tmp_path: Path
) -> None:
    gate_yaml = central.provision(SITE, "gate-1", broker_url)
    central.start()
    admin = Api(central, central.headers)
    boss = register(admin, central)
    enroll(boss)
    send_month(gate_yaml, tmp_path)

    # Ingest keeps the days current: they are there before anyone closes or computes.
    def w1_days() -> object:
        days = boss("GET", f"/api/v1/projects/{SITE}/attendance-days", params={"month": MONTH})
        return len([d for d in days if d["worker_id"] == "W1"]) == 24  # type: ignore[union-attr,index]

    wait_until(w1_days, 30, "W1's 24 attendance days from ingest")

    closed = boss(
        "POST", f"/api/v1/projects/{SITE}/closings", 201, json={"kind": "month", "period": MONTH}
    )
    assert closed["state"] == "closed"  # type: ignore[index]
    batch = boss("POST", f"/api/v1/projects/{SITE}/payroll/{MONTH}", 201)
    sheet = boss("GET", f"/api/v1/payroll/batches/{batch['id']}")  # type: ignore[index]
    lines = {line["worker_id"]: line for line in sheet["lines"]}  # type: ignore[index]
    assert {w: line["net_fen"] for w, line in lines.items()} == EXPECTED_NET
    assert lines["W1"]["attended_days"] == 24 and lines["W2"]["worked_minutes"] == 21 * 480 + 570
    assert (lines["W2"]["ot_restday_minutes"], lines["W2"]["restday_fen"]) == (330, 33000)

    api_headers(central.db, "worker-w1", "worker", worker_id="W1")
    me = Api(central, login(central, "worker-w1"))
    me("POST", f"/api/v1/me/payroll-lines/{lines['W1']['id']}/confirm")
    boss("POST", f"/api/v1/payroll/batches/{batch['id']}/approve")  # type: ignore[index]

    bank_file = tmp_path / "bank.csv"
    run_cli(
        "sitegate-central",
        "payroll",
        "export",
        str(batch["id"]),
        "--out",
        str(bank_file),  # type: ignore[index]
        "--db",
        central.db,
        "--by",
        "boss",
    )
    rows = list(csv.DictReader(bank_file.open(encoding="utf-8-sig")))
    assert sorted(int(r["amount_fen"]) for r in rows) == sorted(EXPECTED_NET.values())
    result = tmp_path / "result.csv"
    with result.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["line_id", "card_number", "amount_fen", "status", "bank_ref", "message"])
        for r in rows:
            failed = r["line_id"] == str(lines["W2"]["id"])
            out.writerow(
                [
                    r["line_id"],
                    r["card_number"],
                    r["amount_fen"],
                    "failed" if failed else "paid",
                    "" if failed else "BK-" + r["line_id"],
                    "account frozen" if failed else "",
                ]
            )
    imported = run_cli(
        "sitegate-central",
        "payroll",
        "import-result",
        str(batch["id"]),
        str(result),  # type: ignore[index]
        "--db",
        central.db,
        "--by",
        "boss",
    )
    assert "2 paid, 1 failed; batch" in imported.stdout and "partially_paid" in imported.stdout

    admin("POST", "/api/v1/warnings/scan", params={"today": "2025-10-08"})
    open_warnings = admin("GET", "/api/v1/warnings", params={"state": "open"})
    failed = [w for w in open_warnings if w["kind"] == "bank_failed"]  # type: ignore[union-attr]
    assert len(failed) == 1 and failed[0]["evidence"]["line_id"] == lines["W2"]["id"]
    assert failed[0]["severity"] == "high" and "W2" in failed[0]["subject"]
    assert not [w for w in open_warnings if w["kind"] == "batch_overdue"]  # type: ignore[union-attr]  # due 15 Oct

    # The worker's own view: exactly their line, paid, and only their attendance.
    (mine,) = me("GET", "/api/v1/me/payroll-lines")  # type: ignore[misc]
    assert (mine["id"], mine["net_fen"], mine["state"], mine["paid_fen"]) == (
        lines["W1"]["id"],
        864000,
        "paid",
        864000,
    )
    assert mine["confirmation"] == "confirmed"
    assert len(me("GET", "/api/v1/me/payments")) == 1  # type: ignore[arg-type]
    days = me("GET", "/api/v1/me/attendance-days", params={"month": MONTH})
    assert len(days) == 24 and {d["worker_id"] for d in days} == {"W1"}  # type: ignore[union-attr]
    assert {r["worker_id"] for r in me("GET", "/api/v1/attendance", params={"limit": 10000})} == {
        "W1"
    }  # type: ignore[union-attr]
    me("GET", f"/api/v1/payroll/batches/{batch['id']}", 404)  # type: ignore[index]
    evidence = me(
        "GET", "/api/v1/workers/W1/evidence", params={"first": "2025-09-01", "last": "2025-09-30"}
    )
    assert "BK-" in evidence and "864" in evidence and "obama" not in evidence  # type: ignore[operator]
