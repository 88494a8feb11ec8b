"""The enterprise console's attendance and payroll, end to end from gate check-ins, in real
headless Chromium against ``sitegate-central serve`` with a real broker.

Workers are registered and enrolled from real photos through central's API (as in
tests/integration/test_e2e_payroll.py); a real gate (``sitegate-edge run``) recognises a worker
from a real photo and checks them in today; the gate's outbox and uplink carry last month's
check-ins (a month can only be closed and paid once it has ended, so its check-ins are sent
time-shifted, as the e2e payroll test does). Then, in the browser:

- a site manager reads the month grid and approves a worker's supplementary punch (补卡);
- the general contractor's admin computes the month, sees a disputed line block approval
  (named), closes the month, approves holding it back, downloads the bank file, uploads a
  result with one refusal, replaces the refused card, retries, downloads and uploads again:
  the line is paid; the same batch in English;
- the subcontractor's admin sees its own worker's line only and no payroll steps.

No console errors or failed requests beyond the refusals the test provokes; screenshots.
"""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from camera_gate import OBAMA, camera_gate
from factories import SHANGHAI, THIRD_USCC, subcontractor_on, valid_card, valid_ric
from test_console_browser import (  # noqa: F401 - fixtures
    LAPTOP,
    Watched,
    browser,
    shots,
)
from test_e2e_payroll import SITE, Api, enroll, login, register

from central.registry.employment import EmploymentIn, add_employment
from central.registry.sealing import sealer_for
from central.registry.workers import WorkerIn, create_worker
from central.storage import Database
from central.wages.rules import PayTerms
from conftest import Central, Process, api_headers, wait_until
from edge.outbox import Outbox
from edge.uplink import Uplink
from firmware_config import load_config
from wireproto.messages import AttendanceBody

pytestmark = pytest.mark.browser

TODAY = datetime.now(SHANGHAI).date()
FIRST = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
MONTH = FIRST.strftime("%Y-%m")
# five consecutive weekdays in the middle of last month (Monday on or after the 9th)
MONDAY = FIRST + timedelta(days=8 + (7 - (FIRST + timedelta(days=8)).weekday()) % 7)
DAYS = [MONDAY + timedelta(days=n) for n in range(5)]
PAYROLL = "/console/enterprise/payroll"


def at(day: date, hhmm: str) -> datetime:
    return datetime.combine(day, datetime.strptime(hhmm, "%H:%M").time(), SHANGHAI)


def send_month(gate_yaml: Path, tmp: Path) -> None:
    """The gate's own outbox and uplink carry last month's check-ins to central."""
    config = load_config(gate_yaml).model_copy(update={"outbox": tmp / "outbox.db"})
    outbox = Outbox(config.outbox, config.site, config.device, config.secret_bytes, config.zone)
    for day in DAYS:
        for worker, method in (("W1", "face"), ("W2", "face"), ("W3", "qr"), ("W4", "qr")):
            for direction, hhmm in (("in", "08:00"), ("out", "16:00")):
                outbox.append(
                    AttendanceBody(
                        worker_id=worker,
                        direction=direction,  # type: ignore[arg-type]
                        method=method,  # type: ignore[arg-type]
                        distance=0.3 if method == "face" else None,
                        captured_at=at(day, hhmm),
                    )
                )
    uplink = Uplink(config, outbox, lambda: {"outbox_depth": outbox.depth()})
    uplink.start()
    try:
        wait_until(lambda: outbox.depth() == 0, 60, "central to ack last month")
    finally:
        uplink.stop()
        outbox.close()


def live_gate(gate_yaml: Path, tmp: Path) -> Process:
    """A real gate whose camera (a folder of real photos) sees W1 and a stranger."""
    camera_gate(gate_yaml, tmp, {"W1": OBAMA}, outbox="live-outbox.db")
    return Process(["sitegate-edge", "run", "--config", str(gate_yaml)], tmp / "gate.log")


