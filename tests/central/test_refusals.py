"""Refusals in the reader's language: a service's refusal and a form's validation error reach
a zh-CN page in Chinese and an English page in English, while the API's JSON error body stays
as it was (English ``detail`` and its ``code``). In-process on a real SQLite file.

Written as what a reader would otherwise see: pydantic's "String should have at least 2
characters" or a service's "start_on: the start date has passed" in the middle of a Chinese
page. Scope is not loosened: another enterprise's post stays a 404 whatever the language.
"""

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Annotated

import pytest
from factories import SHANGHAI, console_region, new_db
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import AfterValidator, BaseModel, Field, ValidationError
from web_client import add_users, csrf_of

from central.api.app import create_app
from central.auth.users import login
from central.errors import N_, Conflict, InvalidInput, InvalidValue, NotFound, TooManyRequests
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import Database
from central.validation import LocalDate
from central.validation.text import clean_line
from central.web import i18n
from central.web.forms import field_errors, refusal
from central.web.refusals import refusal_reason, translate
from conftest import TEST_PASSWORD

USERS = {
    "nn-boss": {"role": "contractor_admin", "enterprise_id": 1},
    "lz-boss": {"role": "contractor_admin", "enterprise_id": 2},
    "w-nn1": {"role": "worker", "worker_id": "NN1"},
}
PYDANTIC_ENGLISH = re.compile(r"String should|Input should|Value error|should be|field required")


