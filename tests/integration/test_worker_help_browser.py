"""The worker's Face data, Help and Jobs pages in real headless Chromium on a phone (360×640,
touch), against a served central, a real Mosquitto and a real ``sitegate-edge run`` gate:

- withdrawing face consent on the phone removes the worker from the gate's own gallery (the
  gate's encrypted gallery file no longer recognises another photo of them) and the page
  then shows the templates deleted and the gate's copy deleted;
- a wage complaint filed on the phone reaches the supervision console's warnings queue and
  the arrears register of the project's city, and the inspector's action shows on the phone;
- a job posted in the enterprise console, applied to on the phone with a shared résumé, an
  offer made and accepted: a real employment, shown as hired in the console;
- (these pages' weight and first paint under Slow 3G are measured with every other worker
  page in tests/integration/test_worker_pages_browser.py::test_page_weight_and_slow_3g).

zh-CN and English, screenshots to ``$SITEGATE_SCREENSHOTS`` or a printed temporary folder.
"""

import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import yaml
from card_gate import faceless_camera_gate, synced_version
from factories import FOURTH_USCC, SHANGHAI, Region, new_db, registered_project
from test_console_browser import (  # noqa: F401 - fixtures
    LAPTOP,
    Watched,
    browser,
    shots,
)
from test_worker_pages_browser import fits
from test_worker_pages_browser import phone as phone_of

from central.auth.users import UserIn, add_user, login
from central.storage import Database
from central.wages.rules import PayKind, PayTerms
from conftest import FACES, TEST_PASSWORD, Central, Process, have_mosquitto, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not have_mosquitto(), reason="needs the mosquitto binary"),
]

GATE = "gate-9"
USERS = {
    "nn-inspector": {"role": "supervisor", "division_code": "450100"},
    "nn-boss": {"role": "contractor_admin", "enterprise_id": 1},
    "w-nn1": {"role": "worker", "worker_id": "NN1"},
    "w-nn2": {"role": "worker", "worker_id": "NN2"},
    "w-lz1": {"role": "worker", "worker_id": "LZ1"},
}


class Rig:
    """Central serving a seeded region, one gate of project nn-1 running beside it."""

    def __init__(self, tmp: Path, broker: str) -> None:
        self.tmp = tmp
        db, sealer = new_db(tmp)
        # two cities' projects (Nanning 450102, Liuzhou 450202), as the console's region has
        self.region = Region()
        daily = PayTerms(pay_kind=PayKind.DAILY, rate_fen=36000)
        workers = dict.fromkeys(self.region.nanning_workers, daily)
        registered_project(db, sealer, self.region.nanning, workers, start=date(2026, 1, 5))
        registered_project(
            db,
            sealer,
            self.region.liuzhou,
            dict.fromkeys(self.region.liuzhou_workers, daily),
            uscc=FOURTH_USCC,
            offset=10,
            division="450202",
            start=date(2026, 1, 5),
        )
        for name, scope in USERS.items():
            add_user(db, UserIn(username=name, password=TEST_PASSWORD, **scope))  # type: ignore[arg-type]
        db.close()
        self.db_path = str(tmp / "central.db")
        self.central = Central(tmp, broker, self.db_path, "--complaint-sla-days", "3")
        self.config = self.central.provision(self.region.nanning, GATE, broker)
        self.gallery = tmp / "gate-gallery.db"
        faceless_camera_gate(self.config, tmp, self.gallery)
        self.central.start()
        self.gate = Process(
            ["sitegate-edge", "run", "--config", str(self.config)], tmp / "gate.log"
        )

    def token(self, username: str) -> str:
        db = Database(self.db_path)
        try:
            return login(db, username, TEST_PASSWORD, "127.0.0.1")[0]
        finally:
            db.close()

    def api(self, username: str, method: str, path: str, **kw: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token(username)}"}
        return httpx.request(  # type: ignore[arg-type]
            method, f"{self.central.base}/api/v1{path}", headers=headers, timeout=60, **kw
        )

    def recognise(self, probe: list[float]) -> str | None:
        """What the gate's own encrypted gallery file makes of a face (the gate's matcher)."""
        from edge.recognition.gallery import Gallery
        from edge.recognition.gallery_key import gallery_key

        secret = bytes.fromhex(yaml.safe_load(self.config.read_text())["secret"])
        with Gallery(self.gallery, gallery_key(secret)) as gallery:
            return gallery.snapshot().match(probe).worker_id

    def close(self) -> None:
        self.gate.stop()
        self.central.stop()


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory, broker_url: str) -> Iterator[Rig]:
    r = Rig(tmp_path_factory.mktemp("worker-help-browser"), broker_url)
    yield r
    r.close()


def phone(chromium, rig: Rig, username: str, english: bool = False) -> Watched:  # type: ignore[no-untyped-def]
    """A phone (360×640, touch) signed in as ``username``: the session cookie is the token a
    worker's sign-in sets (the sign-in pages themselves are tested with the worker access)."""
    w = phone_of(chromium, rig.central, english)
    cookie = {"name": "sitegate_session", "value": rig.token(username), "url": rig.central.base}
    w.context.add_cookies([cookie])
    return w


