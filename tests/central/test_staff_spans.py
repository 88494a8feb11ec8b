"""``staff_spans`` (the overview's employment summary) equals a direct count, on both engines.

A small region goes through the changes a real one sees, each through the real service: hires
(one starting tomorrow on a fixed term, one on a second project, one by a subcontractor on top
of the general contractor's, one back after a gap), an employment ended, a card added, a batch
paid with one card refused by the bank, the refused card replaced, and days rolling over. After
every step the kept rows equal a rebuild from the source tables, and the overview's headline
figures and key indicators equal SQL written here over the base tables only (never reading
``staff_spans``), for every scope (everything, a city, one project, nothing) and for days on
either side of every boundary. The migration's own fill of the table gives the same rows.

A guard at the end reads central/: a module that writes employments or a worker's card columns
without refreshing the spans would let the summary drift, so it fails the suite.
"""

import csv
import importlib.util
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from types import ModuleType

from factories import (
    FOURTH_USCC,
    SHANGHAI,
    local,
    registered_project,
    second_project,
    store_punches,
    subcontractor_on,
    valid_card,
    valid_ric,
)
from sqlalchemy import Connection, func, select, text, update

from central.attendance import closing
from central.audit import Actor
from central.payroll import bankfiles, batches, paid_summaries
from central.registry import staff_spans
from central.registry.employment import EmploymentIn, add_employment
from central.registry.sealing import Sealer
from central.registry.worker_records import CardReplacement, replace_card
from central.registry.workers import WorkerIn, create_worker, set_card
from central.reports.indicators import key_indicators
from central.reports.overview import overview
from central.storage import Database, schema
from central.wages.rules import PayTerms

DAILY = PayTerms(pay_kind="daily", rate_fen=36000)  # type: ignore[arg-type]
ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.now(SHANGHAI).date()
NANNING = {"nn-1", "nn-2"}
SCOPES: tuple[set[str] | None, ...] = (None, NANNING, {"lz-1"}, {"nn-2"}, set())


def _spans(conn: Connection) -> list[tuple[object, ...]]:
    ss = schema.staff_spans
    return sorted(tuple(r) for r in conn.execute(select(ss)))


def _scope_sql(column: str, scope: set[str] | None) -> tuple[str, dict[str, str]]:
    if scope is None:
        return "1 = 1", {}
    if not scope:
        return "1 = 0", {}
    names = {f"s{n}": p for n, p in enumerate(sorted(scope))}
    return f"{column} IN ({', '.join(':' + k for k in names)})", names


def _direct(conn: Connection, scope: set[str] | None, day: date) -> dict[str, object]:
    """The figures from employments, workers and payroll lines alone."""
    d = day.isoformat()
    in_scope, params = _scope_sql("e.project_id", scope)
    running = "e.start_date <= :d AND (e.end_date IS NULL OR e.end_date >= :d)"
    carded = "w.card_hash IS NOT NULL AND w.card_valid = 1"
    paid_here = (
        "EXISTS (SELECT 1 FROM payroll_lines l JOIN payroll_batches b ON b.id = l.batch_id"
        " WHERE b.project_id = e.project_id AND l.worker_id = e.worker_id AND l.paid_fen > 0)"
    )
    per_project = {
        r[0]: (int(r[1]), int(r[2]), int(r[3]))
        for r in conn.execute(
            text(
                f"SELECT e.project_id, count(*), sum(CASE WHEN {carded} THEN 1 ELSE 0 END),"
                f" sum(CASE WHEN {paid_here} THEN 1 ELSE 0 END)"
                f" FROM (SELECT DISTINCT e.project_id, e.worker_id FROM employments e"
                f" WHERE {running} AND {in_scope}) e JOIN workers w ON w.id = e.worker_id"
                " GROUP BY e.project_id"
            ),
            {"d": d, **params},
        )
    }
    if scope is None:
        registered, cards = conn.execute(
            text(
                f"SELECT count(*), coalesce(sum(CASE WHEN {carded} THEN 1 ELSE 0 END), 0)"
                " FROM workers w"
            )
        ).one()
    else:
        registered, cards = conn.execute(
            text(
                f"SELECT count(*), coalesce(sum(CASE WHEN {carded} THEN 1 ELSE 0 END), 0)"
                f" FROM workers w WHERE w.id IN (SELECT e.worker_id FROM employments e"
                f" WHERE {in_scope})"
            ),
            params,
        ).one()
    active = conn.execute(
        text(
            f"SELECT count(DISTINCT e.worker_id) FROM employments e WHERE {running} AND {in_scope}"
        ),
        {"d": d, **params},
    ).scalar_one()
    paid_scope, paid_params = _scope_sql("b.project_id", scope)
    paid_total, paid_month = conn.execute(
        text(
            "SELECT count(DISTINCT l.worker_id), count(DISTINCT CASE WHEN"
            " substr(l.paid_at, 1, 7) = :m THEN l.worker_id END) FROM payroll_lines l"
            f" JOIN payroll_batches b ON b.id = l.batch_id WHERE l.paid_fen > 0 AND {paid_scope}"
        ),
        {"m": d[:7], **paid_params},
    ).one()
    return {
        "per_project": per_project,
        "registered": int(registered),
        "cards": int(cards),
        "active": int(active),
        "paid": (int(paid_total), int(paid_month)),
    }


