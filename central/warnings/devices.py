"""Gates and dust as warnings: a gate silent too long (``device_offline``) and a dust alarm
(``dust_exceedance``) enter the same queue as the wage indicators, scoped by project (the
gate's site) like every other warning.

Both close themselves when their fact ends: a silent gate's warning is resolved by
``system`` as soon as the gate is heard from again (a status heartbeat or any event), a dust
warning when the gate reports the alarm cleared. A gate that falls silent again later opens
a new warning (its key carries the last-heard time), so each outage keeps its own history.
:func:`watch` runs in ``serve`` on a timer (central/warnings/scheduler.py); dust alarms are
also raised the moment ingest stores them (:func:`after_ingest`).
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from central.storage import Database, schema
from central.storage.database import StoredEvent
from central.storage.project_scope import in_scope
from central.warnings import gate_links
from central.warnings.gate_links import Link
from central.warnings.store import raise_warning, resolve_by_system

OFFLINE = "device_offline"
DUST = "dust_exceedance"
DUST_LOOKBACK = timedelta(days=7)  # the watch re-reads alarms received this recently


@dataclass(frozen=True, slots=True)
class Watched:
    """What one pass of :func:`watch` did."""

    opened: int
    resolved: int


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _open(
    conn: Connection, kind: str, sites: Collection[str] | None = None
) -> list[tuple[int, str, dict[str, object]]]:
    """Open warnings of ``kind`` (of ``sites`` only: the project/state index serves ingest)."""
    w = schema.wage_warnings.c
    q = select(w.id, w.key, w.evidence).where(w.kind == kind, w.state == "open")
    q = q.where(in_scope(w.project_id, sites))
    rows = conn.execute(q).all()
    return [(r.id, r.key, json.loads(r.evidence)) for r in rows]


def scan_gates(conn: Connection, now: datetime, silent_after: timedelta) -> Watched:
    """Open a warning for each gate not heard from for ``silent_after``; resolve the warnings
    of gates heard from since. Heard from: its last signed status or its newest event."""
    d, e = schema.devices.c, schema.events.c
    newest = (
        select(e.received_at)
        .where(e.site == d.site, e.device == d.device)
        .order_by(e.seq.desc())
        .limit(1)
        .scalar_subquery()
    )
    gates = conn.execute(
        select(d.site, d.device, d.created_at, d.status, d.status_at, newest.label("event_at"))
    ).all()
    links = gate_links.latest(conn)
    open_by_gate: dict[tuple[object, object], list[tuple[int, str]]] = {}
    for warning_id, key, evidence in _open(conn, OFFLINE):
        gate = (evidence.get("site"), evidence.get("device"))
        open_by_gate.setdefault(gate, []).append((warning_id, key))
    opened = resolved = 0
    for g in gates:
        heard_times = [t for t in (_when(g.status_at), _when(g.event_at)) if t is not None]
        heard = max(heard_times) if heard_times else _when(g.created_at)
        assert heard is not None
        key = f"{OFFLINE}:{g.site}/{g.device}:{heard.isoformat()}"
        silent = now - heard > silent_after
        _link(conn, g, heard, silent, links.get((g.site, g.device)))
        for warning_id, old_key in open_by_gate.get((g.site, g.device), []):
            if not silent or old_key != key:
                resolve_by_system(conn, warning_id, "gate_heard", {"at": heard.isoformat()})
                resolved += 1
        if silent:
            state = json.loads(g.status).get("state") if g.status else None
            minutes = int((now - heard).total_seconds() // 60)
            opened += raise_warning(
                conn,
                key=key,
                kind=OFFLINE,
                severity="medium",
                project_id=g.site,
                params={"gate": f"{g.site}/{g.device}", "since": heard.isoformat()},
                evidence={
                    "site": g.site,
                    "device": g.device,
                    "last_heard": heard.isoformat(),
                    "silent_minutes": minutes,
                    "last_state": state,
                },
            )
    return Watched(opened, resolved)


def _link(conn: Connection, g: Any, heard: datetime, silent: bool, known: Link | None) -> None:
    """Record the gate's link state if it changed, by the same rule as the fleet's state
    column (its last signed status) plus silence:

    - its status says offline (a clean stop, its last will): offline since that status;
    - it says online but the gate has been silent too long: offline since last heard from;
    - it says online and is heard from: online since the status that said so, or, after a
      silence, since the first event received after it (its own time stamp).

    A gate that never reported a status gets no row (its state is unknown, not a time)."""
    if g.status is None or g.status_at is None:
        return
    if json.loads(g.status).get("state") != "online":
        gate_links.record(conn, g.site, g.device, "offline", g.status_at, "status", known)
        return
    if silent:
        gate_links.record(conn, g.site, g.device, "offline", heard.isoformat(), "silent", known)
        return
    if known is not None and known.state == "online":
        return
    since, cause = g.status_at, "status"
    if known is not None and known.cause == "silent":
        outage = datetime.fromisoformat(known.since)
        first = gate_links.first_event_after(conn, g.site, g.device, outage)
        first_at, status_at = _when(first), _when(g.status_at)
        if first_at is not None and (
            status_at is None or status_at <= outage or first_at < status_at
        ):
            since, cause = str(first), "events"
    gate_links.record(conn, g.site, g.device, "online", since, cause, known)


def sync_dust(conn: Connection, now: datetime, sites: Collection[str] | None = None) -> Watched:
    """A warning for each dust alarm raised (received in the last :data:`DUST_LOOKBACK`, so
    a gate's backlog of older alarms counts too); resolve each whose gate has since reported
    the same pollutant's alarm cleared."""
    a = schema.dust_alarms.c
    since = (now.astimezone(UTC) - DUST_LOOKBACK).isoformat()  # central's own UTC stamps
    q = select(schema.dust_alarms).where(a.state == "raised", a.received_at >= since)
    if sites is not None:
        q = q.where(a.site.in_(sorted(set(sites))))
    opened = 0
    for r in conn.execute(q.order_by(a.at_utc_us)).all():
        over_allowance = r.allowed_per_day is not None and (r.exceedances_today or 0) > (
            r.allowed_per_day
        )
        opened += raise_warning(
            conn,
            key=f"{DUST}:{r.event_id}",
            kind=DUST,
            severity="high" if over_allowance else "medium",
            project_id=r.site,
            params={
                "gate": f"{r.site}/{r.device}",
                "pollutant": r.pollutant,
                "value": float(r.value),
                "limit": float(r.limit_value),
                "profile": r.profile,
                "window": r.window,
                "at": r.at,
            },
            evidence={
                "site": r.site,
                "device": r.device,
                "pollutant": r.pollutant,
                "value": r.value,
                "limit": r.limit_value,
                "profile": r.profile,
                "window": r.window,
                "at": r.at,
                "at_utc_us": r.at_utc_us,
                "exceedances_today": r.exceedances_today,
                "allowed_per_day": r.allowed_per_day,
            },
        )
    resolved = 0
    for warning_id, _key, ev in _open(conn, DUST, sites):
        cleared = conn.execute(
            select(a.at)
            .where(
                a.site == ev["site"],
                a.device == ev["device"],
                a.pollutant == ev["pollutant"],
                a.state == "cleared",
                a.at_utc_us >= ev["at_utc_us"],
            )
            .order_by(a.at_utc_us)
            .limit(1)
        ).scalar_one_or_none()
        if cleared is not None:
            resolve_by_system(conn, warning_id, "dust_cleared", {"at": cleared})
            resolved += 1
    return Watched(opened, resolved)


def watch(db: Database, now: datetime, silent_after: timedelta) -> Watched:
    """One pass over gates and dust alarms (idempotent: run it as often as liked)."""
    with db.begin() as conn:
        gates = scan_gates(conn, now, silent_after)
        dust = sync_dust(conn, now)
    return Watched(gates.opened + dust.opened, gates.resolved + dust.resolved)


def after_ingest(db: Database, stored: Sequence[StoredEvent]) -> None:
    """Called by the ingest writer with the events it stored anew: a gate that sends is not
    silent, and a dust alarm enters the queue (or leaves it) now rather than at the next scan."""
    if not stored:
        return
    gates = {(e.site, e.device) for e in stored}
    dust_sites = {e.site for e in stored if e.projection and e.projection[0] is schema.dust_alarms}
    newest: dict[tuple[str, str], str] = {}
    for e in stored:  # the gate's own stamps: the latest event of the batch ≈ now, site time
        if e.created_at > newest.get((e.site, e.device), ""):
            newest[(e.site, e.device)] = e.created_at
    with db.begin() as conn:
        known = gate_links.latest(conn, gates)
        for (site, device), since in sorted(newest.items()):
            link = known.get((site, device))
            if link is not None and link.state == "offline" and link.cause == "silent":
                # back from a silence (its status said online all along): online from now on;
                # a gate whose own status said offline comes back with its next heartbeat
                gate_links.record(conn, site, device, "online", since, "events", link)
        for warning_id, _key, evidence in _open(conn, OFFLINE, {site for site, _d in gates}):
            if (evidence.get("site"), evidence.get("device")) in gates:
                resolve_by_system(conn, warning_id, "gate_sent_events", {})
        if dust_sites:
            sync_dust(conn, datetime.now(UTC), dust_sites)
