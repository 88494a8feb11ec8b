"""Safety training over HTTP, in-process on a real SQLite file: courses (material as text or a
checked, size-capped PDF), assignments, completions with their validity, the worker's own
courses; the project's rule keeping untrained workers off its gates (the gallery delta sends
them as removed, with no cards, and again with their face once trained; no check-in QR code
for them); the warning before a training expires; and scope (404 outside, 403 for a
subcontractor on the whole project's rule).
"""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from factories import (
    SHANGHAI,
    face,
    new_db,
    two_sites,
    two_sites_headers,
)
from fastapi.testclient import TestClient
from fpdf import FPDF
from sqlalchemy import select
from web_client import console_client

from central.gate_commands.gallery import SiteGallery
from central.registry.sealing import sealer_for
from central.storage import Database, schema
from central.training import entry
from central.training.material import MAX_PDF_BYTES
from central.wages.rules import PayTerms
from central.warnings.indicators import scan

DAILY = PayTerms(pay_kind="daily", rate_fen=36000)
TODAY = datetime.now(SHANGHAI).date()


def a_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "Working at height: harness, anchor, inspection.")
    return bytes(pdf.output())


class World:
    def __init__(
        self, client: TestClient, db: Database, url: str, headers: dict[str, dict[str, str]]
    ):
        self.client, self.db, self.url, self.headers = client, db, url, headers

    def call(self, role: str, method: str, path: str, **kw: object) -> tuple[int, object]:
        answer = self.client.request(method, path, headers=self.headers[role], **kw)  # type: ignore[arg-type]
        kind = answer.headers.get("content-type", "")
        return answer.status_code, answer.json() if "json" in kind else answer.content

    def course(
        self, role: str, files: dict[str, object] | None = None, **form: object
    ) -> tuple[int, object]:
        data = {"title": "高处作业安全", "hours": "4", "valid_days": "365", **form}
        return self.call(role, "POST", "/api/v1/training-courses", data=data, files=files)

    def gallery(self) -> SiteGallery:
        return SiteGallery(self.db, sealer_for(self.url))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("training")
    db, sealer = new_db(tmp)
    sites = two_sites(db, sealer, DAILY)
    url = str(tmp / "central.db")
    gallery = SiteGallery(db, sealer_for(url))
    for worker in ("W1", "W2", "W4"):
        gallery.put_worker("site-a", worker, [face()])
    headers = two_sites_headers(url, sites, "w1", "w2", "manager", "boss", "sub", "other")
    with console_client(url) as client:
        yield World(client, db, url, headers)
    db.close()


def test_a_course_needs_material_and_a_real_pdf(world: World) -> None:
    status, body = world.course("boss")
    assert status == 422 and "material_text" in str(body)
    status, body = world.course(
        "boss", files={"material_pdf": ("x.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")}
    )
    assert (
        status == 422
        and "material_pdf: is not a PDF file" in str(body)
        and body["field"] == "material_pdf"
    )  # type: ignore[index]
    status, body = world.course(
        "boss", files={"material_pdf": ("x.pdf", b"%PDF-1.7\n garbage", "application/pdf")}
    )
    assert status == 422 and "material_pdf" in str(body)
    big = b"%PDF-1.4\n" + b"0" * MAX_PDF_BYTES
    status, body = world.course("boss", files={"material_pdf": ("big.pdf", big, "application/pdf")})
    assert status == 413 and "material_pdf" in str(body)
    status, body = world.course("boss", hours="0", material_text="系好安全带")
    assert status == 422 and "hours" in str(body)
    status, body = world.course("w1", material_text="系好安全带")
    assert status == 403
    material = a_pdf()
    status, course = world.course(
        "boss", files={"material_pdf": ("h.pdf", material, "application/pdf")}
    )
    assert status == 201 and course["has_pdf"] is True  # type: ignore[index]
    status, data = world.call("boss", "GET", f"/api/v1/training-courses/{course['id']}/material")  # type: ignore[index]
    assert status == 200 and data == material
    assert world.call("sub", "GET", f"/api/v1/training-courses/{course['id']}/material")[0] == 404  # type: ignore[index]
    assert world.call("other", "GET", f"/api/v1/training-courses/{course['id']}/material")[0] == 404  # type: ignore[index]


