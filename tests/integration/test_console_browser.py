"""The web console in real headless Chromium against a served central (``sitegate-central
serve``) on a seeded SQLite file: sign in, every page in zh-CN and English, figures against
the API and SQL, CSRF refusal, logout, a city supervisor's scope, three screen sizes.

Debian's ``/usr/bin/chromium`` driven by Playwright (``playwright install`` is never run).
Screenshots go to ``$SITEGATE_SCREENSHOTS`` or a pytest temporary folder; the folder is
printed (``pytest -s`` shows it).
"""

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from factories import SHANGHAI, Region, console_region, new_db
from sqlalchemy import func, select

from central.auth.users import UserIn, add_user
from central.storage import Database, schema
from conftest import TEST_PASSWORD, Central, api_headers

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = (
    "/console/overview",
    "/console/projects",
    "/console/workers",
    "/console/gates",
    "/console/warnings",
)
LAPTOP = {"width": 1366, "height": 768}
WALL = {"width": 1920, "height": 1080}
PHONE = {"width": 360, "height": 640}

if not Path(CHROMIUM).exists():  # pragma: no cover - .ci/run installs it
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, Region]]:
    tmp = tmp_path_factory.mktemp("console-browser")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    for name, scope in {
        "gx-inspector": {"role": "supervisor", "division_code": "450000"},
        "nn-inspector": {"role": "supervisor", "division_code": "450100"},
    }.items():
        add_user(db, UserIn(username=name, password=TEST_PASSWORD, **scope))  # type: ignore[arg-type]
    db.close()
    central = Central(tmp, broker_url, str(tmp / "central.db")).start()
    yield central, region
    central.stop()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("SITEGATE_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nconsole screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors and failed requests are collected."""

    def __init__(self, browser, base: str, viewport: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport=viewport, base_url=base)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.outside: list[str] = []  # requests to anywhere but central: a closed network

        def only_central(route) -> None:  # type: ignore[no-untyped-def]
            if route.request.url.startswith((base, "data:", "blob:")):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        self.context.route("**/*", only_central)
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", self._failed)
        self.page.on(
            "response",
            lambda r: (
                self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None
            ),
        )

    def _failed(self, request) -> None:  # type: ignore[no-untyped-def]
        # The browser fetches the tab icon on its own after a page loads and cancels that
        # fetch when the test navigates on first: not a failure of the page.
        if request.url.endswith("/favicon.svg") and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"failed: {request.url} {request.failure}")

    def sign_in(
        self, username: str, english: bool = False, landing: str = "/console/overview"
    ) -> None:
        """Open ``landing`` signed out, sign in on the login page it leads to, land there."""
        page = self.page
        page.goto(landing)
        assert page.url.endswith(f"/console/login?next={landing}")
        if english and page.locator("html").get_attribute("lang") != "en":
            page.get_by_role("button", name="English").click()
            page.wait_for_url("**/console/login**")
        page.fill("#username", username)
        page.fill("#password", TEST_PASSWORD)
        page.locator("form[action='/console/login'] button[type=submit]").click()
        page.wait_for_url(f"**{landing}")

    def close(self) -> None:
        self.context.close()
        assert self.outside == [], "the page reached beyond central"


def figures(page) -> dict[str, str]:  # type: ignore[no-untyped-def]
    cells = page.locator("[data-figure]")
    return {
        cells.nth(i).get_attribute("data-figure"): cells.nth(i).inner_text()
        for i in range(cells.count())
    }


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_page_in_each_language(served, browser, shots: Path, locale: str) -> None:  # type: ignore[no-untyped-def]
    central, _region = served
    english = locale == "en"
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    page.goto("/console/login")
    if english:  # the switch in the header, remembered by a cookie from here on
        page.get_by_role("button", name="English").click()
        page.wait_for_url("**/console/login")
        assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(shots / f"login-{locale}.png"), full_page=True)
    w.sign_in("gx-inspector", english=english)
    assert page.locator("html").get_attribute("lang") == ("en" if english else "zh-CN")
    heading = page.locator("main h1").inner_text()
    assert heading == ("Overview" if english else "概览分析")
    # the chart really rendered from central's own copy of ECharts
    page.locator("#daily-chart canvas").first.wait_for()
    page.screenshot(path=str(shots / f"overview-{locale}.png"), full_page=True)

    shown = figures(page)
    api = httpx.get(
        f"{central.base}/api/v1/overview",
        headers=api_headers(central.db, "gx-api", "supervisor", division_code="450000"),
        timeout=10,
    ).json()
    for key in ("registered_workers", "payroll_cards", "projects", "on_site_today"):
        assert shown[key] == str(api[key]), key
    db = Database(central.db)
    with db.engine.connect() as conn:
        e, a = schema.employments.c, schema.attendance.c
        workers = conn.execute(select(func.count(func.distinct(e.worker_id)))).scalar_one()
        on_site = conn.execute(
            select(func.count(func.distinct(a.worker_id))).where(
                a.local_date == datetime.now(SHANGHAI).date().isoformat()
            )
        ).scalar_one()
    db.close()
    assert (shown["registered_workers"], shown["on_site_today"]) == (str(workers), str(on_site))
    assert (workers, on_site) == (5, 2)

    for path in PAGES[1:]:
        page.goto(path)
        assert page.locator("main h1").inner_text()
        name = path.rsplit("/", 1)[1]
        page.screenshot(path=str(shots / f"{name}-{locale}.png"), full_page=True)
    # an export link downloads a workbook that openpyxl opens, holding the rows shown
    page.goto("/console/workers")
    shown_ids = page.locator("td[data-column=id]").all_inner_texts()
    with page.expect_download() as download:
        page.locator("a.export").click()
    saved = shots / f"workers-{locale}.xlsx"
    shutil.copy(download.value.path(), saved)
    from openpyxl import load_workbook

    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[0][0] == ("Worker ID" if english else "工人编号")
    assert [r[0] for r in rows[1:]] == shown_ids and len(shown_ids) == 5

    page.locator("form[action='/console/logout'] button").click()
    page.wait_for_url("**/console/login")
    page.goto("/console/overview")
    assert "/console/login" in page.url  # the session is gone
    assert w.problems == []
    w.close()


