"""Per-kind projections: the queryable row each event kind adds beside the raw event.

The ``events`` table keeps every event exactly as signed (evidence); a projection is the
same event flattened into the table that queries use (attendance, dust readings, …). To
store a new kind, add its table to the schema and one function here: the write path is
generic, and a projection row is written in the same transaction as its event, only when
the event is new.
"""

import json
from collections.abc import Callable

from sqlalchemy import Table

from central.clock import utc_us
from central.storage import schema
from wireproto import Envelope
from wireproto.messages import AttendanceBody, DustAlarmBody, DustReadingBody

Row = dict[str, object]


def attendance_row(env: Envelope) -> Row:
    body = env.body
    assert isinstance(body, AttendanceBody)
    return {
        "site": env.site,
        "device": env.device,
        "worker_id": body.worker_id,
        "direction": body.direction,
        "method": body.method,
        "distance": body.distance,
        "liveness": body.liveness,
        "captured_at": body.captured_at.isoformat(),
        "captured_utc_us": utc_us(body.captured_at),
        # The device stamps local site time with its offset: the date part is the site's date.
        "local_date": body.captured_at.date().isoformat(),
    }


def dust_reading_row(env: Envelope) -> Row:
    body = env.body
    assert isinstance(body, DustReadingBody)
    return {
        "site": env.site,
        "device": env.device,
        "sensor": body.sensor,
        "window": body.window,
        "window_start": body.window_start.isoformat(),
        "window_end": body.window_end.isoformat(),
        "start_utc_us": utc_us(body.window_start),
        "pm1_0": body.pm1_0,
        "pm2_5": body.pm2_5,
        "pm10": body.pm10,
        "tsp": body.tsp,
        "humidity": body.humidity,
        "samples": body.samples,
        "expected_samples": body.expected_samples,
        "flags": json.dumps(body.flags),
    }


def dust_alarm_row(env: Envelope) -> Row:
    body = env.body
    assert isinstance(body, DustAlarmBody)
    return {
        "site": env.site,
        "device": env.device,
        "state": body.state,
        "pollutant": body.pollutant,
        "value": body.value,
        "limit_value": body.limit,
        "profile": body.profile,
        "window": body.window,
        "at": body.at.isoformat(),
        "at_utc_us": utc_us(body.at),
        "exceedances_today": body.exceedances_today,
        "allowed_per_day": body.allowed_per_day,
    }


PROJECTIONS: dict[str, tuple[Table, Callable[[Envelope], Row]]] = {
    "attendance": (schema.attendance, attendance_row),
    "dust_reading": (schema.dust_readings, dust_reading_row),
    "dust_alarm": (schema.dust_alarms, dust_alarm_row),
}


def project(env: Envelope) -> tuple[Table, Row] | None:
    """The projection table and row for ``env``, or None for kinds kept only as raw events."""
    entry = PROJECTIONS.get(env.kind)
    if entry is None:
        return None
    table, build = entry
    return table, build(env)
