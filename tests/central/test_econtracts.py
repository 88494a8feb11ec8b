"""E-contracts over HTTP, in-process on a real SQLite file: a template with placeholders, a
contract generated per employment as a PDF whose Chinese text is really there (extracted with
pypdf) in an embedded font subset, sent, signed by the worker re-entering their password (the
signed PDF's SHA-256 stored, audited and recorded as the labour contract), and scope: a
subcontractor sees only its own workers' contracts, another enterprise and another worker
nothing (404), a draft is invisible to the worker.
"""

import hashlib
import io
import json
import re
from collections.abc import Iterator

import pytest
from factories import new_db, two_sites, two_sites_headers
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from web_client import console_client

from central.contracts.templates import DEFAULT_BODY
from central.storage import Database, schema
from central.wages.rules import PayTerms
from conftest import TEST_PASSWORD

DAILY = PayTerms(pay_kind="daily", rate_fen=36050)


class World:
    def __init__(self, client: TestClient, db: Database, headers: dict[str, dict[str, str]]):
        self.client, self.db, self.headers = client, db, headers

    def call(self, role: str, method: str, path: str, **kw: object) -> tuple[int, object]:
        answer = self.client.request(method, path, headers=self.headers[role], **kw)  # type: ignore[arg-type]
        kind = answer.headers.get("content-type", "")
        return answer.status_code, answer.json() if "json" in kind else answer.content

    def employment(self, worker_id: str) -> int:
        e = schema.employments.c
        with self.db.engine.connect() as conn:
            return int(conn.execute(select(e.id).where(e.worker_id == worker_id)).scalar_one())


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("econtracts")
    db, sealer = new_db(tmp)
    sites = two_sites(db, sealer, DAILY, team="二班", trade="木工")
    url = str(tmp / "central.db")
    headers = two_sites_headers(
        url, sites, "w1", "w2", "w4", "manager", "boss", "sub", "other", "admin"
    )
    with console_client(url) as client:
        yield World(client, db, headers)
    db.close()


def pdf_text(data: bytes) -> str:
    """The PDF's text without the spacing pypdf puts between CJK glyphs."""
    reader = PdfReader(io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\x00]+", "", text)  # pypdf puts NULs and spaces between CID glyphs


def embedded_fonts(data: bytes) -> list[tuple[str, bool]]:
    """Each font of the first page: its name and whether its program is in the file."""
    page = PdfReader(io.BytesIO(data)).pages[0]
    out = []
    for ref in page["/Resources"]["/Font"].values():
        font = ref.get_object()
        for descendant in font.get("/DescendantFonts", [font]):
            desc = descendant.get_object()["/FontDescriptor"].get_object()
            has = any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))
            out.append((str(font["/BaseFont"]), has))
    return out


def test_a_template_with_an_unknown_placeholder_is_refused(world: World) -> None:
    status, body = world.call(
        "boss",
        "POST",
        "/api/v1/contract-templates",
        json={"name": "坏模板", "body": "甲方 {boss.__class__} 乙方 {worker}"},
    )
    assert status == 422
    assert body["errors"][0]["loc"][-1] == "body" and "unknown placeholder" in str(body)  # type: ignore[index]
    status, body = world.call(
        "boss",
        "POST",
        "/api/v1/contract-templates",
        json={"name": "坏模板", "body": "甲方 {employer 乙方 {worker}"},
    )
    assert status == 422 and "braces" in str(body)
    status, _ = world.call(
        "w1", "POST", "/api/v1/contract-templates", json={"name": "x", "body": DEFAULT_BODY}
    )
    assert status == 403