def test_withdrawing_consent_removes_the_face_from_the_gate(browser, rig: Rig, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    nn1 = "NN1"
    consent = rig.api(
        "nn-boss", "POST", f"/workers/{nn1}/face-consent", json={"method": "签字同意书"}
    )
    assert consent.status_code == 201, consent.text
    with (FACES / "obama" / "1.jpg").open("rb") as photo:
        enrolled = rig.api(
            "nn-boss", "POST", f"/workers/{nn1}/photos", files=[("photos", ("1.jpg", photo))]
        )
    assert enrolled.status_code == 201, enrolled.text
    wait_until(lambda: synced_version(rig.gallery) >= 1, 60, "the gate to sync its gallery")
    from edge.recognition.faces import analyse, load_rgb

    (face,) = analyse(load_rgb(FACES / "obama" / "2.jpg"))  # another photo of the same man
    probe = [float(x) for x in face.encoding]
    wait_until(lambda: rig.recognise(probe) == nn1, 60, "the gate to recognise NN1")

    w = phone(browser, rig, "w-nn1")
    page = w.page
    page.goto("/worker/face")
    assert page.locator("h1").inner_text() == "人脸数据"
    assert page.locator("[data-field=templates]").inner_text() == "1"
    wait_until(
        lambda: (
            (
                page.reload(),
                page.locator(f"[data-gate={GATE}] [data-state]").get_attribute("data-state"),
            )[1]
            == "holds"
        ),
        60,
        "the page to show the gate holding the face",
    )
    fits(page)
    page.screenshot(path=str(shots / "worker-face-zh-before.png"), full_page=True)
    page.locator("#withdraw-confirm").check()
    page.locator("#withdraw-form button[type=submit]").tap()
    page.wait_for_url("**/worker/face?withdrawn=1")
    assert page.locator("#withdrawn-notice").is_visible()
    assert page.locator("[data-field=templates]").inner_text() == "0"
    assert page.locator("[data-field=deleted_at]").count() == 1
    assert page.locator("#withdraw-form").count() == 0

    # the gate's own gallery file no longer knows the face
    wait_until(lambda: rig.recognise(probe) is None, 60, "the gate to delete NN1's face")
    wait_until(
        lambda: (
            (
                page.reload(),
                page.locator(f"[data-gate={GATE}] [data-state]").get_attribute("data-state"),
            )[1]
            == "removed"
        ),
        60,
        "the page to show the gate's copy deleted",
    )
    fits(page)
    page.screenshot(path=str(shots / "worker-face-zh-withdrawn.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_a_complaint_reaches_the_supervision_console(browser, rig: Rig, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    w = phone(browser, rig, "w-nn2", english=True)
    page = w.page
    page.goto("/worker/help")
    assert page.locator("h1").inner_text() == "Help"
    assert page.locator("#hotline").inner_text().count("12333") >= 2
    fits(page)
    page.screenshot(path=str(shots / "worker-help-en.png"), full_page=True)
    page.locator("#new-complaint").tap()
    page.wait_for_url("**/worker/help/complaint")
    month = (datetime.now(SHANGHAI).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    page.select_option("#field-project_id", rig.region.nanning)
    page.fill("#field-first_month", month)
    page.fill("#field-last_month", month)
    page.fill("#field-amount_yuan", "7200.50")
    page.fill("#field-description", "October wages not paid; the foreman says wait for settlement.")
    fits(page)
    page.screenshot(path=str(shots / "worker-complaint-en.png"), full_page=True)
    page.locator("#send-complaint").tap()
    page.wait_for_url("**/worker/help?filed=*")
    complaint_id = page.url.rsplit("=", 1)[1]
    item = page.locator(f"[data-complaint='{complaint_id}']")
    assert item.locator("[data-field=status]").inner_text() == "Received"
    assert "7,200.50" in item.inner_text()
    page.screenshot(path=str(shots / "worker-complaint-filed-en.png"), full_page=True)

    # the inspector of Nanning sees it in the queue and in the register
    desk = Watched(browser, rig.central.base, LAPTOP)
    # English from the start (the language switch on the login page forgets ``next``)
    desk.context.add_cookies([{"name": "sitegate_lang", "value": "en", "url": rig.central.base}])
    desk.sign_in("nn-inspector", english=True, landing="/console/warnings")
    desk.page.goto("/console/warnings?kind=complaint")
    row = desk.page.locator("table.data tbody tr").filter(has_text="NN2")
    assert row.count() == 1, desk.page.content()[:2000]
    desk.page.screenshot(path=str(shots / "console-warnings-complaint-en.png"), full_page=True)
    desk.page.goto("/console/arrears")
    case = desk.page.locator("table.data tbody tr").filter(has_text="7,200.50")
    assert case.count() == 1
    desk.page.screenshot(path=str(shots / "console-arrears-complaint-en.png"), full_page=True)
    # the inspector takes it on; the worker's phone shows the step
    warning_id = next(
        c["warning_id"]
        for c in rig.api("w-nn2", "GET", "/me/complaints").json()
        if str(c["id"]) == complaint_id
    )
    desk.page.goto(f"/console/warnings/{warning_id}")
    desk.page.fill("#assignee", "nn-inspector")
    desk.page.locator("#assign-form button[type=submit]").click()
    desk.page.wait_for_load_state()
    assert desk.problems == []
    desk.close()
    page.reload()
    item = page.locator(f"[data-complaint='{complaint_id}']")
    assert item.locator("[data-field=status]").inner_text() == "Being handled"
    assert item.locator("[data-step=assigned]").count() == 1
    page.screenshot(path=str(shots / "worker-complaint-assigned-en.png"), full_page=True)
    assert w.problems == []
    w.close()


def test_apply_to_a_job_and_be_hired(browser, rig: Rig, shots: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    today = datetime.now(SHANGHAI).date()
    boss = Watched(browser, rig.central.base, LAPTOP)
    boss.sign_in("nn-boss", landing="/console/enterprise/jobs")
    boss.page.goto("/console/enterprise/jobs/new")
    boss.page.select_option("#field-trade", "rebar")
    boss.page.fill("#field-title", "钢筋工 5 名，包住")
    boss.page.fill("#field-pay_yuan", "380")
    boss.page.fill("#field-headcount", "5")
    boss.page.fill("#field-starts_on", (today + timedelta(days=2)).isoformat())
    boss.page.fill("#field-ends_on", (today + timedelta(days=60)).isoformat())
    boss.page.locator("#job-form button[type=submit]").click()
    boss.page.wait_for_url("**/console/enterprise/jobs/*?saved=posted")
    post_url = boss.page.url.split("?")[0]
    post_id = post_url.rsplit("/", 1)[1]
    boss.page.goto("/console/enterprise/jobs")
    listed = boss.page.locator("table.data tbody tr").filter(has_text="钢筋工 5 名，包住")
    assert listed.count() == 1 and "380.00" in listed.inner_text()
    boss.page.screenshot(path=str(shots / "console-jobs-zh.png"), full_page=True)

    w = phone(browser, rig, "w-lz1")
    page = w.page
    page.goto("/worker/jobs/resume")
    page.select_option("#field-trade", "rebar")
    page.fill("#field-years", "8")
    page.fill("#field-certificates", "钢筋工职业技能证书")
    page.locator("#field-shared").check()
    page.locator("#resume-form button[type=submit]").tap()
    page.wait_for_url("**/worker/jobs?done=resume")
    # LZ1 works in Liuzhou: the Nanning post shows when they look in every city
    assert page.locator(f"[data-post='{post_id}']").count() == 0
    page.locator("#jobs-filter input[name=anywhere]").check()
    page.select_option("#trade", "rebar")
    page.locator("#jobs-filter button[type=submit]").tap()
    page.wait_for_url("**/worker/jobs?*anywhere=1*")
    job = page.locator(f"[data-post='{post_id}']")
    assert "380.00" in job.inner_text()
    assert job.locator("[data-field=city]").inner_text() == "南宁市"  # the site's city, by name
    fits(page)
    page.screenshot(path=str(shots / "worker-jobs-zh.png"), full_page=True)
    job.locator("button[type=submit]").tap()
    page.wait_for_url("**/worker/jobs?done=applied")

    boss.page.goto(post_url)
    row = boss.page.locator("#applicants tbody tr").filter(has_text="钢筋工职业技能证书")
    assert row.count() == 1
    boss.page.screenshot(path=str(shots / "console-job-applicants-zh.png"), full_page=True)
    row.locator(".offer-form button[type=submit]").click()
    boss.page.wait_for_url("**?saved=offered")

    page.goto("/worker/jobs")
    offer = page.locator("#offers article")
    assert offer.count() == 1
    page.screenshot(path=str(shots / "worker-job-offer-zh.png"), full_page=True)
    offer.locator(".accept-form button").tap()
    page.wait_for_url("**/worker/jobs?done=accepted")
    assert page.locator("#jobs-done").is_visible()
    page.screenshot(path=str(shots / "worker-job-hired-zh.png"), full_page=True)

    boss.page.goto(post_url)
    status = boss.page.locator("#applicants tbody tr [data-column=status]").first.inner_text()
    assert "已录用" in status
    boss.page.screenshot(path=str(shots / "console-job-hired-zh.png"), full_page=True)
    lz1 = rig.api("nn-boss", "GET", "/workers/LZ1")  # now the boss's worker: visible
    assert lz1.status_code == 200, lz1.text
    mine = [e for e in lz1.json()["employments"] if e["project_id"] == rig.region.nanning]
    assert len(mine) == 1 and json.loads(mine[0]["terms"])["rate_fen"] == 38000
    assert boss.problems == [] and w.problems == []
    boss.close()
    w.close()
