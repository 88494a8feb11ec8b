"""The overview's five key indicators, their rankings, the wages-paid trend and arrears summary.

Each indicator is a rate with its numerator and denominator, computed per project in the
caller's scope and summed upwards (county = the project's GB/T 2260 code, city = its first
four digits + ``00``, jurisdiction = all), so a city's rate is its projects' numerators over
their denominators, never an average of rates. ``today`` is the deployment's date.

- **real-name entry** (实名制录入率): of the worker-days on the project in the 30 days ending
  today (a worker with a check-in there on a date), those of workers with an employment on
  that project (registered there); read from ``site_days`` (central/storage/presence.py);
- **card issuance** (工资卡发放率): of the workers employed on the project today (an
  employment running on ``today``), those with a payroll card on record that the bank has not
  refused (``card_hash`` set, ``card_valid`` = 1); read from ``staff_spans``
  (central/registry/staff_spans.py, kept with the employments and cards);
- **special wage account** (专户开设率): projects with a special wage account recorded, over
  projects (per project: 1/1 or 0/1);
- **on-line payroll** (线上发放率): of the workers employed on the project today, those who
  have been paid on it through the platform (a payroll line with ``paid_fen`` > 0, kept in
  ``paid_workers`` and ``staff_spans`` as bank results are imported);
- **attendance upload** (考勤上传率): projects under construction whose gates uploaded a
  check-in dated today, over projects under construction (other projects count in neither).
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import Connection, Select, and_, func, select

from central.registry import divisions, staff_spans
from central.storage import schema
from central.storage.project_scope import in_scope

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

    @classmethod
    def of(cls, counts: "Counts") -> "Indicators":
        """From (numerator, denominator) pairs in :data:`INDICATORS` order; the counts come
        from the database as ints, so the models are built without validating them again (a
        province's thousand projects and their sums: tens of milliseconds saved a load)."""
        rate = Rate.model_construct
        return cls.model_construct(
            real_name=rate(numerator=counts[0], denominator=counts[1]),
            card_issuance=rate(numerator=counts[2], denominator=counts[3]),
            wage_account=rate(numerator=counts[4], denominator=counts[5]),
            online_payroll=rate(numerator=counts[6], denominator=counts[7]),
            attendance_upload=rate(numerator=counts[8], denominator=counts[9]),
        )


#: The five indicators of one area as plain ints: numerator, denominator, in INDICATORS order.
Counts = tuple[int, int, int, int, int, int, int, int, int, int]


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
    p = schema.projects.c
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
    ss = schema.staff_spans.c
    cards: dict[str, tuple[int, int]] = {}
    online: dict[str, tuple[int, int]] = {}
    for project_id, n, n_carded, n_paid in conn.execute(
        select(ss.project_id, func.count(), func.sum(ss.card_ok), func.sum(ss.paid))
        .where(staff_spans.running(day), in_scope(ss.project_id, projects))
        .group_by(ss.project_id)
    ):
        cards[project_id] = (int(n), int(n_carded or 0))
        online[project_id] = (int(n), int(n_paid or 0))
    wa = schema.project_wage_accounts.c
    accounts = set(
        conn.execute(select(wa.project_id).where(in_scope(wa.project_id, projects))).scalars()
    )
    uploaded = set(
        conn.execute(
            select(sd.site).where(sd.local_date == day, sd.workers > 0, in_scope(sd.site, projects))
        ).scalars()
    )
    counts: dict[str, Counts] = {}
    for row in rows:
        building = int(row.status == "under_construction")
        counts[row.id] = (
            *_pair(real_name.get(row.id)),
            *_pair(cards.get(row.id)),
            int(row.id in accounts),
            1,
            *_pair(online.get(row.id)),
            building and int(row.id in uploaded),
            building,
        )
    codes = {row.id: row.division_code or "" for row in rows}
    named = divisions.names(conn, {*codes.values(), *map(city_of, codes.values())})
    return KeyIndicators(
        today=today,
        total=Indicators.of(_summed(counts.values())),
        cities=_sum_up(counts, "city", lambda pid: city_of(codes[pid]), named),
        counties=_sum_up(counts, "county", lambda pid: codes[pid], named),
        projects=[
            Area.model_construct(
                level="project", key=row.id, name=row.name, indicators=Indicators.of(counts[row.id])
            )
            for row in rows
        ],
    )


def _pair(counts: tuple[int, int] | None) -> tuple[int, int]:
    """``(numerator, denominator)`` from ``(denominator, numerator)`` as the grouped queries
    return them."""
    return (0, 0) if counts is None else (counts[1], counts[0])


def _summed(many: Iterable[Counts]) -> Counts:
    return tuple(map(sum, zip(*many, strict=True))) or (0,) * 10  # type: ignore[return-value]  # ten columns in, ten sums out


def _sum_up(
    counts: dict[str, Counts], level: Level, key_of: Callable[[str], str], named: dict[str, str]
) -> list[Area]:
    """Areas of ``level``: each one's projects' numerators over their denominators, named by
    the division table (an unknown code is its own name)."""
    grouped: dict[str, list[Counts]] = defaultdict(list)
    for project_id, project_counts in counts.items():
        grouped[key_of(project_id)].append(project_counts)
    return [
        Area.model_construct(
            level=level, key=key, name=named.get(key, key), indicators=Indicators.of(_summed(c))
        )
        for key, c in sorted(grouped.items())
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
    named = divisions.names(conn, cities)
    by_city = [
        ArrearsGroup(key=k, name=named.get(k, k), cases=v[0], amount_fen=v[1], workers=v[2])
        for k, v in sorted(cities.items())
    ]
    return ArrearsSummary(
        open_cases=sum(g.cases for g in by_project),
        amount_fen=sum(g.amount_fen for g in by_project),
        workers=sum(g.workers for g in by_project),
        by_city=sorted(by_city, key=lambda g: -g.amount_fen),
        by_project=sorted(by_project, key=lambda g: -g.amount_fen),
    )
