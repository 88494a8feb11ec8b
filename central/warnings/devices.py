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

from sqlalchemy import Connection, select

from central.storage import Database, schema
from central.storage.database import StoredEvent
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
    if sites is not None:
        q = q.where(w.project_id.in_(sorted(set(sites))))
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
        for warning_id, old_key in open_by_gate.get((g.site, g.device), []):
            if not silent or old_key != key:
                resolve_by_system(conn, warning_id, f"gate heard from at {heard.isoformat()}")
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
                subject=f"gate {g.site}/{g.device} silent since {heard.isoformat()}",
                evidence={
                    "site": g.site,
                    "device": g.device,
                    "last_heard": heard.isoformat(),
                    "silent_minutes": minutes,
                    "last_state": state,
                },
            )
    return Watched(opened, resolved)


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
            subject=(
                f"{r.site}/{r.device}: {r.pollutant} {r.value:g} µg/m³ over the "
                f"{r.limit_value:g} limit ({r.profile}, {r.window}) at {r.at}"
            ),
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
            resolve_by_system(conn, warning_id, f"the gate reported the alarm cleared at {cleared}")
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
    with db.begin() as conn:
        for warning_id, _key, evidence in _open(conn, OFFLINE, {site for site, _d in gates}):
            if (evidence.get("site"), evidence.get("device")) in gates:
                resolve_by_system(conn, warning_id, "gate heard from: it sent events again")
        if dust_sites:
            sync_dust(conn, datetime.now(UTC), dust_sites)
