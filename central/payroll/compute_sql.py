"""The regular worker-months of a project's payroll, computed by the database in a few statements.

Most of a month is *regular*: a worker with days only on this project, one employment (one
set of pay terms) overlapping the month, no shift running past midnight and no confirmed
compensatory rest. For such a worker every day is one group of the timeline
(central/wages/timeline.py) on its own, so the split needs only the day's kind: a holiday's
minutes are holiday minutes, a rest day's rest-day minutes, and a workday's are plain up to
the standard day and extended beyond it. The money is what central/wages/rules.py computes,
in integers: one denominator per line (``unit × 100``), the line rounded half up once,
``(2Σ + den) // (2 den)``, and the four parts and the days shared out of it by the largest
remainder, ties in order (the parts' order, the days' date order), as ``rules.allocate``.

Everyone else (days elsewhere for any employer, several employments, night shifts,
compensatory rest, adjustments without days) goes through the Python path unchanged
(central/payroll/compute.py); the two agree line for line and day for day
(tests/central/test_payroll_set_based.py compares them on random months).

The SQL is plain enough for SQLite and PostgreSQL alike: integer arithmetic with explicit
BIGINT casts (PostgreSQL's SUM of BIGINT is NUMERIC, whose division is not integer
division), CTEs with column lists for the month's calendar, its pay terms and its flag notes
(small VALUES tables from Python), and ROW_NUMBER for the largest remainders.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, text

from central.attendance.periods import month_range
from central.payroll.compute import DAILY_EXTENDED_LIMIT, MONTHLY_OVERTIME_LIMIT, day_note
from central.payroll.line_days import DAY_COLUMNS
from central.registry.organisations import work_calendar
from central.storage import planner
from central.wages.rules import PayKind, PayTerms

# The columns of a line, in the order and with the names of compute.py's line dicts.
LINE_KEYS = (
    "worker_id",
    "employer_id",
    "pay_kind",
    "rate_fen",
    "attended_days",
    "worked_minutes",
    "plain_minutes",
    "compensated_minutes",
    "ot_workday_minutes",
    "ot_restday_minutes",
    "ot_holiday_minutes",
    "plain_fen",
    "extended_fen",
    "restday_fen",
    "holiday_fen",
    "additions_fen",
    "gross_fen",
    "deductions_fen",
    "net_fen",
)

_REGULAR = """
cal(local_date, day_kind) AS (VALUES {cal}),
pay(terms, pay_kind, rate, unit, std, otw, otr, oth) AS (VALUES {pay}),
shown(flags, shown, note_here, note_away) AS (VALUES {shown}),
days AS (
  SELECT worker_id, local_date, first_in, last_out, worked_minutes, flags, intervals
  FROM attendance_days
  WHERE project_id = :project AND local_date >= :first AND local_date <= :last
),
emp AS (
  SELECT id, worker_id, employer_id, start_date, end_date, terms FROM employments
  WHERE project_id = :project AND start_date <= :last
    AND (end_date IS NULL OR end_date >= :first)
),
night AS (
  SELECT worker_id, MAX(CASE WHEN intervals IS NOT NULL AND intervals <> ''
      AND (last_out IS NULL OR substr(last_out, 1, 10) <> local_date
           OR flags LIKE '%corrected%') THEN 1 ELSE 0 END) AS crosses
  FROM days GROUP BY worker_id
),
single AS (SELECT worker_id FROM emp GROUP BY worker_id HAVING COUNT(*) = 1),
away AS (
  SELECT DISTINCT o.worker_id FROM employments o JOIN single s ON s.worker_id = o.worker_id
  WHERE o.project_id <> :project AND o.start_date <= :last
    AND (o.end_date IS NULL OR o.end_date >= :first)
),
rested AS (
  SELECT DISTINCT c.worker_id FROM compensatory_rest c JOIN single s ON s.worker_id = c.worker_id
  WHERE c.state = 'confirmed' AND c.worked_date >= :first AND c.worked_date <= :after
),
regular AS (
  SELECT e.worker_id, e.employer_id, e.start_date, e.end_date,
         p.pay_kind, p.rate, p.unit, p.std, p.otw, p.otr, p.oth
  FROM emp e JOIN single s ON s.worker_id = e.worker_id
  JOIN pay p ON p.terms = e.terms
  JOIN night n ON n.worker_id = e.worker_id AND n.crosses = 0
  LEFT JOIN away a ON a.worker_id = e.worker_id
  LEFT JOIN rested r ON r.worker_id = e.worker_id
  WHERE a.worker_id IS NULL AND r.worker_id IS NULL
),
pd AS (
  SELECT d.worker_id, d.local_date, d.first_in, d.last_out, d.worked_minutes, d.flags,
         c.day_kind, r.employer_id, r.pay_kind, r.rate, r.unit, r.std, r.otw, r.otr, r.oth,
         CASE WHEN d.local_date >= r.start_date
               AND (r.end_date IS NULL OR d.local_date <= r.end_date) THEN 1 ELSE 0 END
           AS employed
  FROM days d JOIN regular r ON r.worker_id = d.worker_id
  JOIN cal c ON c.local_date = d.local_date
),
sp AS (
  SELECT pd.*,
    CASE WHEN employed = 1 AND worked_minutes > 0 THEN worked_minutes ELSE 0 END AS paid_m
  FROM pd
),
mn AS (
  SELECT sp.*,
    CASE WHEN paid_m > 0 THEN 1 ELSE 0 END AS paid,
    CASE WHEN day_kind = 'workday' THEN
      CASE WHEN paid_m < std THEN paid_m ELSE std END ELSE 0 END AS plain_m,
    CASE WHEN day_kind = 'workday' AND paid_m > std THEN paid_m - std ELSE 0 END AS ext_m,
    CASE WHEN day_kind = 'restday' THEN paid_m ELSE 0 END AS rest_m,
    CASE WHEN day_kind = 'holiday' THEN paid_m ELSE 0 END AS hol_m,
    CAST(unit AS BIGINT) * 100 AS den
  FROM sp
),
nm AS (
  SELECT mn.*,
    CAST(rate AS BIGINT) * plain_m * 100 AS n_p,
    CAST(rate AS BIGINT) * ext_m * otw AS n_x,
    CAST(rate AS BIGINT) * rest_m * otr AS n_r,
    CAST(rate AS BIGINT) * hol_m * oth AS n_h
  FROM mn
),
adj AS (
  SELECT worker_id,
    CAST(SUM(CASE WHEN kind = 'piece_rate' THEN amount_fen ELSE 0 END) AS BIGINT) AS plus,
    CAST(SUM(CASE WHEN kind = 'deduction' THEN amount_fen ELSE 0 END) AS BIGINT) AS minus
  FROM wage_adjustments
  WHERE project_id = :project AND month = :month AND reversed_at IS NULL
  GROUP BY worker_id
),
sums AS (
  SELECT worker_id, MIN(employer_id) AS employer_id, MIN(pay_kind) AS pay_kind,
    MIN(rate) AS rate, MIN(den) AS den, SUM(paid) AS attended, SUM(paid_m) AS worked,
    SUM(plain_m) AS plain_m, SUM(ext_m) AS ext_m, SUM(rest_m) AS rest_m, SUM(hol_m) AS hol_m,
    CAST(SUM(n_p) AS BIGINT) AS s_p, CAST(SUM(n_x) AS BIGINT) AS s_x,
    CAST(SUM(n_r) AS BIGINT) AS s_r, CAST(SUM(n_h) AS BIGINT) AS s_h
  FROM nm GROUP BY worker_id
),
tot AS (
  SELECT sums.*, (2 * (s_p + s_x + s_r + s_h) + den) / (2 * den) AS fen,
    s_p / den AS f_p, s_x / den AS f_x, s_r / den AS f_r, s_h / den AS f_h,
    s_p % den AS r_p, s_x % den AS r_x, s_r % den AS r_r, s_h % den AS r_h
  FROM sums
),
shares AS (
  SELECT tot.*, fen - (f_p + f_x + f_r + f_h) AS short,
    COALESCE(adj.plus, 0) AS plus, COALESCE(adj.minus, 0) AS minus
  FROM tot LEFT JOIN adj ON adj.worker_id = tot.worker_id
),
lines AS (
  SELECT worker_id, employer_id,
    CASE WHEN attended > 0 THEN pay_kind END AS pay_kind,
    CASE WHEN attended > 0 THEN rate END AS rate_fen,
    attended AS attended_days, worked AS worked_minutes, plain_m AS plain_minutes,
    0 AS compensated_minutes, ext_m AS ot_workday_minutes, rest_m AS ot_restday_minutes,
    hol_m AS ot_holiday_minutes,
    {shares},
    plus AS additions_fen, fen + plus AS gross_fen,
    CASE WHEN minus < fen + plus THEN minus ELSE fen + plus END AS deductions_fen,
    fen + plus - CASE WHEN minus < fen + plus THEN minus ELSE fen + plus END AS net_fen
  FROM shares
)
"""

# One day's share of its line's money: its floor, plus a fen for the largest remainders.
_DAY_SHARES = """
, dm AS (
  SELECT nm.*, (n_p + n_x + n_r + n_h) / den AS floor_fen,
    ROW_NUMBER() OVER (
      PARTITION BY worker_id ORDER BY (n_p + n_x + n_r + n_h) % den DESC, local_date
    ) AS place,
    SUM((n_p + n_x + n_r + n_h) / den) OVER (PARTITION BY worker_id) AS floors
  FROM nm
)
"""
# The line days, joined to their lines as ``l`` (``{lines}``: the stored lines of the batch,
# or on PostgreSQL the rows the same statement has just inserted).
_DAYS_SELECT = """
SELECT l.id AS line_id, dm.local_date, dm.day_kind, dm.first_in, dm.last_out,
  dm.plain_m AS plain_minutes, dm.ext_m AS extended_minutes, dm.rest_m AS restday_minutes,
  dm.hol_m AS holiday_minutes, 0 AS compensated_minutes,
  dm.floor_fen + CASE WHEN dm.place <= (l.plain_fen + l.extended_fen + l.restday_fen
    + l.holiday_fen) - dm.floors THEN 1 ELSE 0 END AS money_fen,
  s.shown AS flags, CASE WHEN dm.employed = 1 THEN s.note_here ELSE s.note_away END AS note
