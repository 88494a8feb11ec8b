"""招工宝: enterprises post jobs on their projects, workers apply, an offer becomes employment.

The rules this module keeps (who may post on which project is the caller's scope, decided by
the route through central/auth/scope.py before these run):

- A post belongs to one enterprise and one of its projects; its city is the GB/T 2260 city of
  the project's site (the first four digits of ``projects.division_code`` + ``00``), so a post
  on a project without a division cannot be made: no worker could find it.
- Workers see open posts (status open, not yet ended) of every enterprise: a post is an
  advertisement. "Near" a worker is the cities of the projects they are employed on now (of
  any they ever worked on when none is current): where they live and work, not the
  registration place in their ID number, which for a migrant worker is usually far away.
- An enterprise sees the applicants to its own posts only, and a résumé only when its owner
  opted in and applied to one of that enterprise's posts; any other application or post
  answers 404 like a missing one.
- Hiring is two steps: the enterprise makes an offer (a start date), the worker accepts it on
  their own pages, and only then is the employment created through
  :func:`central.registry.employment.add_employment` (daily pay at the post's rate).
"""

from datetime import date
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, Select, func, select

from central import audit
from central.clock import now_iso
from central.errors import N_, Conflict, InvalidInput, InvalidValue, NotFound
from central.registry import divisions, enrollment, gate_cards
from central.registry.employment import EmploymentIn, add_employment
from central.registry.enrollment import SiteChanged, SiteGalleries
from central.registry.gate_cards import CardGalleries
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.validation import LocalDate, ProjectId
from central.validation.text import clean_line, clean_text
from central.wages.rules import PayKind, PayTerms

#: Trades a post and a résumé name (their labels are in the web console's catalogue).
Trade = Literal[
    "labourer",
    "carpenter",
    "rebar",
    "concrete",
    "mason",
    "scaffolder",
    "electrician",
    "welder",
    "plumber",
    "painter",
    "machine",
    "other",
]
TRADES: tuple[str, ...] = get_args(Trade)
AppStatus = Literal["applied", "offered", "hired", "declined", "refused"]
#: A day's pay from 1 to 10,000 yuan.
DayPay = Annotated[int, Field(ge=100, le=1_000_000, description="a day's pay, integer fen")]


class PostIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: ProjectId
    trade: Trade
    title: Annotated[str, Field(min_length=2, max_length=100), AfterValidator(clean_line)]
    pay_fen: DayPay
    headcount: Annotated[int, Field(ge=1, le=1000)]
    starts_on: LocalDate
    ends_on: LocalDate
    description: Annotated[str, Field(max_length=1000), AfterValidator(clean_text)] | None = None

    @model_validator(mode="after")
    def _order(self) -> "PostIn":
        if self.ends_on < self.starts_on:
            raise InvalidValue(N_("ends_on: the post ends before it starts"))
        return self


class ResumeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trade: Trade
    years: Annotated[int, Field(ge=0, le=60)]
    certificates: Annotated[str, Field(max_length=500), AfterValidator(clean_text)] | None = None
    shared: bool = Field(description="opt in: shown to the employers of posts applied to")


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_on: LocalDate


def city_of(division_code: str | None) -> str | None:
    return None if not division_code else division_code[:4] + "00"


def create_post(db: Database, actor: audit.Actor, enterprise_id: int, data: PostIn) -> int:
    """A new open post of ``enterprise_id`` on a project the caller may post on."""
    p = schema.projects.c
    with db.begin() as conn:
        code = conn.execute(
            select(p.division_code).where(p.id == data.project_id)
        ).scalar_one_or_none()
        city = city_of(code)
        if city is None:
            raise InvalidInput.of(N_("project_id: the project has no division code, set it first"))
        post_id = inserted_id(
            conn.execute(
                schema.job_posts.insert().values(
                    **data.model_dump(exclude={"starts_on", "ends_on"}),
                    starts_on=data.starts_on.isoformat(),
                    ends_on=data.ends_on.isoformat(),
                    enterprise_id=enterprise_id,
                    city=city,
                    status="open",
                    created_by=actor.name,
                    created_at=now_iso(),
                )
            )
        )
        audit.record(
            conn,
            actor,
            "job.posted",
            target_kind="job_post",
            target_id=post_id,
            project_id=data.project_id,
            detail={"trade": data.trade, "pay_fen": data.pay_fen, "headcount": data.headcount},
        )
    return post_id