def add_subcontractor(db_path: str) -> None:
    """A subcontractor registered on the project, employing W4 (checks in by QR code)."""
    db = Database(db_path)
    try:
        sub = subcontractor_on(db, SITE, uscc=THIRD_USCC)
        create_worker(
            db,
            sealer_for(db_path),
            WorkerIn(
                id="W4",
                name="分包工人",
                id_number=valid_ric(40),
                card_number=valid_card(40),
                bank="中国银行",
            ),
        )
        add_employment(
            db,
            EmploymentIn(
                worker_id="W4",
                project_id=SITE,
                employer_id=sub["id"],  # type: ignore[arg-type]
                team="水电班",
                start_date=date(2025, 8, 1),
                terms=PayTerms(pay_kind="daily", rate_fen=32000),
            ),
        )
        api_headers(db_path, "sub-admin", "contractor_admin", enterprise_id=sub["id"])
    finally:
        db.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, broker_url: str) -> Iterator[Central]:
    tmp = tmp_path_factory.mktemp("enterprise-payroll")
    age = (TODAY - FIRST).days + 10  # count last month's check-ins (held beyond 35 days)
    central = Central(tmp, broker_url, None, "--max-capture-age-days", str(age))
    month_gate = central.provision(SITE, "gate-1", broker_url)
    live_yaml = central.provision(SITE, "gate-2", broker_url)
    central.start()
    try:
        boss = register(Api(central, central.headers), central)
        enroll(boss)
        add_subcontractor(central.db)
        api_headers(central.db, "manager", "site_manager", project_id=SITE)
        gate = live_gate(live_yaml, tmp)
        try:
            send_month(month_gate, tmp)
            wait_until(
                lambda: [
                    r
                    for r in central.get("/api/v1/attendance", site=SITE, limit=10000)  # type: ignore[union-attr]
                    if r["local_date"] == TODAY.isoformat() and r["worker_id"] == "W1"
                ],
                120,
                "W1's check-in today from the live gate's camera",
            )
        finally:
            gate.stop()
        yield central
    finally:
        central.stop()


def worker_api(central: Central, worker: str) -> dict[str, str]:
    api_headers(central.db, f"worker-{worker.lower()}", "worker", worker_id=worker)
    return login(central, f"worker-{worker.lower()}")


