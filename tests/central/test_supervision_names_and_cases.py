"""Warning subjects in the reader's language, division names instead of bare codes, and the
arrears-case forms, in-process over a real SQLite file seeded through the real services.

Each figure is checked against an independent reading of the tables (the catalogue's own
translation, the divisions table, the arrears and audit rows), in both languages, and for a
supervisor of another city (404, nothing named).
"""

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import SHANGHAI, Region, console_region, new_db
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from web_client import add_users, console_client, csrf, sign_in

from central.registry import division_source, divisions
from central.registry.division_names import english_name
from central.storage import Database, schema
from central.warnings import subjects
from central.warnings.store import raise_warning
from central.warnings.subjects import SUBJECTS, SYSTEM_NOTES, fill
from central.web import i18n
from conftest import api_headers

ROOT = Path(__file__).resolve().parents[2]
USERS = {
    "root": {"role": "admin"},
    "nn-inspector": {"role": "supervisor", "division_code": "450100"},  # Nanning city
    "lz-inspector": {"role": "supervisor", "division_code": "450200"},  # Liuzhou city
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Region, str]]:
    tmp = tmp_path_factory.mktemp("names")
    db, sealer = new_db(tmp)
    region = console_region(db, sealer, tmp)
    add_users(db, USERS)
    db.close()
    url = str(tmp / "central.db")
    with console_client(url) as client:
        yield client, region, url