def posts_select(enterprise_id: int | None) -> Select[Any]:
    """An enterprise's posts (None: every post, the admin) with applicant counts."""
    j, a, p = schema.job_posts.c, schema.job_applications.c, schema.projects.c
    applicants = (
        select(func.count()).where(a.post_id == j.id).correlate(schema.job_posts).scalar_subquery()
    )
    hired = (
        select(func.count())
        .where(a.post_id == j.id, a.status == "hired")
        .correlate(schema.job_posts)
        .scalar_subquery()
    )
    query = select(
        j.id,
        j.title,
        j.trade,
        j.project_id,
        p.name.label("project"),
        j.city,
        divisions.name_of(j.city).label("city_name"),
        j.pay_fen,
        j.headcount,
        j.starts_on,
        j.ends_on,
        j.status,
        applicants.label("applicants"),
        hired.label("hired"),
    ).select_from(schema.job_posts.join(schema.projects, p.id == j.project_id))
    if enterprise_id is not None:
        query = query.where(j.enterprise_id == enterprise_id)
    return query


def own_post(conn: Connection, enterprise_id: int | None, post_id: int) -> dict[str, Any]:
    """The post if it is ``enterprise_id``'s (None: any); 404 otherwise, like a missing one."""
    j = schema.job_posts.c
    row = conn.execute(posts_select(enterprise_id).where(j.id == post_id)).first()
    if row is None:
        raise NotFound(f"job post {post_id}")
    return dict(row._mapping)


def close_post(db: Database, actor: audit.Actor, enterprise_id: int | None, post_id: int) -> None:
    j = schema.job_posts
    with db.begin() as conn:
        post = own_post(conn, enterprise_id, post_id)
        conn.execute(j.update().where(j.c.id == post_id).values(status="closed"))
        audit.record(
            conn,
            actor,
            "job.closed",
            target_kind="job_post",
            target_id=post_id,
            project_id=post["project_id"],
        )


def applicants(conn: Connection, enterprise_id: int | None, post_id: int) -> list[dict[str, Any]]:
    """The applicants to one of the enterprise's posts, each with their résumé when shared."""
    own_post(conn, enterprise_id, post_id)
    a, w, r = schema.job_applications.c, schema.workers.c, schema.worker_resumes.c
    rows = conn.execute(
        select(
            a.id,
            a.worker_id,
            w.name,
            a.status,
            a.applied_at,
            a.offer_start_on,
            a.employment_id,
            r.trade.label("resume_trade"),
            r.years.label("resume_years"),
            r.certificates.label("resume_certificates"),
            r.shared.label("resume_shared"),
        )
        .select_from(
            schema.job_applications.join(schema.workers, w.id == a.worker_id).outerjoin(
                schema.worker_resumes, r.worker_id == a.worker_id
            )
        )
        .where(a.post_id == post_id)
        .order_by(a.id)
    )
    out = []
    for row in rows:
        item = dict(row._mapping)
        if item.pop("resume_shared") != 1:  # not opted in: nothing of it leaves the table
            item.update(resume_trade=None, resume_years=None, resume_certificates=None)
        out.append(item)
    return out


def _application(conn: Connection, application_id: int) -> dict[str, Any]:
    a, j = schema.job_applications.c, schema.job_posts.c
    row = conn.execute(
        select(
            a.id,
            a.post_id,
            a.worker_id,
            a.status,
            a.offer_start_on,
            j.enterprise_id,
            j.project_id,
            j.trade,
            j.pay_fen,
            j.starts_on,
            j.ends_on,
        )
        .join(schema.job_posts, j.id == a.post_id)
        .where(a.id == application_id)
    ).first()
    if row is None:
        raise NotFound(f"application {application_id}")
    return dict(row._mapping)


def _employer_application(
    conn: Connection, enterprise_id: int | None, application_id: int
) -> dict[str, Any]:
    app = _application(conn, application_id)
    if enterprise_id is not None and app["enterprise_id"] != enterprise_id:
        raise NotFound(f"application {application_id}")
    return app


def _set_status(conn: Connection, application_id: int, was: str, **values: object) -> None:
    """Move an application on from ``was``; a concurrent change loses (409), never both."""
    t = schema.job_applications
    done = conn.execute(
        t.update().where(t.c.id == application_id, t.c.status == was).values(**values)
    ).rowcount
    if done != 1:
        raise Conflict.of(
            N_("application %(application)s has changed meanwhile: reload it"),
            application=application_id,
        )


