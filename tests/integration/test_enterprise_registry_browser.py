"""The enterprise console's registry in real headless Chromium against a served central: a
general contractor's admin, a subcontractor's admin and a site manager, in zh-CN and English.

- adding a worker with a typo'd ID number: the live check says so as it is typed, the server
  answers on the field, and everything typed is still there;
- a roster import (the template downloaded from the page, filled in with one bad row) is
  reported row by row and imports nothing;
- face enrollment through Chromium's fake camera fed a real photo converted at test time
  (``--use-file-for-fake-video-capture``): consent first, then the captured frame is accepted
  by the gate's encoder and stored, and the record's template count follows without a
  reload; an empty scene is answered "no face";
- the record page: the whole ID and card numbers shown for a stated reason (audited), and
  the face consent withdrawn (the templates deleted, the QR/card alternatives explained);
- each role's roster holds its own reach.

Screenshots go to ``$SITEGATE_SCREENSHOTS`` or a printed temporary folder.
"""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from factories import Region, console_region, subcontractor_on, valid_card, valid_ric
from openpyxl import load_workbook
from PIL import Image
from seeded_central import seeded_central
from sqlalchemy import func, select
from test_console_browser import (  # noqa: F401 - fixtures
    CHROMIUM,
    CHROMIUM_ARGS,
    LAPTOP,
    Watched,
    browser,
    shots,
)
from web_client import add_users

from central.registry.sealing import Sealer
from central.storage import Database, schema
from conftest import Central

pytestmark = pytest.mark.browser

FACES = Path(__file__).resolve().parent.parent / "fixtures" / "faces"
USERS = {"gc-admin": 1, "sub-admin": 3}  # nn-1's general contractor; its subcontractor


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, broker_url: str
) -> Iterator[tuple[Central, Region]]:
    tmp = tmp_path_factory.mktemp("registry-browser")

    def seed(db: Database, sealer: Sealer) -> Region:
        region = console_region(db, sealer, tmp)
        sub = subcontractor_on(db, region.nanning)
        assert sub["id"] == USERS["sub-admin"]
        staff = {
            name: {"role": "contractor_admin", "enterprise_id": e} for name, e in USERS.items()
        }
        add_users(
            db, {**staff, "nn-manager": {"role": "site_manager", "project_id": region.nanning}}
        )
        return region

    with seeded_central(tmp, broker_url, seed) as it:
        yield it


def enter(w: Watched, base: str, user: str, english: bool, landing: str) -> None:
    """Sign in straight onto ``landing`` in the reader's language (the language cookie set as
    the header's switch sets it, so the login keeps its ``next``)."""
    if english:
        w.context.add_cookies([{"name": "sitegate_lang", "value": "en", "url": base}])
    w.sign_in(user, landing=landing)
    assert w.page.locator("html").get_attribute("lang") == ("en" if english else "zh-CN")


def expected_refusal(w: Watched, path: str, status: int = 422) -> None:
    """Drop the one refusal the test provoked (its response and the browser's console line
    about it); anything else stays a problem."""
    response = [p for p in w.problems if p.startswith(f"HTTP {status}: ") and path in p]
    assert len(response) == 1, w.problems
    console = [p for p in w.problems if p.startswith("console error") and f"{status}" in p]
    assert len(console) <= 1, w.problems
    w.problems = [p for p in w.problems if p not in response + console]


def count(central: Central, table: str) -> int:
    db = Database(central.db)
    try:
        with db.engine.connect() as conn:
            found = conn.execute(select(func.count()).select_from(schema.metadata.tables[table]))
            return int(found.scalar_one())
    finally:
        db.close()


def templates_of(central: Central, worker: str) -> int:
    db = Database(central.db)
    try:
        with db.engine.connect() as conn:
            t = schema.face_templates.c
            q = select(func.count()).select_from(schema.face_templates)
            return int(conn.execute(q.where(t.worker_id == worker)).scalar_one())
    finally:
        db.close()


# ---- adding a worker ----------------------------------------------------------------------

CASES = [("zh_CN", "gc-admin", "1"), ("en", "sub-admin", "3")]