def test_generate_send_sign_and_the_pdf_holds_the_chinese_text(world: World) -> None:
    status, template = world.call(
        "boss",
        "POST",
        "/api/v1/contract-templates",
        json={"name": "建筑工人劳动合同", "body": DEFAULT_BODY},
    )
    assert status == 201, template
    tid = template["id"]  # type: ignore[index]
    status, draft = world.call(
        "boss",
        "POST",
        "/api/v1/econtracts",
        json={"employment_id": world.employment("W1"), "template_id": tid},
    )
    assert status == 201, draft
    assert draft["status"] == "draft"  # type: ignore[index]
    cid = draft["id"]  # type: ignore[index]

    def on_roster() -> str:  # the roster's e-contract column for W1's employment
        _s, rows = world.call("boss", "GET", "/api/v1/roster")
        return next(r["contract"] for r in rows if r["employment"] == world.employment("W1"))  # type: ignore[union-attr,index]

    assert on_roster() == "draft"
    status, data = world.call("boss", "GET", f"/api/v1/econtracts/{cid}/pdf")
    assert status == 200 and isinstance(data, bytes) and data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == draft["draft_sha256"]  # type: ignore[index]
    text = pdf_text(data)
    for expected in (
        "建筑工人劳动合同",
        "工人0",
        "总包site-a",
        "钢筋工",
        "日工资360.50元",
        "项目site-a",
    ):
        assert expected in text, (expected, text[:300])
    assert "{" not in text
    fonts = embedded_fonts(data)
    assert fonts and all(has for _, has in fonts), fonts
    assert all(re.match(r"^/[A-Z]{6}\+", name) for name, _ in fonts), fonts  # a subset
    assert len(data) < 200_000  # a subset, not the 20 MB collection

    # a draft is not the worker's yet
    assert world.call("w1", "GET", "/api/v1/me/econtracts")[1] == []
    assert world.call("w1", "GET", f"/api/v1/me/econtracts/{cid}/pdf")[0] == 404
    assert (
        world.call(
            "w1", "POST", f"/api/v1/me/econtracts/{cid}/sign", json={"password": TEST_PASSWORD}
        )[0]
        == 404
    )

    status, sent = world.call("boss", "POST", f"/api/v1/econtracts/{cid}/send")
    assert status == 200 and sent["status"] == "sent"  # type: ignore[index]
    assert on_roster() == "sent"
    assert world.call("boss", "POST", f"/api/v1/econtracts/{cid}/send")[0] == 409
    status, mine = world.call("w1", "GET", "/api/v1/me/econtracts")
    assert [c["id"] for c in mine] == [cid]  # type: ignore[union-attr, index]

    # a wrong password signs nothing, and is audited
    status, body = world.call(
        "w1", "POST", f"/api/v1/me/econtracts/{cid}/sign", json={"password": "wrong one"}
    )
    assert status == 422 and body["code"] == "wrong_password"  # type: ignore[index]
    # another worker cannot sign it (404: not theirs)
    assert (
        world.call(
            "w2", "POST", f"/api/v1/me/econtracts/{cid}/sign", json={"password": TEST_PASSWORD}
        )[0]
        == 404
    )
    status, signed = world.call(
        "w1", "POST", f"/api/v1/me/econtracts/{cid}/sign", json={"password": TEST_PASSWORD}
    )
    assert status == 200, signed
    assert signed["status"] == "signed" and signed["signed_at"].endswith("+08:00")  # type: ignore[index]
    assert on_roster() == "signed"
    status, data = world.call("w1", "GET", f"/api/v1/me/econtracts/{cid}/pdf")
    digest = hashlib.sha256(data).hexdigest()  # type: ignore[arg-type]
    assert digest == signed["signed_sha256"]  # type: ignore[index]
    text = pdf_text(data)  # type: ignore[arg-type]
    assert "签名人Name：工人0" in text and signed["signed_at"] in text  # type: ignore[index]
    assert draft["draft_sha256"] in text  # type: ignore[index]
    assert "建筑工人劳动合同" in text
    assert (
        world.call(
            "w1", "POST", f"/api/v1/me/econtracts/{cid}/sign", json={"password": TEST_PASSWORD}
        )[0]
        == 409
    )

    a, c = schema.audit_log.c, schema.contracts.c
    with world.db.engine.connect() as conn:
        rows = conn.execute(
            select(a.action, a.detail).where(a.target_id == str(cid), a.target_kind == "econtract")
        ).all()
        fails = conn.execute(select(a.id).where(a.action == "contract.sign.reauth_failed")).all()
        recorded = conn.execute(select(c.id, c.status).where(c.document_sha256 == digest)).all()
    signed_rows = [json.loads(d) for act, d in rows if act == "contract.signed"]
    assert signed_rows == [{"sha256": digest, "draft_sha256": draft["draft_sha256"]}]  # type: ignore[index]
    assert [act for act, _ in rows] == ["contract.generated", "contract.sent", "contract.signed"]
    assert len(fails) == 1
    assert [(cid_, st) for cid_, st in recorded] == [(signed["contract_id"], "signed")]  # type: ignore[index]


