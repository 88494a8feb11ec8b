"""The training-expiry scan, found by one statement (central/warnings/training_expiry.py), must
raise exactly the warnings of the rule stated plainly: for each (project, worker, course) take
the newest record (latest end, then latest id); warn when it ends between today and the
project's warning days ahead (14 without a rule) and the worker is still employed there.

Random records on both engines: renewals, ties on the end date, records without an end or a
project, ended and future employments, rules with short and long warning days."""

import json
from datetime import date, timedelta

from factories import CONTRACTOR_USCC, bare_workers
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.storage import Database, schema
from central.training.entry import DEFAULT_WARN_DAYS
from central.warnings.training_expiry import KIND, training_expiring

TODAY = date(2026, 11, 30)
AT = "2026-11-01T00:00:00+08:00"
PROJECTS = ("p-a", "p-b", "p-c")
WORKERS = ("W1", "W2", "W3", "W4")
COURSES = ("入场三级教育", "高处作业")
TERMS = json.dumps({"pay_kind": "daily", "rate_fen": 30000})


def _registry(db: Database) -> int:
    employer = int(
        create_enterprise(  # type: ignore[call-overload]
            db, EnterpriseIn(name="总包", uscc=CONTRACTOR_USCC, kind="general_contractor")
        )["id"]
    )
    for site in PROJECTS:
        create_project(
            db, ProjectIn(id=site, name=site, contractor_id=employer, division_code="450102")
        )
    bare_workers(db, WORKERS, AT)
    return employer


def _day(offset: int | None) -> str | None:
    return None if offset is None else (TODAY + timedelta(days=offset)).isoformat()


records = st.lists(
    st.tuples(
        st.sampled_from((*PROJECTS[:2], None)),  # few keys: renewals and ties are common
        st.sampled_from(WORKERS[:3]),
        st.sampled_from(COURSES),
        st.one_of(
            st.none(), st.integers(-10, 50), st.sampled_from([-1, 0, 1, 7, 13, 14, 15, 30, 45, 46])
        ),
    ),
    max_size=14,
)
employments = st.lists(
    st.tuples(
        st.sampled_from(PROJECTS),
        st.sampled_from(WORKERS),
        st.one_of(st.none(), st.integers(-5, 5)),  # end date: none, past, today, future
    ),
    min_size=4,
    max_size=12,
)
rules = st.dictionaries(st.sampled_from(PROJECTS), st.sampled_from([1, 7, 14, 30, 45]))


def _expected(
    stored: list[tuple[int, str | None, str, str, str | None]],
    employed: list[tuple[str, str, str | None]],
    warn: dict[str, int],
) -> dict[str, tuple[str, str, int, int]]:
    """key → (project, worker, days left, warning days), by the rule above."""
    newest: dict[tuple[str, str, str], tuple[str, int]] = {}
    for training_id, project, worker, course, until in stored:
        if project is None or until is None:
            continue
        best = newest.get((project, worker, course))
        if best is None or (until, training_id) > best:
            newest[(project, worker, course)] = (until, training_id)
    still = {(p, w) for p, w, end in employed if end is None or end >= TODAY.isoformat()}
    out = {}
    for (project, worker, _course), (until, training_id) in newest.items():
        days = warn.get(project, DEFAULT_WARN_DAYS)
        left = (date.fromisoformat(until) - TODAY).days
        if 0 <= left <= days and (project, worker) in still:
            out[f"{KIND}:{training_id}"] = (project, worker, left, days)
    return out


def test_the_scan_raises_exactly_the_newest_records_ending_within_their_days(
    database: Database,
) -> None:
    employer = _registry(database)
    raised_in_all = 0

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(trained=records, employed=employments, warn=rules)
    def check(
        trained: list[tuple[str | None, str, str, int | None]],
        employed: list[tuple[str, str, int | None]],
        warn: dict[str, int],
    ) -> None:
        nonlocal raised_in_all
        with database.begin() as conn:
            for table in (
                schema.warning_history,
                schema.wage_warnings,
                schema.trainings,
                schema.employments,
                schema.training_rules,
            ):
                conn.execute(delete(table))
            stored = []
            for project, worker, course, offset in trained:
                training_id = conn.execute(
                    schema.trainings.insert().values(
                        worker_id=worker,
                        project_id=project,
                        course=course,
                        completed_on=_day(-300),
                        valid_until=_day(offset),
                    )
                ).inserted_primary_key[0]
                stored.append((int(training_id), project, worker, course, _day(offset)))
            ends = [(p, w, _day(end)) for p, w, end in employed]
            for project, worker, end in ends:
                conn.execute(
                    schema.employments.insert().values(
                        worker_id=worker,
                        project_id=project,
                        employer_id=employer,
                        start_date="2026-01-01",
                        end_date=end,
                        terms=TERMS,
                        created_at=AT,
                    )
                )
            for project, days in warn.items():
                conn.execute(
                    schema.training_rules.insert().values(
                        project_id=project,
                        required=1,
                        warn_days=days,
                        updated_at=AT,
                        updated_by="t",
                    )
                )
            expected = _expected(stored, ends, warn)
            raised_in_all += len(expected)
            assert training_expiring(conn, TODAY) == len(expected)
            w = schema.wage_warnings.c
            raised = {
                key: (project, worker, evidence)
                for key, project, worker, evidence in conn.execute(
                    select(w.key, w.project_id, w.worker_id, w.evidence)
                )
            }
            assert {k: (p, wk) for k, (p, wk, _e) in raised.items()} == {
                k: (p, wk) for k, (p, wk, _l, _d) in expected.items()
            }
            for key, (_p, _w, left, days) in expected.items():
                evidence = json.loads(raised[key][2])
                assert (evidence["days_left"], evidence["warn_days"]) == (left, days)
            assert training_expiring(conn, TODAY) == 0  # a rescan raises nothing new

    check()
    assert raised_in_all >= 10  # the examples warn, not only stay quiet