def _check(db: Database, *days: date) -> dict[tuple[str, date], dict[str, object]]:
    """Kept rows == a rebuild; the service figures == the direct count; the direct counts."""
    paid_rows = select(schema.paid_workers).order_by(
        schema.paid_workers.c.project_id, schema.paid_workers.c.worker_id
    )
    with db.engine.connect() as conn:
        kept, kept_paid = _spans(conn), conn.execute(paid_rows).all()
    with db.begin() as conn:
        paid_summaries.rebuild(conn)
        staff_spans.rebuild(conn)
    with db.engine.connect() as conn:
        assert _spans(conn) == kept
        assert conn.execute(paid_rows).all() == kept_paid
        seen = {}
        for day in (*days, TODAY):
            for scope in SCOPES:
                direct = _direct(conn, scope, day)
                figures = overview(conn, scope, day)
                assert (figures.registered_workers, figures.payroll_cards) == (
                    direct["registered"],
                    direct["cards"],
                ), (scope, day)
                assert figures.active_workers == direct["active"], (scope, day)
                if day == TODAY:  # "paid this month" is the month of the payments: now
                    assert (figures.workers_paid_total, figures.workers_paid_month) == direct[
                        "paid"
                    ], scope
                rates = key_indicators(conn, scope, day).projects
                got = {
                    a.key: (
                        a.indicators.card_issuance.denominator,
                        a.indicators.card_issuance.numerator,
                        a.indicators.online_payroll.numerator,
                    )
                    for a in rates
                    if a.indicators.card_issuance.denominator
                }
                assert got == direct["per_project"], (scope, day)
                assert all(
                    a.indicators.card_issuance.denominator
                    == a.indicators.online_payroll.denominator
                    for a in rates
                )
                seen[(str(sorted(scope)) if scope is not None else "all", day)] = direct
    return seen


def _pay(
    db: Database,
    sealer: Sealer,
    tmp: Path,
    project: str,
    workers: tuple[str, ...],
    days: range,
    refused: set[str],
) -> None:
    """June 2025 on ``project``: the ``workers`` on site on ``days``, the batch computed,
    closed, approved, exported, and the bank's answer imported (every line paid but the
    ``refused`` workers', whose cards the bank turned down)."""
    punches = []
    for d in days:
        for worker in workers:
            punches += [
                (worker, "in", local(f"2025-06-{d:02d} 08:00")),
                (worker, "out", local(f"2025-06-{d:02d} 16:00")),
            ]
    store_punches(db, project, punches)
    batch_id = int(batches.compute(db, project, "2025-06", "boss")["id"])
    closing.close(db, project, "month", "2025-06", "boss")
    batches.approve(db, batch_id, "boss")
    bank_file = tmp / f"bank-{project}.csv"
    bankfiles.export(db, sealer, batch_id, bank_file, "boss")
    with db.engine.connect() as conn:
        owner = dict(
            conn.execute(
                select(schema.payroll_lines.c.id, schema.payroll_lines.c.worker_id).where(
                    schema.payroll_lines.c.batch_id == batch_id
                )
            ).all()
        )
    rows = list(csv.DictReader(bank_file.open(encoding="utf-8-sig")))
    answer = tmp / f"bank-result-{project}.csv"
    answer.write_text(
        "line_id,card_number,amount_fen,status,bank_ref,message\n"
        + "".join(
            f"{r['line_id']},{r['card_number']},{r['amount_fen']},"
            f"{'failed' if owner[int(r['line_id'])] in refused else 'paid'},B-{n},\n"
            for n, r in enumerate(rows)
        )
    )
    result = bankfiles.import_results(db, sealer, batch_id, answer, "boss")
    assert (result.paid, result.failed) == (len(workers) - len(refused), len(refused)), result


