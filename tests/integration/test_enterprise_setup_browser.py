"""The enterprise console's set-up pages in real headless Chromium against a served central
on a seeded SQLite file: a general contractor's admin sets up its project (wage account,
subcontractor, a gate provisioned and its config file downloaded once, a config push), in
zh-CN and English; a subcontractor's admin and a site manager see their part only. Refused
forms show the field and the reason and keep what was typed; screenshots of each page.

Shares the browser helpers of tests/integration/test_console_browser.py.
"""

import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import yaml
from factories import EnterpriseWorld, enterprise_world
from openpyxl import load_workbook
from seeded_central import seeded_central
from test_console_browser import (  # noqa: F401 - fixtures
    LAPTOP,
    Watched,
    browser,
    shots,
)

from conftest import TEST_PASSWORD, Central

pytestmark = pytest.mark.browser

TODAY = "/console/enterprise/today"
WORDS = {
    "zh_CN": {
        "today": "今日现场",
        "setup": "项目设置",
        "gates": "闸机",
        "warnings": "预警",
        "gone": "只交付一次",
        "saved": "已保存",
    },
    "en": {
        "today": "Today at the site",
        "setup": "Project set-up",
        "gates": "Gates",
        "warnings": "Warnings",
        "gone": "handed over only once",
        "saved": "Saved",
    },
}


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, EnterpriseWorld]]:
    tmp = tmp_path_factory.mktemp("enterprise-browser")
    with seeded_central(tmp, broker_url, partial(enterprise_world, password=TEST_PASSWORD)) as it:
        yield it


def expect_problems(w: Watched, *statuses: int) -> None:
    """The refused submissions answered exactly these statuses (the browser also logs each
    as a console error naming the status), and nothing else failed."""
    answered = [int(p.split()[1].rstrip(":")) for p in w.problems if p.startswith("HTTP ")]
    logged = [p for p in w.problems if not p.startswith("HTTP ")]
    assert sorted(answered) == sorted(statuses), w.problems
    assert all(
        p.startswith("console error: Failed to load resource")
        and any(f"status of {s}" in p for s in statuses)
        for p in logged
    ), w.problems
    w.problems.clear()


