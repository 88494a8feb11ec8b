"""The gate fleet and dust pages in real headless Chromium against a served central on a
seeded SQLite file: both pages in zh-CN and English, the chart drawn from central's own
ECharts, no console errors or failed requests, a city supervisor's scope; screenshots.

Shares the browser helpers of tests/integration/test_console_browser.py (Debian's chromium
through Playwright; screenshots to ``$SITEGATE_SCREENSHOTS`` or a printed temporary folder).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import Region, console_fleet_and_dust, console_region, new_db
from test_console_browser import LAPTOP, PHONE, Watched, browser, shots  # noqa: F401 - fixtures

from central.auth.users import UserIn, add_user
from conftest import TEST_PASSWORD, Central, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fleet(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, Region]]:
    tmp = tmp_path_factory.mktemp("devices-browser")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    console_fleet_and_dust(db, region)
    for name, division in (("gx-inspector", "450000"), ("nn-inspector", "450100")):
        add_user(
            db,
            UserIn(
                username=name, password=TEST_PASSWORD, role="supervisor", division_code=division
            ),
        )  # type: ignore[arg-type]
    db.close()
    central = Central(tmp, broker_url, str(tmp / "central.db")).start()
    yield central, region
    central.stop()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_fleet_and_dust_pages_in_each_language(fleet, browser, shots: Path, locale: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = fleet
    english = locale == "en"
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    w.sign_in("gx-inspector", english=english)
    page.goto("/console/gates")
    assert page.locator("main h1").inner_text() == ("Gates" if english else "闸机")
    headers = page.locator("thead th").all_inner_texts()
    assert ("Outbox depth" if english else "待上传事件") in [h.strip() for h in headers]
    gates = page.locator("td[data-column=gate]").all_inner_texts()
    assert gates == [f"{region.liuzhou}/gate-1", f"{region.nanning}/gate-1"]
    # since when: serve's gate watch records each gate's transition at its first pass (the
    # heartbeat's stamp; Liuzhou's own "offline" status), the page shows it
    assert ("Online since" if english else "在线起始时间") in [h.strip() for h in headers]

    def since() -> list[str]:
        page.goto("/console/gates")
        cells = [
            page.locator(f"td[data-column={c}]").all_inner_texts()
            for c in ("online_since", "offline_since", "status_at")
        ]
        return cells if all(t.strip() not in ("", "–") for t in cells[0][1:] + cells[1][:1]) else []

    online, offline, status_at = wait_until(since, 20, "the gates' online/offline since")
    assert online[1] == status_at[1] and offline[0] == status_at[0]  # Nanning; Liuzhou
    page.screenshot(path=str(shots / f"gates-fleet-{locale}.png"), full_page=True)

    page.goto("/console/dust")
    assert page.locator("main h1").inner_text() == ("Dust" if english else "扬尘监测")
    page.screenshot(path=str(shots / f"dust-{locale}.png"), full_page=True)
    page.locator(f"td[data-column=site] a[href='/console/dust/{region.nanning}']").click()
    page.wait_for_url(f"**/console/dust/{region.nanning}")
    page.locator("#dust-chart canvas").first.wait_for()  # drawn by central's own ECharts
    assert page.locator("[data-mist=gate-1] strong").inner_text() == (
        "Running" if english else "运行中"
    )
    assert page.locator("[data-profile-default]").count() == 0
    page.screenshot(path=str(shots / f"dust-site-{locale}.png"), full_page=True)
    page.goto(f"/console/dust/{region.liuzhou}")  # no profile named: the default, said so
    assert page.locator("[data-profile-default]").count() == 1
    page.screenshot(path=str(shots / f"dust-site-default-{locale}.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_a_city_supervisor_sees_only_their_city_s_gates_and_dust(fleet, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = fleet
    w = Watched(browser, central.base, LAPTOP)
    w.sign_in("nn-inspector")
    for path in ("/console/gates", "/console/dust"):
        w.page.goto(path)
        assert region.liuzhou not in w.page.locator("main").inner_text(), path
    # the other city's site page is not found, with this session (no page load: no console error)
    hidden = w.page.request.get(f"{central.base}/console/dust/{region.liuzhou}")
    assert hidden.status == 404 and region.liuzhou not in hidden.text().split("<main", 1)[-1]
    assert w.problems == []
    w.close()


def test_devices_and_dust_pages_fit_a_phone(fleet, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = fleet
    w = Watched(browser, central.base, PHONE)
    w.sign_in("gx-inspector")
    for path in ("/console/gates", "/console/dust", f"/console/dust/{region.nanning}"):
        w.page.goto(path)
        if path.endswith(region.nanning):
            w.page.locator("#dust-chart canvas").first.wait_for()
        overflow = w.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a phone"  # tables scroll inside
    w.page.screenshot(path=str(shots / "dust-site-phone.png"), full_page=True)
    assert w.problems == []
    w.close()
