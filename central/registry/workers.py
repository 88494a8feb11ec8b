"""Workers: who they are, sealed at rest, masked on screen, whole only where it is needed.

The bank file needs the whole ID and card number, and the site office needs them to check a
worker's papers; everyone else sees ``450***********1234``. Whole numbers are decrypted only
by :func:`reveal`, which callers use after checking the role (central/auth/scope.py).
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from central import audit
from central.clock import now_iso
from central.errors import Conflict, NotFound
from central.registry import staff_spans, validation
from central.registry.sealing import Sealer
from central.storage import Database, schema
from central.validation import Name, ShortText
from wireproto.messages import WorkerId

ID_CONTEXT, CARD_CONTEXT = "id_number", "card_number"


class WorkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: WorkerId
    name: Name
    id_number: Annotated[
        str, Field(max_length=40, description="resident ID number, checked (GB 11643)")
    ]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 -]{6,20}$")] | None = None
    card_number: Annotated[str, Field(max_length=40)] | None = Field(
        None, description="payroll card, Luhn-checked"
    )
    bank: ShortText | None = None

    @field_validator("id_number")
    @classmethod
    def _ric(cls, value: str) -> str:
        return validation.resident_id(value)

    @field_validator("card_number")
    @classmethod
    def _card(cls, value: str | None) -> str | None:
        return None if value is None else validation.card_number(value)


PUBLIC_COLUMNS = ("id", "name", "id_number_masked", "phone", "card_masked", "bank", "card_valid")


class DuplicateIdNumber(Conflict):
    """The ID number is registered already: one person, one record (一人一档)."""


def by_id_number(conn: Connection, sealer: Sealer, id_number: str) -> str | None:
    """The worker id registered under this ID number, if any (through its keyed hash)."""
    w = schema.workers.c
    wanted = sealer.lookup_hash(validation.resident_id(id_number), ID_CONTEXT)
    return conn.execute(select(w.id).where(w.id_number_hash == wanted)).scalar_one_or_none()


def row_values(sealer: Sealer, data: WorkerIn) -> dict[str, object]:
    """The ``workers`` row of a new worker: numbers sealed, hashed for lookup and masked."""
    values: dict[str, object] = {
        "id": data.id,
        "name": data.name,
        "id_number_sealed": sealer.seal(data.id_number.encode(), ID_CONTEXT),
        "id_number_hash": sealer.lookup_hash(data.id_number, ID_CONTEXT),
        "id_number_masked": validation.mask(data.id_number),
        "phone": data.phone,
        "bank": data.bank,
        "card_valid": 1,
        "created_at": now_iso(),
    }
    if data.card_number:
        values |= {
            "card_sealed": sealer.seal(data.card_number.encode(), CARD_CONTEXT),
            "card_hash": sealer.lookup_hash(data.card_number, CARD_CONTEXT),
            "card_masked": validation.mask(data.card_number, 4, 4),
        }
    return values


def create_worker(
    db: Database, sealer: Sealer, data: WorkerIn, *, disclose: bool = False
) -> dict[str, object]:
    """Register a worker; the same ID number twice is refused (one person, one wage account).

    The refusal names the existing record only when ``disclose`` (the caller may see every
    worker): anyone else learns that the person is registered, which they must know to link
    them (POST /api/v1/employments/by-id-number), and nothing of the record.
    """
    values = row_values(sealer, data)
    with db.begin() as conn:
        existing = by_id_number(conn, sealer, data.id_number)
        if existing is not None:
            named = f" (worker {existing})" if disclose else ""
            raise DuplicateIdNumber(
                f"this ID number is already registered{named}: one person has one record; "
                "employ them through POST /api/v1/employments/by-id-number"
            )
        taken = conn.execute(select(schema.workers.c.id).where(schema.workers.c.id == data.id))
        if taken.first() is not None:
            raise Conflict(f"worker id {data.id} is taken: choose another")
    try:
        with db.begin() as conn:
            conn.execute(schema.workers.insert().values(**values))
    except IntegrityError:  # a concurrent registration of the same id or number
        raise Conflict("this worker id or ID number was registered just now") from None
    return {k: values.get(k) for k in PUBLIC_COLUMNS}


def set_card(db: Database, sealer: Sealer, worker_id: str, card: str, bank: str) -> None:
    """A new payroll card (after a bank refusal, say) is valid until the bank says otherwise."""
    card = validation.card_number(card)
    with db.begin() as conn:
        done = conn.execute(
            schema.workers.update()
            .where(schema.workers.c.id == worker_id)
            .values(
                card_sealed=sealer.seal(card.encode(), CARD_CONTEXT),
                card_hash=sealer.lookup_hash(card, CARD_CONTEXT),
                card_masked=validation.mask(card, 4, 4),
                bank=bank,
                card_valid=1,
            )
        ).rowcount
        staff_spans.refresh(conn, [worker_id])
    if not done:
        raise NotFound(f"worker {worker_id}")


def worker(conn: Connection, worker_id: str) -> dict[str, object]:
    """The public (masked) view of one worker."""
    w = schema.workers.c
    row = conn.execute(
        select(*(getattr(w, c) for c in PUBLIC_COLUMNS)).where(w.id == worker_id)
    ).first()
    if row is None:
        raise NotFound(f"worker {worker_id}")
    return dict(row._mapping)


def reveal(conn: Connection, sealer: Sealer, worker_ids: list[str]) -> dict[str, dict[str, str]]:
    """Whole ID and card numbers for the bank file and authorised staff."""
    w = schema.workers.c
    out: dict[str, dict[str, str]] = {}
    rows = conn.execute(
        select(w.id, w.name, w.id_number_sealed, w.card_sealed, w.bank).where(w.id.in_(worker_ids))
    )
    for r in rows:
        out[r.id] = payee(sealer, r)
    return out


def payee(sealer: Sealer, row: Any) -> dict[str, str]:
    """A worker row's name, whole ID and card numbers and bank (``name``,
    ``id_number_sealed``, ``card_sealed``, ``bank``): what a bank needs to pay them."""
    return {
        "name": row.name,
        "id_number": sealer.open(row.id_number_sealed, ID_CONTEXT).decode(),
        "card_number": sealer.open(row.card_sealed, CARD_CONTEXT).decode()
        if row.card_sealed
        else "",
        "bank": row.bank or "",
    }


def reveal_audited(
    db: Database,
    sealer: Sealer,
    actor: audit.Actor,
    worker_ids: list[str],
    *,
    reason: str | None = None,
) -> dict[str, dict[str, str]]:
    """Whole numbers for a screen, each reveal written to the audit log first (``worker.reveal``,
    with the masked number only, and the ``reason`` given when one was asked for). The caller
    has checked who may see which worker (central/auth/scope.py ``revealable``)."""
    if not worker_ids:
        return {}
    w = schema.workers.c
    with db.begin() as conn:
        masked = dict(
            conn.execute(select(w.id, w.id_number_masked).where(w.id.in_(worker_ids))).all()
        )
        for worker_id in sorted(masked):
            audit.record(
                conn,
                actor,
                "worker.reveal",
                target_kind="worker",
                target_id=worker_id,
                detail={"id_number_masked": masked[worker_id]}
                | ({"reason": reason} if reason else {}),
            )
        return reveal(conn, sealer, sorted(masked))
