"""The enterprise console's registry in-process over a real SQLite file: the roster and its
export cut to each caller's reach, adding a worker with per-field answers, linking a
registered person, corrections with their trail, the roster import (all or nothing, text
cells, hostile workbooks), the enrollment steps' refusals, whole numbers on request and
consent withdrawal.

Every test builds what it needs (``hired``: a fresh worker of nn-1's general contractor) and
asserts on its own records, so any order, or any single test, passes; the database and the
app (the expensive part) are shared by the module.

The browser side is tests/integration/test_enterprise_registry_browser.py.
"""

import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factories import Region, console_region, new_db, subcontractor_on, valid_card, valid_ric
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from web_client import add_users, console_client, csrf, csrf_of
from web_client import sign_in as console_sign_in

from central import audit
from central.registry import roster_import
from central.storage import Database, schema
from conftest import api_headers

FACES = Path(__file__).resolve().parent.parent / "fixtures" / "faces"


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, Region, str, int]]:
    tmp = tmp_path_factory.mktemp("registry")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    sub = subcontractor_on(db, region.nanning)
    users = {
        "gc-admin": {"role": "contractor_admin", "enterprise_id": 1},  # nn-1's general contractor
        "lz-admin": {"role": "contractor_admin", "enterprise_id": 2},  # another enterprise
        "sub-admin": {"role": "contractor_admin", "enterprise_id": sub["id"]},
        "nn-manager": {"role": "site_manager", "project_id": region.nanning},
    }
    add_users(db, users)
    db.close()
    url = str(tmp / "central.db")
    with console_client(url) as client:
        yield client, region, url, int(str(sub["id"]))


def sign_in(client: TestClient, username: str) -> str:
    """Sign in; the session's CSRF token."""
    console_sign_in(client, username)
    return csrf(client, "/console/enterprise/workers")


def form_of(client: TestClient, path: str, **values: str) -> dict[str, str]:
    return {"csrf_token": csrf(client, path), **values}


def person(n: int, **changes: str) -> dict[str, str]:
    """A new worker's form: a valid ID and card, pay 360.50 yuan a day on nn-1 for nn-1's
    general contractor (enterprise 1)."""
    return {
        "name": f"新工人{n}",
        "id_number": valid_ric(500 + n),
        "phone": "13800138000",
        "card_number": valid_card(500 + n),
        "bank": "中国建设银行",
        "project_id": "nn-1",
        "employer_id": "1",
        "team": "木工班",
        "trade": "木工",
        "pay_kind": "daily",
        "rate": "360.50",
        "start_date": "2025-07-01",
        **changes,
    }


_FRESH = itertools.count(1)


@pytest.fixture
def hired(world) -> Callable[[], str]:  # type: ignore[no-untyped-def]
    """Register a new worker of nn-1's general contractor through the console (signed in as
    gc-admin afterwards); each call another person, so no test leans on another's records."""
    client = world[0]

    def make() -> str:
        n = next(_FRESH)
        worker_id = f"FRESH{n}"
        sign_in(client, "gc-admin")
        values = person(
            n,
            name=f"新人{n}",
            id_number=valid_ric(9000 + n),
            card_number=valid_card(9000 + n),
            worker_id=worker_id,
        )
        data = form_of(client, "/console/enterprise/workers/new", **values)
        answer = client.post("/console/enterprise/workers/new", data=data, follow_redirects=False)
        assert answer.status_code == 303, answer.text[-800:]
        return worker_id

    return make


def templates_of(url: str, worker_id: str) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            t = schema.face_templates.c
            q = select(func.count()).select_from(schema.face_templates)
            return int(conn.execute(q.where(t.worker_id == worker_id)).scalar_one())
    finally:
        db.close()


def count(url: str, table: str) -> int:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(schema.metadata.tables[table])
                ).scalar_one()
            )
    finally:
        db.close()


def field_error(html: str, field: str) -> str:
    found = re.search(rf'id="error-{field}" class="field-error">([^<]*)<', html)
    return found.group(1) if found else ""