def test_a_city_supervisor_sees_only_their_city(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    central, region = served
    w = Watched(browser, central.base, LAPTOP)
    w.sign_in("nn-inspector")
    assert figures(w.page)["projects"] == "1"
    for path in PAGES:
        w.page.goto(path)
        text = w.page.locator("main").inner_text()
        assert region.liuzhou not in text
        assert not any(worker in text for worker in region.liuzhou_workers)
    assert region.nanning in w.page.goto("/console/projects").text()
    w.page.screenshot(path=str(shots / "projects-nanning-supervisor.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_a_form_without_the_csrf_token_is_refused(served, browser) -> None:  # type: ignore[no-untyped-def]
    central, _region = served
    w = Watched(browser, central.base, LAPTOP)
    w.sign_in("gx-inspector")
    page = w.page
    page.evaluate(
        "document.querySelector(\"form[action='/console/logout'] input[name=csrf_token]\").remove()"
    )
    page.locator("form[action='/console/logout'] button").click()
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text() == "403"
    page.goto("/console/overview")
    assert page.url.endswith("/console/overview")  # the forged logout did nothing
    w.close()


@pytest.mark.parametrize(("name", "size"), [("wall", WALL), ("phone", PHONE)])
def test_layout_fits_the_screen(served, browser, shots: Path, name: str, size: dict) -> None:  # type: ignore[no-untyped-def, type-arg]
    central, _region = served
    w = Watched(browser, central.base, size)
    w.sign_in("gx-inspector")
    for path in PAGES[:2]:
        w.page.goto(path)
        if path.endswith("overview"):
            w.page.locator("#daily-chart canvas").first.wait_for()
        overflow = w.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        # a wide table may scroll inside its own box, never the whole page
        assert overflow <= 0, f"{path} is {overflow}px wider than a {name} screen"
        w.page.screenshot(path=str(shots / f"{path.rsplit('/', 1)[1]}-{name}.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_api_docs_render_offline(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]
    central, _region = served
    w = Watched(browser, central.base, LAPTOP)
    w.page.goto("/docs")
    w.page.locator(".swagger-ui .info .title").wait_for()
    assert "sitegate central" in w.page.locator(".swagger-ui .info .title").inner_text()
    w.page.locator(".opblock").first.wait_for()
    w.page.screenshot(path=str(shots / "api-docs.png"))
    assert w.problems == []
    w.close()


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(c => c.labels.length === 0 && !c.getAttribute('aria-label')).map(c => c.outerHTML)"""


def test_keyboard_and_labels(served, browser) -> None:  # type: ignore[no-untyped-def]
    central, _region = served
    w = Watched(browser, central.base, LAPTOP)
    w.page.goto("/console/login")
    assert w.page.evaluate(UNLABELLED) == []
    w.sign_in("gx-inspector")
    for path in PAGES:
        w.page.goto(path)
        assert w.page.evaluate(UNLABELLED) == [], path
        for landmark in ("header", "nav", "main", "footer"):
            assert w.page.locator(landmark).count() >= 1, (path, landmark)
    w.page.goto("/console/projects")
    w.page.keyboard.press("Tab")  # the first stop is the skip link, shown when focused
    focused = w.page.evaluate("document.activeElement.className")
    assert focused == "skip-link" and w.page.locator(".skip-link").is_visible()
    outline = w.page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # a visible focus ring
    w.page.keyboard.press("Enter")
    assert w.page.evaluate("document.activeElement.id") == "main"
    assert w.problems == []
    w.close()
