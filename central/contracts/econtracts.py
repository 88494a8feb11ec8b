"""E-contracts per employment: generated from a template as a PDF (draft), sent to the worker,
signed by the worker on their own pages (signed PDF with the signature block, its SHA-256 in
the audit log and in ``contracts``, where the wage indicators look for a signed contract).

Scope: staff reach the contracts of the employments they reach (central/auth/scope.py
``records_filter``); a worker reaches their own once sent. Anything else answers 404.
"""

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Select, select

from central import audit
from central.auth.reauth import confirm_password
from central.auth.scope import records_filter, require_role
from central.auth.users import Principal, Role
from central.clock import now_iso
from central.contracts import pdf, templates
from central.errors import N_, Conflict, Forbidden, NotFound
from central.storage import Database, schema
from central.storage.lookup import inserted_id
from central.wages.rules import PayKind, PayTerms

Status = Literal["draft", "sent", "signed"]
SIGN_METHOD = "劳动者本人登录后重新输入密码/PIN 确认签署 (password re-entered)"
STAFF = (Role.CONTRACTOR_ADMIN, Role.SITE_MANAGER)

LISTED = (
    "id",
    "employment_id",
    "worker_id",
    "project_id",
    "employer_id",
    "template_id",
    "status",
    "draft_sha256",
    "signed_sha256",
    "created_at",
    "created_by",
    "sent_at",
    "signed_at",
    "contract_id",
)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def pay_text(terms: PayTerms) -> str:
    """The pay terms in the contract's words (fen shown as yuan)."""
    unit = "日工资" if terms.pay_kind is PayKind.DAILY else "小时工资"
    return (
        f"{unit} {_yuan(terms.rate_fen)} 元；加班工资按工作日 {terms.ot_workday_pct}%、"
        f"休息日 {terms.ot_restday_pct}%、法定节假日 {terms.ot_holiday_pct}% 计发"
    )


def _employment_values(conn: Connection, employment_id: int) -> dict[str, Any]:
    e, p, w = schema.employments.c, schema.projects.c, schema.workers.c
    emp, gc = schema.enterprises.alias("emp"), schema.enterprises.alias("gc")
    row = conn.execute(
        select(
            e.id,
            e.worker_id,
            e.project_id,
            e.employer_id,
            e.team,
            e.trade,
            e.start_date,
            e.end_date,
            e.terms,
            p.name.label("project"),
            p.pay_due_day,
            p.contractor_id,
            w.name.label("worker"),
            w.id_number_masked,
            emp.c.name.label("employer"),
            emp.c.uscc.label("employer_uscc"),
            gc.c.name.label("contractor"),
        )
        .join(schema.projects, p.id == e.project_id)
        .join(schema.workers, w.id == e.worker_id)
        .join(emp, emp.c.id == e.employer_id)
        .join(gc, gc.c.id == p.contractor_id)
        .where(e.id == employment_id)
    ).first()
    if row is None:
        raise NotFound(f"employment {employment_id}")
    return dict(row._mapping)


def _fields(row: dict[str, Any]) -> dict[str, str]:
    terms = PayTerms.model_validate(json.loads(row["terms"]))
    return {
        "employer": row["employer"],
        "employer_uscc": row["employer_uscc"],
        "contractor": row["contractor"],
        "project": row["project"],
        "project_id": row["project_id"],
        "worker": row["worker"],
        "id_number": row["id_number_masked"],
        "team": row["team"] or "—",
        "trade": row["trade"] or "—",
        "pay_terms": pay_text(terms),
        "start_date": row["start_date"],
        "end_date": row["end_date"] or "以完成一定工作任务为期限",
        "pay_due_day": str(row["pay_due_day"]),
    }


def _reach_employment(conn: Connection, who: Principal, employment_id: int) -> None:
    e = schema.employments
    q = select(e.c.id).where(e.c.id == employment_id)
    clause = records_filter(conn, who, e)
    if clause is not None:
        q = q.where(clause)
    if conn.execute(q).first() is None:
        raise NotFound(f"employment {employment_id}")


