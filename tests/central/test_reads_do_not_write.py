"""A read never writes: every GET route of the API, called in-process over a populated SQLite
file, sends no INSERT, UPDATE or DELETE to the database.

The one write a read may cause is the audit log's own row (a whole-number reveal is audited),
which records the read and changes no state anyone reads back as data.
"""

import re
from collections.abc import Iterator
from datetime import date

import pytest
from factories import local, new_db, registered_project, store_punches
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from central.api.app import create_app
from central.attendance import closing
from central.payroll import batches
from central.service import CentralService
from central.settings import CentralSettings
from central.storage import schema
from central.wages.rules import PayTerms
from central.warnings.indicators import scan
from conftest import api_headers

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
AUDIT = re.compile(r"^\s*INSERT\s+INTO\s+\"?audit_log\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("reads")
    db, sealer = new_db(tmp)
    registered_project(db, sealer, "site-a", {"W1": PayTerms(pay_kind="daily", rate_fen=36000)})
    store_punches(
        db,
        "site-a",
        [("W1", "in", local("2025-06-10 08:00")), ("W1", "out", local("2025-06-10 17:00"))],
    )
    batch = batches.compute(db, "site-a", "2025-06", "boss")
    closing.close(db, "site-a", "day", "2025-06-10", "boss")
    scan(db, date(2025, 7, 20))
    with db.engine.connect() as conn:
        line_id = conn.execute(select(schema.payroll_lines.c.id)).scalar_one()
        warning_id = conn.execute(select(schema.wage_warnings.c.id)).scalars().first()
    url = str(tmp / "central.db")
    headers = {
        "admin": api_headers(url, "root", "admin"),
        "worker": api_headers(url, "worker-w1", "worker", worker_id="W1"),
    }
    ids = {
        "project_id": "site-a",
        "site": "site-a",
        "device": "gate-1",
        "worker_id": "W1",
        "batch_id": str(batch["id"]),
        "line_id": str(line_id),
        "warning_id": str(warning_id or 1),
        "month": "2025-06",
        "day": "2025-06-10",
    }
    db.close()
    service = CentralService(CentralSettings(db=url))
    app = create_app(service, manage_service=False)
    with TestClient(app) as client:
        client.ids = ids  # type: ignore[attr-defined]
        client.fastapi = app  # type: ignore[attr-defined]
        yield client, headers
    service.db.close()


class Ids(dict[str, str]):
    """Path ids of the world; an id it lacks reads as 1 (the route answers 404 or its row)."""

    def __missing__(self, key: str) -> str:
        return "1"


QUERY = {
    "month": "2025-06",
    "first": "2025-06-01",
    "last": "2025-06-30",
    "project_id": "site-a",
    "site": "site-a",
    "reveal": "true",
}


def test_no_get_route_writes(world: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = world
    app = client.fastapi  # type: ignore[attr-defined]
    engine = app.state.service.db.engine
    writes: list[str] = []

    def watch(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if WRITE.match(statement) and not AUDIT.match(statement):
            writes.append(statement.split("(")[0][:80])

    answered: dict[str, int] = {}
    event.listen(engine, "before_cursor_execute", watch)
    try:
        reads = [p for p, item in app.openapi()["paths"].items() if "get" in item]
        for template in [*reads, "/metrics"]:
            path = template.format_map(Ids(client.ids))  # type: ignore[attr-defined]
            for role in ("admin", "worker"):
                before = len(writes)
                status = client.get(path, params=QUERY, headers=headers[role]).status_code
                answered[f"{role} {template}"] = status
                assert len(writes) == before, f"GET {template} as {role} wrote: {writes[before:]}"
        assert writes == []
        ok = [k for k, s in answered.items() if s == 200]
        assert len(ok) >= 20, answered  # the reads really ran, not only their refusals
        # The watch itself sees writes: a recomputation is one.
        made = client.post("/api/v1/projects/site-a/payroll/2025-06", headers=headers["admin"])
        assert made.status_code == 201 and writes
    finally:
        event.remove(engine, "before_cursor_execute", watch)
