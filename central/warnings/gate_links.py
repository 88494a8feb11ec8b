"""A gate's link state over time: when it came online and when it went silent or offline.

Central keeps a gate's *last* signed status only (``devices.status``), which cannot say how
long a gate has been up. This module keeps the transitions (``gate_links``): a row each time
a gate's link state changes, so the newest row per gate is its "online since …" / "offline
since …" (central/reports/fleet.py shows it on the gates page, its JSON twin, its export and
``GET /api/v1/fleet/gates``).

Written by the two places that already judge a gate's liveness:

- the silent-gate watcher (central/warnings/devices.py ``scan_gates``) on every pass, by
  the fleet's own rule (the gate's last signed status) plus silence: a status saying
  ``offline`` (a clean stop, its MQTT last will) is offline since that status; a gate silent
  for the configured time is offline since it was last heard from; a gate whose status says
  online and that is heard from is online, since that status, or after a silence since the
  first event received after it;
- ingest (``after_ingest`` there): a silent gate that sends events is online again at once.

Times are ISO 8601 with their offset as their source stamped them: the gate's signed status
time or event time (the site's local time), or when central received its last event. A gate
never heard from has no row (it is neither online nor offline since any time). Writing only
on change keeps the table one row per outage.
"""

from collections.abc import Collection
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Connection, func, select

from central.clock import now_iso
from central.storage import schema

ONLINE = "online"
OFFLINE = "offline"


class Link(NamedTuple):
    """A gate's newest transition."""

    state: str
    since: str
    cause: str


def latest(
    conn: Connection, gates: Collection[tuple[str, str]] | None = None
) -> dict[tuple[str, str], Link]:
    """Each gate's newest link row: (site, device) → its state, since when and why."""
    g = schema.gate_links.c
    newest = select(func.max(g.id)).group_by(g.site, g.device)
    if gates is not None:
        sites = sorted({site for site, _d in gates})
        newest = newest.where(g.site.in_(sites))
    rows = conn.execute(select(g.site, g.device, g.state, g.since, g.cause).where(g.id.in_(newest)))
    found = {(r.site, r.device): Link(r.state, r.since, r.cause) for r in rows}
    if gates is not None:
        wanted = set(gates)
        found = {k: v for k, v in found.items() if k in wanted}
    return found


def record(
    conn: Connection,
    site: str,
    device: str,
    state: str,
    since: str,
    cause: str,
    known: Link | None,
) -> bool:
    """Add a transition when ``state`` differs from ``known`` (the gate's newest row, from
    :func:`latest`); returns whether one was added."""
    assert state in (ONLINE, OFFLINE)
    if known is not None and known.state == state:
        return False
    conn.execute(
        schema.gate_links.insert().values(
            site=site,
            device=device,
            state=state,
            since=since,
            cause=cause,
            recorded_at=now_iso(),
        )
    )
    return True


def first_event_after(conn: Connection, site: str, device: str, after: datetime) -> str | None:
    """The gate's own time stamp of the first event central received after ``after``."""
    e = schema.events.c
    return conn.execute(
        select(e.created_at)
        .where(
            e.site == site,
            e.device == device,
            e.received_at > after.astimezone(UTC).isoformat(),  # central's own UTC stamps
        )
        .order_by(e.received_at, e.seq)
        .limit(1)
    ).scalar_one_or_none()