class World:
    def __init__(self, client: TestClient, url: str) -> None:
        self.client = client
        db = Database(url)
        self.tokens = {n: login(db, n, TEST_PASSWORD, "127.0.0.1")[0] for n in USERS}
        db.close()

    def h(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def as_reader(self, name: str, lang: str) -> None:
        self.client.cookies.clear()
        self.client.cookies.set("sitegate_session", self.tokens[name])
        self.client.cookies.set(i18n.COOKIE, lang)

    def form(self, name: str, lang: str, path: str, page: str, data: dict[str, str]) -> Response:
        """POST the form of ``page`` with its CSRF token, as ``name`` reading ``lang``."""
        self.as_reader(name, lang)
        shown = self.client.get(page)
        assert shown.status_code == 200, (page, shown.status_code)
        return self.client.post(
            path, data={**data, "csrf_token": csrf_of(shown.text)}, follow_redirects=False
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("refusals")
    db, sealer = new_db(tmp)
    console_region(db, sealer, tmp)
    add_users(db, USERS)
    db.close()
    url = str(tmp / "central.db")
    service = CentralService(CentralSettings(db=url))
    app = create_app(service, manage_service=False)
    for prefix in ("/console", "/api/v1"):  # a refusal nobody catches, on a page and in the API
        app.add_api_route(f"{prefix}/refusal-probe", probe)
    with TestClient(app) as client:
        yield World(client, url)
    service.db.close()


def probe(marked: bool = True) -> None:
    if marked:
        raise Conflict.of(
            N_("arrears case %(case)s opened from this warning is still open"), case=7
        )
    raise Conflict("case 7 of enterprise WA2 is still open")


def next_month() -> str:
    today = datetime.now(SHANGHAI).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first.strftime("%Y-%m")


def text_of(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert found, element_id
    return found.group(1).strip()


# ---- the mechanism ------------------------------------------------------------------------


def test_a_marked_refusal_keeps_its_english_text_and_carries_its_msgid() -> None:
    exc = Conflict.of(N_("gate %(device)s is already provisioned on this site"), device="g-1")
    assert str(exc) == "gate g-1 is already provisioned on this site"
    assert exc.msgid == "gate %(device)s is already provisioned on this site"
    assert exc.params == {"device": "g-1"}
    plain = Conflict("plain english")  # still works, carries no msgid
    assert str(plain) == "plain english" and plain.msgid is None and plain.params == {}
    throttled = TooManyRequests("slow down", 30).marked(
        N_("Too many attempts. Wait and try again.")
    )
    assert throttled.retry_after == 30 and throttled.msgid
    wrapped = InvalidValue.from_error(InvalidInput.of(N_("must not be blank")))
    assert isinstance(wrapped, ValueError) and wrapped.msgid == "must not be blank"
    assert InvalidValue.from_error(ValueError("free text")).msgid is None


def test_a_refusal_is_said_in_the_readers_language() -> None:
    exc = Conflict.of(
        N_("you have %(open)s complaints still open: wait for one to be handled"), open=3
    )
    assert (
        translate("zh_CN", *refusal_reason(exc))
        == "您已有 3 件投诉仍在处理中，请等待其中一件处理完毕"
    )
    assert translate("en", *refusal_reason(exc)) == str(exc)
    # unmarked: the generic message of its status, never its English text on a Chinese page
    generic = translate("zh_CN", *refusal_reason(NotFound("worker WA2 of enterprise 3")))
    assert generic == i18n.translations("zh_CN").gettext(
        "There is nothing here, or it is outside what you may see."
    )
    assert (
        "WA2" not in generic
        and generic != "There is nothing here, or it is outside what you may see."
    )
    shown = refusal("name", N_("Name"), InvalidInput("x is taken"))["name"]
    assert (
        shown.translate
        and shown.reason == "The request is not valid: check the values and try again."
    )


class Sample(BaseModel):
    name: Annotated[str, Field(min_length=2, max_length=5), AfterValidator(clean_line)]
    count: Annotated[int, Field(ge=1, le=9)]
    day: LocalDate
    code: Annotated[str, Field(pattern=r"^[a-z]+$")]
    note: Annotated[str, AfterValidator(lambda v: (_ for _ in ()).throw(ValueError("nope")))]
    title: Annotated[str, AfterValidator(clean_line)]


@pytest.mark.parametrize(
    ("data", "field", "chinese"),
    [
        ({"name": "x"}, "name", "至少 2 个字符"),
        ({"name": "abcdefg"}, "name", "最多 5 个字符"),
        ({"name": "a\x07b"}, "name", "不允许包含控制字符 U+0007"),
        ({"count": "many"}, "count", "须为整数"),
        ({"count": "0"}, "count", "不能小于 1"),
        ({"count": "10"}, "count", "不能大于 9"),
        ({"day": "1999-12-31"}, "day", "日期须在 2000-01-01 至 2099-12-31 之间"),
        ({"day": "30.6.2025"}, "day", None),
        ({"code": "ABC"}, "code", None),
        ({"note": "x"}, "note", "无效"),  # a validator's plain ValueError: no English leaks
        ({"title": "   "}, "title", "不能为空"),
        ({"name": None}, "name", "为必填项"),  # missing
    ],
)
def test_form_errors_are_msgids_with_their_limits(
    data: dict[str, str | None], field: str, chinese: str | None
) -> None:
    full = {"name": "ok", "count": "2", "day": "2025-06-30", "code": "ab", "title": "t"}
    sent = {k: v for k, v in {**full, **data}.items() if v is not None}
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(sent)
    error = field_errors(caught.value, {})[field]
    assert error.translate
    zh = translate("zh_CN", error.reason, error.params or {})
    en = translate("en", error.reason, error.params or {})
    assert not PYDANTIC_ENGLISH.search(zh) and not re.search(r"[A-Za-z]{3}", zh.replace("U+", ""))
    assert zh != en
    if chinese is not None:
        assert zh == chinese


# ---- pages and the API --------------------------------------------------------------------


def job_form(**changes: str) -> dict[str, str]:
    today = date.today()
    return {
        "project_id": "nn-1",
        "trade": "welder",
        "title": "焊工两名",
        "pay_yuan": "350",
        "headcount": "2",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "description": "包住",
        **changes,
    }


def test_the_job_form_says_pydantic_refusals_in_chinese(world: World) -> None:
    bad = job_form(title="X", headcount="5000", description="包\x07住")
    answer = world.form(
        "nn-boss", "zh_CN", "/console/enterprise/jobs", "/console/enterprise/jobs/new", bad
    )
    assert answer.status_code == 422
    assert text_of(answer.text, "error-title") == "至少 2 个字符"
    assert text_of(answer.text, "error-headcount") == "不能大于 1000"
    assert "不允许包含控制字符 U+0007" in text_of(answer.text, "error-description")
    assert not PYDANTIC_ENGLISH.search(answer.text) and 'value="X"' in answer.text
    english = world.form(
        "nn-boss", "en", "/console/enterprise/jobs", "/console/enterprise/jobs/new", bad
    )
    assert text_of(english.text, "error-title") == "must have at least 2 characters"
    backwards = job_form(ends_on=(date.today() - timedelta(days=1)).isoformat())
    answer = world.form(
        "nn-boss", "zh_CN", "/console/enterprise/jobs", "/console/enterprise/jobs/new", backwards
    )
    assert answer.status_code == 422
    assert text_of(answer.text, "error-ends_on") == "结束日期早于开始日期"


def test_a_service_refusal_on_a_page_is_chinese_and_the_api_body_is_unchanged(
    world: World,
) -> None:
    today = datetime.now(SHANGHAI).date()
    made = world.client.post(
        "/api/v1/job-posts",
        headers=world.h("nn-boss"),
        json={
            "project_id": "nn-1",
            "trade": "rebar",
            "title": "钢筋工 10 名",
            "pay_fen": 38000,
            "headcount": 10,
            "starts_on": (today + timedelta(days=3)).isoformat(),
            "ends_on": (today + timedelta(days=90)).isoformat(),
        },
    )
    assert made.status_code == 201, made.text
    post_id = made.json()["id"]
    applied = world.client.post(f"/api/v1/me/jobs/{post_id}/apply", headers=world.h("w-nn1"))
    assert applied.status_code in (200, 201), applied.text
    application = applied.json()["id"]
    page = f"/console/enterprise/jobs/{post_id}"
    offer = f"{page}/applications/{application}/offer"
    past = {"start_on": (today - timedelta(days=2)).isoformat()}
    answer = world.form("nn-boss", "zh_CN", offer, page, past)
    assert answer.status_code == 422
    assert "开工日期已过" in text_of(answer.text, "job-error")
    assert "start date has passed" not in answer.text
    english = world.form("nn-boss", "en", offer, page, past)
    assert "the start date has passed" in text_of(english.text, "job-error")
    # the API's body: English detail and code as before
    api = world.client.post(
        f"/api/v1/job-applications/{application}/offer", headers=world.h("nn-boss"), json=past
    )
    assert api.status_code == 422
    assert api.json() == {"detail": "start_on: the start date has passed", "code": "invalid_input"}
    # another enterprise's post stays unseen in any language
    world.as_reader("lz-boss", "zh_CN")
    assert world.client.get(page).status_code == 404


def test_the_complaint_form_says_the_services_refusal_in_chinese(world: World) -> None:
    month = next_month()
    data = {
        "project_id": "nn-1",
        "first_month": month,
        "last_month": month,
        "amount_yuan": "100",
        "description": "老板欠了三个月的工资没有给",
    }
    answer = world.form("w-nn1", "zh_CN", "/worker/help/complaint", "/worker/help/complaint", data)
    assert answer.status_code == 422
    assert text_of(answer.text, "error-first_month") == f"{month} 尚未开始"
    assert "has not begun" not in answer.text and "老板欠了三个月的工资没有给" in answer.text
    english = world.form("w-nn1", "en", "/worker/help/complaint", "/worker/help/complaint", data)
    assert text_of(english.text, "error-first_month") == f"{month} has not begun yet"
    api = world.client.post(
        "/api/v1/me/complaints",
        headers=world.h("w-nn1"),
        json={
            "project_id": "nn-1",
            "months": [month],
            "amount_fen": 10000,
            "description": "老板欠了三个月的工资没有给",
        },
    )
    assert api.status_code == 422
    assert api.json() == {"detail": f"months: {month} has not begun yet", "code": "invalid_input"}


def test_an_uncaught_refusal_is_an_error_page_in_the_readers_language(world: World) -> None:
    world.as_reader("nn-boss", "zh_CN")
    page = world.client.get("/console/refusal-probe")
    assert page.status_code == 409
    assert "由该预警立案的欠薪案件 7 仍在办理中" in page.text and "still open" not in page.text
    world.as_reader("nn-boss", "en")
    page = world.client.get("/console/refusal-probe")
    assert "arrears case 7 opened from this warning is still open" in page.text
    world.as_reader("nn-boss", "zh_CN")
    plain = world.client.get("/console/refusal-probe", params={"marked": "false"})
    assert plain.status_code == 409 and "WA2" not in plain.text and "still open" not in plain.text
    generic = i18n.translations("zh_CN").gettext("This conflicts with what is already recorded.")
    assert generic in plain.text
    api = world.client.get("/api/v1/refusal-probe", headers=world.h("nn-boss"))
    assert api.status_code == 409
    assert api.json() == {
        "detail": "arrears case 7 opened from this warning is still open",
        "code": "conflict",
    }
