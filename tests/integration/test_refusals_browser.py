"""Refusals as a reader sees them, in real headless Chromium against a served central: the
enterprise job form refused by its pydantic model, then a service's refusal on the post's
page, each in zh-CN and in English — the reason beside the field in the reader's language,
never pydantic's or the service's English on a Chinese page. Screenshots of both.

Shares the browser helpers of tests/integration/test_console_browser.py.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from factories import console_region
from seeded_central import seeded_central
from test_console_browser import (  # noqa: F401 - fixtures
    LAPTOP,
    Watched,
    browser,
    shots,
)

from central.auth.users import UserIn, add_user
from central.registry.sealing import Sealer
from central.storage import Database
from conftest import TEST_PASSWORD, Central

pytestmark = pytest.mark.browser

JOBS = "/console/enterprise/jobs/new"
EXPECTED = {
    "zh_CN": {
        "title": "至少 2 个字符",
        "headcount": "不能大于 1000",
        "ends_on": "结束日期早于开始日期",
    },
    "en": {
        "title": "must have at least 2 characters",
        "headcount": "must be at most 1000",
        "ends_on": "the post ends before it starts",
    },
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, broker_url: str) -> Iterator[Central]:
    tmp = tmp_path_factory.mktemp("refusals-browser")

    def seed(db: Database, sealer: Sealer) -> None:
        console_region(db, sealer, tmp)
        scope = {"role": "contractor_admin", "enterprise_id": 1}
        add_user(db, UserIn(username="nn-boss", password=TEST_PASSWORD, **scope))  # type: ignore[arg-type]

    with seeded_central(tmp, broker_url, seed) as (central, _):
        yield central


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_job_form_refuses_in_the_readers_language(  # type: ignore[no-untyped-def]
    served,
    browser,  # noqa: F811
    shots: Path,  # noqa: F811
    locale: str,
) -> None:
    w = Watched(browser, served.base, LAPTOP)
    page = w.page
    w.sign_in("nn-boss", english=locale == "en", landing=JOBS)
    today = date.today()
    page.select_option("#field-project_id", "nn-1")
    page.fill("#field-title", "X")
    page.fill("#field-pay_yuan", "350")
    page.fill("#field-headcount", "5000")
    page.fill("#field-starts_on", today.isoformat())
    page.fill("#field-ends_on", (today + timedelta(days=30)).isoformat())
    page.locator("#job-form button[type=submit]").click()
    page.locator("#form-errors").wait_for()
    for field in ("title", "headcount"):
        assert page.locator(f"#error-{field}").inner_text() == EXPECTED[locale][field]
    assert page.locator("#field-title").input_value() == "X"  # what was typed is kept
    summary = page.locator("#form-errors").inner_text()
    assert "should" not in summary and "Value error" not in summary
    page.screenshot(path=str(shots / f"refusal-job-form-{locale}.png"), full_page=True)
    # the two dates the wrong way round: a rule over two fields, shown at the second
    page.fill("#field-title", "焊工两名")
    page.fill("#field-headcount", "2")
    page.fill("#field-ends_on", (today - timedelta(days=1)).isoformat())
    page.locator("#job-form button[type=submit]").click()
    page.locator("#error-ends_on").wait_for()
    assert page.locator("#error-ends_on").inner_text() == EXPECTED[locale]["ends_on"]
    assert page.locator("#error-title").count() == 0
    page.screenshot(path=str(shots / f"refusal-job-dates-{locale}.png"), full_page=True)
    # the 422 answers are the refusals themselves; nothing else failed on the page
    assert [p for p in w.problems if "422" not in p] == []
    w.close()