def test_a_typo_in_the_id_number_is_named_per_field_and_the_typing_kept(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "gc-admin")
    good = valid_ric(501)
    typo = good[:10] + ("1" if good[10] != "1" else "2") + good[11:]
    before = count(url, "workers")
    data = form_of(
        client,
        "/console/enterprise/workers/new",
        **person(1, id_number=typo, card_number="6217000000000000001", rate="12.345"),
    )
    answer = client.post("/console/enterprise/workers/new", data=data)
    assert answer.status_code == 422
    html = answer.text
    assert field_error(html, "id_number") == "校验位不符：有字符输错了"
    assert field_error(html, "card_number") == "校验位不符（Luhn）：有数字输错了"
    assert field_error(html, "rate") == "应为大于 0 的元金额，最多两位小数"
    assert f'value="{typo}"' in html and 'value="新工人1"' in html and 'value="12.345"' in html
    assert count(url, "workers") == before  # nothing written

    # the birth date inside the number: a 13th month, and a date in the future
    from stdnum.cn import ric

    for body, reason in (
        ("110105199013011234"[:17], "不是有效日期"),
        ("11010520991231123", "晚于今天"),
    ):
        number = body + ric.calc_check_digit(body + "0")
        data = form_of(client, "/console/enterprise/workers/new", **person(1, id_number=number))
        html = client.post("/console/enterprise/workers/new", data=data).text
        assert reason in field_error(html, "id_number"), number
    # in English, the same answers
    client.cookies.set("sitegate_lang", "en")
    data = form_of(client, "/console/enterprise/workers/new", **person(1, id_number=typo[:17]))
    html = client.post("/console/enterprise/workers/new", data=data).text
    assert field_error(html, "id_number") == "must have 18 characters"
    client.cookies.delete("sitegate_lang")


