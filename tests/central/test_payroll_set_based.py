"""The set-based payroll (central/payroll/compute_sql.py) against the pure-Python one.

Random months of October 2025 (the National Day week: 1–3 October statutory holidays, 4–8
rest days, Saturday 11 October an adjusted workday) and February 2025 (the Spring
Festival), on SQLite and PostgreSQL: several workers on daily and hourly terms with
standard days below 480 minutes and premiums above the minimum, site calendar overrides,
flagged days, days outside the employment, piece-rate additions and deductions, a minimum
wage, and a few irregular workers (two employments, days for the same employer on another
project, a shift past midnight, confirmed compensatory rest). What a batch stores — lines,
line days, and the wage-law findings — must equal what compute_month gives for everyone.
"""

import json
from datetime import date, datetime, timedelta

from factories import CONTRACTOR_USCC, SUB_USCC, bare_workers
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, delete, func, select, update

from central.attendance.periods import month_range
from central.payroll import batches, compute_sql
from central.payroll.compute import compute_month
from central.payroll.line_days import DAY_COLUMNS
from central.registry.organisations import (
    EnterpriseIn,
    ProjectIn,
    create_enterprise,
    create_project,
)
from central.storage import Database, schema
from central.wages.rules import PayTerms

HERE, THERE = "site-a", "site-b"
WORKERS = [f"W{n}" for n in range(8)]
AT = "2025-01-01T00:00:00+08:00"
FLAGS = ["", "", "", "missing_out", "missing_in", "corrected", "missing_out,corrected"]


def _registry(db: Database) -> tuple[int, int]:
    """Two employers, two projects and the workers (the same for every example)."""
    ids = []
    for n, (code, kind) in enumerate(
        ((CONTRACTOR_USCC, "general_contractor"), (SUB_USCC, "subcontractor"))
    ):
        made = create_enterprise(db, EnterpriseIn(name=f"企业{n}", uscc=code, kind=kind))
        ids.append(int(made["id"]))  # type: ignore[call-overload]
    for site in (HERE, THERE):
        create_project(
            db,
            ProjectIn(id=site, name=site, contractor_id=ids[0], division_code="450102"),
        )
    bare_workers(db, WORKERS, AT)
    return ids[0], ids[1]


terms_strategy = st.builds(
    PayTerms,
    pay_kind=st.sampled_from(["daily", "hourly"]),
    rate_fen=st.integers(1, 120_000),
    standard_day_minutes=st.sampled_from([480, 480, 450, 420, 401, 240]),
    ot_workday_pct=st.sampled_from([150, 150, 175]),
    ot_restday_pct=st.sampled_from([200, 200, 233]),
    ot_holiday_pct=st.sampled_from([300, 300, 317]),
)


@st.composite
def months(draw: st.DrawFn) -> dict[str, object]:
    month = draw(st.sampled_from(["2025-10", "2025-10", "2025-02"]))
    first, last = month_range(month)
    dates = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    workers = []
    for w in WORKERS:
        start = draw(
            st.sampled_from([first - timedelta(days=40), first, first + timedelta(days=9)])
        )
        end = draw(st.sampled_from([None, None, last, first + timedelta(days=20)]))
        odd = draw(st.sampled_from([None] * 5 + ["two_here", "elsewhere", "night", "rest"]))
        days = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(dates),
                    st.integers(0, 900),
                    st.sampled_from(FLAGS),
                    st.integers(0, 4),  # entry hour - 6
                ),
                max_size=14,
                unique_by=lambda t: t[0],
            )
        )
        workers.append(
            {
                "id": w,
                "terms": draw(terms_strategy),
                "employer": draw(st.integers(0, 1)),
                "start": start,
                "end": end,
                "odd": odd,
                "days": days,
                "plus": draw(st.sampled_from([0, 0, 1234])),
                "minus": draw(st.sampled_from([0, 0, 555, 10**9])),
            }
        )
    overrides = draw(
        st.lists(
            st.tuples(st.sampled_from(dates), st.sampled_from(["workday", "restday", "holiday"])),
            max_size=3,
            unique_by=lambda t: t[0],
        )
    )
    minimum = draw(st.sampled_from([None, 2000, 5000]))
    return {"month": month, "workers": workers, "overrides": overrides, "minimum": minimum}