@pytest.mark.parametrize(("locale", "user", "employer"), CASES)
def test_a_typo_in_the_id_number_is_answered_on_the_field_and_the_typing_kept(
    served,  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    shots: Path,  # noqa: F811
    locale: str,
    user: str,
    employer: str,
) -> None:
    central, region = served
    english = locale == "en"
    n = 700 if english else 710
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    enter(w, central.base, user, english, "/console/enterprise/workers")
    page.get_by_role("link", name="Add a worker" if english else "登记工人").first.click()
    page.wait_for_url("**/console/enterprise/workers/new")
    good = valid_ric(n)
    typo = good[:8] + str((int(good[8]) + 1) % 10) + good[9:]
    page.fill("#field-name", "张三" if not english else "Zhang San")
    page.locator("#field-id_number").press_sequentially(typo)
    live = page.locator("#live-id_number")
    expected = (
        "the check digit does not match: a character is mistyped"
        if english
        else "校验位不符：有字符输错了"
    )
    assert live.inner_text() == expected  # the live check, as typed
    page.fill("#field-card_number", valid_card(n))
    assert page.locator("#live-card_number").inner_text() == (
        "looks right" if english else "格式正确"
    )
    page.select_option("#field-project_id", region.nanning)
    page.select_option("#field-employer_id", employer)
    page.fill("#field-team", "木工班")
    page.fill("#field-rate", "380")
    before = count(central, "workers")
    with page.expect_response("**/console/enterprise/workers/new") as answered:
        page.locator("#worker-form button[type=submit]").click()
    assert answered.value.status == 422
    assert page.locator("#error-id_number").inner_text() == expected
    assert page.locator("#field-id_number").input_value() == typo
    assert page.locator("#field-team").input_value() == "木工班"
    assert page.locator("#field-rate").input_value() == "380"
    assert count(central, "workers") == before
    page.screenshot(path=str(shots / f"registry-add-typo-{locale}.png"), full_page=True)
    # corrected, the worker is registered and shown masked on their record
    page.fill("#field-id_number", good)
    page.locator("#worker-form button[type=submit]").click()
    page.wait_for_url("**/console/enterprise/workers/W*?saved=added")
    assert page.locator("[data-field=id_number]").inner_text() == good[:3] + "*" * 11 + good[-4:]
    assert count(central, "workers") == before + 1
    page.screenshot(path=str(shots / f"registry-worker-{locale}.png"), full_page=True)
    expected_refusal(w, "/console/enterprise/workers/new")
    assert w.problems == []
    w.close()


# ---- roster import --------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "user", "employer"), CASES)
def test_a_roster_with_one_bad_row_is_reported_and_nothing_imported(
    served,  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    shots: Path,  # noqa: F811
    tmp_path: Path,
    locale: str,
    user: str,
    employer: str,
) -> None:
    central, region = served
    english = locale == "en"
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    enter(w, central.base, user, english, "/console/enterprise/import")
    with page.expect_download() as download:
        page.locator("#template-link").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    assert download.value.suggested_filename == "roster-template.xlsx"
    book = load_workbook(template)
    sheet = book.active
    base = 800 if english else 820
    bad = valid_ric(base + 1)
    bad = bad[:-2] + str((int(bad[-2]) + 1) % 10) + bad[-1]
    kind = "daily" if english else "按日"
    # typed into the template's first rows, as a clerk would (its text-typed cells kept)
    for k, number in enumerate((valid_ric(base), bad, valid_ric(base + 2))):
        typed = [f"导入{base + k}", number, "", valid_card(base + k), "", "", "", kind, "300"]
        for column, value in enumerate([*typed, "2025-08-01"], start=1):
            sheet.cell(row=2 + k, column=column).value = value
    filled = tmp_path / "roster.xlsx"
    book.save(filled)
    before = (count(central, "workers"), count(central, "employments"))
    page.select_option("#field-project_id", region.nanning)
    page.select_option("#field-employer_id", employer)
    page.set_input_files("#field-file", str(filled))
    with page.expect_response("**/console/enterprise/import") as answered:
        page.locator("#import-form button[type=submit]").click()
    assert answered.value.status == 422
    report = page.locator("#import-report tbody tr")
    assert report.count() == 1
    assert report.first.get_attribute("data-row") == "3"
    assert report.first.get_attribute("data-field") == "id_number"
    assert report.first.locator("td").nth(2).inner_text() == (
        "the check digit does not match: a character is mistyped"
        if english
        else "校验位不符：有字符输错了"
    )
    assert (count(central, "workers"), count(central, "employments")) == before
    page.screenshot(path=str(shots / f"registry-import-report-{locale}.png"), full_page=True)
    # the row corrected, the whole file goes in
    sheet.cell(row=3, column=2).value = valid_ric(base + 1)
    book.save(filled)
    page.set_input_files("#field-file", str(filled))
    page.locator("#import-form button[type=submit]").click()
    page.locator("#import-done").wait_for()
    assert page.locator("#import-done").get_attribute("data-registered") == "3"
    assert count(central, "workers") == before[0] + 3
    page.screenshot(path=str(shots / f"registry-import-done-{locale}.png"), full_page=True)
    expected_refusal(w, "/console/enterprise/import")
    assert w.problems == []
    w.close()