def test_scope_a_subcontractor_sees_only_its_own(world: World) -> None:
    status, gc_template = world.call(
        "boss",
        "POST",
        "/api/v1/contract-templates",
        json={"name": "总包模板", "body": DEFAULT_BODY},
    )
    assert status == 201
    status, sub_template = world.call(
        "sub", "POST", "/api/v1/contract-templates", json={"name": "分包模板", "body": DEFAULT_BODY}
    )
    assert status == 201
    # the subcontractor cannot use (or see) the general contractor's template
    assert world.call("sub", "GET", f"/api/v1/contract-templates/{gc_template['id']}")[0] == 404  # type: ignore[index]
    assert gc_template["id"] not in [
        t["id"] for t in world.call("sub", "GET", "/api/v1/contract-templates")[1]
    ]  # type: ignore[index, union-attr]
    # ... nor reach the general contractor's worker
    status, _ = world.call(
        "sub",
        "POST",
        "/api/v1/econtracts",
        json={"employment_id": world.employment("W2"), "template_id": sub_template["id"]},
    )  # type: ignore[index]
    assert status == 404
    status, own = world.call(
        "sub",
        "POST",
        "/api/v1/econtracts",
        json={"employment_id": world.employment("W4"), "template_id": sub_template["id"]},
    )  # type: ignore[index]
    assert status == 201, own
    assert "李四" in pdf_text(world.call("sub", "GET", f"/api/v1/econtracts/{own['id']}/pdf")[1])  # type: ignore[index, arg-type]
    # the site manager uses its general contractor's template for W2
    status, w2 = world.call(
        "manager",
        "POST",
        "/api/v1/econtracts",
        json={"employment_id": world.employment("W2"), "template_id": gc_template["id"]},
    )  # type: ignore[index]
    assert status == 201, w2
    sub_sees = {c["worker_id"] for c in world.call("sub", "GET", "/api/v1/econtracts")[1]}  # type: ignore[index, union-attr]
    assert sub_sees == {"W4"}
    boss_sees = {c["worker_id"] for c in world.call("boss", "GET", "/api/v1/econtracts")[1]}  # type: ignore[index, union-attr]
    assert {"W1", "W2", "W4"} <= boss_sees
    assert world.call("sub", "GET", f"/api/v1/econtracts/{w2['id']}")[0] == 404  # type: ignore[index]
    assert world.call("sub", "GET", f"/api/v1/econtracts/{w2['id']}/pdf")[0] == 404  # type: ignore[index]
    assert world.call("other", "GET", "/api/v1/econtracts")[1] == []
    assert world.call("other", "GET", f"/api/v1/econtracts/{own['id']}/pdf")[0] == 404  # type: ignore[index]
    assert world.call("other", "POST", f"/api/v1/econtracts/{own['id']}/send")[0] == 404  # type: ignore[index]
    # a worker's list never shows another's
    world.call("sub", "POST", f"/api/v1/econtracts/{own['id']}/send")  # type: ignore[index]
    assert [c["worker_id"] for c in world.call("w4", "GET", "/api/v1/me/econtracts")[1]] == ["W4"]  # type: ignore[index, union-attr]
    assert own["id"] not in [c["id"] for c in world.call("w1", "GET", "/api/v1/me/econtracts")[1]]  # type: ignore[index, union-attr]
    # staff have no personal contracts
    assert world.call("boss", "GET", "/api/v1/me/econtracts")[0] == 403