def _fill(conn: Connection, employers: tuple[int, int], spec: dict[str, object]) -> None:
    """Replace the month's registry and attendance with ``spec``'s."""
    for t in (
        schema.payroll_line_days,
        schema.payroll_lines,
        schema.payroll_batches,
        schema.wage_warnings,
        schema.attendance_days,
        schema.employments,
        schema.wage_adjustments,
        schema.compensatory_rest,
        schema.project_calendar,
    ):
        if t is schema.wage_warnings:
            conn.execute(delete(schema.warning_history))
        conn.execute(delete(t))
    month = str(spec["month"])
    conn.execute(
        update(schema.projects)
        .where(schema.projects.c.id == HERE)
        .values(min_hourly_wage_fen=spec["minimum"])
    )
    for day, kind in spec["overrides"]:  # type: ignore[attr-defined]
        conn.execute(
            schema.project_calendar.insert().values(project_id=HERE, day=day.isoformat(), kind=kind)
        )
    rows: dict[str, list[dict[str, object]]] = {
        "employments": [],
        "attendance_days": [],
        "compensatory_rest": [],
        "wage_adjustments": [],
    }
    for w in spec["workers"]:  # type: ignore[attr-defined]
        employer = employers[w["employer"]]
        employment = {
            "worker_id": w["id"],
            "project_id": HERE,
            "employer_id": employer,
            "start_date": w["start"].isoformat(),
            "end_date": w["end"].isoformat() if w["end"] else None,
            "terms": w["terms"].model_dump_json(),
            "created_at": AT,
        }
        rows["employments"].append(employment)
        if w["odd"] == "two_here":
            later = {**employment, "start_date": month + "-15", "end_date": None}
            later["terms"] = PayTerms(pay_kind="hourly", rate_fen=4000).model_dump_json()
            rows["employments"].append(later)
        if w["odd"] == "elsewhere":
            rows["employments"].append({**employment, "project_id": THERE})
        for d, minutes, flags, hour in w["days"]:
            entry = f"{d.isoformat()}T{6 + hour:02d}:00:00+08:00"
            out = f"{d.isoformat()}T{(6 + hour + minutes // 60) % 24:02d}:00:00+08:00"
            intervals = None
            if w["odd"] == "night" and minutes:  # from 20:00 into the next morning
                entry = f"{d.isoformat()}T20:00:00+08:00"
                end = datetime.fromisoformat(entry) + timedelta(minutes=minutes)
                out = end.isoformat()
                intervals = json.dumps([[entry, out]])
            day = {
                "project_id": HERE,
                "worker_id": w["id"],
                "local_date": d.isoformat(),
                "first_in": entry,
                "last_out": None if "missing_out" in flags else out,
                "worked_minutes": minutes,
                "event_count": 2,
                "flags": flags,
                "status": "complete",
                "computed_at": AT,
                "intervals": intervals,
            }
            rows["attendance_days"].append(day)
            if w["odd"] == "elsewhere":
                rows["attendance_days"].append(
                    {
                        **day,
                        "project_id": THERE,
                        "first_in": f"{d.isoformat()}T05:00:00+08:00",
                        "last_out": f"{d.isoformat()}T06:00:00+08:00",
                        "worked_minutes": 60 + minutes % 200,
                        "flags": "",
                        "intervals": None,
                    }
                )
            if w["odd"] == "rest":
                rows["compensatory_rest"].append(
                    {
                        "worker_id": w["id"],
                        "project_id": HERE,
                        "employer_id": employer,
                        "worked_date": d.isoformat(),
                        "rest_date": d.isoformat(),
                        "note": None,
                        "state": "confirmed",
                        "recorded_by": "boss",
                        "recorded_at": AT,
                    }
                )
        for kind, amount in (("piece_rate", w["plus"]), ("deduction", w["minus"])):
            if amount:
                rows["wage_adjustments"].append(
                    {
                        "project_id": HERE,
                        "worker_id": w["id"],
                        "month": month,
                        "kind": kind,
                        "amount_fen": amount,
                        "reason": "test",
                        "by_user": "boss",
                        "at": AT,
                    }
                )
    for name, values in rows.items():
        if values:
            conn.execute(schema.metadata.tables[name].insert(), values)


def _stored(conn: Connection, batch_id: int) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    p, pd = schema.payroll_lines.c, schema.payroll_line_days.c
    lines = {
        r.worker_id: {k: getattr(r, k) for k in compute_sql.LINE_KEYS}
        for r in conn.execute(select(schema.payroll_lines).where(p.batch_id == batch_id))
    }
    days: dict[str, list[dict]] = {}
    for r in conn.execute(
        select(p.worker_id, *(pd[k] for k in DAY_COLUMNS))
        .join(schema.payroll_lines, p.id == pd.line_id)
        .where(p.batch_id == batch_id)
        .order_by(p.worker_id, pd.local_date)
    ):
        days.setdefault(r.worker_id, []).append({k: getattr(r, k) for k in DAY_COLUMNS})
    return lines, days