FROM dm JOIN {lines}
JOIN shown s ON s.flags = dm.flags
"""
_DAYS = _DAY_SHARES + _DAYS_SELECT.format(
    lines="payroll_lines l ON l.batch_id = :batch AND l.worker_id = dm.worker_id"
)

PARTS = ("p", "x", "r", "h")
PART_COLUMNS = ("plain_fen", "extended_fen", "restday_fen", "holiday_fen")


def _shares() -> str:
    """The four parts by largest remainder: part k gets a fen when fewer than ``short`` parts
    come before it (a larger remainder, or an equal one earlier in the list)."""
    out = []
    for k, part in enumerate(PARTS):
        before = [
            f"CASE WHEN r_{other} {'>=' if j < k else '>'} r_{part} THEN 1 ELSE 0 END"
            for j, other in enumerate(PARTS)
            if j != k
        ]
        out.append(
            f"f_{part} + CASE WHEN {' + '.join(before)} < short THEN 1 ELSE 0 END"
            f" AS {PART_COLUMNS[k]}"
        )
    return ",\n    ".join(out)


@contextmanager
def _month_plan(conn: Connection) -> Iterator[None]:
    """The month's statements hashed and sorted in memory (central/storage/planner.py): the
    planner guesses one row for ``single`` and ``night`` and would loop over 150,000 days per
    worker, and the days' shares sorted on disk."""
    planner.month_memory(conn)
    with planner.hash_joins(conn):
        yield