def _raised_kinds() -> set[str]:
    """Every warning kind a service raises today, read from the source (not from SUBJECTS)."""
    kinds: set[str] = set()
    for folder in ("central/warnings", "central/payroll", "central/complaints"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "raise_warning(" not in text:
                continue
            kinds |= set(re.findall(r'kind="([a-z_]+)"', text))
            for const in re.findall(r"kind=([A-Z_]+),", text):
                found = re.search(rf'^{const} = "([a-z_]+)"', text, re.M)
                assert found, f"{path}: {const}"
                kinds.add(found.group(1))
    return kinds


def test_every_kind_raised_has_a_subject_each_language_can_fill() -> None:
    kinds = _raised_kinds()
    assert {"batch_overdue", "device_offline", "dust_exceedance", "line_disputed"} <= kinds
    assert sorted(kinds - set(SUBJECTS) - {"complaint"}) == []  # complaints keep their text
    for locale in i18n.LANGUAGES:
        t = i18n.translations(locale)
        for msgid in (*SUBJECTS.values(), *SYSTEM_NOTES.values()):
            params: dict[str, object] = {
                name: 12345 if name.endswith("_fen") else f"<{name}>"
                for name in PLACEHOLDER.findall(msgid)
            }
            assert t.gettext(msgid) != msgid or locale == "en", (locale, msgid)
            assert fill(t.gettext(msgid), params) is not None, (locale, msgid)


def test_fen_parameters_read_as_yuan_and_times_as_local() -> None:
    from zoneinfo import ZoneInfo

    zh = i18n.translations("zh_CN").gettext
    text = fill(
        zh(SUBJECTS["underpaid"]),
        {"worker": "W1", "paid_fen": 5, "net_fen": 123405, "month": "2025-06"},
    )
    assert text is not None and "1234.05" in text and "0.05" in text and "fen" not in text
    shown = fill("%(since)s", {"since": "2026-11-30T01:00:00+00:00"}, ZoneInfo("Asia/Shanghai"))
    assert shown == "2026-11-30 09:00"


def test_the_queue_page_twin_and_export_say_subjects_in_the_readers_language(world) -> None:  # type: ignore[no-untyped-def]
    client, _region, url = world
    db = Database(url)
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        stored = {
            r.id: (r.kind, json.loads(r.params), r.subject)
            for r in conn.execute(
                select(w.id, w.kind, w.params, w.subject).where(w.params.is_not(None))
            )
        }
    db.close()
    assert stored, "the region raised warnings with parameters"
    for english, locale in ((False, "zh_CN"), (True, "en")):
        sign_in(client, "root", english=english)
        t = i18n.translations(locale).gettext
        rows = client.get("/console/warnings.json?size=100").json()["rows"]
        assert "params" not in rows[0]
        for row in rows:
            kind, params, subject = stored[row["id"]]
            assert row["subject"] == fill(t(SUBJECTS[kind]), params), row
            if not english:
                assert row["subject"] != subject and re.search(r"[\u4e00-\u9fff]", row["subject"])
        page = client.get("/console/warnings?size=100").text
        for row in rows[:5]:
            assert row["subject"].replace("'", "&#39;") in page
        book = load_workbook(io.BytesIO(client.get("/console/warnings.xlsx").content))
        sheet = [[c.value for c in r] for r in book.active.iter_rows()]
        col = sheet[0].index(t("Subject"))
        assert sorted(r[col] for r in sheet[1:]) == sorted(r["subject"] for r in rows)
        one = rows[0]
        detail = client.get(f"/console/warnings/{one['id']}").text
        assert one["subject"].replace("'", "&#39;") in detail
    # the API keeps the machine-readable kind and parameters, and the English subject
    api = client.get("/api/v1/warnings", headers=api_headers(url)).json()
    for item in api:
        if item["id"] in stored:
            kind, params, subject = stored[item["id"]]
            assert (item["kind"], item["params"], item["subject"]) == (kind, params, subject)
            assert item["subject"] == fill(SUBJECTS[kind], params)


def _gate_silent_then_heard(region, url: str, gate: str) -> int:  # type: ignore[no-untyped-def]
    """A device_offline warning on ``gate``, raised by the scanner and resolved when it is heard."""
    from datetime import UTC, datetime, timedelta

    from factories import SECRET

    from central.warnings.devices import scan_gates

    db = Database(url)
    db.add_device(region.liuzhou, gate, SECRET.hex())  # heard of three hours ago, then now
    gone = datetime.now(UTC) - timedelta(hours=3)
    db.set_device_status(region.liuzhou, gate, '{"state":"online"}', gone.isoformat())
    with db.begin() as conn:
        scan_gates(conn, datetime.now(UTC), timedelta(minutes=30))
    db.set_device_status(region.liuzhou, gate, '{"state":"online"}', datetime.now(UTC).isoformat())
    with db.begin() as conn:
        scan_gates(conn, datetime.now(UTC), timedelta(minutes=30))
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        warning_id = conn.execute(
            select(w.id).where(
                w.kind == "device_offline", w.evidence.contains(f'"device": "{gate}"')
            )
        ).scalar_one()
    db.close()
    return int(warning_id)


def test_system_notes_in_the_history_follow_the_reader(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    warning_id = _gate_silent_then_heard(region, url, "gate-9")
    sign_in(client, "root")
    page = client.get(f"/console/warnings/{warning_id}").text
    assert "恢复通信" in page and "gate heard from" not in page
    sign_in(client, "root", english=True)
    assert "The gate was heard from at" in client.get(f"/console/warnings/{warning_id}").text


def test_evidence_and_the_automatic_actor_read_in_the_readers_language(world) -> None:  # type: ignore[no-untyped-def]
    """The stored evidence keeps its English keys (the API's); the page names each one, shows
    its moments on the clock and says who acted on its own."""
    client, region, url = world
    warning_id = _gate_silent_then_heard(region, url, "gate-8")
    sign_in(client, "root")
    page = client.get(f"/console/warnings/{warning_id}").text
    evidence = page[page.index('class="facts evidence"') : page.index('id="history-title"')]
    for label in ("失联时长（分钟）", "最后通信时间", "最后状态", "设备编号", "工地"):
        assert f"<dt>{label}</dt>" in evidence, label
    assert "silent_minutes" not in evidence.replace('data-evidence="silent_minutes"', "")
    heard = re.search(r'data-evidence="last_heard"><time datetime="([^"]+)"', evidence)
    assert (
        heard is not None
        and "T" not in evidence[heard.end() : evidence.index("</time>", heard.end())]
    )
    assert 'data-evidence="last_state">在线<' in evidence  # the gate's state, not its code
    assert "系统自动" in page[page.index('id="history-title"') :]
    sign_in(client, "root", english=True)
    page = client.get(f"/console/warnings/{warning_id}").text
    assert "<dt>Silent for (minutes)</dt>" in page and "central (automatic)" in page
    api = client.get("/api/v1/warnings", headers=api_headers(url)).json()
    (item,) = [i for i in api if i["id"] == warning_id]
    assert {"silent_minutes", "last_heard"} <= set(item["evidence"])


# ---- division names -------------------------------------------------------------------


def test_the_dataset_from_set_up_names_every_level() -> None:
    assert division_source.installed(), (
        "run ./dev setup (python -m central.registry.division_source)"
    )
    rows = {r[0]: r for r in division_source.read()}
    assert len(rows) > 3000 and len(rows) == len(division_source.read())  # one row per code
    assert rows["450000"][1:4] == ("广西壮族自治区", "Guangxi Zhuang Autonomous Region", "province")
    assert rows["450100"][1:] == ("南宁市", "Nanning City", "city", "450000")
    assert rows["450102"][1:] == ("兴宁区", "Xingning District", "county", "450100")
    assert rows["110100"][1] == "北京市"  # a municipality's 市辖区 takes the province's name


def test_build_and_english_names_from_package_shaped_lists() -> None:
    rows = division_source.build(
        [{"code": "45", "name": "广西壮族自治区"}],
        [{"code": "4501", "name": "南宁市", "provinceCode": "45"}],
        [
            {"code": "450102", "name": "兴宁区", "cityCode": "4501", "provinceCode": "45"},
            {"code": "450100", "name": "南宁市", "cityCode": "4501", "provinceCode": "45"},
        ],
    )
    assert [r[0] for r in rows] == ["450000", "450100", "450102"]
    assert english_name("恭城瑶族自治县") == "Gongcheng Yao Autonomous County"
    assert english_name("阿拉善盟") == "Alashan League"


def test_lists_show_names_in_both_languages_and_filter_by_name(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    db = Database(url)
    with db.engine.connect() as conn:
        zh = divisions.names(conn, ["450102", "450100", "450202", "450200"])
        en = divisions.names(conn, ["450102", "450100"], english=True)
    db.close()
    assert zh == {"450102": "兴宁区", "450100": "南宁市", "450202": "城中区", "450200": "柳州市"}
    sign_in(client, "root")
    rows = {r["id"]: r for r in client.get("/console/projects.json").json()["rows"]}
    nn = rows[region.nanning]
    assert (nn["division_code"], nn["division_name"], nn["city"], nn["city_name"]) == (
        "450102",
        "兴宁区",
        "450100",
        "南宁市",
    )
    assert "南宁市" in client.get("/console/projects").text
    for value in ("南宁市", "Nanning City", "450100"):
        got = client.get("/console/projects.json", params={"city": value}).json()["rows"]
        assert [r["id"] for r in got] == [region.nanning], value
    assert client.get("/console/projects.json", params={"city": "无此市"}).json()["rows"] == []
    assert client.get("/console/projects", params={"city": "45'--"}).status_code == 422
    book = load_workbook(io.BytesIO(client.get("/console/projects.xlsx").content))
    sheet = [[c.value for c in r] for r in book.active.iter_rows()]
    assert "兴宁区" in sheet[1 + [r[0] for r in sheet[1:]].index(region.nanning)]
    queue = client.get("/console/warnings.json", params={"city": "柳州市"}).json()["rows"]
    assert queue and {r["city_name"] for r in queue} == {"柳州市"}
    sign_in(client, "root", english=True)
    rows = {r["id"]: r for r in client.get("/console/projects.json").json()["rows"]}
    assert (rows[region.nanning]["division_name"], rows[region.nanning]["city_name"]) == (
        en["450102"],
        en["450100"],
    )


def test_an_unknown_code_still_shows_its_code_and_the_admin_can_name_it(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    db = Database(url)
    p = schema.projects.c
    with db.begin() as conn:
        conn.execute(
            schema.projects.update().where(p.id == region.liuzhou).values(division_code="459902")
        )
    try:
        sign_in(client, "root")
        row = next(
            r
            for r in client.get("/console/projects.json").json()["rows"]
            if r["id"] == region.liuzhou
        )
        assert (row["division_name"], row["city_name"]) == ("459902", "459900")
        admin = api_headers(url)
        inspector = api_headers(url, "api-nn", "supervisor", division_code="450100")
        body = {"name": "新设区"}
        assert (
            client.put("/api/v1/divisions/459902", json=body, headers=inspector).status_code == 403
        )
        assert (
            client.put("/api/v1/divisions/459902", json={"name": "<b>"}, headers=admin).status_code
            == 422
        )
        made = client.put("/api/v1/divisions/459902", json=body, headers=admin).json()
        assert made == {
            "code": "459902",
            "name": "新设区",
            "name_en": "Xinshe District",
            "level": "county",
            "parent": "459900",
        }
        row = next(
            r
            for r in client.get("/console/projects.json").json()["rows"]
            if r["id"] == region.liuzhou
        )
        assert row["division_name"] == "新设区"
        listed = client.get("/api/v1/divisions", params={"parent": "450100"}, headers=inspector)
        assert {"code": "450102", "name": "兴宁区"}.items() <= next(
            d for d in listed.json() if d["code"] == "450102"
        ).items()
        with db.engine.connect() as conn:
            a = schema.audit_log.c
            assert conn.execute(
                select(a.action).where(a.action == "division.entered", a.target_id == "459902")
            ).first()
    finally:
        with db.begin() as conn:
            conn.execute(
                schema.projects.update()
                .where(p.id == region.liuzhou)
                .values(division_code="450202")
            )
            conn.execute(schema.divisions.delete().where(schema.divisions.c.code == "459902"))
        db.close()


# ---- arrears-case forms ---------------------------------------------------------------


def _case_rows(url: str) -> list[dict[str, object]]:
    db = Database(url)
    with db.engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(select(schema.arrears_cases).order_by(schema.arrears_cases.c.id))
        ]
    db.close()
    return rows


def test_an_inspector_opens_updates_and_resolves_a_case_with_history(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    sign_in(client, "nn-inspector")
    token = csrf(client, "/console/arrears/new")
    form = client.get("/console/arrears/new").text
    assert region.nanning in form and region.liuzhou not in form  # only projects in sight
    bad = client.post(
        "/console/arrears/new",
        data={
            "csrf_token": token,
            "project_id": region.nanning,
            "amount_yuan": "12,000.505",
            "workers": "-1",
            "summary": "拖欠三名钢筋工六月工资",
        },
    )
    assert bad.status_code == 422
    assert 'data-error="amount_yuan"' in bad.text and 'data-error="workers"' in bad.text
    assert "拖欠三名钢筋工六月工资" in bad.text  # what was typed is kept
    hidden = client.post(
        "/console/arrears/new",
        data={
            "csrf_token": token,
            "project_id": region.liuzhou,
            "amount_yuan": "100",
            "workers": "1",
            "summary": "x",
        },
    )
    assert hidden.status_code == 422 and 'data-error="project_id"' in hidden.text
    assert "项目 lz-1" not in hidden.text
    before = len(_case_rows(url))
    made = client.post(
        "/console/arrears/new",
        data={
            "csrf_token": token,
            "project_id": region.nanning,
            "amount_yuan": "12,000.50",
            "workers": "3",
            "summary": "拖欠三名钢筋工六月工资",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    case_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    rows = _case_rows(url)
    assert len(rows) == before + 1
    assert (
        rows[-1]["amount_fen"],
        rows[-1]["workers"],
        rows[-1]["source"],
        rows[-1]["opened_by"],
    ) == (1200050, 3, "inspector", "nn-inspector")
    page = client.get(f"/console/arrears/{case_id}").text
    assert "12,000.50" in page and "立案" in page
    # resolving without a resolution is refused against that field, the typed values kept
    refused = client.post(
        f"/console/arrears/{case_id}",
        data={
            "csrf_token": token,
            "amount_yuan": "9000",
            "workers": "3",
            "status": "resolved",
            "resolution": "",
            "note": "已约谈总包",
        },
    )
    assert refused.status_code == 422 and 'data-error="resolution"' in refused.text
    assert "已约谈总包" in refused.text
    assert _case_rows(url)[-1]["amount_fen"] == 1200050  # nothing saved
    done = client.post(
        f"/console/arrears/{case_id}",
        data={
            "csrf_token": token,
            "amount_yuan": "9000",
            "workers": "3",
            "status": "resolved",
            "resolution": "总包已代发全部工资",
            "note": "",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    api = client.get(
        f"/api/v1/arrears-cases/{case_id}",
        headers=api_headers(url, "api-nn", "supervisor", division_code="450100"),
    ).json()
    assert (api["status"], api["amount_fen"], api["resolution"]) == (
        "resolved",
        900000,
        "总包已代发全部工资",
    )
    assert [h["action"] for h in api["history"]] == ["opened", "resolved"]
    assert api["history"][1]["detail"] == {"amount_fen": 900000, "status": "resolved"}
    db = Database(url)
    with db.engine.connect() as conn:
        a = schema.audit_log.c
        actions = (
            conn.execute(
                select(a.action)
                .where(a.target_kind == "arrears_case", a.target_id == str(case_id))
                .order_by(a.id)
            )
            .scalars()
            .all()
        )
    db.close()
    assert actions == ["arrears.opened", "arrears.updated"]
    # reopened from the same form (the old resolution still in its box): the resolution goes
    reopened = client.post(
        f"/console/arrears/{case_id}",
        data={
            "csrf_token": token,
            "amount_yuan": "9000.00",
            "workers": "3",
            "status": "open",
            "resolution": "总包已代发全部工资",
            "note": "工人反映仍有一人未收到",
        },
        follow_redirects=False,
    )
    assert reopened.status_code == 303
    row = _case_rows(url)[-1]
    assert (row["status"], row["resolution"]) == ("open", None)
    history = client.get(
        f"/api/v1/arrears-cases/{case_id}",
        headers=api_headers(url, "api-nn", "supervisor", division_code="450100"),
    ).json()["history"]
    assert [(h["action"], h["note"]) for h in history][-1] == ("reopened", "工人反映仍有一人未收到")
    # another city's inspector: the case, its page and its form are not there
    sign_in(client, "lz-inspector")
    assert client.get(f"/console/arrears/{case_id}").status_code == 404
    token = csrf(client, "/console/arrears/new")
    gone = client.post(
        f"/console/arrears/{case_id}",
        data={"csrf_token": token, "amount_yuan": "1", "workers": "1", "status": "open"},
    )
    assert gone.status_code == 404 and "总包" not in gone.text
    assert str(case_id) not in {
        str(r["id"]) for r in client.get("/console/arrears.json").json()["rows"]
    }


def test_a_case_opened_from_a_warning_links_both_ways(world) -> None:  # type: ignore[no-untyped-def]
    client, region, url = world
    db = Database(url)
    w = schema.wage_warnings.c
    with db.engine.connect() as conn:
        warning_id = conn.execute(
            select(w.id).where(w.kind == "batch_overdue", w.project_id == region.liuzhou)
        ).scalar_one()
    db.close()
    sign_in(client, "nn-inspector")  # not Nanning's warning: not there, no form
    token = csrf(client, "/console/arrears/new")
    assert (
        client.post(
            f"/console/warnings/{warning_id}/arrears-case",
            data={"csrf_token": token, "amount_yuan": "1", "workers": "1", "summary": "x"},
        ).status_code
        == 404
    )
    sign_in(client, "lz-inspector")
    page = client.get(f"/console/warnings/{warning_id}").text
    assert 'id="case-form"' in page
    token = csrf(client, f"/console/warnings/{warning_id}")
    bad = client.post(
        f"/console/warnings/{warning_id}/arrears-case",
        data={
            "csrf_token": token,
            "amount_yuan": "abc",
            "workers": "2",
            "summary": "六月工资逾期未发",
        },
    )
    assert (
        bad.status_code == 422
        and 'data-error="amount_yuan"' in bad.text
        and "六月工资逾期未发" in bad.text
    )
    made = client.post(
        f"/console/warnings/{warning_id}/arrears-case",
        data={
            "csrf_token": token,
            "amount_yuan": "7200",
            "workers": "2",
            "summary": "六月工资逾期未发",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    case_id = int(made.headers["location"].split("/")[-1].split("?")[0])
    case = _case_rows(url)[-1]
    assert (
        case["id"],
        case["project_id"],
        case["source"],
        case["source_ref"],
        case["amount_fen"],
    ) == (case_id, region.liuzhou, "warning", str(warning_id), 720000)
    page = client.get(f"/console/warnings/{warning_id}").text
    assert f'href="/console/arrears/{case_id}"' in page and 'id="case-form"' not in page
    assert (
        f'href="/console/warnings/{warning_id}"' in client.get(f"/console/arrears/{case_id}").text
    )
    headers = api_headers(url, "api-lz", "supervisor", division_code="450200")
    history = client.get(f"/api/v1/warnings/{warning_id}", headers=headers).json()["history"]
    assert history[-1]["action"] == "case_opened" and history[-1]["detail"] == {"case": case_id}
    # a second open case from the same warning would count the debt twice
    again = client.post(
        f"/api/v1/warnings/{warning_id}/arrears-case",
        json={"amount_fen": 1, "workers": 1, "summary": "again"},
        headers=headers,
    )
    assert again.status_code == 409
    other = api_headers(url, "api-nn", "supervisor", division_code="450100")
    assert (
        client.post(
            f"/api/v1/warnings/{warning_id}/arrears-case",
            json={"amount_fen": 1, "workers": 1, "summary": "x"},
            headers=other,
        ).status_code
        == 404
    )


def test_names_filters_and_links_read_the_same_on_both_engines(
    database: Database, tmp_path: Path
) -> None:
    """The SQL of the names (correlated lookups, the city expression, the name filter) and of
    the gates' transitions, on SQLite and PostgreSQL alike."""
    from datetime import UTC, datetime, timedelta

    from factories import registered_project

    from central.audit import Actor
    from central.registry.arrears import CaseIn, cases_select, open_case
    from central.registry.sealing import Sealer
    from central.reports.fleet import fleet_select
    from central.reports.listings import projects_select
    from central.warnings import devices
    from central.warnings.queue import city_filter, queue_select
    from central.warnings.store import raise_warning

    db = database
    assert divisions.ensure_loaded(db) > 3000
    assert divisions.ensure_loaded(db) == 0  # loaded once: a second start changes nothing
    registered_project(db, Sealer.from_file(tmp_path / "k.key"), "site-a", {})
    with db.begin() as conn:
        raise_warning(
            conn, key="k1", kind="batch_overdue", severity="high", project_id="site-a",
            evidence={}, params={"project": "site-a", "month": "2025-06", "due_date": "2025-07-15"},
        )  # fmt: skip
        open_case(
            conn,
            Actor("tester", "admin", None),
            CaseIn(project_id="site-a", source="inspector", amount_fen=100, workers=1, summary="x"),
        )
    _status_at = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    db.set_device_status("site-a", "gate-1", '{"state":"online"}', _status_at)
    devices.watch(db, datetime.now(UTC), timedelta(minutes=30))
    with db.engine.connect() as conn:
        q = projects_select(None).where(
            divisions.in_city(schema.projects.c.division_code, "南宁市")
        )
        row = conn.execute(q).one()
        assert (row.division_name, row.city, row.city_name) == ("兴宁区", "450100", "南宁市")
        w = conn.execute(queue_select(None).where(city_filter("Nanning City"))).one()
        assert (w.city, w.city_name) == ("450100", "南宁市")
        assert conn.execute(queue_select(None).where(city_filter("450200"))).all() == []
        assert conn.execute(cases_select(None)).one().city_name == "南宁市"
        gate = conn.execute(fleet_select(None)).one()
        assert (gate.online_since, gate.offline_since) == (_status_at, None)


def test_the_cli_loads_the_names_and_refuses_a_missing_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from central.cli.app import app

    url = str(tmp_path / "cli.db")
    done = CliRunner().invoke(app, ["divisions", "load", "--db", url])
    assert done.exit_code == 0, done.output
    db = Database(url)
    with db.engine.connect() as conn:
        assert divisions.names(conn, ["450102", "999999"]) == {"450102": "兴宁区"}
    db.close()
    missing = CliRunner().invoke(
        app, ["divisions", "load", "--db", url, "--from", str(tmp_path / "none.json")]
    )
    assert missing.exit_code == 1 and "no such file" in missing.output


def test_a_dust_subject_names_the_pollutant_and_the_profile_as_people_write_them() -> None:
    """The protocol's ``pm2_5`` is written PM2.5 in a subject, as on the dust pages, and the
    limit profile by its title in the reader's language, not by its key."""
    params = {
        "gate": "nn-1/gate-1",
        "pollutant": "pm2_5",
        "value": 80.5,
        "limit": 75.0,
        "profile": "gb3095-2012",
        "window": "24h",
        "at": "2026-11-30T09:00:00+08:00",
    }
    assert subjects.english("dust_exceedance", params) == (
        "nn-1/gate-1: PM2.5 80.5 µg/m³ over the 75 limit"
        " (National ambient air quality, class II (GB 3095-2012), 24h)"
        " at 2026-11-30T09:00:00+08:00"
    )
    zh = i18n.translations("zh_CN").gettext
    shown = subjects.subject_in(zh, "dust_exceedance", params, "stored", SHANGHAI)
    assert "环境空气质量二类区（GB 3095-2012）" in shown and "gb3095-2012" not in shown
    assert "PM2.5" in shown and "2026-11-30 09:00" in shown
    unknown = {**params, "profile": "a-site-file-profile"}  # a gate's own file: its name
    assert "a-site-file-profile" in subjects.subject_in(zh, "dust_exceedance", unknown, "s")


def test_a_dust_warning_names_its_limit_profile_by_title(world) -> None:  # type: ignore[no-untyped-def]
    """The gate reports its profile by key (``gb3095-2012``); the queue, the subject and the
    evidence say the standard's title in the reader's language."""
    client, region, url = world
    db = Database(url)
    with db.begin() as conn:
        raise_warning(
            conn,
            key="dust_exceedance:test-profile-title",
            kind="dust_exceedance",
            severity="medium",
            project_id=region.liuzhou,
            params={
                "gate": f"{region.liuzhou}/gate-1",
                "pollutant": "pm10",
                "value": 180.0,
                "limit": 150.0,
                "profile": "gb3095-2012",
                "window": "24h",
                "at": "2026-11-30T09:00:00+08:00",
            },
            evidence={"site": region.liuzhou, "pollutant": "pm10", "profile": "gb3095-2012"},
        )
        warning_id = conn.execute(
            select(schema.wage_warnings.c.id).where(
                schema.wage_warnings.c.key == "dust_exceedance:test-profile-title"
            )
        ).scalar_one()
    db.close()
    sign_in(client, "root")
    page = client.get(f"/console/warnings/{warning_id}").text
    title_zh = "环境空气质量二类区（GB 3095-2012）"
    evidence = page[page.index('class="facts evidence"') : page.index('id="history-title"')]
    assert f'data-evidence="profile">{title_zh}<' in evidence
    assert page.count(title_zh) >= 2 and "gb3095-2012" not in page  # subject and evidence
    sign_in(client, "root", english=True)
    page = client.get(f"/console/warnings/{warning_id}").text
    assert "National ambient air quality, class II (GB 3095-2012)" in page
    assert "gb3095-2012" not in page
