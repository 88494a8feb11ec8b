"""Workers: who they are, sealed at rest, masked on screen, whole only where it is needed.

The bank file needs the whole ID and card number, and the site office needs them to check a
worker's papers; everyone else sees ``450***********1234``. Whole numbers are decrypted only
by :func:`reveal`, which callers use after checking the role (central/auth/scope.py).
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from central.clock import now_iso
from central.errors import Conflict, NotFound
from central.registry import validation
from central.registry.sealing import Sealer
from central.storage import Database, schema
from wireproto.messages import WorkerId

ID_CONTEXT, CARD_CONTEXT = "id_number", "card_number"


class WorkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: WorkerId
    name: Annotated[str, Field(min_length=1, max_length=100)]
    id_number: Annotated[str, Field(description="resident ID number, checked (GB 11643)")]
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 -]{6,20}$")] | None = None
    card_number: str | None = Field(None, description="payroll card, Luhn-checked")
    bank: Annotated[str, Field(max_length=100)] | None = None

    @field_validator("id_number")
    @classmethod
    def _ric(cls, value: str) -> str:
        return validation.resident_id(value)

    @field_validator("card_number")
    @classmethod
    def _card(cls, value: str | None) -> str | None:
        return None if value is None else validation.card_number(value)


PUBLIC_COLUMNS = ("id", "name", "id_number_masked", "phone", "card_masked", "bank", "card_valid")


def create_worker(db: Database, sealer: Sealer, data: WorkerIn) -> dict[str, object]:
    """Register a worker; the same ID number twice is refused (one person, one wage account)."""
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
    try:
        with db.begin() as conn:
            conn.execute(schema.workers.insert().values(**values))
    except IntegrityError:
        raise Conflict(f"worker {data.id} or this ID number is already registered") from None
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
        out[r.id] = {
            "name": r.name,
            "id_number": sealer.open(r.id_number_sealed, ID_CONTEXT).decode(),
            "card_number": sealer.open(r.card_sealed, CARD_CONTEXT).decode()
            if r.card_sealed
            else "",
            "bank": r.bank or "",
        }
    return out
