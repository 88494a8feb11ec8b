"""Dust data as the gates averaged it: window means and alarm changes, per site and period.

One resource for both, because whoever reads dust levels (a supervisor, an inspector) needs
the alarms of the same period beside them. Times in responses are the gates' own site-time
stamps with offset; the range is given as instants with an offset, so a query means the same
wherever it is made from.
"""

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel
from sqlalchemy import select

from central.api.deps import DbDep
from central.api.errors import AUTHENTICATED, error_responses
from central.auth.deps import CurrentUser
from central.auth.scope import require_project
from central.ingest.projections import utc_us
from central.storage import schema
from central.validation import ProjectId

router = APIRouter(
    prefix="/api/v1/dust", tags=["dust"], responses=error_responses(*AUTHENTICATED, 404)
)


class DustReadingPublic(BaseModel):
    event_id: str
    site: str
    device: str
    sensor: str
    window: str
    window_start: str
    window_end: str
    pm1_0: float | None
    pm2_5: float | None
    pm10: float | None
    tsp: float | None
    humidity: float | None
    samples: int
    expected_samples: int
    flags: list[str]
    received_at: str


class DustAlarmPublic(BaseModel):
    event_id: str
    site: str
    device: str
    state: str
    pollutant: str
    value: float
    limit: float
    profile: str
    window: str
    at: str
    exceedances_today: int | None
    allowed_per_day: int | None
    received_at: str


class DustPublic(BaseModel):
    site: str
    window: str
    readings: list[DustReadingPublic]
    alarms: list[DustAlarmPublic]


@router.get("", response_model=DustPublic)
def dust(
    db: DbDep,
    who: CurrentUser,
    site: Annotated[ProjectId, Query()],
    window: Annotated[Literal["1min", "15min", "1h"], Query(description="averaging window")] = (
        "15min"
    ),
    start: Annotated[
        AwareDatetime | None, Query(description="windows starting at or after (with offset)")
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(description="windows starting before (with offset)")
    ] = None,
    device: ProjectId | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 2000,
) -> DustPublic:
    """Readings of one window length and every alarm change of the site in ``[start, end)``."""
    r = schema.dust_readings.c
    readings = (
        select(schema.dust_readings)
        .where(r.site == site, r.window == window)
        .order_by(r.start_utc_us, r.device, r.event_id)
    )
    a = schema.dust_alarms.c
    alarms = select(schema.dust_alarms).where(a.site == site).order_by(a.at_utc_us, a.event_id)
    if start is not None:
        readings = readings.where(r.start_utc_us >= utc_us(start))
        alarms = alarms.where(a.at_utc_us >= utc_us(start))
    if end is not None:
        readings = readings.where(r.start_utc_us < utc_us(end))
        alarms = alarms.where(a.at_utc_us < utc_us(end))
    if device:
        readings = readings.where(r.device == device)
        alarms = alarms.where(a.device == device)
    with db.engine.connect() as conn:
        require_project(conn, who, site)  # scope: 404 outside the caller's projects
        reading_rows = [
            {**row._asdict(), "flags": json.loads(row.flags)}
            for row in conn.execute(readings.limit(limit))
        ]
        alarm_rows = [
            {**row._asdict(), "limit": row.limit_value} for row in conn.execute(alarms.limit(limit))
        ]
    return DustPublic.model_validate(
        {"site": site, "window": window, "readings": reading_rows, "alarms": alarm_rows}
    )
