"""A month's days are re-derived only when something may have left them stale.

central/storage/days_pending.py: the store marks each batch's (site, date) in the events'
transaction and the refresh after it clears the mark; a correction does the same. Computing
payroll recomputes the month whole only when it never did, or when a mark survives (the refresh
after a commit never ran: it failed, or the process died). On SQLite and PostgreSQL.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from factories import local, registered_project, store_punches, stored_without_refresh
from sqlalchemy import event, func, select

from central.attendance import closing
from central.attendance import days as attendance_days
from central.attendance.refresh import refresh_month
from central.payroll import batches
from central.registry.organisations import project_zone
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.wages.rules import PayTerms

SITE = "site-p"
DAILY = PayTerms(pay_kind="daily", rate_fen=36000)


@pytest.fixture
def db(database: Database, tmp_path: Path) -> Database:
    registered_project(database, Sealer.from_file(tmp_path / "k"), SITE, {"W1": DAILY, "W2": DAILY})
    return database


def marks(db: Database) -> list[str]:
    p = schema.days_pending.c
    with db.engine.connect() as conn:
        return sorted(conn.execute(select(p.local_date)).scalars())


def minutes(db: Database, worker: str, day: str) -> int | None:
    d = schema.attendance_days.c
    with db.engine.connect() as conn:
        return conn.execute(
            select(d.worked_minutes).where(
                d.project_id == SITE, d.worker_id == worker, d.local_date == day
            )
        ).scalar_one_or_none()


@contextmanager
def reads_of_events(db: Database) -> Iterator[list[str]]:
    """Every statement that reads the attendance events while the block runs."""
    seen: list[str] = []

    def before(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if "FROM attendance " in statement or "FROM attendance\n" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_ingest_clears_its_marks_and_a_current_month_is_not_derived_again(db: Database) -> None:
    day = [("W1", "in", local("2025-06-10 08:00")), ("W1", "out", local("2025-06-10 17:00"))]
    store_punches(db, SITE, day)
    assert marks(db) == []  # the refresh after the store cleared what the store marked
    with reads_of_events(db) as first:
        batches.compute(db, SITE, "2025-06", "boss")  # never derived whole: derived now
    assert first
    with reads_of_events(db) as again:
        assert refresh_month(db, SITE, "2025-06") == []
        batches.compute(db, SITE, "2025-06", "boss")
    assert again == []
    with db.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.days_current)).scalar() == 1


def test_events_whose_refresh_never_ran_reach_the_payroll(db: Database) -> None:
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    batch = batches.compute(db, SITE, "2025-06", "boss")
    stored_without_refresh(
        db, SITE, ("W1", "out", "2025-06-10 17:00"), ("W2", "in", "2025-06-11 08:00"),
        ("W2", "out", "2025-06-11 16:00"),
    )  # fmt: skip
    assert marks(db) == ["2025-06-10", "2025-06-11"]
    assert minutes(db, "W1", "2025-06-10") == 0 and minutes(db, "W2", "2025-06-11") is None
    batches.compute(db, SITE, "2025-06", "boss")
    assert (minutes(db, "W1", "2025-06-10"), minutes(db, "W2", "2025-06-11")) == (540, 480)
    with db.engine.connect() as conn:
        lines = {r["worker_id"]: r for r in batches.lines(conn, int(batch["id"]))}  # type: ignore[call-overload]
    # W1: a day's rate and one extended hour at 150 % (36000 / 8 × 1.5); W2: a plain day
    assert (lines["W1"]["gross_fen"], lines["W2"]["gross_fen"]) == (36000 + 6750, 36000)
    assert marks(db) == []  # settled by the whole refresh


def test_a_mark_on_the_day_before_the_month_recomputes_it_and_waits_for_its_own_month(
    db: Database,
) -> None:
    """A night shift from 31 May into 1 June: the May event can change June's first day."""
    for month in ("2025-05", "2025-06"):
        refresh_month(db, SITE, month)  # both derived whole once
    night = [("W1", "in", "2025-05-31 22:00"), ("W1", "out", "2025-06-01 06:00")]
    stored_without_refresh(db, SITE, *night)
    assert marks(db) == ["2025-05-31", "2025-06-01"]
    changed = refresh_month(db, SITE, "2025-06")
    assert ("W1", "2025-05-31") in changed  # the day before the month, refreshed with it
    assert minutes(db, "W1", "2025-05-31") == 480
    assert marks(db) == ["2025-05-31"]  # June's own mark is gone; May's waits for May
    with reads_of_events(db) as june:
        refresh_month(db, SITE, "2025-06")
    assert june  # still a mark that can touch June: derived again (nothing changes)
    refresh_month(db, SITE, "2025-05")
    assert marks(db) == []
    with reads_of_events(db) as june:
        assert refresh_month(db, SITE, "2025-06") == []
    assert june == []


def test_a_correction_leaves_no_mark_and_its_day_is_current(db: Database) -> None:
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    refresh_month(db, SITE, "2025-06")
    with db.engine.connect() as conn:
        zone = project_zone(conn, SITE)
    row = attendance_days.correct_day(
        db,
        SITE,
        zone,
        "W1",
        local("2025-06-10 08:00").date(),
        worked_minutes=480,
        reason="gate was down at 17:00",
        by_user="boss",
    )
    assert row["worked_minutes"] == 480
    assert marks(db) == []
    assert refresh_month(db, SITE, "2025-06") == []
    assert minutes(db, "W1", "2025-06-10") == 480


def test_closing_a_current_month_reads_no_event_and_one_with_a_mark_folds_it_in(
    db: Database,
) -> None:
    store_punches(db, SITE, [("W1", "in", local("2025-06-10 08:00"))])
    refresh_month(db, SITE, "2025-06")
    with reads_of_events(db) as current:
        closing.close(db, SITE, "month", "2025-06", "boss")
    assert current == []
    stored_without_refresh(db, SITE, ("W1", "out", "2025-06-10 17:00"))
    with reads_of_events(db) as marked:
        closing.close(db, SITE, "month", "2025-06", "boss")
    assert marked
    assert minutes(db, "W1", "2025-06-10") == 540  # closed with the late exit in it
    assert marks(db) == ["2025-06-10"]  # a close does not settle: the next whole refresh does
    refresh_month(db, SITE, "2025-06")
    assert marks(db) == []
