"""A province supervisor's scope is every project of the province: more projects than either
engine binds parameters in one statement (PostgreSQL 65,535; SQLite 32,766 as built by
default, 250,000 as Debian builds it). Every list a
supervisor opens filters by that scope; each must answer with exactly the province's rows,
never fail with "too many SQL variables" (a 500 to the regulator)."""

import json
import sqlite3

import pytest
from sqlalchemy import func, select

from central import audit
from central.api.routes import ingest_guard
from central.api.routes import payroll as payroll_routes
from central.api.routes import registry as registry_routes
from central.auth import scope
from central.auth.users import Principal, Role
from central.registry import arrears
from central.storage import Database, schema
from central.storage.bulk import insert_rows
from central.warnings import devices
from central.warnings.queue import queue_select
from central.web import project_picker

AT = "2026-11-30T08:00:00+08:00"


def _beyond(database: Database) -> int:
    """One more project than the engine binds parameters in a statement."""
    if database.dialect == "postgresql":
        return 65_536
    with database.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) + 1


def _province(database: Database) -> tuple[int, str]:
    """``_beyond`` projects in Guangxi (4501xx) and one in Guangdong, each with a warning and
    an audit row; returns the province's project count and the Guangdong project's id."""
    count = _beyond(database)
    with database.begin() as conn:
        ids = []
        for n, uscc in enumerate(("91450100M000000X01", "91440100M000000X02")):
            ids.append(
                conn.execute(
                    schema.enterprises.insert().values(
                        name=f"总包{n}", uscc=uscc, kind="general_contractor", created_at=AT
                    )
                ).inserted_primary_key[0]
            )
        here, there = ids
        rows = [
            {
                "id": f"gx-{n:06d}",
                "name": f"项目{n}",
                "contractor_id": here,
                "timezone": "Asia/Shanghai",
                "pay_due_day": 15,
                "created_at": AT,
                "division_code": "450102",
                "status": "under_construction",
            }
            for n in range(count)
        ]
        rows.append({**rows[0], "id": "gd-1", "contractor_id": there, "division_code": "440103"})
        insert_rows(conn, schema.projects, rows)
        for project in ("gx-000007", "gd-1"):
            conn.execute(
                schema.wage_warnings.insert().values(
                    key=f"gate_silent:{project}",
                    kind="gate_silent",
                    severity="high",
                    project_id=project,
                    subject=project,
                    evidence=json.dumps({}),
                    state="open",
                    created_at=AT,
                )
            )
            audit.record(conn, audit.Actor("admin", "admin"), "project.created", project_id=project)
    return count, "gd-1"


@pytest.fixture
def supervisor() -> Principal:
    return Principal(1, "gx", Role.SUPERVISOR, None, None, None, division_code="450000")


def test_every_supervisor_list_answers_for_a_whole_province(
    database: Database, supervisor: Principal
) -> None:
    count, outside = _province(database)
    w = schema.wage_warnings.c
    with database.engine.connect() as conn:
        whole = scope.whole_projects(conn, supervisor)
        assert whole is not None and len(whole) == count and outside not in whole

        choices = project_picker.choices(conn, supervisor)
        assert len(choices) == count and outside not in {c.id for c in choices}

        allowed = scope.warnings_filter(conn, supervisor)
        assert allowed is not None
        seen = conn.execute(select(w.project_id).where(allowed)).scalars().all()
        assert seen == ["gx-000007"]
        queued = conn.execute(queue_select(whole)).all()
        assert [r.project_id for r in queued] == ["gx-000007"]
        kept = devices._open(conn, "gate_silent", whole)
        assert [key for _id, key, _evidence in kept] == ["gate_silent:gx-000007"]

        listed = registry_routes.list_projects(database, supervisor)
        assert len(listed) == count and outside not in {p.id for p in listed}
        assert ingest_guard.held_events(database, supervisor) == []
        assert ingest_guard.dead_letter_counts(database, supervisor) == []
        assert payroll_routes.list_batches(database, supervisor) == []

        logged = audit.entries(conn, projects=whole)
        assert [e["project_id"] for e in logged] == ["gx-000007"]

        firms = scope.enterprises_filter(conn, supervisor)
        assert firms is not None
        e = schema.enterprises.c
        assert conn.execute(select(e.name).where(firms)).scalars().all() == ["总包0"]

        employed = scope.records_filter(conn, supervisor, schema.employments)
        assert employed is not None
        counted = select(func.count()).select_from(schema.employments).where(employed)
        assert conn.execute(counted).scalar_one() == 0
        gates = scope.restrict(
            conn, supervisor, select(schema.devices.c.site), schema.devices.c.site
        )
        assert conn.execute(gates).all() == []
        cases = arrears.cases_select(whole).subquery()
        assert conn.execute(select(func.count()).select_from(cases)).scalar_one() == 0
