"""The warnings queue in real headless Chromium against a served central: a dust alarm stored
by the write path is in the queue, a city supervisor escalates, assigns and resolves it
through the detail page's forms, and the queue (page and export) follows.

Same harness as tests/integration/test_console_browser.py (Debian's chromium, Playwright,
every console error and failed request collected); screenshots go to the folder it prints.
"""

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import SHANGHAI, Region, console_region, new_db
from openpyxl import load_workbook
from test_console_browser import LAPTOP, PHONE, Watched

from central.auth.users import UserIn, add_user
from central.ingest.projections import project
from central.storage.database import StoredEvent
from central.warnings import devices
from conftest import TEST_PASSWORD, Central, wait_until
from wireproto import Envelope, new_event_id
from wireproto.messages import DeviceStatusBody, DustAlarmBody

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, Region]]:
    tmp = tmp_path_factory.mktemp("warnings-browser")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    for username, division in (("nn-inspector", "450100"), ("lz-inspector", "450200")):
        add_user(
            db,
            UserIn(
                username=username,
                password=TEST_PASSWORD,
                role="supervisor",  # type: ignore[arg-type]
                division_code=division,
            ),
        )
    # the Nanning gate reports PM10 over its limit, stored and handed on as ingest does
    at = datetime.now(UTC) - timedelta(minutes=10)
    body = DustAlarmBody(
        state="raised", pollutant="pm10", value=182.5, limit=150, profile="guangxi",
        window="1h", at=at, exceedances_today=3, allowed_per_day=2,
    )  # fmt: skip
    env = Envelope(
        id=new_event_id(), site=region.nanning, device="gate-1", seq=900, created_at=at, body=body
    )
    alarm = StoredEvent(
        env.id, env.site, env.device, env.seq, env.kind, at.isoformat(), "{}", project(env)
    )
    db.store([alarm], [], datetime.now(UTC))
    devices.after_ingest(db, [alarm])
    # a second Nanning gate whose last signed status came two hours ago: serve's gate watch
    # finds it silent at start (30 minutes by default) and opens a warning
    db.add_device(region.nanning, "gate-2", bytes(32).hex())
    then = datetime.now(SHANGHAI) - timedelta(hours=2)
    status = DeviceStatusBody(state="online", outbox_depth=0, camera_ok=True, at=then)
    db.set_device_status(
        region.nanning, "gate-2", status.model_dump_json(exclude={"kind"}), then.isoformat()
    )
    db.close()
    central = Central(tmp, broker_url, str(tmp / "central.db")).start()
    yield central, region
    central.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    from test_console_browser import CHROMIUM, CHROMIUM_ARGS

    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    folder = Path(os.environ.get("SITEGATE_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


def silent_gates(page) -> int:  # type: ignore[no-untyped-def]
    page.goto("/console/warnings?kind=device_offline")
    return page.locator("td[data-column=subject] a").count()  # type: ignore[no-any-return]


def open_rows(page) -> list[str]:  # type: ignore[no-untyped-def]
    page.goto("/console/warnings?state=open")
    return page.locator("td[data-column=id]").all_inner_texts()  # type: ignore[no-any-return]


def test_handling_a_warning_updates_the_queue(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    central, region = served
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("nn-inspector")
    page.goto("/console/warnings")
    assert page.locator("main h1").inner_text() == "关键指标预警"
    text = page.locator("main").inner_text()
    assert "扬尘超标" in text and region.liuzhou not in text  # Liuzhou's warning is not ours
    # the silent gate's warning, opened by serve's own gate watch
    wait_until(lambda: silent_gates(page), 20, "serve's warning about the silent gate")
    subject = page.locator("td[data-column=subject]").inner_text()
    assert "nn-1/gate-2" in subject and "失联" in subject and "silent" not in subject
    assert page.locator("td[data-column=city_name]").inner_text() == "南宁市"
    page.goto("/console/warnings")
    page.screenshot(path=str(shots / "warnings-queue-zh_CN.png"), full_page=True)
    page.goto("/console/warnings?state=open&kind=dust_exceedance")
    before = page.locator("td[data-column=id]").all_inner_texts()
    assert len(before) == 1
    # the export holds the rows shown, headers in the reader's language
    with page.expect_download() as download:
        page.locator("a.export").click()
    saved = shots / "warnings-open.xlsx"
    shutil.copy(download.value.path(), saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[0][0] == "编号" and [str(r[0]) for r in rows[1:]] == before

    page.locator("td[data-column=subject] a").first.click()
    page.wait_for_url(f"**/console/warnings/{before[0]}")
    page.fill("#escalate-note", "连续三次超标，需市级协调")
    page.locator("#escalate-form button").click()
    page.locator("[data-field=escalated_to]", has_text="450000").wait_for()
    page.fill("#assignee", "nn-inspector")
    page.fill("#assign-note", "本人跟进")
    page.locator("#assign-form button").click()
    page.locator("[data-field=assignee]", has_text="nn-inspector").wait_for()
    page.fill("#resolve-note", "已责令停工洒水，复测达标")
    page.locator("#resolve-form button").click()
    page.locator("#reopen-form").wait_for()  # resolved: the page now offers to reopen it
    history = page.locator("td[data-column=action]").all_inner_texts()
    assert history == ["产生", "上报 → 450000", "指派 → nn-inspector", "已结案"]
    page.screenshot(path=str(shots / "warning-detail-zh_CN.png"), full_page=True)

    page.goto("/console/warnings?state=open&kind=dust_exceedance")
    assert page.locator("td[data-column=id]").all_inner_texts() == []  # the queue follows
    assert len(open_rows(page)) == 1  # the silent gate's warning is still open
    page.goto("/console/warnings?state=handled&kind=dust_exceedance")
    assert page.locator("td[data-column=id]").all_inner_texts() == before
    assert page.locator("td[data-column=assignee]").inner_text() == "nn-inspector"
    page.screenshot(path=str(shots / "warnings-resolved-zh_CN.png"), full_page=True)
    # the same history in English, from the one catalogue
    page.goto(f"/console/warnings/{before[0]}")
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"**/console/warnings/{before[0]}")
    assert page.locator("main h1").inner_text() == f"Warning {before[0]}"
    assert page.locator("td[data-column=action]").all_inner_texts()[-1] == "Resolved"
    page.screenshot(path=str(shots / "warning-detail-en.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_an_inspector_opens_an_arrears_case_from_a_warning(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    """The overdue Liuzhou batch's warning, in Chinese, becomes an arrears case through the
    warning page's form (a bad amount refused against its field, what was typed kept); the
    case page resolves it with a resolution; both pages link to each other."""
    central, region = served
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("lz-inspector")
    page.goto("/console/warnings?kind=batch_overdue")
    subject = page.locator("td[data-column=subject] a").first
    assert "工资未在" in subject.inner_text() and "wages not paid" not in subject.inner_text()
    assert page.locator("td[data-column=city_name]").first.inner_text() == "柳州市"
    subject.click()
    page.wait_for_url("**/console/warnings/*")
    warning_url = page.url
    page.fill("#field-amount_yuan", "7,2OO")  # a letter O typed for a zero
    page.fill("#field-workers", "2")
    page.fill("#field-summary", "六月工资逾期未发，两名工人")
    page.locator("#case-form button").click()
    page.locator("[data-error=amount_yuan]").wait_for()
    assert page.locator("#field-summary").input_value() == "六月工资逾期未发，两名工人"
    page.screenshot(path=str(shots / "warning-case-refused-zh_CN.png"), full_page=True)
    assert any("HTTP 422" in p and "/arrears-case" in p for p in w.problems)  # the refusal
    w.problems[:] = [p for p in w.problems if "422" not in p]
    page.fill("#field-amount_yuan", "7,200.00")
    page.locator("#case-form button").click()
    page.wait_for_url("**/console/arrears/*")
    assert page.locator("[data-fact=amount]").inner_text() == "7,200.00"
    assert page.locator("[data-fact=project]").inner_text().endswith(f"({region.liuzhou})")
    page.locator("#field-status").select_option("resolved")
    page.fill("#field-resolution", "总包已垫付两名工人六月工资")
    page.locator("#update-form button").click()
    page.locator("#saved").wait_for()
    assert page.locator("[data-fact=status]").inner_text() == "已结案"
    assert page.locator("td[data-column=action]").all_inner_texts()[0].startswith("立案")
    assert len(page.locator("td[data-column=action]").all_inner_texts()) == 2
    page.screenshot(path=str(shots / "arrears-case-zh_CN.png"), full_page=True)
    page.locator("[data-fact=source] a").click()
    page.wait_for_url(warning_url)
    assert page.locator(".linked-cases li").count() == 1
    assert page.locator("#case-form").count() == 1  # that case is resolved: a new one may be
    page.goto("/console/arrears")
    assert page.locator("td[data-column=city_name]").first.inner_text() == "柳州市"
    page.screenshot(path=str(shots / "arrears-list-zh_CN.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_the_queue_and_a_warning_fit_a_phone(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    central, _region = served
    w = Watched(browser, central.base, PHONE)
    w.sign_in("nn-inspector")
    w.page.goto("/console/warnings")
    first = w.page.locator("td[data-column=id]").first.inner_text()
    for path in ("/console/warnings", f"/console/warnings/{first}"):
        w.page.goto(path)
        overflow = w.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
    w.page.screenshot(path=str(shots / "warning-detail-phone.png"), full_page=True)
    assert w.problems == []
    w.close()
