"""The worker's own pages on a phone, in real headless Chromium (360×640, touch, mobile
emulation) against a served central on the seeded console region:

- the site manager issues an activation code in the enterprise console (text, link, QR code);
  the worker opens the link on the phone, a trivial PIN is refused with the reason, a good
  one signs them in; they sign out and in again with their phone number and with their ID
  number;
- Today (checked in, where and when; the check-in QR code, decoded from the screen and
  verified against central's public key, renewed by the page's script before it expires),
  My days (the month's calendar; a 补卡 request that reaches the site manager's queue in the
  enterprise console), My wages (the month's line and its days); zh-CN and English;
- a dispute filed on the phone reaches the contractor's wage sheet in the enterprise console;
  another worker's line in the URL is 404;
- every worker page's weight and first paint on an empty cache under Chromium's Slow 3G
  emulation (this part's and the Face, Help, Jobs, Contracts and Training pages), printed.

Screenshots go to ``$SITEGATE_SCREENSHOTS`` or a pytest temporary folder (printed).
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from factories import SHANGHAI, Region, console_region, valid_ric
from seeded_central import seeded_central
from sqlalchemy import select
from test_console_browser import (  # noqa: F401 - fixtures
    LAPTOP,
    PHONE,
    Watched,
    browser,
    shots,
)
from web_client import add_users

from central.registry.sealing import Sealer
from central.storage import Database, schema
from conftest import TEST_PASSWORD, Central
from wireproto.qr import load_public_key, verify_token

pytestmark = pytest.mark.browser

NN1_ID = valid_ric(0)
NN1_PHONE = "13800138000"
LZ1_ID = valid_ric(10)
#: Chromium DevTools' "Slow 3G" preset (its network throttling presets: 400 ms RTT × 5 and
#: 500 kbit/s × 0.8 each way), sent with CDP Network.emulateNetworkConditions.
SLOW_3G = {
    "offline": False,
    "latency": 400 * 5,
    "downloadThroughput": 500 * 1000 / 8 * 0.8,
    "uploadThroughput": 500 * 1000 / 8 * 0.8,
}
BUDGET_BYTES = 200 * 1024
USABLE_S = 3.0


class Phone:
    """The test's browser with a phone's screen, touch and mobile viewport for every context."""

    def __init__(self, chromium: Any) -> None:
        self.browser = chromium

    def new_context(self, **options: Any) -> Any:
        return self.browser.new_context(
            **options, is_mobile=True, has_touch=True, device_scale_factor=2
        )


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, Region]]:
    tmp = tmp_path_factory.mktemp("worker-pages")

    def seed(db: Database, sealer: Sealer) -> Region:
        region = console_region(db, sealer, tmp)
        w, p = schema.workers, schema.projects
        with db.begin() as conn:
            conn.execute(w.update().where(w.c.id == "NN1").values(phone=NN1_PHONE))
            contractor = select(p.c.contractor_id).where(p.c.id == region.liuzhou)
            lz_boss = conn.execute(contractor).scalar()
        add_users(
            db,
            {
                "mgr-nn": {"role": "site_manager", "project_id": region.nanning},
                "boss-lz": {"role": "contractor_admin", "enterprise_id": lz_boss},
            },
        )
        return region

    with seeded_central(tmp, broker_url, seed) as it:
        yield it


def staff_token(central: Central, username: str) -> dict[str, str]:
    answer = httpx.post(
        f"{central.base}/api/v1/auth/login",
        json={"username": username, "password": TEST_PASSWORD},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def activated(central: Central, issuer: str, worker_id: str, pin: str) -> None:
    """A worker's account through the API (for the tests that are not about activation)."""
    code = httpx.post(
        f"{central.base}/api/v1/workers/{worker_id}/activation-code",
        headers=staff_token(central, issuer),
        timeout=10,
    )
    assert code.status_code == 201, code.text
    done = httpx.post(
        f"{central.base}/api/v1/auth/activate",
        json={"code": code.json()["code"], "pin": pin},
        timeout=10,
    )
    assert done.status_code == 200, done.text


def phone(chromium: Any, central: Central, english: bool) -> Watched:
    w = Watched(Phone(chromium), central.base, PHONE)
    if english:
        w.context.add_cookies([{"name": "sitegate_lang", "value": "en", "url": central.base}])
    return w


def sign_in(w: Watched, identifier: str, pin: str) -> None:
    page = w.page
    page.goto("/worker/login")
    page.fill("#identifier", identifier)
    page.fill("#pin", pin)
    page.locator("form[action='/worker/login'] button[type=submit]").tap()
    page.wait_for_url("**/worker/today")