def test_grid_and_punch_queue(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """A site manager reads the month grid and approves a supplementary punch (补卡)."""
    central = served
    missed = DAYS[-1] + timedelta(days=3)  # a weekday after the five: the gate missed W3
    filed = httpx.post(
        f"{central.base}/api/v1/me/punch-requests",
        json={
            "project_id": SITE,
            "day": missed.isoformat(),
            "first_in": "08:00",
            "last_out": "16:00",
            "reason": "扫码枪坏了",
        },
        headers=worker_api(central, "W3"),
    )
    assert filed.status_code == 201, filed.text
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("manager", landing="/console/enterprise/attendance")
    page.goto(f"/console/enterprise/attendance?project={SITE}&month={MONTH}")
    grid = page.locator("#month-grid")
    rows = grid.locator("tbody tr[data-worker]")
    assert sorted(rows.nth(i).get_attribute("data-worker") for i in range(rows.count())) == [
        "W1",
        "W2",
        "W3",
        "W4",
    ]
    w1 = grid.locator('tr[data-worker="W1"]')
    assert w1.locator('[data-total="days"]').inner_text() == "5"
    assert w1.locator(f'td[data-date="{DAYS[0].isoformat()}"]').inner_text().strip() == "8"
    page.screenshot(path=str(shots / "enterprise-attendance-grid-zh_CN.png"), full_page=True)
    # today's live check-in from the camera gate is in this month's grid (entry only so far)
    page.goto(f"/console/enterprise/attendance?project={SITE}")
    assert page.locator(f'tr[data-worker="W1"] td[data-date="{TODAY.isoformat()}"] a').count() == 1

    page.goto(f"/console/enterprise/attendance/requests?project={SITE}")
    card = page.locator(f'[data-request="{filed.json()["id"]}"]')
    assert "扫码枪坏了" in card.inner_text()
    page.screenshot(path=str(shots / "enterprise-punch-requests-zh_CN.png"), full_page=True)
    card.get_by_role("button", name="批准").click()
    page.wait_for_url("**done=approved**")
    assert page.locator('[data-saved="approved"]').is_visible()
    page.goto(f"/console/enterprise/attendance?project={SITE}&month={MONTH}")
    fixed = page.locator(f'tr[data-worker="W3"] td[data-date="{missed.isoformat()}"]')
    assert fixed.inner_text().startswith("8")
    assert w.problems == []

    # in English: the grid, and a correction whose bad input is named and kept
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.wait_for_load_state("load")  # wherever the switch lands, let it finish loading
    page.goto(f"/console/enterprise/attendance?project={SITE}&month={MONTH}")
    assert page.locator("main h1").inner_text() == "Attendance"
    page.screenshot(path=str(shots / "enterprise-attendance-grid-en.png"), full_page=True)
    # a month's days and both totals fit the laptop's width: nothing to scroll sideways for
    hours = page.locator("#month-grid thead th.total").last.bounding_box()
    assert hours is not None and hours["x"] + hours["width"] <= LAPTOP["width"], hours
    page.locator(f'tr[data-worker="W2"] td[data-date="{DAYS[1].isoformat()}"] a').click()
    form = page.locator("#correction-form")
    form.locator("[name=first_in]").fill("17:00")
    form.locator("[name=last_out]").fill("08:00")
    form.locator("[name=reason]").fill("gate queue at knock-off")
    form.locator("button[type=submit]").click()
    page.locator("#form-errors").wait_for()
    assert "later than the time in" in page.locator("#form-errors").inner_text()
    assert form.locator("[name=reason]").input_value() == "gate queue at knock-off"
    page.screenshot(path=str(shots / "enterprise-attendance-correction-en.png"), full_page=True)
    assert w.problems and all("422" in p for p in w.problems)  # the refused form
    w.problems.clear()
    form.locator("[name=first_in]").fill("08:00")
    form.locator("[name=last_out]").fill("17:30")
    form.locator("[name=break_minutes]").fill("30")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**saved=1**")
    assert page.locator('[data-fact="hours"]').inner_text() == "9"
    assert "gate queue at knock-off" in page.locator("#corrections").inner_text()
    assert w.problems == []
    w.close()


def test_payroll_to_a_paid_line(served, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """From gate check-ins to a paid line: compute, approve, bank file, result, card, retry."""
    central = served
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("boss", landing=PAYROLL)
    page.fill("#field-month", MONTH)
    page.locator("#compute-form button[type=submit]").click()
    page.wait_for_url("**done=computed**")
    batch_url = page.url.split("?")[0]
    sheet = httpx.get(
        f"{central.base}/api/v1/payroll/batches/{batch_url.rsplit('/', 1)[1]}",
        headers=login(central, "boss"),
    ).json()
    lines = {line["worker_id"]: line for line in sheet["lines"]}
    assert sorted(lines) == ["W1", "W2", "W3", "W4"]
    assert all(lines[x]["attended_days"] >= 5 for x in lines)
    page.screenshot(path=str(shots / "enterprise-payroll-computed-zh_CN.png"), full_page=True)

    # W2 disputes their line: approval is refused, naming it
    disputed = httpx.post(
        f"{central.base}/api/v1/me/payroll-lines/{lines['W2']['id']}/dispute",
        json={"reason": "加班没有算"},
        headers=worker_api(central, "W2"),
    )
    assert disputed.status_code == 200
    page.goto(batch_url)
    page.locator("#close-form button").click()
    page.wait_for_url("**done=closed**")
    assert "加班没有算" in page.locator("#disputed").inner_text()
    page.locator("#approve-form button[type=submit]").click()
    page.wait_for_load_state()
    assert f"#{lines['W2']['id']} (W2)" in page.locator("#approve-form").inner_text()
    page.screenshot(path=str(shots / "enterprise-payroll-dispute-blocks-zh_CN.png"), full_page=True)
    assert w.problems and all("409" in p for p in w.problems)  # the refusal was the point
    w.problems.clear()
    page.check("#hold-disputed")
    page.locator("#approve-form button[type=submit]").click()
    page.wait_for_url("**done=approved**")
    assert "boss" in page.locator('[data-fact="approved_by"]').inner_text()

    with page.expect_download() as download:
        page.locator("#bank-file-form button[type=submit]").click()
    bank = list(
        csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert sorted(r["line_id"] for r in bank) == sorted(
        str(lines[x]["id"]) for x in ("W1", "W3", "W4")
    )
    assert {int(r["amount_fen"]) for r in bank} == {lines[x]["net_fen"] for x in ("W1", "W3", "W4")}
    result = tmp_path / "bank-result.csv"
    with result.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["line_id", "card_number", "amount_fen", "status", "bank_ref", "message"])
        for r in bank:
            refused = r["line_id"] == str(lines["W1"]["id"])
            out.writerow(
                [
                    r["line_id"],
                    r["card_number"],
                    r["amount_fen"],
                    "failed" if refused else "paid",
                    "" if refused else f"BK-{r['line_id']}",
                    "账户已冻结" if refused else "",
                ]
            )
    page.goto(batch_url)  # the download left the page as it was: the batch is now submitted
    page.set_input_files("#result-file", str(result))
    page.locator("#bank-result-form button[type=submit]").click()
    page.locator("#import-result").wait_for()
    assert "账户已冻结" in page.locator('[data-failed="W1"]').inner_text()
    page.screenshot(path=str(shots / "enterprise-payroll-failed-zh_CN.png"), full_page=True)

    new_card = valid_card(55)
    form = page.locator(f"#card-form-{lines['W1']['id']}")
    form.locator("[name=card_number]").fill(new_card)
    form.locator("[name=bank]").fill("中国建设银行")
    form.locator("[name=reason]").fill("原卡被冻结，换新卡")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**done=card**")
    page.locator("#retry-form button").click()
    page.wait_for_url("**done=retried**")
    with page.expect_download() as download:
        page.locator("#bank-file-form button[type=submit]").click()
    (again,) = list(
        csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")))
    )
    assert (again["line_id"], again["card_number"]) == (str(lines["W1"]["id"]), new_card)
    result.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        f"{again['line_id']},{new_card},{again['amount_fen']},paid,BK-R1,\n"
    )
    page.goto(batch_url)  # the download left the page as it was: the batch is now submitted
    page.set_input_files("#result-file", str(result))
    page.locator("#bank-result-form button[type=submit]").click()
    page.locator("#import-result").wait_for()
    w1 = page.locator('td[data-column="worker_id"]', has_text="W1").locator("xpath=..")
    assert w1.locator('[data-column="state"]').inner_text() == "已发放"
    page.locator("details.payroll-log summary").click()  # the log, opened as a reader would
    assert (
        page.locator('details.payroll-log li[data-step="bank_paid"]')
        .inner_text()
        .endswith("银行已代发 · 3 行")
    )
    page.screenshot(path=str(shots / "enterprise-payroll-paid-zh_CN.png"), full_page=True)
    final = {
        r["worker_id"]: r["state"] for r in page.request.get(batch_url + ".json").json()["rows"]
    }
    assert final == {"W1": "paid", "W2": "held", "W3": "paid", "W4": "paid"}

    # the same batch in English, and the W1 line's days
    page.goto(batch_url)
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    page.wait_for_load_state("load")
    page.goto(batch_url)
    assert page.locator("main h1").first.inner_text() == "Wage sheet"
    page.locator("details.payroll-log summary").click()
    assert "Paid by the bank · 3 lines" in page.locator("details.payroll-log").inner_text()
    page.screenshot(path=str(shots / "enterprise-payroll-paid-en.png"), full_page=True)
    page.goto(f"{PAYROLL}/lines/{lines['W1']['id']}")
    assert page.locator("tbody tr").count() >= 5
    page.screenshot(path=str(shots / "enterprise-payroll-line-days-en.png"), full_page=True)
    # a download ends its navigation: Chromium reports the POST that answered with a file as
    # aborted, which is the download working, not a failure
    downloads = [p for p in w.problems if p.endswith("/bank-file net::ERR_ABORTED")]
    assert len(downloads) == 2 and [p for p in w.problems if p not in downloads] == []
    w.close()

    # the subcontractor's admin: its own worker's line, no payroll steps, in zh-CN
    s = Watched(browser, central.base, LAPTOP)
    s.sign_in("sub-admin", landing=PAYROLL)
    s.page.goto(batch_url)
    shown = s.page.locator('td[data-column="worker_id"]')
    assert [shown.nth(i).inner_text() for i in range(shown.count())] == ["W4"]
    assert s.page.locator("#approve-form, #bank-file-form, #bank-result-form").count() == 0
    s.page.screenshot(
        path=str(shots / "enterprise-payroll-subcontractor-zh_CN.png"), full_page=True
    )
    assert s.problems == []
    s.close()