def _already_employed(conn: Connection, app: dict[str, Any], start: date) -> bool:
    """Whether the worker already works for the post's enterprise on its project on or after
    ``start``: a second employment there would count their days twice."""
    e = schema.employments.c
    found = conn.execute(
        select(e.id).where(
            e.worker_id == app["worker_id"],
            e.project_id == app["project_id"],
            e.employer_id == app["enterprise_id"],
            (e.end_date.is_(None)) | (e.end_date >= start.isoformat()),
        )
    ).first()
    return found is not None


def offer(
    db: Database,
    actor: audit.Actor,
    enterprise_id: int | None,
    application_id: int,
    data: OfferIn,
    today: date,
) -> None:
    """Offer the applicant the job from ``start_on``; they accept or decline on their pages."""
    with db.begin() as conn:
        app = _employer_application(conn, enterprise_id, application_id)
        if app["status"] != "applied":
            raise Conflict.of(
                N_("application %(application)s is %(status)s, not open"),
                application=application_id,
                status=app["status"],
            )
        if data.start_on < today:
            raise InvalidInput.of(N_("start_on: the start date has passed"))
        if _already_employed(conn, app, data.start_on):
            raise Conflict.of(N_("this worker is already employed by you on this project"))
        _set_status(
            conn,
            application_id,
            "applied",
            status="offered",
            offer_start_on=data.start_on.isoformat(),
            offered_by=actor.name,
            offered_at=now_iso(),
        )
        audit.record(
            conn,
            actor,
            "job.offered",
            target_kind="job_application",
            target_id=application_id,
            project_id=app["project_id"],
            detail={"worker": app["worker_id"], "start_on": data.start_on.isoformat()},
        )


def refuse(
    db: Database, actor: audit.Actor, enterprise_id: int | None, application_id: int
) -> None:
    with db.begin() as conn:
        app = _employer_application(conn, enterprise_id, application_id)
        if app["status"] not in ("applied", "offered"):
            raise Conflict.of(
                N_("application %(application)s is %(status)s"),
                application=application_id,
                status=app["status"],
            )
        _set_status(conn, application_id, app["status"], status="refused", decided_at=now_iso())
        audit.record(
            conn,
            actor,
            "job.refused",
            target_kind="job_application",
            target_id=application_id,
            project_id=app["project_id"],
        )


# ---- the worker's side -------------------------------------------------------------------


def worker_cities(conn: Connection, worker_id: str, today: date) -> list[str]:
    """The cities of the worker's current employments, or of any past one when none is."""
    e, p = schema.employments.c, schema.projects.c
    rows = conn.execute(
        select(p.division_code, e.end_date)
        .join(schema.projects, p.id == e.project_id)
        .where(e.worker_id == worker_id, p.division_code.is_not(None))
    ).all()
    current = {city_of(c) for c, end in rows if end is None or end >= today.isoformat()}
    found = current or {city_of(c) for c, _ in rows}
    return sorted(c for c in found if c)


def open_posts(
    conn: Connection,
    worker_id: str,
    today: date,
    *,
    cities: list[str] | None,
    trade: str | None,
) -> list[dict[str, Any]]:
    """Open posts (in ``cities``; None: anywhere), newest first, each saying whether the
    worker applied. Nothing about other applicants."""
    j, e, p, a = (
        schema.job_posts.c,
        schema.enterprises.c,
        schema.projects.c,
        schema.job_applications.c,
    )
    mine = (
        select(a.status)
        .where(a.post_id == j.id, a.worker_id == worker_id)
        .correlate(schema.job_posts)
        .scalar_subquery()
    )
    query = (
        select(
            j.id,
            j.title,
            j.trade,
            j.city,
            j.pay_fen,
            j.headcount,
            j.starts_on,
            j.ends_on,
            j.description,
            e.name.label("enterprise"),
            p.name.label("project"),
            mine.label("my_status"),
        )
        .select_from(
            schema.job_posts.join(schema.enterprises, e.id == j.enterprise_id).join(
                schema.projects, p.id == j.project_id
            )
        )
        .where(j.status == "open", j.ends_on >= today.isoformat())
        .order_by(j.id.desc())
        .limit(100)
    )
    if cities is not None:
        query = query.where(j.city.in_(cities))
    if trade is not None:
        query = query.where(j.trade == trade)
    return [dict(r._mapping) for r in conn.execute(query)]


def apply(db: Database, worker_id: str, post_id: int, today: date) -> int:
    """Apply to an open post (once); a closed, ended or missing post answers 404."""
    j = schema.job_posts.c
    with db.begin() as conn:
        post = conn.execute(
            select(j.project_id).where(
                j.id == post_id, j.status == "open", j.ends_on >= today.isoformat()
            )
        ).first()
        if post is None:
            raise NotFound(f"job post {post_id}")
        a = schema.job_applications.c
        if conn.execute(select(a.id).where(a.post_id == post_id, a.worker_id == worker_id)).first():
            raise Conflict.of(N_("you have already applied to this job"))
        return inserted_id(
            conn.execute(
                schema.job_applications.insert().values(
                    post_id=post_id, worker_id=worker_id, status="applied", applied_at=now_iso()
                )
            )
        )