def generate(db: Database, who: Principal, employment_id: int, template_id: int) -> dict[str, Any]:
    """A draft contract for an employment from a template the caller may use; the template
    must be the employer's or the project's general contractor's (its parties are the
    employment's). 404 for an employment or template out of reach."""
    with db.engine.connect() as conn:
        _reach_employment(conn, who, employment_id)
        require_role(who, *STAFF)
        template = templates.get(conn, who, template_id)
        row = _employment_values(conn, employment_id)
    if template["enterprise_id"] not in (row["employer_id"], row["contractor_id"]):
        raise Conflict.of(
            N_("the template belongs to neither the employer nor the general contractor")
        )
    fields = _fields(row)
    document = pdf.render(template["name"], templates.fill(template["body"], fields))
    digest = hashlib.sha256(document).hexdigest()
    values = {
        "employment_id": employment_id,
        "worker_id": row["worker_id"],
        "project_id": row["project_id"],
        "employer_id": row["employer_id"],
        "template_id": template_id,
        "status": "draft",
        "fields": json.dumps({"title": template["name"], **fields}, ensure_ascii=False),
        "draft_pdf": document,
        "draft_sha256": digest,
        "created_at": now_iso(),
        "created_by": who.username,
    }
    with db.begin() as conn:
        new_id = inserted_id(conn.execute(schema.econtracts.insert().values(**values)))
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value),
            "contract.generated",
            target_kind="econtract",
            target_id=new_id,
            project_id=row["project_id"],
            detail={"employment_id": employment_id, "sha256": digest},
        )
        return _one(conn, new_id)


def _one(conn: Connection, contract_id: int) -> dict[str, Any]:
    c = schema.econtracts.c
    row = conn.execute(select(*(c[k] for k in LISTED), c.fields).where(c.id == contract_id)).first()
    if row is None:
        raise NotFound(f"contract {contract_id}")
    out = dict(row._mapping)
    out["fields"] = json.loads(out["fields"])
    return out


def get(conn: Connection, who: Principal, contract_id: int) -> dict[str, Any]:
    """One contract in the caller's reach (a worker: their own, once sent); 404 otherwise."""
    c = schema.econtracts
    q = select(c.c.id).where(c.c.id == contract_id)
    if who.role is Role.WORKER:
        q = q.where(c.c.worker_id == who.worker_id, c.c.status != "draft")
    else:
        clause = records_filter(conn, who, c)
        if clause is not None:
            q = q.where(clause)
    if conn.execute(q).first() is None:
        raise NotFound(f"contract {contract_id}")
    return _one(conn, contract_id)


def document(conn: Connection, who: Principal, contract_id: int) -> tuple[bytes, str]:
    """The contract's PDF (the signed one once signed) and its SHA-256."""
    found = get(conn, who, contract_id)
    c = schema.econtracts.c
    row = conn.execute(select(c.draft_pdf, c.signed_pdf).where(c.id == found["id"])).one()
    if row.signed_pdf is not None:
        return row.signed_pdf, found["signed_sha256"]
    return row.draft_pdf, found["draft_sha256"]


def send(db: Database, who: Principal, contract_id: int) -> dict[str, Any]:
    """Draft → sent: the worker sees it on their pages and may sign."""
    with db.begin() as conn:
        found = get(conn, who, contract_id)
        require_role(who, *STAFF)
        if found["status"] != "draft":
            raise Conflict.of(
                N_("contract %(contract)s is %(status)s, not a draft"),
                contract=contract_id,
                status=found["status"],
            )
        c = schema.econtracts
        conn.execute(
            c.update().where(c.c.id == contract_id).values(status="sent", sent_at=now_iso())
        )
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value),
            "contract.sent",
            target_kind="econtract",
            target_id=contract_id,
            project_id=found["project_id"],
        )
        return _one(conn, contract_id)


def _site_now(conn: Connection, project_id: str) -> datetime:
    tz = conn.execute(
        select(schema.projects.c.timezone).where(schema.projects.c.id == project_id)
    ).scalar_one()
    return datetime.now(UTC).astimezone(ZoneInfo(tz)).replace(microsecond=0)


