"""考勤管理 and 工资发放管理 in real headless Chromium against a served central on a seeded
SQLite file: each page in zh-CN and English, drill-downs by clicking (project day → its
workers → a worker's month; batch → wage sheet → a line's days), no console errors or failed
requests, an export that openpyxl opens holding the rows shown; screenshots.

Shares the browser helpers of tests/integration/test_console_browser.py (Debian's chromium
through Playwright; screenshots to ``$SITEGATE_SCREENSHOTS`` or a printed temporary folder).
"""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import Region, console_region, new_db
from openpyxl import load_workbook
from test_console_browser import (  # noqa: F401 - fixtures
    LAPTOP,
    PHONE,
    Watched,
    browser,
    shots,
)

from central.auth.users import UserIn, add_user
from conftest import TEST_PASSWORD, Central

pytestmark = pytest.mark.browser

TITLES = {
    "zh_CN": (
        "考勤管理",
        "每日考勤明细",
        "工人月度考勤",
        "工资发放管理",
        "工资表",
        "工资明细（按日）",
    ),
    "en": (
        "Attendance",
        "Attendance days",
        "A worker's month",
        "Wage payment",
        "Wage sheet",
        "A wage line's days",
    ),
}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, Region]]:
    tmp = tmp_path_factory.mktemp("attendance-browser")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    for name, division in (("gx-inspector", "450000"), ("nn-inspector", "450100")):
        scope = {"role": "supervisor", "division_code": division}
        add_user(db, UserIn(username=name, password=TEST_PASSWORD, **scope))  # type: ignore[arg-type]
    db.close()
    central = Central(tmp, broker_url, str(tmp / "central.db")).start()
    yield central, region
    central.stop()


def export_rows(page, saved: Path) -> list[tuple[object, ...]]:  # type: ignore[no-untyped-def]
    with page.expect_download() as download:
        page.locator("a.export").click()
    shutil.copy(download.value.path(), saved)
    return list(load_workbook(saved).active.iter_rows(values_only=True))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_attendance_and_wage_pages_drill_down(served, browser, shots: Path, locale: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = served
    titles = TITLES[locale]
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("gx-inspector", english=locale == "en")
    heading = page.locator("main h1")

    page.get_by_role("link", name=titles[0], exact=True).click()
    page.wait_for_url("**/console/attendance")
    assert heading.inner_text() == titles[0]
    page.screenshot(path=str(shots / f"attendance-{locale}.png"), full_page=True)
    dates = page.locator("td[data-column=local_date]").all_inner_texts()
    rows = export_rows(page, shots / f"attendance-{locale}.xlsx")
    assert rows[0][0] == ("日期" if locale == "zh_CN" else "Date")
    assert [r[0] for r in rows[1:]] == dates and "2025-06-10" in dates

    # a project's day → who was on site → one worker's month
    page.locator(f"a[href*='project={region.nanning}&date=2025-06-10']").first.click()
    page.wait_for_url("**/console/attendance/days?**")
    assert heading.inner_text() == titles[1]
    assert page.locator("td[data-column=worker_id]").all_inner_texts() == ["NN1", "NN2"]
    page.screenshot(path=str(shots / f"attendance-day-{locale}.png"), full_page=True)
    page.locator("td[data-column=worker_id] a", has_text="NN1").click()
    page.wait_for_url("**/console/attendance/worker?**")
    assert heading.inner_text() == titles[2]
    assert "*" in page.locator("[data-fact=id_number]").inner_text()
    assert "*" in page.locator("[data-fact=card]").inner_text()
    assert page.locator("[data-fact=days]").inner_text() == "5"
    page.screenshot(path=str(shots / f"attendance-worker-{locale}.png"), full_page=True)

    page.get_by_role("link", name=titles[3], exact=True).click()
    page.wait_for_url("**/console/payroll")
    assert heading.inner_text() == titles[3]
    statuses = page.locator("td[data-column=status]").all_inner_texts()
    assert sorted(statuses) == sorted(
        ["已发放", "已逾期"] if locale == "zh_CN" else ["Paid", "Overdue"]
    )
    page.screenshot(path=str(shots / f"payroll-{locale}.png"), full_page=True)
    batches = page.locator("td[data-column=project_id]").all_inner_texts()
    rows = export_rows(page, shots / f"payroll-{locale}.xlsx")
    assert [r[1] for r in rows[1:]] == batches

    # a batch → its wage sheet → one line's days
    nanning_row = page.locator(
        "tr", has=page.locator("td[data-column=project_id]", has_text=region.nanning)
    )
    nanning_row.locator("td[data-column=id] a").click()
    page.wait_for_url("**/console/payroll/*")
    assert heading.inner_text() == titles[4]
    workers = page.locator("td[data-column=worker_id]").all_inner_texts()
    assert workers == list(region.nanning_workers[:2])
    page.screenshot(path=str(shots / f"wage-sheet-{locale}.png"), full_page=True)
    rows = export_rows(page, shots / f"wage-sheet-{locale}.xlsx")
    assert [r[0] for r in rows[1:]] == workers
    page.locator("td[data-column=worker_id] a").first.click()
    page.wait_for_url("**/console/payroll/lines/*")
    assert heading.inner_text() == titles[5]
    assert page.locator("td[data-column=local_date]").count() == 5
    page.screenshot(path=str(shots / f"wage-line-{locale}.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_a_city_supervisor_sees_only_their_city(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = served
    w = Watched(browser, central.base, LAPTOP)
    w.sign_in("nn-inspector")
    for path in ("/console/attendance", "/console/attendance/days", "/console/payroll"):
        w.page.goto(path)
        text = w.page.locator("main").inner_text()
        assert region.nanning in text and region.liuzhou not in text, path
        assert not any(worker in text for worker in region.liuzhou_workers), path
    assert w.problems == []
    w.close()


def test_the_pages_fit_a_phone(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = served
    w = Watched(browser, central.base, PHONE)
    w.sign_in("gx-inspector")
    for name, path in (
        ("attendance", "/console/attendance"),
        (
            "attendance-worker",
            f"/console/attendance/worker?project={region.nanning}&worker=NN1&month=2025-06",
        ),
        ("payroll", "/console/payroll"),
        ("wage-sheet", "/console/payroll/1"),
    ):
        w.page.goto(path)
        overflow = w.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        # a wide table scrolls inside its own box, never the whole page
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
        w.page.screenshot(path=str(shots / f"{name}-phone.png"), full_page=True)
    assert w.problems == []
    w.close()