def test_spans_and_the_overview_equal_a_direct_count_through_realistic_changes(
    database: Database, tmp_path: Path
) -> None:
    db = database
    sealer = Sealer.from_file(tmp_path / "central.key")
    tomorrow, yesterday = TODAY + timedelta(days=1), TODAY - timedelta(days=1)
    start = date(2025, 1, 1)
    gc = registered_project(db, sealer, "nn-1", dict.fromkeys(("A", "B", "C"), DAILY), start)
    registered_project(
        db, sealer, "lz-1", {"D": DAILY}, start, uscc=FOURTH_USCC, offset=10, division="450202"
    )
    # A works on a second Nanning project as well: one worker, counted once in the city
    second_project(db, int(gc["id"]), "nn-2", {"A": DAILY}, start, division="450103")  # type: ignore[call-overload]
    first = _check(db, yesterday)
    assert first[("['nn-1', 'nn-2']", TODAY)]["registered"] == 3
    assert first[("['nn-1', 'nn-2']", TODAY)]["per_project"] == {
        "nn-1": (3, 3, 0),
        "nn-2": (1, 1, 0),
    }

    # hired: E, no card yet, on a fixed term starting tomorrow; F back on nn-2 after a gap
    create_worker(db, sealer, WorkerIn(id="E", name="工人E", id_number=valid_ric(20)))
    last = TODAY + timedelta(days=10)
    add_employment(
        db,
        EmploymentIn(
            worker_id="E",
            project_id="nn-1",
            employer_id=int(gc["id"]),  # type: ignore[call-overload]
            start_date=tomorrow,
            end_date=last,
            terms=DAILY,
        ),
    )
    create_worker(
        db,
        sealer,
        WorkerIn(id="F", name="工人F", id_number=valid_ric(21), card_number=valid_card(21)),
    )
    for begins, ends in ((date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 6, 1), None)):
        add_employment(
            db,
            EmploymentIn(
                worker_id="F",
                project_id="nn-2",
                employer_id=int(gc["id"]),  # type: ignore[call-overload]
                start_date=begins,
                end_date=ends,
                terms=DAILY,
            ),
        )
    # B also employed on nn-1 by a subcontractor, overlapping the general contractor's
    sub = subcontractor_on(db, "nn-1")
    add_employment(
        db,
        EmploymentIn(
            worker_id="B",
            project_id="nn-1",
            employer_id=int(sub["id"]),  # type: ignore[call-overload]
            start_date=date(2025, 3, 1),
            terms=DAILY,
        ),
    )
    with db.engine.connect() as conn:
        f_spans = [r[2:4] for r in _spans(conn) if r[1] == "F"]
        b_spans = [r[2:4] for r in _spans(conn) if r[1] == "B"]
    assert f_spans == [("2025-01-01", "2025-03-31"), ("2025-06-01", None)]
    assert b_spans == [("2025-01-01", None)]  # two employments, one span: B counts once
    hired = _check(db, tomorrow, last, last + timedelta(days=1), date(2025, 4, 15))
    nn1 = hired[("all", TODAY)]["per_project"]["nn-1"]  # type: ignore[index]
    assert nn1 == (3, 3, 0)  # E not yet
    assert hired[("all", tomorrow)]["per_project"]["nn-1"] == (4, 3, 0)  # type: ignore[index]
    assert hired[("all", last + timedelta(days=1))]["per_project"]["nn-1"] == (3, 3, 0)  # type: ignore[index]
    assert hired[("all", date(2025, 4, 15))]["per_project"]["nn-2"] == (1, 1, 0)  # type: ignore[index]

    # an employment ended (as a service ending it would: the row, then the worker's spans)
    with db.begin() as conn:
        e = schema.employments
        conn.execute(
            update(e)
            .where(e.c.worker_id == "C", e.c.project_id == "nn-1")
            .values(end_date=yesterday.isoformat())
        )
        staff_spans.refresh(conn, ["C"])
    ended = _check(db, yesterday)
    assert ended[("all", TODAY)]["per_project"]["nn-1"] == (2, 2, 0)  # type: ignore[index]
    assert ended[("all", yesterday)]["per_project"]["nn-1"] == (3, 3, 0)  # type: ignore[index]

    # a card added for E
    set_card(db, sealer, "E", valid_card(22), "中国农业银行")
    carded = _check(db, tomorrow)
    assert carded[("all", tomorrow)]["per_project"]["nn-1"] == (3, 3, 0)  # type: ignore[index]

    # June paid through the platform; the bank refuses B's card
    _pay(db, sealer, tmp_path, "nn-1", ("A", "B", "C"), range(9, 12), refused={"B"})
    paid = _check(db)
    assert paid[("all", TODAY)]["per_project"]["nn-1"] == (2, 1, 1)  # type: ignore[index]
    assert paid[("all", TODAY)]["paid"][0] == 2  # type: ignore[index]  # A and C (C ended since)

    # B's card replaced: valid again, still not paid
    replace_card(
        db,
        sealer,
        "B",
        CardReplacement(card_number=valid_card(23), bank="中国建设银行", reason="银行退票"),
        Actor("boss", "contractor_admin"),
    )
    replaced = _check(db, yesterday, tomorrow)
    assert replaced[("all", TODAY)]["per_project"]["nn-1"] == (2, 2, 1)  # type: ignore[index]
    assert replaced[("['lz-1']", TODAY)]["per_project"] == {"lz-1": (1, 1, 0)}

    # June paid on nn-2 too: A is now paid on two projects, F on one
    _pay(db, sealer, tmp_path, "nn-2", ("A", "F"), range(16, 19), refused=set())
    twice = _check(db)
    assert twice[("['nn-1', 'nn-2']", TODAY)]["paid"][0] == 3  # type: ignore[index]  # A, C, F
    assert twice[("['nn-2']", TODAY)]["per_project"] == {"nn-2": (2, 2, 2)}
    with db.engine.connect() as conn:
        spans_sole = {(r[0], r[1]): r[6] for r in _spans(conn)}
        paid_sole = dict(
            conn.execute(
                select(
                    schema.paid_workers.c.worker_id, func.min(schema.paid_workers.c.sole)
                ).group_by(schema.paid_workers.c.worker_id)
            ).all()
        )
    assert spans_sole[("nn-1", "A")] == spans_sole[("nn-2", "F")] == 0  # two projects; a gap
    assert spans_sole[("nn-1", "B")] == spans_sole[("lz-1", "D")] == 1
    assert paid_sole == {"A": 0, "C": 1, "F": 1}

    # the migration that made the table fills it (and paid_workers.sole) the same way
    migration = _migration_0014()
    with db.engine.connect() as conn:
        kept, kept_paid = _spans(conn), conn.execute(select(schema.paid_workers)).all()
    with db.begin() as conn:
        conn.execute(schema.staff_spans.delete())
        conn.execute(update(schema.paid_workers).values(sole=0))
        conn.execute(text(migration.FILL))
        conn.execute(text(migration.SOLE_PAID))
    with db.engine.connect() as conn:
        assert _spans(conn) == kept
        assert sorted(conn.execute(select(schema.paid_workers)).all()) == sorted(kept_paid)