def test_assign_complete_and_the_gate_rule(world: World) -> None:
    status, course = world.course("boss", material_text="一、安全帽\n二、安全带")
    assert status == 201
    cid = course["id"]  # type: ignore[index]
    path = f"/api/v1/training-courses/{cid}"
    status, _ = world.call(
        "manager",
        "POST",
        f"{path}/assignments",
        json={"project_id": "site-a", "worker_ids": ["W1", "W2"]},
    )
    assert status == 201
    assert (
        world.call(
            "manager",
            "POST",
            f"{path}/assignments",
            json={"project_id": "site-a", "worker_ids": ["W3"]},
        )[0]
        == 404
    )
    assert (
        world.call(
            "other",
            "POST",
            f"{path}/assignments",
            json={"project_id": "site-a", "worker_ids": ["W1"]},
        )[0]
        == 404
    )
    status, mine = world.call("w1", "GET", "/api/v1/me/training")
    assert [(c["title"], c["state"]) for c in mine] == [("高处作业安全", "pending")]  # type: ignore[index, union-attr]

    gallery = world.gallery()
    before = gallery.version("site-a")
    # the rule is the whole project's: not a subcontractor's to set; others see nothing
    rule = {"required": True, "warn_days": 10}
    assert world.call("sub", "PUT", "/api/v1/projects/site-a/training-rule", json=rule)[0] == 403
    assert world.call("other", "PUT", "/api/v1/projects/site-a/training-rule", json=rule)[0] == 404
    status, body = world.call("manager", "PUT", "/api/v1/projects/site-a/training-rule", json=rule)
    assert status == 200 and body == {"project_id": "site-a", "required": True, "warn_days": 10}
    with world.db.engine.connect() as conn:
        assert entry.barred(conn, "site-a") == {"W1", "W2", "W4"}
    delta = gallery.changes_since("site-a", before)
    assert set(delta.changes.removals) == {"W1", "W2", "W4"} and delta.changes.upserts == []
    assert (
        world.call("w1", "GET", "/api/v1/me/checkin-qr", params={"project_id": "site-a"})[0] == 409
    )

    # a completion in the future is refused, naming the field
    status, body = world.call(
        "manager",
        "POST",
        f"{path}/completions",
        json={
            "project_id": "site-a",
            "worker_id": "W1",
            "completed_on": (TODAY + timedelta(days=1)).isoformat(),
        },
    )
    assert status == 422 and "completed_on" in str(body)
    at = gallery.version("site-a")
    status, done = world.call(
        "manager",
        "POST",
        f"{path}/completions",
        json={"project_id": "site-a", "worker_id": "W1", "completed_on": TODAY.isoformat()},
    )
    assert status == 201, done
    assert done["valid_until"] == (TODAY + timedelta(days=365)).isoformat()  # type: ignore[index]
    delta = gallery.changes_since("site-a", at)
    assert [u.worker_id for u in delta.changes.upserts] == ["W1"] and delta.changes.removals == []
    with world.db.engine.connect() as conn:
        assert entry.barred(conn, "site-a") == {"W2", "W4"}
    assert (
        world.call("w1", "GET", "/api/v1/me/checkin-qr", params={"project_id": "site-a"})[0] == 200
    )
    status, mine = world.call("w1", "GET", "/api/v1/me/training")
    assert [(c["state"], c["valid_until"]) for c in mine] == [("valid", done["valid_until"])]  # type: ignore[index, union-attr]
    # the worker reads the course material only when assigned
    assert world.call("w2", "GET", "/api/v1/me/training")[1][0]["state"] == "pending"  # type: ignore[index]

    # the subcontractor sees its own workers' records only
    status, rows = world.call("sub", "GET", "/api/v1/projects/site-a/trainings")
    assert status == 200 and all(r["worker_id"] == "W4" for r in rows)  # type: ignore[index, union-attr]
    status, rows = world.call("boss", "GET", "/api/v1/projects/site-a/trainings")
    assert "W1" in {r["worker_id"] for r in rows}  # type: ignore[index, union-attr]
    assert world.call("other", "GET", "/api/v1/projects/site-a/trainings")[0] == 404


def test_expiry_warns_then_bars(world: World) -> None:
    t = schema.trainings
    with world.db.begin() as conn:  # W2 trained long ago: valid three more days
        conn.execute(
            t.insert().values(
                worker_id="W2",
                project_id="site-a",
                course="入场三级教育",
                completed_on=(TODAY - timedelta(days=362)).isoformat(),
                valid_until=(TODAY + timedelta(days=3)).isoformat(),
            )
        )
        # W4's ended yesterday
        conn.execute(
            t.insert().values(
                worker_id="W4",
                project_id="site-a",
                course="入场三级教育",
                completed_on=(TODAY - timedelta(days=366)).isoformat(),
                valid_until=(TODAY - timedelta(days=1)).isoformat(),
            )
        )
    gallery = world.gallery()
    changed = entry.reconcile(world.db, gallery, "site-a")
    assert changed == ["W2"]  # W2 is let in again; W4 stays out
    scan(world.db, TODAY)
    w = schema.wage_warnings.c
    with world.db.engine.connect() as conn:
        found = conn.execute(
            select(w.kind, w.worker_id, w.project_id, w.subject).where(
                w.kind == "training_expiring"
            )
        ).all()
    assert [(k, wid, p) for k, wid, p, _ in found] == [("training_expiring", "W2", "site-a")]
    assert "入场三级教育" in found[0].subject
    # the day after it ends, the gates are told to keep W2 out
    assert entry.reconcile(world.db, gallery, "site-a", TODAY + timedelta(days=4)) == ["W2"]
    # switching the rule off lets everyone in again
    assert (
        world.call(
            "boss", "PUT", "/api/v1/projects/site-a/training-rule", json={"required": False}
        )[0]
        == 200
    )
    with world.db.engine.connect() as conn:
        assert entry.barred(conn, "site-a") == set()
    assert (
        world.call("w2", "GET", "/api/v1/me/checkin-qr", params={"project_id": "site-a"})[0] == 200
    )
