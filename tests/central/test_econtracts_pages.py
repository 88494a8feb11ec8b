"""The enterprise console's e-contract and training pages in-process (TestClient, real SQLite):
their JSON twins hold exactly the caller's reach (a subcontractor its own workers, another
enterprise nothing: 404 for the project), a refused template keeps what was typed and names
the field, and the worker's pages show only the worker's own contract.
"""

import re
from collections.abc import Iterator

import pytest
from factories import EnterpriseWorld, enterprise_world, new_db, valid_ric
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_client import console_client, csrf

from central.auth.users import Principal, Role, UserIn, add_user
from central.contracts import econtracts, templates
from central.storage import Database, schema
from conftest import TEST_PASSWORD


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, EnterpriseWorld, Database]]:
    tmp = tmp_path_factory.mktemp("econtract-pages")
    db, sealer = new_db(tmp)
    ent = enterprise_world(db, sealer, TEST_PASSWORD)
    add_user(
        db, UserIn(username="worker-ea1", password=TEST_PASSWORD, role="worker", worker_id="EA1")
    )  # type: ignore[arg-type]
    boss = Principal(1, "gc-admin", Role.CONTRACTOR_ADMIN, ent.contractor_id, None, None)
    sub = Principal(2, "sub-admin", Role.CONTRACTOR_ADMIN, ent.sub_id, None, None)
    gc_t = templates.create(
        db, boss, templates.TemplateIn(name="总包模板", body=templates.DEFAULT_BODY)
    )
    sub_t = templates.create(
        db, sub, templates.TemplateIn(name="分包模板", body=templates.DEFAULT_BODY)
    )
    e = schema.employments.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(e.worker_id, e.id).where(e.project_id == "ent-a")).all()
    ids = {worker_id: employment_id for worker_id, employment_id in rows}
    made = econtracts.generate(db, boss, ids["EA1"], gc_t["id"])
    econtracts.send(db, boss, made["id"])
    econtracts.generate(db, boss, ids["EA2"], gc_t["id"])
    econtracts.generate(db, sub, ids["ES1"], sub_t["id"])
    url = str(tmp / "central.db")
    with console_client(url) as client:
        yield client, ent, db
    db.close()


def sign_in(client: TestClient, username: str, path: str = "/console/login") -> None:
    client.cookies.clear()
    token = csrf(client, path)
    if path == "/worker/login":  # a worker signs in with their ID number and PIN/password
        data = {"identifier": username, "pin": TEST_PASSWORD, "next": "/worker/today"}
    else:
        data = {"username": username, "password": TEST_PASSWORD}
    answer = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]


def test_each_enterprise_sees_its_own_contracts(world) -> None:  # type: ignore[no-untyped-def]
    client, _ent, _db = world
    sign_in(client, "gc-admin")
    rows = client.get("/console/enterprise/contracts.json").json()["rows"]
    assert {r["worker_id"] for r in rows} == {"EA1", "EA2", "ES1"}
    sign_in(client, "sub-admin")
    rows = client.get("/console/enterprise/contracts.json").json()["rows"]
    assert [r["worker_id"] for r in rows] == ["ES1"]
    gc_contract = next(c["id"] for c in econtracts_all(world) if c["worker_id"] == "EA1")
    assert client.get(f"/console/enterprise/contracts/{gc_contract}").status_code == 404
    assert (
        client.get(f"/console/enterprise/contracts/{gc_contract}/document.pdf").status_code == 404
    )
    sign_in(client, "other-admin")
    assert client.get("/console/enterprise/contracts.json").json()["rows"] == []
    assert client.get("/console/enterprise/contracts.xlsx").status_code == 200
    assert client.get("/console/enterprise/training?project=ent-a").status_code == 404
    sign_in(client, "site-mgr")
    rows = client.get("/console/enterprise/contracts.json").json()["rows"]
    assert {r["worker_id"] for r in rows} == {"EA1", "EA2", "ES1"}


def econtracts_all(world) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    _client, _ent, db = world
    c = schema.econtracts.c
    with db.engine.connect() as conn:
        return [{"id": i, "worker_id": w} for i, w in conn.execute(select(c.id, c.worker_id))]


def test_a_refused_template_keeps_the_text(world) -> None:  # type: ignore[no-untyped-def]
    client, _ent, _db = world
    sign_in(client, "gc-admin")
    token = csrf(client, "/console/enterprise/contract-templates")
    body = "甲方 {employer} 乙方 {worker} 奖金 {bonus} 元，以下为正文。"
    answer = client.post(
        "/console/enterprise/contract-templates",
        data={"csrf_token": token, "name": "带奖金", "body": body},
    )
    assert answer.status_code == 422
    assert 'id="error-body"' in answer.text and "{bonus}" in answer.text
    assert f">{body}</textarea>" in answer.text