@dataclass(frozen=True, slots=True)
class MonthQuery:
    """The month's CTEs with their parameters; ``None`` when nothing can be regular."""

    ctes: str
    params: dict[str, Any]


def month_query(conn: Connection, project_id: str, month: str) -> MonthQuery | None:
    """The regular worker-months' CTEs: the calendar of the month, the distinct pay terms and
    the distinct flags of the project (each parsed or written once, in Python), as VALUES."""
    first, last = month_range(month)
    params: dict[str, Any] = {
        "project": project_id,
        "month": month,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "after": (last + timedelta(days=1)).isoformat(),
    }
    terms = list(
        conn.execute(
            text(
                "SELECT DISTINCT terms FROM employments WHERE project_id = :project"
                " AND start_date <= :last AND (end_date IS NULL OR end_date >= :first)"
            ),
            params,
        ).scalars()
    )
    flags = list(
        conn.execute(
            text(
                "SELECT DISTINCT flags FROM attendance_days WHERE project_id = :project"
                " AND local_date >= :first AND local_date <= :last"
            ),
            params,
        ).scalars()
    )
    if not terms or not flags:
        return None
    calendar = work_calendar(conn, project_id)
    cal = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        params[f"cd{i}"], params[f"ck{i}"] = day.isoformat(), calendar.kind(day).value
        cal.append(f"(:cd{i}, :ck{i})")
    pay = []
    for i, stored in enumerate(terms):
        t = PayTerms.model_validate(json.loads(stored))
        unit = 60 if t.pay_kind is PayKind.HOURLY else t.standard_day_minutes
        params[f"pt{i}"], params[f"pk{i}"] = stored, t.pay_kind.value
        numbers = (t.rate_fen, unit, t.standard_day_minutes)
        pcts = (t.ot_workday_pct, t.ot_restday_pct, t.ot_holiday_pct)
        pay.append(f"(:pt{i}, :pk{i}, {', '.join(str(int(n)) for n in (*numbers, *pcts))})")
    shown = []
    for i, stored in enumerate(flags):
        parts = tuple(f for f in stored.split(",") if f)
        params[f"ff{i}"], params[f"fs{i}"] = stored, ",".join(parts)
        params[f"fh{i}"], params[f"fa{i}"] = day_note(parts, True), day_note(parts, False)
        shown.append(
            f"(:ff{i}, :fs{i}, CAST(:fh{i} AS VARCHAR(300)), CAST(:fa{i} AS VARCHAR(300)))"
        )
    ctes = "WITH " + _REGULAR.format(
        cal=", ".join(cal), pay=", ".join(pay), shown=", ".join(shown), shares=_shares()
    )
    return MonthQuery(ctes, params)