def my_applications(conn: Connection, worker_id: str) -> list[dict[str, Any]]:
    a, j, e, p = (
        schema.job_applications.c,
        schema.job_posts.c,
        schema.enterprises.c,
        schema.projects.c,
    )
    rows = conn.execute(
        select(
            a.id,
            a.status,
            a.applied_at,
            a.offer_start_on,
            a.employment_id,
            j.title,
            j.trade,
            j.pay_fen,
            e.name.label("enterprise"),
            p.name.label("project"),
        )
        .select_from(
            schema.job_applications.join(schema.job_posts, j.id == a.post_id)
            .join(schema.enterprises, e.id == j.enterprise_id)
            .join(schema.projects, p.id == j.project_id)
        )
        .where(a.worker_id == worker_id)
        .order_by(a.id.desc())
    )
    return [dict(r._mapping) for r in rows]


class Galleries(SiteGalleries, CardGalleries, Protocol):
    """The sites' galleries (central's SiteGallery): faces and cards."""


def answer_offer(
    db: Database,
    sealer: Sealer,
    galleries: Galleries,
    changed: SiteChanged,
    actor: audit.Actor,
    worker_id: str,
    application_id: int,
    accept: bool,
) -> dict[str, Any]:
    """The worker accepts (→ a real employment, daily pay at the post's rate) or declines.

    As with every new employment, an enrolled worker's face goes to the new site's gates if a
    consent covers the employer there, and their gate cards too."""
    with db.begin() as conn:
        app = _application(conn, application_id)
        if app["worker_id"] != worker_id:
            raise NotFound(f"application {application_id}")
        if app["status"] != "offered":
            raise Conflict.of(N_("there is no open offer on this application"))
        if _already_employed(conn, app, date.fromisoformat(app["offer_start_on"])):
            raise Conflict.of(N_("you are already employed there"))
        _set_status(
            conn,
            application_id,
            "offered",
            status="hired" if accept else "declined",
            decided_at=now_iso(),
        )
    if not accept:
        return app
    start = date.fromisoformat(app["offer_start_on"])
    try:
        made = add_employment(
            db,
            EmploymentIn(
                worker_id=worker_id,
                project_id=app["project_id"],
                employer_id=app["enterprise_id"],
                trade=app["trade"],
                start_date=start,
                end_date=max(start, date.fromisoformat(app["ends_on"])),
                terms=PayTerms(pay_kind=PayKind.DAILY, rate_fen=app["pay_fen"]),
            ),
        )
    except Exception:
        with db.begin() as conn:  # give the offer back: nothing half-done
            _set_status(conn, application_id, "hired", status="offered", decided_at=None)
        raise
    with db.begin() as conn:
        t = schema.job_applications
        conn.execute(t.update().where(t.c.id == application_id).values(employment_id=made["id"]))
        audit.record(
            conn,
            actor,
            "job.hired",
            target_kind="job_application",
            target_id=application_id,
            project_id=app["project_id"],
            detail={"employment": made["id"]},
        )
    project = app["project_id"]
    enrollment.publish_to_site(db, sealer, worker_id, project, galleries, changed)
    gate_cards.publish_to_site(db, worker_id, project, galleries, changed)
    return {**app, "employment_id": made["id"]}


def resume(conn: Connection, worker_id: str) -> dict[str, Any] | None:
    r = schema.worker_resumes.c
    row = conn.execute(select(schema.worker_resumes).where(r.worker_id == worker_id)).first()
    return None if row is None else dict(row._mapping)


def set_resume(db: Database, worker_id: str, data: ResumeIn) -> dict[str, Any]:
    """Write the worker's résumé; ``shared`` False keeps it from every employer."""
    t = schema.worker_resumes
    values = {
        "trade": data.trade,
        "years": data.years,
        "certificates": data.certificates or None,
        "shared": 1 if data.shared else 0,
        "updated_at": now_iso(),
    }
    with db.begin() as conn:
        if resume(conn, worker_id) is None:
            conn.execute(t.insert().values(worker_id=worker_id, **values))
        else:
            conn.execute(t.update().where(t.c.worker_id == worker_id).values(**values))
        return {"worker_id": worker_id, **values}