def _migration_0014() -> ModuleType:
    path = ROOT / "central/storage/migrations/versions/0014_overview_speed.py"
    spec = importlib.util.spec_from_file_location("migration_0014", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the guard: every writer keeps the spans ---

WRITES_EMPLOYMENTS = re.compile(
    r"employments\.(?:insert|update|delete)\(|\b(?:insert|update|delete)\(\s*schema\.employments\b"
)
WRITES_CARD = re.compile(r"\bcard_(?:valid|hash)=(?!=)")  # a keyword in .values(…)


def test_every_writer_of_employments_or_cards_refreshes_the_spans() -> None:
    """A module of central/ that inserts, updates or deletes employments, or sets a worker's
    ``card_hash`` / ``card_valid``, also calls ``staff_spans.refresh`` (migrations, the schema
    and the summary itself aside). A textual check: it catches the plain forms the code base
    writes (``schema.employments.insert()``, ``.values(card_valid=0)``)."""
    skip = {"central/storage/schema.py", "central/registry/staff_spans.py"}
    offenders = []
    for path in sorted((ROOT / "central").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in skip or "/migrations/" in name:
            continue
        source = path.read_text(encoding="utf-8")
        if (WRITES_EMPLOYMENTS.search(source) or WRITES_CARD.search(source)) and (
            "staff_spans.refresh(" not in source
        ):
            offenders.append(name)
    assert offenders == [], (
        "these write employments or card columns without staff_spans.refresh(conn, workers)"
        " in the same transaction (central/registry/staff_spans.py)"
    )
