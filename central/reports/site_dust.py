"""Per-site dust for supervisors: current PM2.5/PM10 against the site's limits, 24 h, alarms.

Two views over central's dust tables (``dust_readings``, ``dust_alarms``: the gates' window
means and alarm changes, central/ingest/projections.py), each used by its API route and its
console page alike:

- :func:`sites_select`: one row per site in scope that has dust data (a SELECT, for the
  table component): its newest 15-minute means, alarms raised in the last 24 h, and whether
  its newest alarm change left an alarm raised;
- :func:`site_dust`: one site in detail: each limit of its profile with the current value it
  applies to, the last 24 h of readings (the chart and the table beside it), the alarm
  changes of those 24 h, and the mist cannon as its gate reports it.

The site's limit profile is the one its gates name in their alarms (the gate applies the
profile of its config, firmware_config/dust.py); a site whose gates never raised an alarm
has told central nothing, so :data:`DEFAULT_PROFILE` is used and ``profile_known`` is false,
which the page says. Concentrations are µg/m³ as the gates averaged them.
"""

import json
from collections.abc import Collection
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Connection, Select, case, exists, func, literal, select

from central.storage import schema
from central.storage.project_scope import in_scope
from firmware_config.dust_profiles import PROFILES, WINDOW_SECONDS, Rule

DEFAULT_PROFILE = "gb3095-2012"
DAY_US = 86_400 * 1_000_000
#: The window the chart and the list's "current" figures use, and the fallbacks in order.
CHART_WINDOWS = ("15min", "1h", "1min")


def _scope(projects: Collection[str] | None) -> Any:
    return in_scope(schema.projects.c.id, projects)


def _latest_15min(column: str) -> Any:
    r, p = schema.dust_readings.c, schema.projects.c
    return (
        select(r[column])
        .where(r.site == p.id, r.window == "15min", r[column].is_not(None))
        .order_by(r.start_utc_us.desc(), r.event_id.desc())
        .limit(1)
        .scalar_subquery()
    )