# ---- the roster per role ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "user"), [("zh_CN", "gc-admin"), ("en", "sub-admin"), ("zh_CN", "nn-manager")]
)
def test_each_role_sees_its_roster(served, browser, shots: Path, locale: str, user: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    central, region = served
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    enter(w, central.base, user, locale == "en", "/console/enterprise/workers")
    ids = set(page.locator("td[data-column=worker_id]").all_inner_texts())
    if user == "sub-admin":
        assert not ids & set(region.nanning_workers)  # the contractor's own workers: not its
    else:
        assert set(region.nanning_workers) <= ids
    assert not ids & set(region.liuzhou_workers)
    adds = page.locator("a[href='/console/enterprise/workers/new']")
    assert adds.count() == (0 if user == "nn-manager" else 1)
    masked = page.locator("td[data-column=id_number]").all_inner_texts()
    assert masked and all("*" * 11 in m for m in masked)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= LAPTOP["width"] + 1, "the roster is wider than the screen"
    page.screenshot(path=str(shots / f"registry-roster-{user}-{locale}.png"), full_page=True)
    assert w.problems == []
    w.close()


# ---- enrollment through the fake camera -----------------------------------------------------


def y4m(photo: Path, out: Path, frames: int = 5) -> Path:
    """A still photo as a short Y4M video (640×480, 4:2:0) for Chromium's fake camera."""
    width, height = 640, 480
    image = Image.open(photo).convert("RGB")
    image.thumbnail((width, height))
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    ycc = np.asarray(canvas.convert("YCbCr"))
    y = ycc[:, :, 0]
    u = ycc[::2, ::2, 1]
    v = ycc[::2, ::2, 2]
    frame = b"FRAME\n" + y.tobytes() + u.tobytes() + v.tobytes()
    out.write_bytes(
        f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame * frames
    )
    return out


@pytest.fixture
def camera(browser, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    """Launches of Chromium whose only camera shows the photo given to the returned function
    (through the module's Playwright: one sync Playwright per thread)."""
    launched: list[object] = []

    def open_with(photo: Path):  # type: ignore[no-untyped-def]
        video = y4m(photo, tmp_path / f"{photo.stem}.y4m")
        chromium = browser.browser_type.launch(
            executable_path=CHROMIUM,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        launched.append(chromium)
        return chromium

    yield open_with
    for chromium in launched:
        chromium.close()  # type: ignore[attr-defined]


ENROLL_CASES = [
    ("zh_CN", "nn-manager", "NN2", FACES / "obama" / "1.jpg"),
    ("en", "gc-admin", "NN3", FACES / "lisa" / "1.jpg"),
]


@pytest.mark.parametrize(("locale", "user", "worker", "photo"), ENROLL_CASES)
def test_enrollment_through_the_camera(
    served,  # type: ignore[no-untyped-def]
    camera,
    shots: Path,  # noqa: F811
    locale: str,
    user: str,
    worker: str,
    photo: Path,
) -> None:
    central, _region = served
    english = locale == "en"
    # an empty scene first: the gate's encoder answers "no face", nothing is stored
    templates = count(central, "face_templates")
    empty = FACES / "_probes" / "no_face" / "coffee.jpg"
    # (once: the refusal's wording in English is checked in-process)
    scenes = ((empty, False), (photo, True)) if not english else ((photo, True),)
    for scene, accepted in scenes:
        w = Watched(camera(scene), central.base, LAPTOP)
        w.context.grant_permissions(["camera"])
        page = w.page
        path = f"/console/enterprise/workers/{worker}/enroll"
        enter(w, central.base, user, english, path)
        if page.locator("#consent-form").count():
            assert page.locator("#camera").count() == 0  # no photo step without consent
            page.locator("#consent-form button[type=submit]").click()
            page.wait_for_url(f"**{path}?saved=consent")
        assert page.locator("#consent-list li").count() == 1
        page.locator("#camera-start").click()
        page.locator("#camera[data-live='1']").wait_for()
        page.evaluate("window.sameDocument = true")  # gone if the page reloaded
        page.locator("#camera-take").click()
        answer = page.locator("#camera-answer")
        state = "accepted" if accepted else "no_face"
        page.locator(f"#camera-answer[data-state='{state}']").wait_for(timeout=60_000)
        if accepted:
            assert answer.inner_text() == (
                "Accepted: the face template is stored and goes to the site's gates."
                if english
                else "已通过：人脸模板已保存，并将同步到工地闸机。"
            )
            assert count(central, "face_templates") == templates + 1
            mine = templates_of(central, worker)
            shown = f"{mine} template{'s' if mine != 1 else ''}" if english else f"{mine} 个模板"
            page.locator("#template-count", has_text=shown).wait_for()  # updated in place
            assert page.evaluate("window.sameDocument") is True
        else:
            assert answer.inner_text() == (
                "No face found: photograph the worker facing the camera."
                if english
                else "未检测到人脸：请让工人正对镜头重新拍摄。"
            )
            assert count(central, "face_templates") == templates
        name = "accepted" if accepted else "no-face"
        page.screenshot(path=str(shots / f"registry-enroll-{name}-{locale}.png"), full_page=True)
        if not accepted:
            expected_refusal(w, f"/console/enterprise/workers/{worker}/photos")
        assert w.problems == []
        w.close()


# ---- the record page: whole numbers on request, consent withdrawn ---------------------------


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_record_page_reveals_for_a_reason_and_withdraws_consent(
    served,  # type: ignore[no-untyped-def]
    browser,  # noqa: F811
    shots: Path,  # noqa: F811
    locale: str,
) -> None:
    central, _region = served
    english = locale == "en"
    worker, number = "NN1", valid_ric(0)
    w = Watched(browser, central.base, LAPTOP)
    page = w.page
    record = f"/console/enterprise/workers/{worker}"
    enter(w, central.base, "gc-admin", english, record)
    facts = page.locator("#worker-facts")
    assert number not in facts.inner_text()
    # whole numbers: a reason typed with the keyboard, the answer in place of the masks
    page.locator("#field-reveal_reason").focus()
    page.keyboard.type("银行要求核对卡号" if not english else "the bank asks to check the card")
    page.keyboard.press("Enter")
    page.locator("#revealed-note").wait_for()
    assert page.locator("#worker-facts dd[data-field=id_number]").inner_text() == number
    page.screenshot(path=str(shots / f"registry-record-revealed-{locale}.png"), full_page=True)
    # the next visit shows the masks again
    page.goto(record)
    assert number not in page.locator("#worker-facts").inner_text()
    # consent (on the enrollment page), then withdrawn on the record page
    page.goto(record + "/enroll")
    if page.locator("#consent-form").count():
        page.locator("#consent-form button[type=submit]").click()
        page.wait_for_url("**/enroll?saved=consent")
    page.goto(record)
    section = page.locator("#consent-withdraw")
    assert "QR" in section.inner_text() if english else "二维码" in section.inner_text()
    section.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"registry-record-withdraw-{locale}.png"), full_page=True)
    page.get_by_label(
        "The worker has asked to withdraw their consent" if english else "工人本人已要求撤回同意"
    ).check()
    page.locator("#withdraw-form button[type=submit]").click()
    page.wait_for_url(f"**{record}?saved=withdrawn")
    assert page.locator("#consent-withdraw").count() == 0
    assert page.locator("[data-saved=withdrawn]").count() == 1
    assert templates_of(central, worker) == 0
    page.screenshot(path=str(shots / f"registry-record-withdrawn-{locale}.png"), full_page=True)
    assert w.problems == []
    w.close()
