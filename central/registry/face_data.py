"""What central holds of one worker's face, said to the worker: never a template or a photo.

The worker's Face data page (and ``GET /api/v1/me/face-data``) shows: how many templates are
held and when they were made, each consent (given to which employer, how, when, withdrawn
when), and for every site whose gallery ever carried them, each gate and whether it holds the
face now. A gate's gallery follows central's (site_gallery) at its next sync: a gate that
has synced past the version in which the worker was added or removed holds that state; one
that has not is shown as pending, so "removed" on the page means removed at the gate.
"""

from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Connection, func, select

from central.storage import schema

GateState = Literal["holds", "adding", "removing", "removed"]


class ConsentView(BaseModel):
    employer: str | None  # None: given through the operator, covering every employer
    method: str
    purpose: str
    granted_at: str
    withdrawn_at: str | None


class GateView(BaseModel):
    device: str
    state: GateState
    synced_at: str | None


class SiteView(BaseModel):
    site: str
    project: str | None
    in_gallery: bool  # central's gallery for the site carries the face now
    changed_at: str
    gates: list[GateView]


class FaceData(BaseModel):
    templates: int
    enrolled_at: str | None  # the newest template's time
    first_enrolled_at: str | None
    consents: list[ConsentView]
    active_consent: bool
    deleted_at: str | None  # templates gone after the last withdrawal: its time
    sites: list[SiteView]


def face_data(conn: Connection, worker_id: str) -> FaceData:
    t = schema.face_templates.c
    count, first, last = conn.execute(
        select(func.count(), func.min(t.created_at), func.max(t.created_at)).where(
            t.worker_id == worker_id
        )
    ).one()
    c, e = schema.face_consents.c, schema.enterprises.c
    consents = [
        ConsentView(
            employer=r.employer,
            method=r.method,
            purpose=r.purpose,
            granted_at=r.granted_at,
            withdrawn_at=r.withdrawn_at,
        )
        for r in conn.execute(
            select(c.method, c.purpose, c.granted_at, c.withdrawn_at, e.name.label("employer"))
            .select_from(
                schema.face_consents.outerjoin(schema.enterprises, e.id == c.enterprise_id)
            )
            .where(c.worker_id == worker_id)
            .order_by(c.id.desc())
        )
    ]
    active = any(x.withdrawn_at is None for x in consents)
    deleted_at = None
    if count == 0 and consents and not active:
        deleted_at = max(x.withdrawn_at or "" for x in consents) or None
    return FaceData(
        templates=count,
        enrolled_at=last,
        first_enrolled_at=first,
        consents=consents,
        active_consent=active,
        deleted_at=deleted_at,
        sites=_sites(conn, worker_id),
    )


def _sites(conn: Connection, worker_id: str) -> list[SiteView]:
    g, p, d = schema.site_gallery.c, schema.projects.c, schema.device_sync.c
    out = []
    rows = conn.execute(
        select(
            g.site,
            g.version,
            g.updated_at,
            (g.templates_sealed.is_not(None)).label("present"),
            p.name.label("project"),
        )
        .select_from(schema.site_gallery.outerjoin(schema.projects, p.id == g.site))
        .where(g.worker_id == worker_id)
        .order_by(g.site)
    ).all()
    for r in rows:
        synced: dict[str, Any] = {
            s.device: s
            for s in conn.execute(
                select(d.device, d.gallery_version, d.received_at).where(d.site == r.site)
            )
        }
        devices = conn.execute(
            select(schema.devices.c.device)
            .where(schema.devices.c.site == r.site)
            .order_by(schema.devices.c.device)
        ).scalars()
        gates = []
        for device in devices:
            s = synced.get(device)
            done = s is not None and s.gallery_version >= r.version
            if r.present:
                state: GateState = "holds" if done else "adding"
            else:
                state = "removed" if done else "removing"
            gates.append(
                GateView(device=device, state=state, synced_at=s.received_at if s else None)
            )
        out.append(
            SiteView(
                site=r.site,
                project=r.project,
                in_gallery=bool(r.present),
                changed_at=r.updated_at,
                gates=gates,
            )
        )
    return out