def sign(
    db: Database, who: Principal, contract_id: int, password: str, client: str | None = None
) -> dict[str, Any]:
    """The worker signs a sent contract by re-entering their password or PIN.

    The signed PDF is the draft's text with the signature block (name, site time with
    offset, method, the draft's SHA-256); its SHA-256 is stored, audited
    (``contract.signed``) and recorded as the employment's signed labour contract.
    """
    if who.role is not Role.WORKER:
        raise Forbidden("only the worker signs their contract")
    with db.engine.connect() as conn:
        found = get(conn, who, contract_id)
    if found["status"] != "sent":
        raise Conflict.of(
            N_("contract %(contract)s is already %(status)s"),
            contract=contract_id,
            status=found["status"],
        )
    confirm_password(db, who, password, "contract.sign", client)
    fields = found["fields"]
    with db.engine.connect() as conn:
        moment = _site_now(conn, found["project_id"])
        t = schema.contract_templates.c
        body = conn.execute(select(t.body).where(t.id == found["template_id"])).scalar_one()
    signature = pdf.Signature(
        name=fields["worker"],
        signed_at=moment.isoformat(),
        method=SIGN_METHOD,
        draft_sha256=found["draft_sha256"],
    )
    text = templates.fill(body, fields)
    signed = pdf.render(fields["title"], text, signature)
    digest = hashlib.sha256(signed).hexdigest()
    c = schema.econtracts
    with db.begin() as conn:
        contract_id_row = inserted_id(
            conn.execute(
                schema.contracts.insert().values(
                    worker_id=found["worker_id"],
                    employer_id=found["employer_id"],
                    project_id=found["project_id"],
                    status="signed",
                    signed_on=moment.date().isoformat(),
                    document_sha256=digest,
                    created_at=now_iso(),
                )
            )
        )
        changed = conn.execute(
            c.update()
            .where(c.c.id == contract_id, c.c.status == "sent")
            .values(
                status="signed",
                signed_pdf=signed,
                signed_sha256=digest,
                signed_at=moment.isoformat(),
                contract_id=contract_id_row,
            )
        ).rowcount
        if changed != 1:
            raise Conflict.of(
                N_("contract %(contract)s was signed meanwhile"), contract=contract_id
            )
        audit.record(
            conn,
            audit.Actor(who.username, who.role.value, client),
            "contract.signed",
            target_kind="econtract",
            target_id=contract_id,
            project_id=found["project_id"],
            detail={"sha256": digest, "draft_sha256": found["draft_sha256"]},
        )
        return _one(conn, contract_id)


def listing_select(conn: Connection, who: Principal) -> Select[Any]:
    """Contracts in reach with the worker's and project's names (the console's list and
    ``GET /api/v1/econtracts`` both read this SELECT); a worker: their own, once sent."""
    c, w, p = schema.econtracts.c, schema.workers.c, schema.projects.c
    q = (
        select(*(c[k] for k in LISTED), w.name.label("worker_name"), p.name.label("project_name"))
        .join(schema.workers, w.id == c.worker_id)
        .join(schema.projects, p.id == c.project_id)
    )
    if who.role is Role.WORKER:
        return q.where(c.worker_id == who.worker_id, c.status != "draft")
    clause = records_filter(conn, who, schema.econtracts)
    return q if clause is None else q.where(clause)


def listing(
    conn: Connection, who: Principal, project_id: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Contracts in reach, newest first."""
    c = schema.econtracts.c
    q = listing_select(conn, who)
    if project_id:
        q = q.where(c.project_id == project_id)
    if status:
        q = q.where(c.status == status)
    return [dict(r._mapping) for r in conn.execute(q.order_by(c.id.desc()))]


def employments_for(conn: Connection, who: Principal, project_id: str) -> list[dict[str, Any]]:
    """A project's employments in the caller's reach, each with its newest contract's status
    (None: no contract yet): the choices of the console's "new contract" form."""
    e, w, ent = schema.employments.c, schema.workers.c, schema.enterprises.c
    q = (
        select(
            e.id,
            e.worker_id,
            w.name.label("worker_name"),
            e.trade,
            ent.name.label("employer"),
        )
        .join(schema.workers, w.id == e.worker_id)
        .join(schema.enterprises, ent.id == e.employer_id)
        .where(e.project_id == project_id)
    )
    clause = records_filter(conn, who, schema.employments)
    if clause is not None:
        q = q.where(clause)
    rows = [dict(r._mapping) for r in conn.execute(q.order_by(w.name, e.id))]
    status = status_by_employment(conn, [r["id"] for r in rows])
    return [{**r, "contract_status": status.get(r["id"])} for r in rows]


def status_by_employment(conn: Connection, employment_ids: list[int]) -> dict[int, str]:
    """The newest e-contract's status of each employment (for the roster); absent: none."""
    c = schema.econtracts.c
    out: dict[int, str] = {}
    for employment_id, status in conn.execute(
        select(c.employment_id, c.status).where(c.employment_id.in_(employment_ids)).order_by(c.id)
    ):
        out[employment_id] = status
    return out


def today_local(conn: Connection, project_id: str) -> date:
    return _site_now(conn, project_id).date()
