"""The overview's five key indicators, their rankings, the wages-paid trend and arrears summary.

Each indicator is a rate with its numerator and denominator, computed per project in the
caller's scope and summed upwards (county = the project's GB/T 2260 code, city = its first
four digits + ``00``, jurisdiction = all), so a city's rate is its projects' numerators over
their denominators, never an average of rates. ``today`` is the deployment's date.

- **real-name entry** (实名制录入率): of the worker-days on the project in the 30 days ending
  today (a worker with a check-in there on a date), those of workers with an employment on
  that project (registered there); read from ``site_days`` (central/attendance/presence.py);
- **card issuance** (工资卡发放率): of the workers employed on the project today (an
  employment running on ``today``), those with a payroll card on record that the bank has not
  refused (``card_hash`` set, ``card_valid`` = 1);
- **special wage account** (专户开设率): projects with a special wage account recorded, over
  projects (per project: 1/1 or 0/1);
- **on-line payroll** (线上发放率): of the workers employed on the project today, those who
  have been paid on it through the platform (a payroll line with ``paid_fen`` > 0, kept in
  ``paid_workers`` as bank results are imported);
- **attendance upload** (考勤上传率): projects under construction whose gates uploaded a
  check-in dated today, over projects under construction (other projects count in neither).
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import Connection, Select, and_, case, func, or_, select

from central.reports.overview import in_scope
from central.storage import schema

REAL_NAME_DAYS = 30
INDICATORS = ("real_name", "card_issuance", "wage_account", "online_payroll", "attendance_upload")
Indicator = Literal[
    "real_name", "card_issuance", "wage_account", "online_payroll", "attendance_upload"
]
Level = Literal["city", "county", "project"]


class Rate(BaseModel):
    numerator: int
    denominator: int

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented pattern; mypy rejects decorated properties
    @property
    def pct(self) -> float | None:
        return round(100 * self.numerator / self.denominator, 1) if self.denominator else None


class Indicators(BaseModel):
    """The five rates of one project, county, city or the whole jurisdiction."""

    real_name: Rate = Field(default_factory=lambda: Rate(numerator=0, denominator=0))
    card_issuance: Rate = Field(default_factory=lambda: Rate(numerator=0, denominator=0))
    wage_account: Rate = Field(default_factory=lambda: Rate(numerator=0, denominator=0))
    online_payroll: Rate = Field(default_factory=lambda: Rate(numerator=0, denominator=0))
    attendance_upload: Rate = Field(default_factory=lambda: Rate(numerator=0, denominator=0))

    def add(self, other: "Indicators") -> None:
        for name in INDICATORS:
            mine, theirs = getattr(self, name), getattr(other, name)
            mine.numerator += theirs.numerator
            mine.denominator += theirs.denominator


class Area(BaseModel):
    """One row of a ranking: a city, a county or a project, with its five rates."""

    level: Level
    key: str  # division code, or the project id
    name: str
    indicators: Indicators


class KeyIndicators(BaseModel):
    today: date
    total: Indicators
    cities: list[Area]
    counties: list[Area]
    projects: list[Area]


def city_of(division_code: str | None) -> str:
    return (division_code or "")[:4].ljust(4, "0") + "00" if division_code else ""


def _counts(conn: Connection, query: Select[str, int, int]) -> dict[str, tuple[int, int]]:
    """``{project: (denominator, numerator)}`` from a grouped (key, count, sum) query."""
    return {r[0]: (int(r[1]), int(r[2] or 0)) for r in conn.execute(query)}


def key_indicators(
    conn: Connection, projects: Collection[str] | None, today: date
) -> KeyIndicators:
    """The five indicators per project in scope, summed to counties, cities and the total."""
    p, e, w = schema.projects.c, schema.employments.c, schema.workers.c
    day = today.isoformat()
    first = (today - timedelta(days=REAL_NAME_DAYS - 1)).isoformat()
    rows = conn.execute(
        select(p.id, p.name, p.division_code, p.status).where(in_scope(p.id, projects))
    ).all()
    sd = schema.site_days.c
    real_name = _counts(
        conn,
        select(sd.site, func.sum(sd.workers), func.sum(sd.registered))
        .where(sd.local_date >= first, sd.local_date <= day, in_scope(sd.site, projects))
        .group_by(sd.site),
    )
    employed = (
        select(e.project_id, e.worker_id)
        .where(
            in_scope(e.project_id, projects),
            e.start_date <= day,
            or_(e.end_date.is_(None), e.end_date >= day),
        )
        .distinct()
        .subquery()
    )
    pw = schema.paid_workers.c
    carded = and_(w.card_hash.is_not(None), w.card_valid == 1)
    cards: dict[str, tuple[int, int]] = {}
    online: dict[str, tuple[int, int]] = {}
    for project_id, n, n_carded, n_paid in conn.execute(
        select(
            employed.c.project_id,
            func.count(),
            func.sum(case((carded, 1), else_=0)),
            func.count(pw.worker_id),
        )
        .select_from(
            employed.join(schema.workers, w.id == employed.c.worker_id).outerjoin(
                schema.paid_workers,
                and_(pw.project_id == employed.c.project_id, pw.worker_id == employed.c.worker_id),
            )
        )
        .group_by(employed.c.project_id)
    ):
        cards[project_id] = (int(n), int(n_carded or 0))
        online[project_id] = (int(n), int(n_paid))
    wa = schema.project_wage_accounts.c
    accounts = set(
        conn.execute(select(wa.project_id).where(in_scope(wa.project_id, projects))).scalars()
    )
    uploaded = set(
        conn.execute(
            select(sd.site).where(sd.local_date == day, sd.workers > 0, in_scope(sd.site, projects))
        ).scalars()
    )
    areas: list[Area] = []
    for row in rows:
        ind = Indicators(
            real_name=_rate(real_name.get(row.id)),
            card_issuance=_rate(cards.get(row.id)),
            wage_account=Rate(numerator=int(row.id in accounts), denominator=1),
            online_payroll=_rate(online.get(row.id)),
            attendance_upload=Rate(
                numerator=int(row.status == "under_construction" and row.id in uploaded),
                denominator=int(row.status == "under_construction"),
            ),
        )
        areas.append(Area(level="project", key=row.id, name=row.name, indicators=ind))
    codes = {row.id: row.division_code or "" for row in rows}
    total = Indicators()
    for area in areas:
        total.add(area.indicators)
    return KeyIndicators(
        today=today,
        total=total,
        cities=_sum_up(areas, "city", lambda pid: city_of(codes[pid])),
        counties=_sum_up(areas, "county", lambda pid: codes[pid]),
        projects=areas,
    )


def _rate(counts: tuple[int, int] | None) -> Rate:
    """``(denominator, numerator)`` as the grouped queries return them."""
    if counts is None:
        return Rate(numerator=0, denominator=0)
    return Rate(numerator=counts[1], denominator=counts[0])


def _sum_up(areas: Iterable[Area], level: Level, key_of: Callable[[str], str]) -> list[Area]:
    summed: dict[str, Indicators] = defaultdict(Indicators)
    for area in areas:
        summed[key_of(area.key)].add(area.indicators)
    return [
        Area(level=level, key=key, name=key, indicators=ind) for key, ind in sorted(summed.items())
    ]


def ranked(areas: list[Area], indicator: Indicator) -> list[Area]:
    """Highest rate first; areas without a denominator last; ties by key."""

    def order(area: Area) -> tuple[int, float, str]:
        pct = getattr(area.indicators, indicator).pct
        return (pct is None, -(pct or 0.0), area.key)

    return sorted(areas, key=order)


class MonthPaid(BaseModel):
    month: str
    paid_fen: int
    lines: int


def monthly_paid(
    conn: Connection, projects: Collection[str] | None, today: date, months: int = 12
) -> list[MonthPaid]:
    """Wages paid through the platform per month (of ``paid_at``), the ``months`` ending now."""
    wanted: list[str] = []
    y, m = today.year, today.month
    for _ in range(months):
        wanted.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    wanted.reverse()
    pm = schema.paid_months.c
    got = {
        r.month: (int(r.fen), int(r.lines))
        for r in conn.execute(
            select(pm.month, func.sum(pm.paid_fen).label("fen"), func.sum(pm.lines).label("lines"))
            .where(pm.month >= wanted[0], pm.month <= wanted[-1], in_scope(pm.project_id, projects))
            .group_by(pm.month)
        )
    }
    return [
        MonthPaid(month=mo, paid_fen=got.get(mo, (0, 0))[0], lines=got.get(mo, (0, 0))[1])
        for mo in wanted
    ]


class ArrearsGroup(BaseModel):
    key: str  # city division code, or project id
    name: str
    cases: int
    amount_fen: int
    workers: int


class ArrearsSummary(BaseModel):
    open_cases: int
    amount_fen: int
    workers: int
    by_city: list[ArrearsGroup]
    by_project: list[ArrearsGroup]


def arrears_summary(conn: Connection, projects: Collection[str] | None) -> ArrearsSummary:
    """Open arrears cases in scope: count, amount and workers owed, by city and by project."""
    c, p = schema.arrears_cases.c, schema.projects.c
    rows = conn.execute(
        select(
            c.project_id,
            p.name,
            p.division_code,
            func.count().label("cases"),
            func.sum(c.amount_fen).label("fen"),
            func.sum(c.workers).label("workers"),
        )
        .join(schema.projects, p.id == c.project_id)
        .where(and_(c.status == "open", in_scope(c.project_id, projects)))
        .group_by(c.project_id, p.name, p.division_code)
    ).all()
    by_project = [
        ArrearsGroup(
            key=r.project_id,
            name=r.name,
            cases=r.cases,
            amount_fen=int(r.fen),
            workers=int(r.workers),
        )
        for r in rows
    ]
    cities: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        sums = cities[city_of(r.division_code)]
        sums[0] += r.cases
        sums[1] += int(r.fen)
        sums[2] += int(r.workers)
    by_city = [
        ArrearsGroup(key=k, name=k, cases=v[0], amount_fen=v[1], workers=v[2])
        for k, v in sorted(cities.items())
    ]
    return ArrearsSummary(
        open_cases=sum(g.cases for g in by_project),
        amount_fen=sum(g.amount_fen for g in by_project),
        workers=sum(g.workers for g in by_project),
        by_city=sorted(by_city, key=lambda g: -g.amount_fen),
        by_project=sorted(by_project, key=lambda g: -g.amount_fen),
    )