def fits(page: Any) -> None:
    """Nothing wider than the phone's screen (no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide"


def decode_qr(png: bytes) -> str:
    import cv2

    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    # As a phone camera would: a few scales, black and white. OpenCV's classic detector missed
    # some valid codes at every scale (1 run in 3); its ArUco-based one read those at all.
    detectors = (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector())
    for scale in (1.0, 0.5, 0.75, 1.5):
        scaled = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        _, bw = cv2.threshold(scaled, 128, 255, cv2.THRESH_BINARY)
        bordered = cv2.copyMakeBorder(bw, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
        for detector in detectors:
            text, _points, _ = detector.detectAndDecode(bordered)
            if text:
                return str(text)
    Path("/tmp/h4a-undecoded.png").write_bytes(png)
    raise AssertionError("no QR code could be read from the screen")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_activation_sign_in_and_each_page(served, browser, shots: Path, locale: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = served
    english = locale == "en"
    text = {
        "weak": "too simple" if english else "太简单",
        "in": "You are checked in" if english else "你已进场",
        "days": "My days" if english else "我的考勤",
        "wages": "My wages" if english else "我的工资",
        "waiting": "waiting for the site manager" if english else "等待现场管理员处理",
    }
    # the site manager issues a code in the enterprise console
    manager = Watched(browser, central.base, LAPTOP)
    if english:
        manager.context.add_cookies([{"name": "sitegate_lang", "value": "en", "url": central.base}])
    landing = "/console/enterprise/workers/NN1/activation"
    manager.sign_in("mgr-nn", english=english, landing=landing)
    manager.page.locator("main form button[type=submit]").click()
    manager.page.locator("#activation-code").wait_for()
    code = manager.page.locator("#activation-code").inner_text()
    link = manager.page.locator("#activation-link").inner_text()
    assert link.endswith(f"/worker/activate?code={code}")
    # the QR code on the manager's screen carries the same link
    assert decode_qr(manager.page.locator(".activation-qr").screenshot()) == link
    manager.page.screenshot(path=str(shots / f"console-activation-{locale}.png"), full_page=True)

    # the worker opens the link on the phone
    w = phone(browser, central, english)
    page = w.page
    page.goto(link)
    assert page.locator("#code").input_value() == code
    page.fill("#pin", "123456")
    page.fill("#pin_again", "123456")
    page.locator("form[action='/worker/activate'] button[type=submit]").tap()
    page.locator("#pin-error").wait_for()
    assert text["weak"] in page.locator("#pin-error").inner_text()
    assert page.locator("#code").input_value() == code  # kept; the PIN is not
    w.problems.clear()  # the 422 answer above was the point
    page.screenshot(path=str(shots / f"worker-activate-refused-{locale}.png"), full_page=True)
    pin = "583920" if english else "470381"
    page.fill("#pin", pin)
    page.fill("#pin_again", pin)
    page.locator("form[action='/worker/activate'] button[type=submit]").tap()
    page.wait_for_url("**/worker/today?activated=1")

    # Today: checked in this morning at nn-1's gate, and a check-in QR code
    assert text["in"] in page.locator("#today-status").inner_text()
    assert "gate-1" in page.locator("#today-status").inner_text()
    qr = page.locator("#checkin-qr")
    page.wait_for_function("() => document.getElementById('checkin-qr').naturalWidth > 0")
    token = decode_qr(qr.screenshot())
    key = httpx.get(
        f"{central.base}/api/v1/qr/public-key", headers=staff_token(central, "mgr-nn"), timeout=10
    ).json()["public_key"]
    claims = verify_token(token, load_public_key(key), region.nanning)
    assert claims.worker_id == "NN1"
    fits(page)
    page.screenshot(path=str(shots / f"worker-today-{locale}.png"), full_page=True)

    # sign out, then in with the phone number, then with the ID number
    page.locator("form[action='/worker/logout'] button").tap()
    page.wait_for_url("**/worker/login")
    page.screenshot(path=str(shots / f"worker-login-{locale}.png"), full_page=True)
    sign_in(w, "138 0013 8000", pin)
    page.locator("form[action='/worker/logout'] button").tap()
    page.wait_for_url("**/worker/login")
    sign_in(w, NN1_ID, pin)

    # My days: the calendar, and a 补卡 request for a day the gate missed
    page.locator("nav.w-nav a[href='/worker/days']").tap()
    page.wait_for_url("**/worker/days")
    assert page.locator("main h1").inner_text() == text["days"]
    assert page.locator("table.w-cal td[data-date]").count() >= 28
    day = (datetime.now(SHANGHAI) - timedelta(days=3 if english else 2)).date()
    page.fill("#pr-day", day.isoformat())
    page.fill("#pr-first_in", "07:30")
    page.fill("#pr-last_out", "17:00")
    reason = "Gate was down" if english else "闸机停电没刷上"
    page.fill("#pr-reason", reason + f" {locale}")
    page.locator("#request-form button[type=submit]").tap()
    page.wait_for_url("**filed=true**")
    mine = page.locator("#requests li", has_text=day.isoformat())
    assert text["waiting"] in mine.first.inner_text()
    fits(page)
    page.screenshot(path=str(shots / f"worker-days-{locale}.png"), full_page=True)
    # …in the site manager's queue in the enterprise console
    manager.page.goto(f"/console/enterprise/attendance/requests?project={region.nanning}")
    assert reason in manager.page.locator("main").inner_text()
    manager.page.screenshot(path=str(shots / f"console-punch-queue-{locale}.png"), full_page=True)

    # My wages: June's paid line on the card, and its days
    page.locator("nav.w-nav a[href='/worker/wages']").tap()
    page.wait_for_url("**/worker/wages")
    assert page.locator("main h1").inner_text() == text["wages"]
    assert "2025-06" in page.locator("main").inner_text()
    assert "*" in page.locator("main .w-code").inner_text()  # the card, masked
    fits(page)
    page.screenshot(path=str(shots / f"worker-wages-{locale}.png"), full_page=True)
    page.locator("main a[href^='/worker/wages/']").first.tap()
    page.wait_for_url("**/worker/wages/*")
    assert page.locator("main table.w-table tbody tr").count() == 5  # 9–13 June
    fits(page)
    page.screenshot(path=str(shots / f"worker-wage-line-{locale}.png"), full_page=True)
    assert w.problems == [] and manager.problems == []
    w.close()
    manager.close()


def test_the_check_in_qr_code_renews_itself(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, _region = served
    activated(central, "mgr-nn", "NN2", "219364")
    w = phone(browser, central, english=False)
    w.context.clock.install()  # the page's timers run on a clock the test moves
    sign_in(w, valid_ric(1), "219364")
    page = w.page
    page.wait_for_function("() => document.getElementById('checkin-qr').naturalWidth > 0")
    first = decode_qr(page.locator("#checkin-qr").screenshot())
    renew = int(page.locator("#checkin-qr").get_attribute("data-renew-after") or 0)
    assert 0 < renew < 120  # before the token's two minutes run out
    w.context.clock.run_for(renew * 1000)
    page.wait_for_function(
        "() => document.getElementById('checkin-qr').getAttribute('data-renewals') === '1'"
    )
    second = decode_qr(page.locator("#checkin-qr").screenshot())
    assert second != first
    assert w.problems == []
    w.close()


def test_a_dispute_reaches_the_enterprise_console(served, browser, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, _region = served
    activated(central, "boss-lz", "LZ1", "640271")
    db = Database(central.db)
    with db.engine.connect() as conn:
        p = schema.payroll_lines.c
        line_id, batch_id = conn.execute(select(p.id, p.batch_id).where(p.worker_id == "LZ1")).one()
        other = conn.execute(select(p.id).where(p.worker_id == "NN1")).scalar_one()
    db.close()
    w = phone(browser, central, english=False)
    page = w.page
    sign_in(w, LZ1_ID, "640271")
    # another worker's line: nothing to see
    answer = page.goto(f"/worker/wages/{other}")
    assert answer is not None and answer.status == 404
    assert "NN1" not in page.content()
    w.problems.clear()
    page.goto(f"/worker/wages/{line_id}")
    page.fill("#reason", "6月10日加班两小时没算")
    page.locator("form[action$='/dispute'] button[type=submit]").tap()
    page.wait_for_url("**done=disputed")
    assert "你提出了异议" in page.locator("main").inner_text()
    page.screenshot(path=str(shots / "worker-dispute-zh_CN.png"), full_page=True)
    boss = Watched(browser, central.base, LAPTOP)
    boss.sign_in("boss-lz", landing=f"/console/enterprise/payroll/{batch_id}")
    disputed = boss.page.locator("#disputed [data-disputed='LZ1']")
    assert "6月10日加班两小时没算" in disputed.inner_text()
    boss.page.screenshot(path=str(shots / "console-dispute-zh_CN.png"), full_page=True)
    assert w.problems == [] and boss.problems == []
    w.close()
    boss.close()


#: Every worker page (H4a's, H4b's, the contracts and training pages), measured on an empty
#: cache; "{line}" is the worker's wage line.
BUDGET_PAGES = (
    "/worker/login",
    "/worker/activate",
    "/worker/today",
    "/worker/days",
    "/worker/wages",
    "/worker/wages/{line}",
    "/worker/face",
    "/worker/help",
    "/worker/help/complaint",
    "/worker/jobs",
    "/worker/jobs/resume",
    "/worker/contracts",
    "/worker/training",
)


class SlowPhone:
    """A fresh phone context (nothing cached) under Slow 3G whose first load of one page is
    measured: bytes from CDP ``Network.loadingFinished`` (``encodedDataLength``: what crossed
    the network, headers included), times from the page's navigation and paint timing. Not a
    Watched page: Playwright turns the HTTP cache off in a context that routes requests."""

    def __init__(self, chromium: Any, central: Central, token: str) -> None:
        self.context = Phone(chromium).new_context(viewport=PHONE, base_url=central.base)
        self.page = page = self.context.new_page()
        self.problems: list[str] = []
        problems = self.problems
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        # a CSP refusal (a stylesheet whose hash is not in the header) is a console error
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )
        page.on(
            "request",
            lambda r: None if r.url.startswith(central.base) else problems.append(r.url),
        )
        self.context.add_cookies(
            [{"name": "sitegate_session", "value": token, "url": central.base}]
        )
        cdp = self.context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.clearBrowserCache")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        self.sizes: dict[str, float] = {}
        cdp.on(
            "Network.loadingFinished",
            lambda e: self.sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
        )

    def load(self, path: str) -> dict[str, float]:
        self.page.goto(path, wait_until="load")
        self.page.locator("main h1").wait_for(state="visible")
        # The paint entry is recorded once the frame is presented, which may follow "load".
        # Awaited through an observer: wait_for_function polls by eval in the page, which the
        # worker pages' CSP (script-src 'self') refuses whenever the first check is false.
        self.page.evaluate(
            """() => new Promise((resolve) => new PerformanceObserver((list, observer) => {
                if (list.getEntriesByName('first-contentful-paint').length) {
                  observer.disconnect();
                  resolve(true);
                }
              }).observe({type: 'paint', buffered: true}))"""
        )
        styled = self.page.evaluate(
            "getComputedStyle(document.documentElement).backgroundColor"
        )  # worker.css applied: the page's wash colour, not the browser's white
        timing = self.page.evaluate(
            """() => {
              const nav = performance.getEntriesByType('navigation')[0];
              const fcp = performance.getEntriesByName('first-contentful-paint')[0];
              return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                      fcp: fcp ? fcp.startTime : null};
            }"""
        )
        assert self.problems == [], self.problems
        assert styled == "rgb(238, 241, 244)", (path, styled)
        assert timing["fcp"] is not None, (path, "no first contentful paint")
        return {
            "bytes": float(sum(self.sizes.values())),
            "requests": float(len(self.sizes)),
            "dcl_s": timing["dcl"] / 1000,
            "fcp_s": timing["fcp"] / 1000,
            "load_s": timing["load"] / 1000,
        }

    def close(self) -> None:
        self.context.close()


def test_page_weight_and_slow_3g(served, browser) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Every worker page, loaded in a fresh phone context with an empty cache under Slow 3G:
    ≤ 200 KB transferred and its first contentful paint ≤ 3 s; the figures printed per page.
    (The sign-in and activation pages are measured with the session cookie too: they render
    the same for a signed-in phone.)"""
    central, _region = served
    activated(central, "mgr-nn", "NN2", "905172")
    login = httpx.post(
        f"{central.base}/api/v1/auth/worker-login",
        json={"identifier": valid_ric(1), "pin": "905172"},
        timeout=10,
    )
    token = login.json()["access_token"]
    with Database(central.db).engine.connect() as conn:
        line = conn.execute(
            select(schema.payroll_lines.c.id).where(schema.payroll_lines.c.worker_id == "NN2")
        ).scalar()
    assert line is not None, "the region's worker NN2 has a wage line"
    print(
        "\nEmpty cache, Slow 3G (CDP Network.emulateNetworkConditions): "
        f"latency {SLOW_3G['latency']} ms, down {SLOW_3G['downloadThroughput']:.0f} B/s, "
        f"up {SLOW_3G['uploadThroughput']:.0f} B/s"
    )
    print(f"{'page':<26}{'KB':>7}{'req':>5}{'DCL s':>7}{'FCP s':>7}{'load s':>8}")
    results = []
    for template in BUDGET_PAGES:
        path = template.format(line=line)
        cold_phone = SlowPhone(browser, central, token)
        cold = cold_phone.load(path)
        cold_phone.close()
        results.append((path, cold))
        print(
            f"{path:<26}{cold['bytes'] / 1024:>7.1f}{cold['requests']:>5.0f}"
            f"{cold['dcl_s']:>7.2f}{cold['fcp_s']:>7.2f}{cold['load_s']:>8.2f}"
        )
    for path, cold in results:
        assert cold["bytes"] <= BUDGET_BYTES, (path, cold)
        assert cold["fcp_s"] <= USABLE_S, (path, cold)