def test_training_records_and_the_rule_by_reach(world) -> None:  # type: ignore[no-untyped-def]
    client, _ent, _db = world
    sign_in(client, "site-mgr")
    token = csrf(client, "/console/enterprise/training?project=ent-a")
    fields = {
        "csrf_token": token,
        "title": "入场教育",
        "hours": "8",
        "valid_days": "365",
        "material_text": "安全帽",
    }
    answer = client.post(
        "/console/enterprise/training-courses?project=ent-a",
        data={**fields, "hours": "x"},
    )
    assert answer.status_code == 422 and 'id="error-hours"' in answer.text
    assert 'value="入场教育"' in answer.text
    answer = client.post(
        "/console/enterprise/training-courses?project=ent-a",
        data=fields,
        files={"material_pdf": ("a.pdf", b"not a pdf at all", "application/pdf")},
    )
    assert answer.status_code == 422 and 'id="error-material_pdf"' in answer.text
    answer = client.post(
        "/console/enterprise/training-courses?project=ent-a",
        data=fields,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    course = client.get("/api/v1/training-courses")  # the API needs a bearer token, not the cookie
    assert course.status_code == 401
    page = client.get("/console/enterprise/training?project=ent-a").text
    course_id = re.search(r'<option value="(\d+)">入场教育</option>', page)
    assert course_id
    done = client.post(
        "/console/enterprise/training/complete?project=ent-a",
        data={
            "csrf_token": token,
            "course_id": course_id.group(1),
            "worker_id": "ES1",
            "completed_on": "2025-03-01",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    rows = client.get("/console/enterprise/training.json?project=ent-a").json()["rows"]
    assert [(r["worker_id"], r["valid_until"], r["state"]) for r in rows] == [
        ("ES1", "2026-03-01", "expired")
    ]
    sign_in(client, "sub-admin")
    rows = client.get("/console/enterprise/training.json?project=ent-a").json()["rows"]
    assert [r["worker_id"] for r in rows] == ["ES1"]
    token = csrf(client, "/console/enterprise/training?project=ent-a")
    refused = client.post(
        "/console/enterprise/training/rule?project=ent-a",
        data={"csrf_token": token, "required": "yes", "warn_days": "14"},
    )
    assert refused.status_code == 403


def test_the_worker_sees_only_their_own_contract(world) -> None:  # type: ignore[no-untyped-def]
    client, _ent, _db = world
    sign_in(client, valid_ric(40), "/worker/login")  # EA1
    ids = {c["worker_id"]: c["id"] for c in econtracts_all(world)}
    page = client.get("/worker/contracts")
    assert page.status_code == 200 and f'data-contract="{ids["EA1"]}"' in page.text
    assert f'data-contract="{ids["EA2"]}"' not in page.text  # another's (and a draft)
    mine = client.get(f"/worker/contracts/{ids['EA1']}/document.pdf")
    assert mine.status_code == 200 and mine.content.startswith(b"%PDF-")
    for other in ("EA2", "ES1"):
        assert client.get(f"/worker/contracts/{ids[other]}/document.pdf").status_code == 404
    token = csrf(client, "/worker/contracts")
    refused = client.post(
        f"/worker/contracts/{ids['EA1']}/sign",
        data={"csrf_token": token, "confirm": "yes", "pin": "wrong-pin"},
    )
    assert refused.status_code == 422 and 'id="sign-error"' in refused.text
    assert (
        client.post(
            f"/worker/contracts/{ids['EA2']}/sign",
            data={"csrf_token": token, "confirm": "yes", "pin": TEST_PASSWORD},
        ).status_code
        == 404
    )
    signed = client.post(
        f"/worker/contracts/{ids['EA1']}/sign",
        data={"csrf_token": token, "confirm": "yes", "pin": TEST_PASSWORD},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert 'data-field="sha256"' in client.get("/worker/contracts").text


def test_the_training_forms_refuse_in_the_readers_language(world) -> None:  # type: ignore[no-untyped-def]
    """Assigning without a course or without workers, and recording training for a worker
    outside the project, each answer 422 with the reason in Chinese beside the field."""
    client, _ent, _db = world
    sign_in(client, "gc-admin")
    page = "/console/enterprise/training?project=ent-a"
    token = csrf(client, page)
    for path, data, field, reason in (
        ("assign", {"worker_id": "EA1"}, "course_id", "为必填项"),
        ("assign", {"course_id": "1"}, "worker_id", "为必填项"),
        (
            "complete",
            {"course_id": "abc", "worker_id": "EA1", "completed_on": "2025-03-01"},
            "course_id",
            "为必填项",
        ),
    ):
        answer = client.post(
            f"/console/enterprise/training/{path}?project=ent-a",
            data={"csrf_token": token, **data},
        )
        assert answer.status_code == 422, (path, data)
        assert f'href="#field-{field}"' in answer.text and reason in answer.text, (path, data)
        assert "is required" not in answer.text