def sites_select(projects: Collection[str] | None, now_us: int) -> Select[Any]:
    """Sites in scope with dust data: newest 15-min PM2.5/PM10, alarms of the last 24 h."""
    r, a, p = schema.dust_readings.c, schema.dust_alarms.c, schema.projects.c
    last_reading = select(func.max(r.window_end)).where(r.site == p.id).scalar_subquery()
    raised_24h = (
        select(func.count())
        .where(a.site == p.id, a.state == "raised", a.at_utc_us >= now_us - DAY_US)
        .scalar_subquery()
    )
    newest_alarm = (
        select(a.state)
        .where(a.site == p.id)
        .order_by(a.at_utc_us.desc(), a.event_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    profile = (
        select(a.profile)
        .where(a.site == p.id)
        .order_by(a.at_utc_us.desc(), a.event_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    has_data = exists().where(r.site == p.id) | exists().where(a.site == p.id)
    return select(
        p.id.label("site"),
        p.name.label("project"),
        p.division_code.label("division_code"),
        last_reading.label("last_reading"),
        _latest_15min("pm2_5").label("pm2_5"),
        _latest_15min("pm10").label("pm10"),
        raised_24h.label("alarms_24h"),
        case((newest_alarm == "raised", literal("raised")), else_=literal("clear")).label("alarm"),
        func.coalesce(profile, literal(DEFAULT_PROFILE)).label("profile"),
        case((profile.is_(None), literal("default")), else_=literal("reported")).label(
            "profile_source"
        ),
    ).where(_scope(projects), has_data)


class DustSiteRow(BaseModel):
    """One site of ``GET /api/v1/fleet/dust`` and the console's dust list."""

    site: str
    project: str | None
    division_code: str | None
    last_reading: str | None = Field(description="end of the newest window, site time")
    pm2_5: float | None = Field(description="newest 15-minute mean, µg/m³")
    pm10: float | None = Field(description="newest 15-minute mean, µg/m³")
    alarms_24h: int = Field(description="alarms raised in the last 24 h")
    alarm: Literal["raised", "clear"] = Field(description="by the site's newest alarm change")
    profile: str
    profile_source: Literal["reported", "default"] = Field(
        description="reported: named by the site's gates in their alarms; default: not yet known"
    )


class LimitCheck(BaseModel):
    """One rule of the site's profile and the current value it applies to."""

    pollutant: str
    window: str = Field(description="the rule's averaging window: 1min, 15min, 1h or 24h")
    limit: float = Field(description="µg/m³")
    max_per_day: int | None = Field(description="exceedances a day may have; null: none")
    value: float | None = Field(description="the current mean for this rule; null: no data")
    basis: Literal["newest", "mean_24h"] | None = Field(
        description="newest: the newest mean of the rule's window; mean_24h (a 24 h rule): "
        "the mean of the last 24 h of ``basis_window`` means (hourly, else 15-minute)"
    )
    basis_window: str | None
    windows_used: int = Field(description="window means averaged into value")
    exceeded: bool | None = Field(description="value above limit; null: no data")


class ReadingPoint(BaseModel):
    device: str
    window: str
    window_start: str
    window_end: str
    pm2_5: float | None
    pm10: float | None
    tsp: float | None
    flags: list[str]


class AlarmChange(BaseModel):
    device: str
    at: str
    state: str = Field(description="raised | cleared")
    pollutant: str
    value: float
    limit: float
    window: str
    profile: str
    exceedances_today: int | None
    allowed_per_day: int | None


class MistCannon(BaseModel):
    device: str
    state: str = Field(description="on | off, as the gate's last status reported it")
    reported_at: str | None


class SiteDust(BaseModel):
    """One site's dust as ``GET /api/v1/fleet/dust/{site}`` and its console page show it."""

    site: str
    project: str | None
    profile: str
    profile_title: str
    profile_known: bool = Field(
        description="false: no gate of the site has named its profile yet; the default applies"
    )
    limits: list[LimitCheck]
    chart_window: str | None = Field(description="the window length of ``readings``")
    readings: list[ReadingPoint] = Field(description="the last 24 h, oldest first")
    alarms: list[AlarmChange] = Field(description="alarm changes of the last 24 h, newest first")
    alarms_raised_24h: int
    mist_cannons: list[MistCannon] = Field(description="empty: no gate reports a mist cannon")


def _profile(conn: Connection, site: str) -> tuple[str, bool]:
    a = schema.dust_alarms.c
    named = conn.execute(
        select(a.profile)
        .where(a.site == site)
        .order_by(a.at_utc_us.desc(), a.event_id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if named is not None and named in PROFILES:
        return named, True
    return DEFAULT_PROFILE, False


def _last_day(window: str, now_us: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Windows of length ``window`` that ended in the 24 h before ``now_us`` (and began by it)."""
    start = schema.dust_readings.c.start_utc_us
    length = WINDOW_SECONDS[window] * 1_000_000
    return start > now_us - DAY_US - length, start <= now_us


def _check(conn: Connection, site: str, rule: Rule, now_us: int) -> LimitCheck:
    r = schema.dust_readings.c
    column = r[rule.pollutant]
    value: float | None = None
    basis: Literal["newest", "mean_24h"] | None = None
    basis_window: str | None = None
    used = 0
    if rule.window == "24h":
        for window in ("1h", "15min"):
            mean, n = conn.execute(
                select(func.avg(column), func.count(column)).where(
                    r.site == site, r.window == window, *_last_day(window, now_us)
                )
            ).one()
            if n:
                value, used, basis = round(float(mean), 1), int(n), "mean_24h"
                basis_window = window
                break
    else:
        newest = conn.execute(
            select(column)
            .where(r.site == site, r.window == rule.window, column.is_not(None))
            .order_by(r.start_utc_us.desc(), r.event_id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if newest is not None:
            value, used, basis, basis_window = float(newest), 1, "newest", rule.window
    return LimitCheck(
        pollutant=rule.pollutant,
        window=rule.window,
        limit=rule.limit,
        max_per_day=rule.max_per_day,
        value=value,
        basis=basis,
        basis_window=basis_window,
        windows_used=used,
        exceeded=None if value is None else value > rule.limit,
    )


def _mist(conn: Connection, site: str) -> list[MistCannon]:
    d = schema.devices.c
    cannons = []
    for device, status, at in conn.execute(
        select(d.device, d.status, d.status_at).where(d.site == site).order_by(d.device)
    ):
        sensors = (json.loads(status) if status else {}).get("sensors") or {}
        for key, state in sorted(sensors.items()):
            if key.endswith(".mist") and state in ("on", "off"):
                cannons.append(MistCannon(device=device, state=state, reported_at=at))
    return cannons


def site_dust(conn: Connection, site: str, now_us: int) -> SiteDust:
    """``site``'s dust as of ``now_us`` (UTC µs); the caller has checked the site is in scope."""
    name, known = _profile(conn, site)
    profile = PROFILES[name]
    r, a = schema.dust_readings.c, schema.dust_alarms.c
    since = now_us - DAY_US
    chart_window, points = None, []
    for window in CHART_WINDOWS:
        rows = conn.execute(
            select(schema.dust_readings)
            .where(r.site == site, r.window == window, *_last_day(window, now_us))
            .order_by(r.start_utc_us, r.device, r.event_id)
        ).all()
        if rows:
            chart_window = window
            points = [
                ReadingPoint(
                    device=row.device,
                    window=row.window,
                    window_start=row.window_start,
                    window_end=row.window_end,
                    pm2_5=row.pm2_5,
                    pm10=row.pm10,
                    tsp=row.tsp,
                    flags=json.loads(row.flags),
                )
                for row in rows
            ]
            break
    alarms = [
        AlarmChange(
            device=row.device,
            at=row.at,
            state=row.state,
            pollutant=row.pollutant,
            value=row.value,
            limit=row.limit_value,
            window=row.window,
            profile=row.profile,
            exceedances_today=row.exceedances_today,
            allowed_per_day=row.allowed_per_day,
        )
        for row in conn.execute(
            select(schema.dust_alarms)
            .where(a.site == site, a.at_utc_us >= since, a.at_utc_us <= now_us)
            .order_by(a.at_utc_us.desc(), a.event_id.desc())
        )
    ]
    project = conn.execute(
        select(schema.projects.c.name).where(schema.projects.c.id == site)
    ).scalar_one_or_none()
    return SiteDust(
        site=site,
        project=project,
        profile=name,
        profile_title=profile.title,
        profile_known=known,
        limits=[_check(conn, site, rule, now_us) for rule in profile.rules],
        chart_window=chart_window,
        readings=points,
        alarms=alarms,
        alarms_raised_24h=sum(1 for x in alarms if x.state == "raised"),
        mist_cannons=_mist(conn, site),
    )
