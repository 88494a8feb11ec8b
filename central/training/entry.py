"""Who a site's gates let in: with the project's training rule on, only workers with valid
safety training.

The gates learn it through the gallery sync (docs/protocol.md, "Entry eligibility"): a worker
without valid training is sent to the site's gates as removed (no face, no cards) and sent
again, with their face and cards, once training is recorded. ``gate_entry_bars`` holds what
the gates were told; :func:`reconcile` compares it with today's facts and bumps the gallery
row of each worker whose answer changed (training recorded, expired, the rule switched), so
the ordinary delta sync carries the change and an old gate needs nothing new.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, or_, select

from central import audit
from central.auth.scope import require_project
from central.auth.users import Principal, Role
from central.clock import now_iso
from central.errors import NotFound
from central.storage import Database, schema

DEFAULT_WARN_DAYS = 14
REASON = "no_valid_training"


class Galleries(Protocol):
    """What the bars need of the site galleries (central/gate_commands/gallery.py)."""

    def touch_worker(self, site: str, worker_id: str) -> int: ...


SiteChanged = Callable[[str], None]


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    required: bool
    warn_days: Annotated[int, Field(ge=1, le=180)] = DEFAULT_WARN_DAYS


def rule(conn: Connection, project_id: str) -> dict[str, Any]:
    """The project's rule (the default when none was set); 404 for a project that does not
    exist (the admin reaches every id, so the scope check alone does not say)."""
    p = schema.projects.c
    if conn.execute(select(p.id).where(p.id == project_id)).first() is None:
        raise NotFound(f"project {project_id}")
    r = schema.training_rules.c
    row = conn.execute(select(schema.training_rules).where(r.project_id == project_id)).first()
    if row is None:
        return {"project_id": project_id, "required": False, "warn_days": DEFAULT_WARN_DAYS}
    return {**dict(row._mapping), "required": bool(row.required)}


def site_today(conn: Connection, site: str) -> date:
    p = schema.projects.c
    tz = conn.execute(select(p.timezone).where(p.id == site)).scalar() or "Asia/Shanghai"
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).date()


def trained(conn: Connection, site: str, today: date) -> set[str]:
    """Workers with a training record valid today for this site (or project-less)."""
    t = schema.trainings.c
    day = today.isoformat()
    return set(
        conn.execute(
            select(t.worker_id).where(
                or_(t.project_id == site, t.project_id.is_(None)),
                t.completed_on <= day,
                or_(t.valid_until.is_(None), t.valid_until >= day),
            )
        ).scalars()
    )


def may_enter(conn: Connection, site: str, worker_id: str) -> bool:
    """Whether the site's rule lets this worker in today (live, not what the gates were told):
    the check-in QR code is not issued to a worker the gates would refuse by face or card."""
    if not rule(conn, site)["required"]:
        return True
    return worker_id in trained(conn, site, site_today(conn, site))


def barred(conn: Connection, site: str, worker_ids: list[str] | None = None) -> set[str]:
    """Workers the site's gates are told to keep out (what :func:`reconcile` last decided)."""
    b = schema.gate_entry_bars.c
    q = select(b.worker_id).where(b.site == site)
    if worker_ids is not None:
        q = q.where(b.worker_id.in_(worker_ids))
    return set(conn.execute(q).scalars())


def reconcile(
    db: Database, galleries: Galleries, site: str, today: date | None = None
) -> list[str]:
    """Bring the site's bars in line with its rule and today's training records; returns the
    workers whose answer changed (their gallery rows were bumped: the caller tells the gates)."""
    e, b = schema.employments.c, schema.gate_entry_bars
    with db.begin() as conn:
        day = today or site_today(conn, site)
        required = rule(conn, site)["required"]
        employed = set(conn.execute(select(e.worker_id).where(e.project_id == site)).scalars())
        want = employed - trained(conn, site, day) if required else set()
        have = barred(conn, site)
        # one statement each way: switching the rule on bars a whole site's workforce at once
        since = now_iso()
        if want - have:
            conn.execute(
                b.insert(),
                [
                    {"site": site, "worker_id": w, "reason": REASON, "since": since}
                    for w in sorted(want - have)
                ],
            )
        if have - want:
            conn.execute(b.delete().where(b.c.site == site, b.c.worker_id.in_(sorted(have - want))))
    changed = sorted(want ^ have)
    for worker_id in changed:
        galleries.touch_worker(site, worker_id)
    return changed


def set_rule(
    db: Database,
    who: Principal,
    project_id: str,
    data: RuleIn,
    galleries: Galleries,
    notify: SiteChanged,
) -> dict[str, Any]:
    """Switch the project's rule (its general contractor or site manager); the gates follow."""
    r = schema.training_rules
    with db.begin() as conn:
        require_project(conn, who, project_id, Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER, whole=True)
        rule(conn, project_id)  # 404 for a project id that does not exist
        values = {
            "required": int(data.required),
            "warn_days": data.warn_days,
            "updated_at": now_iso(),
            "updated_by": who.username,
        }
        if conn.execute(select(r.c.project_id).where(r.c.project_id == project_id)).first():
            conn.execute(r.update().where(r.c.project_id == project_id).values(**values))
        else:
            conn.execute(r.insert().values(project_id=project_id, **values))
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value),
            "training.rule_set",
            target_kind="project",
            target_id=project_id,
            project_id=project_id,
            detail={"required": data.required, "warn_days": data.warn_days},
        )
    if reconcile(db, galleries, project_id):
        notify(project_id)
    with db.engine.connect() as conn:
        return rule(conn, project_id)


def reconcile_all(db: Database, galleries: Galleries, notify: SiteChanged) -> int:
    """Every site with a rule (on, or switched off with bars left): the periodic pass that
    catches expiries. Returns how many workers' answers changed."""
    r, b = schema.training_rules.c, schema.gate_entry_bars.c
    with db.engine.connect() as conn:
        sites = set(conn.execute(select(r.project_id).where(r.required == 1)).scalars())
        sites |= set(conn.execute(select(b.site).distinct()).scalars())
    changed = 0
    for site in sorted(sites):
        found = reconcile(db, galleries, site)
        if found:
            notify(site)
            changed += len(found)
    return changed