def irregular_workers(
    conn: Connection, q: MonthQuery | None, project_id: str, month: str
) -> set[str]:
    """Workers with days or adjustments in the month whose line the Python path computes."""
    if q is None:
        first, last = month_range(month)
        rows = conn.execute(
            text(
                "SELECT worker_id FROM attendance_days WHERE project_id = :project"
                " AND local_date >= :first AND local_date <= :last"
                " UNION SELECT worker_id FROM wage_adjustments WHERE project_id = :project"
                " AND month = :month AND reversed_at IS NULL"
            ),
            {
                "project": project_id,
                "first": first.isoformat(),
                "last": last.isoformat(),
                "month": month,
            },
        )
        return set(rows.scalars())
    sql = q.ctes + (
        "SELECT worker_id FROM days UNION SELECT worker_id FROM wage_adjustments"
        " WHERE project_id = :project AND month = :month AND reversed_at IS NULL"
        " EXCEPT SELECT worker_id FROM regular"
    )
    with _month_plan(conn):
        return set(conn.execute(text(sql), q.params).scalars())


def line_rows(conn: Connection, q: MonthQuery | None) -> list[dict[str, object]]:
    """The regular lines as compute.py's line dicts (for approval's comparison)."""
    if q is None:
        return []
    with _month_plan(conn):
        rows = conn.execute(text(q.ctes + f"SELECT {', '.join(LINE_KEYS)} FROM lines"), q.params)
        return [dict(r._mapping) for r in rows]


def day_rows(conn: Connection, q: MonthQuery | None, batch_id: int) -> list[dict[str, object]]:
    """The regular lines' days as stored for batch ``batch_id`` would be (tests compare)."""
    if q is None:
        return []
    with _month_plan(conn):
        rows = conn.execute(text(q.ctes + _DAYS), {**q.params, "batch": batch_id})
        return [dict(r._mapping) for r in rows]


def insert(conn: Connection, q: MonthQuery | None, batch_id: int) -> None:
    """INSERT … SELECT the regular lines of the month into the batch, then their days."""
    if q is None:
        return
    params = {**q.params, "batch": batch_id}
    columns = ", ".join(LINE_KEYS)
    with _month_plan(conn):
        _insert(conn, q, params, columns)