def _line_days_without_a_line(conn: Connection) -> int:
    pd, p = schema.payroll_line_days.c, schema.payroll_lines.c
    return int(
        conn.execute(
            select(func.count()).where(~pd.line_id.in_(select(p.id).scalar_subquery()))
        ).scalar_one()
    )


def test_set_based_lines_and_days_equal_the_python_path(database: Database) -> None:
    employers = _registry(database)
    regular_lines = 0

    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,  # the same months on every run; a failure prints its month
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(spec=months())
    def check(spec: dict[str, object]) -> None:
        nonlocal regular_lines
        month = str(spec["month"])
        with database.begin() as conn:
            _fill(conn, employers, spec)
            batch_id = int(
                conn.execute(
                    schema.payroll_batches.insert().values(
                        project_id=HERE,
                        month=month,
                        state="draft",
                        due_date=month + "-28",
                        gross_fen=0,
                        net_fen=0,
                        created_by="t",
                        created_at=AT,
                    )
                ).inserted_primary_key[0]
            )
            expected = compute_month(conn, HERE, month)  # everyone through Python
            found = batches._write_lines(conn, batch_id, HERE, month)
            lines, days = _stored(conn, batch_id)
            regular_lines += len(lines) - len(found.lines)
            assert lines == {str(line["worker_id"]): line for line in expected.lines}
            assert days == {w: d for w, d in expected.days.items() if d}
            assert found.long_days == sorted(expected.long_days)
            assert found.long_months == sorted(expected.long_months)
            assert found.below_minimum == sorted(expected.below_minimum)
            # approval's comparison sees the same lines
            fresh = batches.month_lines(conn, HERE, month)
            assert batches._lines_differing(list(lines.values()), fresh) == 0
            b = conn.execute(
                select(schema.payroll_batches.c.gross_fen).where(
                    schema.payroll_batches.c.id == batch_id
                )
            ).scalar_one()
            assert b == sum(int(line["gross_fen"]) for line in expected.lines)
            # recomputing the draft replaces its lines and their days (no foreign key holds
            # them together since revision 0024: the writer does), leaving no day without a line
            batches._write_lines(conn, batch_id, HERE, month)
            assert _stored(conn, batch_id) == (lines, days)
            assert _line_days_without_a_line(conn) == 0

    check()
    assert regular_lines > 0  # the set-based path computed lines, not only the Python one


def test_a_regular_month_by_hand_on_the_set_based_path(database: Database) -> None:
    """One daily worker in October 2025, every line computed by SQL: 1 Oct (holiday) 600
    minutes, 4 Oct (rest day) 300, 9 Oct (workday) 540, 11 Oct (adjusted workday) 481."""
    employers = _registry(database)
    terms = PayTerms(pay_kind="daily", rate_fen=36000)  # 75 fen a minute
    spec = {
        "month": "2025-10",
        "minimum": None,
        "overrides": [],
        "workers": [
            {
                "id": "W0",
                "terms": terms,
                "employer": 0,
                "start": date(2025, 9, 1),
                "end": None,
                "odd": None,
                "days": [
                    (date(2025, 10, 1), 600, "", 1),
                    (date(2025, 10, 4), 300, "", 1),
                    (date(2025, 10, 9), 540, "", 1),
                    (date(2025, 10, 11), 481, "", 1),
                ],
                "plus": 0,
                "minus": 0,
            }
        ],
    }
    with database.begin() as conn:
        _fill(conn, employers, spec)
        q = compute_sql.month_query(conn, HERE, "2025-10")
        assert compute_sql.irregular_workers(conn, q, HERE, "2025-10") == set()
        (line,) = compute_sql.line_rows(conn, q)
    # plain 480 + 480 = 960 min × 75 = 72000; extended 60 + 1 = 61 × 112.5 = 6862.5;
    # rest day 300 × 150 = 45000; holiday 600 × 225 = 135000: 258862.5 → 258863 fen
    assert (line["plain_minutes"], line["ot_workday_minutes"]) == (960, 61)
    assert (line["ot_restday_minutes"], line["ot_holiday_minutes"]) == (300, 600)
    assert (line["plain_fen"], line["extended_fen"]) == (72000, 6863)
    assert (line["restday_fen"], line["holiday_fen"]) == (45000, 135000)
    assert line["gross_fen"] == line["net_fen"] == 258863
    assert line["attended_days"] == 4