def not_wider_than_the_screen(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_general_contractor_sets_up_its_project(  # type: ignore[no-untyped-def]
    served,
    browser,  # noqa: F811
    shots: Path,  # noqa: F811
    locale: str,
) -> None:
    central, ent = served
    words = WORDS[locale]
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("gc-admin", english=locale == "en", landing=TODAY)
    heading = page.locator("main h1")
    assert heading.inner_text() == words["today"]
    # the chart is drawn (ECharts' canvas) beside its table, the figures are the site's
    page.locator("#arrivals-chart canvas").first.wait_for()
    assert page.locator("[data-figure=on_site]").inner_text() == "2"
    assert page.locator("#on-site td[data-column=worker_id]").all_inner_texts() == ["EA1", "ES1"]
    assert page.locator("tr[data-gate=gate-2] .flag").count() == 2  # behind, clock off
    not_wider_than_the_screen(page)
    page.screenshot(path=str(shots / f"enterprise-today-{locale}.png"), full_page=True)

    page.get_by_role("link", name=words["setup"], exact=True).click()
    page.wait_for_url("**/console/enterprise/projects")
    page.locator("td[data-column=id] a", has_text=ent.project).click()
    page.wait_for_url(f"**/console/enterprise/projects/{ent.project}")

    # the special wage account: a wrong number is named and kept, then saved and masked
    number = "6228480018012345678"
    page.fill("#field-bank", "中国农业银行")
    page.fill("#field-account_number", "62284800x")
    page.fill("#field-opened_on", "2025-03-01")
    page.locator("#account-form button[type=submit]").click()
    page.locator("[data-error=account_number]").wait_for()
    assert page.input_value("#field-account_number") == "62284800x"
    assert page.input_value("#field-bank") == "中国农业银行"
    page.screenshot(path=str(shots / f"enterprise-account-refused-{locale}.png"), full_page=True)
    expect_problems(w, 422)
    page.fill("#field-account_number", number)
    page.locator("#account-form button[type=submit]").click()
    page.wait_for_url("**?saved=account")
    masked = page.locator("#wage-account [data-field=account]").inner_text()
    assert "*" in masked and masked.endswith(number[-4:]) and number not in page.content()

    # a subcontractor by its credit code: a bad code is named, the right one registered
    registered = page.locator("#enterprises td[data-column=name]", has_text="劳务分包 乙")
    if registered.count() == 0:  # the first language's run registers it
        page.fill("#field-uscc", "91-NOT-A-CODE")
        page.locator("#subcontractor-form button[type=submit]").click()
        page.locator("[data-error=uscc]").wait_for()
        assert page.input_value("#field-uscc") == "91-NOT-A-CODE"
        expect_problems(w, 422)
        page.fill("#field-uscc", ent.spare_uscc)
        page.locator("#subcontractor-form button[type=submit]").click()
        page.wait_for_url("**?saved=enterprises")
    assert registered.count() == 1
    page.screenshot(path=str(shots / f"enterprise-project-{locale}.png"), full_page=True)

    # a gate: provisioned, its config file downloaded once, a second download refused
    device = f"gate-{locale.lower().replace('_', '')}"
    page.get_by_role("link", name=words["gates"], exact=True).click()
    page.wait_for_url("**/console/enterprise/gates")
    page.select_option("#field-project", ent.project)
    page.fill("#field-device", "bad id/1")
    page.locator("#provision-form button[type=submit]").click()
    page.locator("[data-error=device]").wait_for()
    assert page.input_value("#field-device") == "bad id/1"
    expect_problems(w, 422)
    page.fill("#field-device", device)
    page.locator("#provision-form button[type=submit]").click()
    page.wait_for_url(f"**/console/enterprise/gates/{ent.project}/{device}")
    page.screenshot(path=str(shots / f"enterprise-gate-provisioned-{locale}.png"), full_page=True)
    with page.expect_download() as download:
        page.locator("#config-file-form button[type=submit]").click()
    # a form whose answer is a file: the browser drops the navigation it started
    assert all(p.endswith("/config-file net::ERR_ABORTED") for p in w.problems), w.problems
    w.problems.clear()
    # (read where Playwright put it: the file holds a secret, it stays out of the shots)
    config = yaml.safe_load(Path(download.value.path()).read_text(encoding="utf-8"))
    assert (config["site"], config["device"]) == (ent.project, device)
    assert len(config["secret"]) == 64 and config["broker"]["password"]
    # the form is still on the page: a second click is refused, and the page says why
    page.locator("#config-file-form button[type=submit]").click()
    page.locator("#config-file-gone").wait_for()
    assert words["gone"] in page.locator("#config-file-gone").inner_text()
    assert config["secret"] not in page.content()
    page.screenshot(path=str(shots / f"enterprise-gate-file-refused-{locale}.png"), full_page=True)
    expect_problems(w, 409)

    # a config push: a threshold out of range is named and kept, then pushed
    page.goto(f"/console/enterprise/gates/{ent.project}/{device}")
    page.fill("#field-threshold", "1.5")
    page.locator("#config-form button[type=submit]").click()
    page.locator("[data-error=threshold]").wait_for()
    assert page.input_value("#field-threshold") == "1.5"
    expect_problems(w, 422)
    page.fill("#field-threshold", "0.42")
    page.select_option("#field-liveness", "strict")
    page.locator("#config-form button[type=submit]").click()
    page.wait_for_url("**?saved=1")
    assert page.locator("[data-field=desired_version]").inner_text() == "1"
    assert page.locator("[data-field=applied]").inner_text() in ("尚未", "Not yet")
    page.screenshot(path=str(shots / f"enterprise-gate-config-{locale}.png"), full_page=True)

    page.get_by_role("link", name=words["gates"], exact=True).click()
    page.wait_for_url("**/console/enterprise/gates")
    assert f"{ent.project}/{device}" in page.locator("td[data-column=gate]").all_inner_texts()
    page.screenshot(path=str(shots / f"enterprise-gates-{locale}.png"), full_page=True)
    assert w.problems == []
    w.close()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_subcontractor_sees_nothing_of_another_enterprise(  # type: ignore[no-untyped-def]
    served,
    browser,  # noqa: F811
    shots: Path,  # noqa: F811
    locale: str,
) -> None:
    central, ent = served
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("sub-admin", english=locale == "en", landing=TODAY)
    assert page.locator("#on-site td[data-column=worker_id]").all_inner_texts() == ["ES1"]
    with page.expect_download() as download:
        page.locator("a.export").click()
    saved = shots / f"enterprise-on-site-subcontractor-{locale}.xlsx"
    shutil.copy(download.value.path(), saved)
    sheet = load_workbook(saved).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["ES1"]
    page.screenshot(
        path=str(shots / f"enterprise-today-subcontractor-{locale}.png"), full_page=True
    )
    for path, hidden in (
        ("/console/enterprise/projects", ent.other),
        (f"/console/enterprise/projects/{ent.project}", "91110000600037341L"),
        ("/console/enterprise/gates", ent.other),
        ("/console/warnings", "EA1"),
    ):
        page.goto(path)
        assert hidden not in page.content(), path
        assert page.locator("form.entry-form").count() == 0, path  # no set-up forms
        assert page.locator("#provision-form").count() == 0
    page.screenshot(
        path=str(shots / f"enterprise-warnings-subcontractor-{locale}.png"), full_page=True
    )
    # the served central's own indicator scan adds its warnings: all about ES1 alone
    subjects = page.locator("td[data-column=subject]").all_inner_texts()
    assert subjects and all("ES1" in s for s in subjects), subjects
    page.goto(f"/console/enterprise/today?project={ent.other}")
    assert page.locator("main h1").inner_text() == "404"
    assert "项目 ent-b" not in page.content()
    expect_problems(w, 404)
    w.close()


def test_a_site_manager_runs_its_site_in_english(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, ent = served
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("site-mgr", english=True, landing=TODAY)
    assert page.locator("main h1").inner_text() == "Today at the site"
    assert page.locator("#project-picker option").all_inner_texts() == [
        f"项目 {ent.project} ({ent.project})"
    ]
    page.get_by_role("link", name="Warnings", exact=True).click()
    page.wait_for_url("**/console/warnings")
    subjects = page.locator("td[data-column=subject]").all_inner_texts()
    # the factory's two and what the served central's own scan raised: ent-a's only
    assert len(subjects) >= 2 and not any("EB1" in s or "ent-b" in s for s in subjects)
    page.locator("td[data-column=subject] a").first.click()
    page.wait_for_url("**/console/warnings/*")
    assert page.locator("#resolve-form").count() == 0  # a site manager reads, the admin handles
    page.screenshot(path=str(shots / "enterprise-warning-site-manager-en.png"), full_page=True)
    page.goto(f"/console/enterprise/projects/{ent.project}")
    # reads the project, its account included; changes neither its status nor its account
    assert page.locator("#status-form").count() == 0
    assert page.locator("#account-form").count() == 0
    page.screenshot(path=str(shots / "enterprise-project-site-manager-en.png"), full_page=True)
    assert w.problems == []
    w.close()