def test_adding_a_worker_writes_the_person_and_the_employment_together(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "gc-admin")
    data = form_of(client, "/console/enterprise/workers/new", **person(2, worker_id="NEW2"))
    answer = client.post("/console/enterprise/workers/new", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text[-800:]
    assert answer.headers["location"] == "/console/enterprise/workers/NEW2?saved=added"
    page = client.get(answer.headers["location"]).text
    number = valid_ric(502)
    assert number not in page and number[:3] + "*" * 11 + number[-4:] in page
    assert 'data-column="rate">360.50<' in page
    rows = client.get("/console/enterprise/workers.json", params={"q": "新工人2"}).json()["rows"]
    assert [(r["worker_id"], r["rate_fen"], r["pay_kind"], r["team"]) for r in rows] == [
        ("NEW2", 36050, "daily", "木工班")
    ]
    db = Database(url)
    with db.engine.connect() as conn:
        w = conn.execute(select(schema.workers).where(schema.workers.c.id == "NEW2")).one()
        assert number.encode() not in w.id_number_sealed  # sealed at rest
    db.close()
    # the same person again: refused, naming no record, nothing written
    before = count(url, "workers")
    again = form_of(client, "/console/enterprise/workers/new", **person(2, worker_id=""))
    html = client.post("/console/enterprise/workers/new", data=again).text
    assert "一人一档" in field_error(html, "id_number")
    assert "NEW2" not in html.split("<main", 1)[1]
    assert count(url, "workers") == before


def test_linking_by_id_number_follows_the_tenancy_rules(world) -> None:  # type: ignore[no-untyped-def]
    client, region, _url, _sub = world
    # another enterprise (lz-1's general contractor) cannot see NN3 ...
    sign_in(client, "lz-admin")
    assert client.get("/console/enterprise/workers/NN3").status_code == 404
    assert "NN3" not in client.get("/console/enterprise/workers.json").text
    # ... an unregistered number: "no one is registered", and nothing is created
    data = form_of(
        client,
        "/console/enterprise/workers/link",
        **person(3, id_number=valid_ric(900), project_id="lz-1", employer_id="2"),
    )
    html = client.post("/console/enterprise/workers/link", data=data).text
    assert field_error(html, "id_number") == "没有以此身份证号登记的人员：请作为新工人登记"
    # ... a project that is not its own: the same answer as a project that does not exist
    data = form_of(
        client,
        "/console/enterprise/workers/link",
        **person(3, id_number=valid_ric(2), project_id="nn-1", employer_id="2"),
    )
    html = client.post("/console/enterprise/workers/link", data=data).text
    assert field_error(html, "project_id") == "不是您的项目"
    assert "NN3" not in html
    # linking NN3 (valid_ric(2)) on its own project: its own employment, nothing of nn-1's
    data = form_of(
        client,
        "/console/enterprise/workers/link",
        **person(3, id_number=valid_ric(2), project_id="lz-1", employer_id="2", team="钢筋班"),
    )
    answer = client.post("/console/enterprise/workers/link", data=data, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith(
        "/console/enterprise/workers/NN3?saved=linked"
    )
    page = client.get("/console/enterprise/workers/NN3").text
    assert "钢筋班" in page and "nn-1" not in page and "一班" not in page
    rows = client.get("/console/enterprise/workers.json", params={"q": "工人2"}).json()["rows"]
    assert {(r["worker_id"], r["project_id"]) for r in rows} == {("NN3", "lz-1")}
    # twice: this employer employs them here already
    again = client.post("/console/enterprise/workers/link", data=data).text
    assert field_error(again, "id_number") == "该用工单位已在本项目雇用此人"
    # the subcontractor may not employ for its general contractor
    sign_in(client, "sub-admin")
    data = form_of(
        client,
        "/console/enterprise/workers/link",
        **person(3, id_number=valid_ric(2), project_id=region.nanning, employer_id="1"),
    )
    html = client.post("/console/enterprise/workers/link", data=data).text
    assert field_error(html, "employer_id") == "分包单位只能为本单位用工"


def test_each_caller_sees_its_own_reach_on_every_page_and_export(world, hired) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, sub_id = world
    gcs = hired()  # a worker of the general contractor's own
    # the subcontractor registers one worker of its own on nn-1
    sign_in(client, "sub-admin")
    data = form_of(
        client,
        "/console/enterprise/workers/new",
        **person(4, employer_id=str(sub_id), worker_id="SUB4"),
    )
    assert (
        client.post(
            "/console/enterprise/workers/new", data=data, follow_redirects=False
        ).status_code
        == 303
    )
    mine = {r["worker_id"] for r in client.get("/console/enterprise/workers.json").json()["rows"]}
    assert mine == {"SUB4"}
    for other in ("NN1", gcs, "LZ1"):
        assert client.get(f"/console/enterprise/workers/{other}").status_code == 404
        assert client.get(f"/console/enterprise/workers/{other}/enroll").status_code == 404
    book = load_workbook(io.BytesIO(client.get("/console/enterprise/workers.xlsx").content))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert "SUB4" in cells and "NN1" not in cells and valid_ric(504) not in cells
    # the general contractor sees every employer's workers on its project (masked)
    sign_in(client, "gc-admin")
    seen = {r["worker_id"] for r in client.get("/console/enterprise/workers.json").json()["rows"]}
    assert {"NN1", "NN2", "NN3", gcs, "SUB4"} <= seen and "LZ1" not in seen
    # the site manager: their project, no add or import
    sign_in(client, "nn-manager")
    seen = {r["worker_id"] for r in client.get("/console/enterprise/workers.json").json()["rows"]}
    assert {"NN1", "SUB4"} <= seen and "LZ1" not in seen
    assert client.get("/console/enterprise/workers/new").status_code == 403
    assert client.get("/console/enterprise/import").status_code == 403
    assert client.get("/console/enterprise/workers/SUB4/edit").status_code == 403
    # the API's roster is the same rows
    headers = api_headers(url, "gc-api", "contractor_admin", enterprise_id=1)
    api = client.get("/api/v1/roster", headers=headers).json()
    sign_in(client, "gc-admin")
    page = client.get("/console/enterprise/workers.json").json()["rows"]
    assert sorted(r["employment"] for r in api) == sorted(r["employment"] for r in page)


def test_corrections_and_a_new_card_leave_a_trail(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "gc-admin")
    path = "/console/enterprise/workers/NN2"
    data = form_of(client, path + "/edit", name="工人1", phone="12", bank="", reason="")
    html = client.post(path + "/edit", data=data).text
    assert field_error(html, "phone") and field_error(html, "reason")
    assert 'value="工人1"' in html and 'value="12"' in html
    data = form_of(
        client, path + "/edit", name="工人壹", phone="13900139000", bank="", reason="身份证上的名字"
    )
    assert client.post(path + "/edit", data=data, follow_redirects=False).status_code == 303
    data = form_of(
        client, path + "/card", card_number="6217000000000000001", bank="农业银行", reason="挂失"
    )
    html = client.post(path + "/card", data=data).text
    assert "Luhn" in field_error(html, "card_number") and 'value="6217000000000000001"' in html
    data = form_of(
        client, path + "/card", card_number=valid_card(777), bank="农业银行", reason="挂失"
    )
    assert client.post(path + "/card", data=data, follow_redirects=False).status_code == 303
    page = client.get(path).text
    assert "工人壹" in page and "挂失" in page and valid_card(777) not in page
    db = Database(url)
    with db.engine.connect() as conn:
        actions = [e["action"] for e in audit.entries(conn, actor="gc-admin", limit=10)]
        assert "worker.updated" in actions and "card.replaced" in actions
        assert valid_card(777) not in str(audit.entries(conn, limit=20))
    db.close()
    # another enterprise cannot reach the forms at all
    sign_in(client, "lz-admin")
    assert client.get(path + "/edit").status_code == 404
    token = csrf_of(client.get("/console/enterprise/workers").text)
    answer = client.post(
        path + "/card",
        data={"csrf_token": token, "card_number": valid_card(778), "bank": "x", "reason": "y"},
    )
    assert answer.status_code == 404


# ---- roster import ---------------------------------------------------------------------


def workbook(rows: list[list[object]], header: bool = True, english: bool = False) -> bytes:
    book = Workbook()
    sheet = book.active
    if header:
        sheet.append([f.en if english else f.zh for f in roster_import.FIELDS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def row(n: int, **changes: object) -> list[object]:
    values: dict[str, object] = {
        "name": f"导入{n}",
        "id_number": valid_ric(600 + n),
        "phone": "13800000000",
        "card_number": valid_card(600 + n),
        "bank": "工商银行",
        "team": "瓦工班",
        "trade": "瓦工",
        "pay_kind": "按日",
        "rate": "300",
        "start_date": "2025-08-01",
        "worker_id": None,
        **changes,
    }
    return [values[f.key] for f in roster_import.FIELDS]


def upload(client: TestClient, data: bytes, project: str = "nn-1", employer: str = "1"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/console/enterprise/import").text)
    return client.post(
        "/console/enterprise/import",
        data={"csrf_token": token, "project_id": project, "employer_id": employer},
        files={"file": ("roster.xlsx", data, "application/octet-stream")},
    )


def problems(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r'data-row="(\d+)" data-field="([a-z_]+)" data-reason="([a-z_]+)"', html)


def test_import_with_one_bad_row_reports_it_and_imports_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "gc-admin")
    bad = valid_ric(602)
    bad = bad[:-2] + str((int(bad[-2]) + 1) % 10) + bad[-1]
    data = workbook([row(1), row(2, id_number=bad), row(3, rate="abc", start_date="2025-13-01")])
    before = (count(url, "workers"), count(url, "employments"))
    answer = upload(client, data)
    assert answer.status_code == 422
    assert problems(answer.text) == [
        ("3", "id_number", "checksum"),
        ("4", "rate", "rate"),
        ("4", "start_date", "date"),
    ]
    assert (count(url, "workers"), count(url, "employments")) == before
    # the API route gives the same report
    headers = api_headers(url, "gc-api", "contractor_admin", enterprise_id=1)
    api = client.post(
        "/api/v1/roster/import",
        headers=headers,
        data={"project_id": "nn-1", "employer_id": "1"},
        files={"file": ("roster.xlsx", data, "application/octet-stream")},
    ).json()
    assert api["imported"] is False and [
        (e["row"], e["field"], e["reason"]) for e in api["errors"]
    ] == [
        (3, "id_number", "checksum"),
        (4, "rate", "rate"),
        (4, "start_date", "date"),
    ]
    assert (count(url, "workers"), count(url, "employments")) == before


def test_a_clean_import_keeps_text_as_text_and_links_known_people(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "lz-admin")
    with_x = valid_ric(109)
    assert with_x.endswith("X")
    data = workbook(
        [
            row(5, id_number=with_x.lower(), worker_id="007", phone="02012345678"),
            row(6, pay_kind="hourly", rate="42.5", start_date="2025-08-02"),
            row(7, id_number=valid_ric(0)),  # NN1, registered by nn-1's contractor: linked
        ],
        english=True,
    )
    answer = upload(client, data, project="lz-1", employer="2")
    assert answer.status_code == 200, problems(answer.text)
    assert 'data-registered="2" data-linked="1"' in answer.text
    rows = {
        r["name"]: r
        for r in client.get("/console/enterprise/workers.json", params={"project": "lz-1"}).json()[
            "rows"
        ]
    }
    assert rows["导入5"]["worker_id"] == "007"
    assert rows["导入5"]["id_number"] == with_x[:3] + "*" * 11 + with_x[-4:]
    assert rows["导入6"]["rate_fen"] == 4250 and rows["导入6"]["pay_kind"] == "hourly"
    assert rows["工人0"]["worker_id"] == "NN1"  # the one record, linked
    db = Database(url)
    with db.engine.connect() as conn:
        phone = conn.execute(
            select(schema.workers.c.phone).where(schema.workers.c.id == "007")
        ).scalar_one()
    db.close()
    assert phone == "02012345678"
    # the overview's employment summary followed the import in its transaction
    assert spans(url) == spans(url, rebuilt=True)


def spans(url: str, rebuilt: bool = False) -> list[tuple[object, ...]]:
    """``staff_spans`` as written, or as a rebuild from the source tables computes it (rolled
    back: the stored rows stay as they are)."""
    from central.registry import staff_spans

    db = Database(url)
    try:
        with db.engine.connect() as conn:
            if rebuilt:
                staff_spans.rebuild(conn)
            ss = schema.staff_spans.c
            rows = conn.execute(
                select(schema.staff_spans).order_by(ss.project_id, ss.worker_id, ss.start_date)
            )
            found = [tuple(r) for r in rows]
            conn.rollback()
            return found
    finally:
        db.close()


def test_number_cells_and_formulas_are_refused(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "gc-admin")
    data = workbook(
        [
            row(8, id_number=110105197001010038),
            row(9, name='=HYPERLINK("http://x","y")'),
            row(10, rate="=1+1"),
        ]
    )
    before = count(url, "workers")
    answer = upload(client, data)
    assert answer.status_code == 422
    assert ("2", "id_number", "number_cell") in problems(answer.text)
    assert ("4", "rate", "formula") in problems(answer.text)
    assert ("3", "name", "formula") in problems(answer.text)
    assert count(url, "workers") == before


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (30 * 1024 * 1024))
    return out.getvalue()


def test_hostile_workbooks_are_refused_cleanly(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    sign_in(client, "gc-admin")
    before = count(url, "workers")
    cases = {
        "not a zip": (b"ID,name\n110105197001010038,x\n", 422),
        "a zip bomb": (zip_bomb(), 413),
        "a zip that is no workbook": (_plain_zip(), 422),
        "no header": (workbook([row(11)], header=False), 422),
        "a huge sheet": (
            workbook(
                [row(12, id_number=valid_ric(3000 + n)) for n in range(roster_import.MAX_ROWS + 1)]
            ),
            413,
        ),
    }
    for name, (data, status) in cases.items():
        answer = upload(client, data)
        assert answer.status_code == status, name
        assert 'id="file-problem"' in answer.text, name
    assert upload(client, workbook([])).status_code == 422  # no rows below the header
    # hostile form fields: answered on the field, never a 500
    for project, employer in (("nn-1\x00x", "1"), ("nn-1", "9" * 30), ("../x", "1")):
        answer = upload(client, workbook([row(14)]), project=project, employer=employer)
        assert answer.status_code == 422 and 'id="form-errors"' in answer.text
    assert count(url, "workers") == before


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return out.getvalue()


def test_the_template_round_trips(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, _url, _sub = world
    sign_in(client, "gc-admin")
    data = client.get("/console/enterprise/import/template.xlsx").content
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == [f.zh for f in roster_import.FIELDS]
    assert sheet.cell(row=2, column=2).number_format == "@"  # the ID column is text
    sheet.append(row(13))
    out = io.BytesIO()
    sheet.parent.save(out)
    assert upload(client, out.getvalue()).status_code == 200


# ---- enrollment ---------------------------------------------------------------------


def test_enrollment_needs_consent_and_stays_in_reach(world, hired) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    worker = hired()
    sign_in(client, "gc-admin")
    path = f"/console/enterprise/workers/{worker}"
    photo = (FACES / "obama" / "1.jpg").read_bytes()
    token = csrf_of(client.get(path + "/enroll").text)
    # no consent: refused before any photo is looked at
    answer = client.post(
        path + "/photos",
        data={"csrf_token": token},
        files={"photos": ("a.jpg", photo, "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "no_consent"
    page = client.post(
        path + "/photos",
        data={"csrf_token": token},
        files={"photos": ("a.jpg", photo, "image/jpeg")},
    )
    assert page.status_code == 422 and 'data-answer="no_consent"' in page.text
    assert templates_of(url, worker) == 0
    # another enterprise: 404 on consent, photos and cards alike
    sign_in(client, "lz-admin")
    token = csrf_of(client.get("/console/enterprise/workers").text)
    for step in ("consent", "photos", "cards"):
        answer = client.post(
            f"{path}/{step}",
            data={
                "csrf_token": token,
                "method": "signed paper form",
                "kind": "nfc",
                "number": "AB12CD34",
            },
        )
        assert answer.status_code == 404, step
    # consent recorded with who and when; the card for a worker who declines
    sign_in(client, "gc-admin")
    token = csrf_of(client.get(path + "/enroll").text)
    answer = client.post(
        path + "/consent",
        data={"csrf_token": token, "method": "signed paper form"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = client.get(path + "/enroll").text
    assert "登记人 gc-admin" in page and 'id="camera"' in page
    # not a photo at all: refused from its header, before the encoder runs
    answer = client.post(
        path + "/photos",
        data={"csrf_token": token},
        files={"photos": ("x.jpg", b"<svg onload=alert(1)>", "image/jpeg")},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 422 and answer.json()["code"] == "unreadable"
    answer = client.post(
        path + "/cards",
        data={"csrf_token": token, "kind": "nfc", "number": "04A2 24B1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cards = re.search(
        r'<ul id="gate-card-list">(.*?)</ul>', client.get(path + "/enroll").text, re.S
    )
    assert cards and "24B1" in cards.group(1) and "04A2" not in cards.group(1)


def test_the_gates_quality_answer_per_photo(world) -> None:  # type: ignore[no-untyped-def]
    """The gate's encoder on real photos: an empty scene and two faces refused with their own
    reasons (nothing stored), a good photo accepted, the same face for another worker refused."""
    client, _region, url, _sub = world
    sign_in(client, "lz-admin")
    client.cookies.set("sitegate_lang", "en")
    try:
        for worker in ("LZ1", "LZ2"):
            token = csrf_of(client.get(f"/console/enterprise/workers/{worker}/enroll").text)
            answer = client.post(
                f"/console/enterprise/workers/{worker}/consent",
                data={"csrf_token": token, "method": "signed on the tablet"},
                follow_redirects=False,
            )
            assert answer.status_code == 303

        def send(worker: str, *photos: Path):  # type: ignore[no-untyped-def]
            return client.post(
                f"/console/enterprise/workers/{worker}/photos",
                data={"csrf_token": token},
                files=[("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in photos],
                headers={"Accept": "application/json"},
            )

        before = count(url, "face_templates")
        refused = send(
            "LZ1",
            FACES / "_probes" / "no_face" / "coffee.jpg",
            FACES / "_probes" / "two_faces" / "obama_biden.jpg",
        )
        assert refused.status_code == 422
        assert [(p["photo"], p["code"]) for p in refused.json()["photos"]] == [
            (1, "no_face"),
            (2, "two_faces"),
        ]
        assert refused.json()["photos"][0]["message"] == (
            "No face found: photograph the worker facing the camera."
        )
        assert count(url, "face_templates") == before
        accepted = send("LZ1", FACES / "obama" / "1.jpg")
        assert accepted.status_code == 200 and accepted.json()["templates"] == 1
        duplicate = send("LZ2", FACES / "obama" / "2.jpg")
        assert duplicate.status_code == 409 and duplicate.json()["code"] == "already_registered"
        assert "LZ1" not in duplicate.text
        assert count(url, "face_templates") == before + 1
    finally:
        client.cookies.delete("sitegate_lang")


def test_the_photo_refusal_codes_reach_the_api_and_the_console(world, hired) -> None:  # type: ignore[no-untyped-def]
    """The encoder's own codes, not its English words: the API's 422 body lists each refused
    photo with its code; the console translates the same codes; an accepted camera photo
    answers the record's new template count in the reader's language."""
    client, _region, url, _sub = world
    worker = hired()
    headers = api_headers(url, "gc-api", "contractor_admin", enterprise_id=1)
    consent = client.post(
        f"/api/v1/workers/{worker}/face-consent", headers=headers, json={"method": "signed form"}
    )
    assert consent.status_code == 201
    bad = (
        FACES / "_probes" / "no_face" / "coffee.jpg",
        FACES / "_probes" / "two_faces" / "obama_biden.jpg",
    )
    files = [("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in bad]
    api = client.post(f"/api/v1/workers/{worker}/photos", headers=headers, files=files)
    assert api.status_code == 422
    assert [(p["photo"], p["code"]) for p in api.json()["photos"]] == [
        (1, "no_face"),
        (2, "two_faces"),
    ]
    assert api.json()["photos"][0]["reason"].startswith("no face: ")  # the words stay too
    sign_in(client, "gc-admin")
    token = csrf_of(client.get(f"/console/enterprise/workers/{worker}/enroll").text)
    page = client.post(
        f"/console/enterprise/workers/{worker}/photos",
        data={"csrf_token": token},
        files=[("photos", (p.name, p.read_bytes(), "image/jpeg")) for p in bad],
    )
    assert page.status_code == 422 and 'data-answer="no_face"' in page.text
    result = page.text.split('id="photo-result"', 1)[1].split("</div>", 1)[0]
    assert "照片 1" in result and "照片 2" in result, result  # each photo's own answer
    client.cookies.set("sitegate_lang", "en")
    try:
        good = FACES / "london_003" / "1.jpg"
        accepted = client.post(
            f"/console/enterprise/workers/{worker}/photos",
            data={"csrf_token": token},
            files=[("photos", (good.name, good.read_bytes(), "image/jpeg"))],
            headers={"Accept": "application/json"},
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["templates"] == templates_of(url, worker) == 1
        assert accepted.json()["templates_text"] == "1 template"
    finally:
        client.cookies.delete("sitegate_lang")


def reveal_of(client: TestClient, worker: str, reason: str):  # type: ignore[no-untyped-def]
    path = f"/console/enterprise/workers/{worker}"
    token = csrf_of(client.get("/console/enterprise/workers").text)
    return client.post(path + "/reveal", data={"csrf_token": token, "reveal_reason": reason})


def test_whole_numbers_on_request_with_a_reason_audited_and_scoped(world, hired) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    worker = hired()
    n = int(worker.removeprefix("FRESH"))
    number, card = valid_ric(9000 + n), valid_card(9000 + n)
    page = client.get(f"/console/enterprise/workers/{worker}").text
    assert 'id="reveal-form"' in page and number not in page
    # no reason: refused on the field, nothing revealed, nothing audited
    refused = reveal_of(client, worker, "  ")
    assert refused.status_code == 422 and field_error(refused.text, "reveal_reason")
    assert number not in refused.text

    def reveals() -> list[dict[str, object]]:
        db = Database(url)
        try:
            with db.engine.connect() as conn:
                return [
                    e
                    for e in audit.entries(conn, actor="gc-admin", limit=200)
                    if e["action"] == "worker.reveal" and e["target_id"] == worker
                ]
        finally:
            db.close()

    assert reveals() == []
    shown = reveal_of(client, worker, "银行要求核对卡号")
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert number in shown.text and card in shown.text and 'id="revealed-note"' in shown.text
    (entry,) = reveals()
    assert json.loads(str(entry["detail"]))["reason"] == "银行要求核对卡号"
    assert number not in str(entry) and card not in str(entry)  # the log holds masks only
    # the next page shows the masks again
    assert number not in client.get(f"/console/enterprise/workers/{worker}").text
    # a site manager sees the record but never whole numbers; other enterprises not even that
    sign_in(client, "nn-manager")
    assert 'id="reveal-form"' not in client.get(f"/console/enterprise/workers/{worker}").text
    assert reveal_of(client, worker, "just curious").status_code == 403
    for other in ("lz-admin", "sub-admin"):
        sign_in(client, other)
        answer = reveal_of(client, worker, "just curious")
        assert answer.status_code == 404 and number not in answer.text, other
    assert len(reveals()) == 1


def test_withdrawing_consent_on_the_record_page_deletes_the_face(world, hired) -> None:  # type: ignore[no-untyped-def]
    client, _region, url, _sub = world
    worker = hired()
    path = f"/console/enterprise/workers/{worker}"
    assert 'id="withdraw-form"' not in client.get(path).text  # no consent, nothing to withdraw
    token = csrf_of(client.get(path + "/enroll").text)
    given = client.post(
        path + "/consent",
        data={"csrf_token": token, "method": "signed paper form"},
        follow_redirects=False,
    )
    assert given.status_code == 303
    face = FACES / "london_004" / "1.jpg"
    accepted = client.post(
        path + "/photos",
        data={"csrf_token": token},
        files=[("photos", (face.name, face.read_bytes(), "image/jpeg"))],
        headers={"Accept": "application/json"},
    )
    assert accepted.status_code == 200, accepted.text
    assert templates_of(url, worker) == 1
    page = client.get(path).text
    assert 'id="withdraw-form"' in page and "二维码" in page  # the alternatives are explained
    # another enterprise: 404, the consent stays
    sign_in(client, "lz-admin")
    lz_token = csrf_of(client.get("/console/enterprise/workers").text)
    answer = client.post(
        path + "/consent/withdraw", data={"csrf_token": lz_token, "withdraw_confirm": "yes"}
    )
    assert answer.status_code == 404 and templates_of(url, worker) == 1
    # not confirmed: refused on the field
    sign_in(client, "gc-admin")
    token = csrf_of(client.get(path).text)
    answer = client.post(path + "/consent/withdraw", data={"csrf_token": token})
    assert answer.status_code == 422 and field_error(answer.text, "withdraw_confirm")
    assert templates_of(url, worker) == 1
    done = client.post(
        path + "/consent/withdraw",
        data={"csrf_token": token, "withdraw_confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == path + "?saved=withdrawn"
    assert templates_of(url, worker) == 0  # no consent left: the templates are deleted
    page = client.get(done.headers["location"]).text
    assert 'data-saved="withdrawn"' in page and 'id="withdraw-form"' not in page
    db = Database(url)
    with db.engine.connect() as conn:
        c = schema.face_consents.c
        row = conn.execute(select(c.withdrawn_by).where(c.worker_id == worker)).one()
    db.close()
    assert row.withdrawn_by == "gc-admin"
    # a second click: back to the record, never an error page
    again = client.post(
        path + "/consent/withdraw",
        data={"csrf_token": token, "withdraw_confirm": "yes"},
        follow_redirects=False,
    )
    assert again.status_code == 303 and again.headers["location"] == path