def _insert(conn: Connection, q: MonthQuery, params: dict[str, Any], columns: str) -> None:
    into_lines = f"INSERT INTO payroll_lines (batch_id, state, paid_fen, confirmation, {columns}) "
    lines = f"SELECT :batch, 'pending', 0, 'none', {columns} FROM lines"
    into_days = f"INSERT INTO payroll_line_days ({', '.join(('line_id', *DAY_COLUMNS))}) "
    if conn.dialect.name == "postgresql":
        # One statement: the lines inserted inside the WITH hand their ids and parts to the
        # days, so the month's days are split and priced once (twice was half of the time).
        parts = ", ".join(PART_COLUMNS)
        conn.execute(
            text(
                q.ctes
                + _DAY_SHARES
                + f", new_lines AS ({into_lines}{lines} RETURNING id, worker_id, {parts}) "
                + into_days
                + _DAYS_SELECT.format(lines="new_lines l ON l.worker_id = dm.worker_id")
            ),
            params,
        )
        return
    conn.execute(text(into_lines + q.ctes + lines), params)
    conn.execute(text(into_days + q.ctes + _DAYS), params)


@dataclass(slots=True)
class Findings:
    """The wage-law findings of the regular lines of a batch (compute.Computed's fields)."""

    long_days: list[tuple[str, int, date, int]]
    long_months: list[tuple[str, int, int]]
    below_minimum: list[tuple[str, int]]


def findings(
    conn: Connection, q: MonthQuery | None, batch_id: int, minimum: int | None, skip: set[str]
) -> Findings:
    """Long days, long months and pay below the minimum, read from the stored regular lines
    (the Python path's own workers, ``skip``, bring their findings with them)."""
    out = Findings([], [], [])
    if q is None:
        return out
    params = {**q.params, "batch": batch_id, "long_day": DAILY_EXTENDED_LIMIT}
    # The batch's line ids bound the line days read (by their index): a join on batch_id alone
    # scanned every batch's line days, a cost growing with every month stored.
    params["low"], params["high"] = conn.execute(
        text("SELECT MIN(id), MAX(id) FROM payroll_lines WHERE batch_id = :batch"), params
    ).one()
    for w, emp, d, m in conn.execute(
        text(
            "SELECT l.worker_id, l.employer_id, d.local_date, d.extended_minutes"
            " FROM payroll_line_days d JOIN payroll_lines l ON l.id = d.line_id"
            " WHERE l.batch_id = :batch AND d.line_id BETWEEN :low AND :high"
            " AND d.extended_minutes > :long_day"
        ),
        params,
    ):
        if w not in skip:
            out.long_days.append((w, int(emp), date.fromisoformat(d), int(m)))
    for w, emp, m in conn.execute(
        text(
            "SELECT worker_id, employer_id,"
            " ot_workday_minutes + ot_restday_minutes + ot_holiday_minutes"
            " FROM payroll_lines WHERE batch_id = :batch"
            " AND ot_workday_minutes + ot_restday_minutes + ot_holiday_minutes > :long_month"
        ),
        {**params, "long_month": MONTHLY_OVERTIME_LIMIT},
    ):
        if w not in skip:
            out.long_months.append((w, int(emp), int(m)))
    if minimum:
        sql = q.ctes + (
            "SELECT r.worker_id, CAST(r.rate AS BIGINT) * 6000 / (CAST(r.unit AS BIGINT) * 100)"
            " FROM regular r JOIN payroll_lines l"
            " ON l.batch_id = :batch AND l.worker_id = r.worker_id"
            " WHERE l.worked_minutes > 0"
            " AND CAST(r.rate AS BIGINT) * 6000 < CAST(:minimum AS BIGINT) * r.unit * 100"
        )
        with _month_plan(conn):
            found = conn.execute(text(sql), {**params, "minimum": minimum}).all()
        for w, per_hour in found:
            if w not in skip:
                out.below_minimum.append((w, int(per_hour)))
    out.long_days.sort()
    out.long_months.sort()
    out.below_minimum.sort()
    return out
